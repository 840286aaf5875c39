"""Names are bounded (LINEAGE_MAX_NAME_BYTES): a namespace or name of a job, a dataset or a
column longer than the limit is refused before the event is parsed, naming the JSON path
and the setting, over HTTP (413 alone, 207 in a batch), in `lineage ingest` and in the Kafka
consumer alike. Each name is part of node ids the store keeps many copies of: a 1 MB name
cost about 100 MB."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from lineage.api.app import create_app
from lineage.consume import parse_message
from lineage.events.limits import DEFAULT_LIMITS, EventLimits, EventTooLarge
from lineage.settings import Settings
from tests.factories import (
    column_lineage,
    dataset,
    dataset_event,
    facet,
    new_run_id,
    run_event,
    schema,
)
from tests.test_cli import lineage_cli

LIMIT = 64
LONG = "n" * (LIMIT + 1)
#: Within the limit in characters, over it in bytes.
WIDE = "é" * (LIMIT // 2 + 1)


def event(**parts: Any) -> dict[str, Any]:
    return run_event("COMPLETE", new_run_id(), parts.pop("job", ("etl", "job")), **parts)


OVER: dict[str, tuple[Any, str]] = {
    "job name": (lambda: event(job=("etl", LONG)), "job.name"),
    "job namespace (bytes)": (lambda: event(job=(WIDE, "j")), "job.namespace"),
    "input name": (
        lambda: event(inputs=[dataset("pg", "a"), dataset("pg", LONG)]),
        "inputs[1].name",
    ),
    "output namespace": (lambda: event(outputs=[dataset(LONG, "t")]), "outputs[0].namespace"),
    "dataset event": (lambda: dataset_event("pg", LONG), "dataset.name"),
    "schema field": (
        lambda: event(outputs=[dataset("pg", "t", s=schema("id", LONG))]),
        "outputs[0].facets.schema.fields[1].name",
    ),
    "column lineage input": (
        lambda: event(
            outputs=[
                dataset("pg", "t", s=schema("id"), c=column_lineage({"id": [("pg", "s", LONG)]}))
            ]
        ),
        "outputs[0].facets.columnLineage.fields.id.inputFields[0].field",
    ),
    "parent job": (
        lambda: event(
            run_facets={
                "parent": facet(
                    "ParentRunFacet",
                    run={"runId": new_run_id()},
                    job={"namespace": "af", "name": LONG},
                )
            }
        ),
        "run.facets.parent.job.name",
    ),
}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(store=f"sqlite:///{tmp_path}/lineage.db", tokens=[], max_name_bytes=LIMIT)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("case", list(OVER))
def test_a_name_over_the_limit_is_a_413_naming_its_path_and_the_setting(
    client: TestClient, case: str
) -> None:
    build, path = OVER[case]
    response = client.post("/api/v1/lineage", json=build())
    assert response.status_code == 413, response.text
    body = response.json()
    assert body["limit"] == "max_name_bytes"
    assert body["setting"] == "LINEAGE_MAX_NAME_BYTES"
    [problem] = body["errors"]
    assert problem["path"] == path
    assert "LINEAGE_MAX_NAME_BYTES" in problem["message"]
    assert client.get("/api/v1/events/lineage").json()["count"] == 0


def test_names_at_the_limit_are_stored(client: TestClient) -> None:
    at_limit = "n" * LIMIT
    response = client.post(
        "/api/v1/lineage",
        json=event(
            job=("é" * (LIMIT // 2), at_limit),
            outputs=[dataset("pg", at_limit, s=schema(at_limit))],
        ),
    )
    assert response.status_code == 201, response.text


def test_in_a_batch_a_long_name_is_rejected_on_its_own(client: TestClient) -> None:
    batch = [event(), OVER["input name"][0](), event()]
    response = client.post("/api/v1/lineage/batch", json=batch)
    assert response.status_code == 207, response.text
    body = response.json()
    assert body["accepted"] == 2
    [rejected] = body["rejected"]
    assert rejected["index"] == 1
    assert rejected["errors"][0]["path"] == "inputs[1].name"
    assert "LINEAGE_MAX_NAME_BYTES" in rejected["errors"][0]["message"]


def test_the_default_limit_refuses_a_megabyte_name(tmp_path: Path) -> None:
    assert DEFAULT_LIMITS.max_name_bytes == Settings().max_name_bytes == 4096
    with TestClient(
        create_app(Settings(store=f"sqlite:///{tmp_path}/l.db", tokens=[])),
        raise_server_exceptions=False,
    ) as client:
        response = client.post(
            "/api/v1/lineage", json=event(outputs=[dataset("pg", "x" * 1_100_000)])
        )
    assert response.status_code == 413, response.text
    assert response.json()["errors"][0]["path"] == "outputs[0].name"


def test_the_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINEAGE_MAX_NAME_BYTES", "100")
    assert Settings().event_limits() == EventLimits(max_name_bytes=100)


def test_lineage_ingest_applies_the_limit(tmp_path: Path) -> None:
    source = tmp_path / "events.jsonl"
    source.write_bytes(
        orjson.dumps(event()) + b"\n" + orjson.dumps(event(job=("etl", "j" * 5000))) + b"\n"
    )
    done = lineage_cli("ingest", str(source), "--store", f"sqlite:///{tmp_path}/l.db")
    assert done.returncode == 1, done.stderr
    assert "accepted 1, rejected 1" in done.stdout
    assert "events.jsonl:2: job.name: this name is 5000 bytes" in done.stderr
    assert "LINEAGE_MAX_NAME_BYTES" in done.stderr


def test_the_kafka_consumer_applies_the_limit() -> None:
    message = orjson.dumps(event(job=("etl", LONG)))
    with pytest.raises(EventTooLarge) as refused:
        parse_message(message, Settings(max_name_bytes=LIMIT).event_limits())
    assert refused.value.setting == "LINEAGE_MAX_NAME_BYTES"
    assert [p.path for p in refused.value.problems] == ["job.name"]
