"""The ingest endpoint's contract with producers, over HTTP (in-process ASGI)."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from lineage.api.app import create_app
from lineage.graph.model import dataset_id, run_id
from lineage.settings import Settings, hash_token
from tests.factories import dataset, new_run_id, pipeline_run, run_event

NS = "postgres://db:5432"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(store=f"sqlite:///{tmp_path}/l.db", max_body_bytes=200_000))
    with TestClient(app) as c:
        yield c


def test_one_event_is_stored_and_answered_201(client: TestClient) -> None:
    rid = new_run_id()
    response = client.post("/api/v1/lineage", json=run_event("START", rid, ("etl", "j"), outputs=[dataset(NS, "b")]))
    assert response.status_code == 201
    store = client.app.state.store  # type: ignore[attr-defined]
    assert run_id(rid) in store.get_nodes([run_id(rid)])
    assert dataset_id(NS, "b") in store.get_nodes([dataset_id(NS, "b")])


def test_gzip_bodies_are_accepted(client: TestClient) -> None:
    body = gzip.compress(orjson.dumps(run_event("START", new_run_id(), ("etl", "j"))))
    response = client.post(
        "/api/v1/lineage", content=body, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
    )
    assert response.status_code == 201


def test_a_body_that_is_not_json_gets_400(client: TestClient) -> None:
    response = client.post("/api/v1/lineage", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]


def test_an_invalid_event_gets_422_naming_each_bad_field(client: TestClient) -> None:
    event = run_event("START", "not-a-uuid", ("etl", "j"))
    del event["eventTime"]
    response = client.post("/api/v1/lineage", json=event)
    assert response.status_code == 422
    paths = {e["path"] for e in response.json()["errors"]}
    assert {"run.runId", "eventTime"} <= paths
    assert client.get("/api/v1/events/lineage").json()["count"] == 0


def test_a_too_large_body_gets_413(client: TestClient) -> None:
    event = run_event("START", new_run_id(), ("etl", "j"))
    event["run"]["facets"]["big"] = {"_producer": "x", "_schemaURL": "https://x/y", "blob": "x" * 300_000}
    assert client.post("/api/v1/lineage", json=event).status_code == 413
    bomb = gzip.compress(orjson.dumps(event))
    response = client.post("/api/v1/lineage", content=bomb, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert response.status_code == 413


def test_a_batch_stores_the_valid_events_and_reports_the_others_by_index(client: TestClient) -> None:
    good = pipeline_run(("etl", "j"), [dataset(NS, "a")], [dataset(NS, "b")], start=0)
    bad = run_event("START", new_run_id(), ("etl", "j"))
    bad["job"]["name"] = 42
    response = client.post("/api/v1/lineage/batch", json=[good[0], bad, good[1]])
    assert response.status_code == 207
    body = response.json()
    assert body["accepted"] == 2
    assert body["rejected"][0]["index"] == 1
    assert body["rejected"][0]["errors"][0]["path"] == "job.name"
    assert client.get("/api/v1/events/lineage").json()["count"] == 2


def test_stored_events_are_listed_verbatim_newest_first(client: TestClient) -> None:
    events = pipeline_run(("etl", "j"), [], [], start=0)
    events[0]["run"]["facets"]["custom_thing"] = {"_producer": "me", "_schemaURL": "https://me/s", "k": [1, 2]}
    for event in events:
        client.post("/api/v1/lineage", json=event)
    listed = client.get("/api/v1/events/lineage").json()["events"]
    assert [e["eventType"] for e in listed] == ["COMPLETE", "START"]
    assert listed[1]["run"]["facets"]["custom_thing"] == {"_producer": "me", "_schemaURL": "https://me/s", "k": [1, 2]}


def test_health_readiness_and_metrics(client: TestClient) -> None:
    client.post("/api/v1/lineage", json=run_event("START", new_run_id(), ("etl", "j")))
    client.post("/api/v1/lineage", content=b"nope", headers={"Content-Type": "application/json"})
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["status"] == "ready"
    metrics = client.get("/metrics").text
    assert "lineage_events_accepted_total 1.0" in metrics
    assert 'lineage_events_rejected_total{reason="not_json"} 1.0' in metrics
    assert "lineage_ingest_seconds_bucket" in metrics


def test_metrics_say_requests_by_route_graphql_operations_and_the_process(
    client: TestClient,
) -> None:
    client.post("/api/v1/lineage", json=run_event("START", new_run_id(), ("etl", "j")))
    client.get("/api/v1/namespaces")
    client.post("/graphql", json={"query": "{ search(query: \"j\") { totalCount } }"})
    client.post("/graphql", json={"query": "{ node(id: \"nope\") { id } }"})
    metrics = client.get("/metrics").text
    # By route template and exact status, never by raw path (bounded label values).
    assert (
        'lineage_http_requests_total{handler="/api/v1/lineage",method="POST",status="201"} 1.0'
        in metrics
    )
    assert 'lineage_http_request_duration_seconds_bucket{handler="/graphql"' in metrics
    assert 'lineage_graphql_seconds_count{field="search",operation="query",outcome="ok"} 1.0' in metrics
    assert 'lineage_graphql_seconds_count{field="node",operation="query",outcome="error"} 1.0' in metrics
    assert "process_resident_memory_bytes" in metrics
    assert "python_info" in metrics


def test_tokens_guard_every_route_but_healthz(tmp_path: Path) -> None:
    settings = Settings(
        store=f"sqlite:///{tmp_path}/l.db",
        tokens=[f"{hash_token('writer')}=ingest", "reader-secret=read"],
    )
    with TestClient(create_app(settings)) as c:
        event = run_event("START", new_run_id(), ("etl", "j"))
        assert c.get("/healthz").status_code == 200
        assert c.post("/api/v1/lineage", json=event).status_code == 401
        assert c.post("/api/v1/lineage", json=event, headers={"Authorization": "Bearer wrong"}).status_code == 401
        reader = {"Authorization": "Bearer reader-secret"}
        writer = {"Authorization": "Bearer writer"}
        assert c.post("/api/v1/lineage", json=event, headers=reader).status_code == 403
        assert c.post("/api/v1/lineage", json=event, headers=writer).status_code == 201
        assert c.get("/api/v1/events/lineage", headers=writer).status_code == 403
        assert c.get("/api/v1/events/lineage", headers=reader).status_code == 200
        assert c.get("/readyz").status_code == 401
