"""The real openlineage-python client, HttpTransport, against a real server process."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import column_lineage_dataset, schema_dataset
from openlineage.client.transport.http import (
    ApiKeyTokenProvider,
    HttpCompression,
    HttpConfig,
    HttpTransport,
)

from lineage.settings import hash_token
from tests.e2e.server import Server

NS = "postgres://db:5432"


def emit_pipeline(client: OpenLineageClient, job_name: str) -> str:
    run = Run(runId=str(uuid.uuid4()))
    job = Job(namespace="etl", name=job_name)
    inputs = [
        InputDataset(
            namespace=NS,
            name="shop.public.raw_orders",
            facets={"schema": schema_dataset.SchemaDatasetFacet(fields=[schema_dataset.SchemaDatasetFacetFields(name="id", type="INT")])},
        )
    ]
    lineage = column_lineage_dataset.ColumnLineageDatasetFacet(
        fields={
            "order_id": column_lineage_dataset.Fields(
                inputFields=[
                    column_lineage_dataset.InputField(
                        namespace=NS,
                        name="shop.public.raw_orders",
                        field="id",
                        transformations=[column_lineage_dataset.Transformation(type="DIRECT", subtype="IDENTITY")],
                    )
                ]
            )
        }
    )
    outputs = [OutputDataset(namespace=NS, name=f"shop.public.{job_name}", facets={"columnLineage": lineage})]
    for state in (RunState.START, RunState.COMPLETE):
        client.emit(
            RunEvent(
                eventType=state,
                eventTime=datetime.now(UTC).isoformat(),
                run=run,
                job=job,
                producer="https://example.com/tests",
                inputs=inputs,
                outputs=outputs,
            )
        )
    return run.runId


def stored_run_ids(server: Server, headers: dict[str, str] | None = None) -> list[str]:
    body = httpx.get(server.url + "/api/v1/events/lineage", headers=headers or {}).json()
    return [e["run"]["runId"] for e in body["events"]]


@pytest.mark.parametrize("compression", [None, HttpCompression.GZIP], ids=["plain", "gzip"])
def test_the_http_transport_delivers_events_into_the_graph(server: Server, compression: HttpCompression | None) -> None:
    client = OpenLineageClient(transport=HttpTransport(HttpConfig(url=server.url, compression=compression)))
    rid = emit_pipeline(client, "orders")
    assert stored_run_ids(server) == [rid, rid]
    listed = httpx.get(server.url + "/api/v1/events/lineage").json()["events"]
    assert {e["eventType"] for e in listed} == {"START", "COMPLETE"}
    assert listed[0]["outputs"][0]["facets"]["columnLineage"]["fields"]["order_id"]["inputFields"][0]["field"] == "id"


def test_the_api_key_auth_sends_a_bearer_token_the_server_accepts(tmp_path: Path) -> None:
    server = Server(
        f"sqlite:///{tmp_path}/l.db",
        tmp_path / "server.log",
        env={"LINEAGE_TOKENS": f"{hash_token('producer-key')}=ingest+read"},
    ).start()
    try:
        good = OpenLineageClient(
            transport=HttpTransport(HttpConfig(url=server.url, auth=ApiKeyTokenProvider({"apiKey": "producer-key"})))
        )
        rid = emit_pipeline(good, "with_key")
        assert stored_run_ids(server, {"Authorization": "Bearer producer-key"}) == [rid, rid]
        anonymous = httpx.post(server.url + "/api/v1/lineage", json={})
        assert anonymous.status_code == 401
    finally:
        server.stop()
