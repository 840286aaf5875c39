"""Per-event limits (inputs, outputs, schema fields, facet bytes): an event over one is refused
before it is parsed, with the limit, the setting that raises it and the JSON path; a large
batch is written in bounded transactions, and answered only once all of them are stored."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from lineage.api.app import create_app
from lineage.events.limits import DEFAULT_LIMITS, EventLimits, EventTooLarge
from lineage.ingest import prepare
from lineage.settings import Settings
from lineage.store import GraphStore
from lineage.store.embedded import EmbeddedStore
from tests.conftest import skip_or_fail
from tests.factories import dataset, dataset_event, facet, new_run_id, run_event, schema
from tests.test_cli import lineage_cli

#: Small limits, so that events over them stay small.
SMALL = {"max_inputs": 3, "max_outputs": 2, "max_schema_fields": 5, "max_facet_bytes": 2000}


def client_for(tmp_path: Path, **settings: Any) -> TestClient:
    app = create_app(Settings(store=f"sqlite:///{tmp_path}/lineage.db", tokens=[], **settings))
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with client_for(tmp_path, **SMALL) as c:
        yield c


def inputs(count: int) -> list[dict[str, Any]]:
    return [dataset("s3://bucket", f"part-{i}") for i in range(count)]


def wide(**parts: Any) -> dict[str, Any]:
    return run_event("COMPLETE", new_run_id(), ("etl", "wide"), **parts)


def nested_schema(depth: int, width: int) -> dict[str, Any]:
    """A schema facet of ``width`` struct fields, each nesting ``depth`` levels of one field."""
    fields = []
    for w in range(width):
        field: dict[str, Any] = {"name": f"leaf_{w}", "type": "INT"}
        for d in range(depth):
            field = {"name": f"s{w}_{d}", "type": "STRUCT", "fields": [field]}
        fields.append(field)
    return {"schema": facet("SchemaDatasetFacet", fields=fields)}


def big_facet(size: int) -> dict[str, Any]:
    return {"_producer": "p", "_schemaURL": "https://example.com/big", "blob": "x" * size}


OVER_LIMITS = {
    "max_inputs": (lambda: wide(inputs=inputs(4)), "inputs", "LINEAGE_MAX_INPUTS"),
    "max_outputs": (lambda: wide(outputs=inputs(3)), "outputs", "LINEAGE_MAX_OUTPUTS"),
    "max_schema_fields": (
        lambda: wide(outputs=[dataset("pg", "t", s=schema(*[f"c{i}" for i in range(6)]))]),
        "outputs[0].facets.schema.fields",
        "LINEAGE_MAX_SCHEMA_FIELDS",
    ),
    "max_schema_fields (nested)": (
        lambda: wide(inputs=[dataset("pg", "a"), dataset("pg", "t", s=nested_schema(2, 2))]),
        "inputs[1].facets.schema.fields",
        "LINEAGE_MAX_SCHEMA_FIELDS",
    ),
    "max_schema_fields (dataset event)": (
        lambda: dataset_event("pg", "t", s=schema(*[f"c{i}" for i in range(6)])),
        "dataset.facets.schema.fields",
        "LINEAGE_MAX_SCHEMA_FIELDS",
    ),
    "max_facet_bytes (run)": (
        lambda: wide(run_facets={"blob": big_facet(3000)}),
        "run.facets.blob",
        "LINEAGE_MAX_FACET_BYTES",
    ),
    "max_facet_bytes (input facet)": (
        lambda: wide(inputs=[{**dataset("pg", "a"), "inputFacets": {"huge": big_facet(3000)}}]),
        "inputs[0].inputFacets.huge",
        "LINEAGE_MAX_FACET_BYTES",
    ),
}


@pytest.mark.parametrize("case", list(OVER_LIMITS))
def test_one_event_over_a_limit_is_a_413_naming_the_limit_setting_and_path(
    client: TestClient, case: str
) -> None:
    build, path, setting = OVER_LIMITS[case]
    response = client.post("/api/v1/lineage", json=build())
    assert response.status_code == 413, response.text
    body = response.json()
    limit = case.split()[0]
    assert body["limit"] == limit
    assert body["setting"] == setting
    [problem] = body["errors"]
    assert problem["path"] == path
    assert setting in problem["message"] and limit in problem["message"]
    assert client.get("/api/v1/events/lineage").json()["count"] == 0


def test_an_event_at_every_limit_is_stored(client: TestClient) -> None:
    event = wide(
        inputs=[*inputs(2), dataset("pg", "t", s=nested_schema(1, 2))],
        outputs=[dataset("pg", "o", s=schema(*[f"c{i}" for i in range(5)])), dataset("pg", "p")],
        run_facets={"blob": big_facet(2000 - len(orjson.dumps(big_facet(0))))},
    )
    event["inputs"][2]["facets"]["schema"]["fields"].append({"name": "x", "type": "INT"})
    response = client.post("/api/v1/lineage", json=event)
    assert response.status_code == 201, response.text


def test_in_a_batch_each_event_over_a_limit_is_rejected_on_its_own(client: TestClient) -> None:
    good = wide(inputs=inputs(1))
    batch = [good, OVER_LIMITS["max_inputs"][0](), OVER_LIMITS["max_facet_bytes (run)"][0]()]
    response = client.post("/api/v1/lineage/batch", json=batch)
    assert response.status_code == 207, response.text
    body = response.json()
    assert body["accepted"] == 1
    assert [r["index"] for r in body["rejected"]] == [1, 2]
    first, second = (r["errors"] for r in body["rejected"])
    assert first[0]["path"] == "inputs" and "LINEAGE_MAX_INPUTS" in first[0]["message"]
    assert second[0]["path"] == "run.facets.blob"
    assert "LINEAGE_MAX_FACET_BYTES" in second[0]["message"]


def test_the_default_limits_refuse_an_event_with_100000_inputs(tmp_path: Path) -> None:
    event = wide(inputs=[{"namespace": "s3://b", "name": f"t{i}"} for i in range(100_000)])
    with client_for(tmp_path) as client:
        response = client.post("/api/v1/lineage", content=orjson.dumps(event), headers={"Content-Type": "application/json"})
    assert response.status_code == 413, response.text
    [problem] = response.json()["errors"]
    assert problem["path"] == "inputs"
    assert problem["message"].startswith("100000 inputs; one event holds at most 10000 inputs")


def test_settings_default_to_the_default_limits_and_read_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().event_limits() == DEFAULT_LIMITS
    monkeypatch.setenv("LINEAGE_MAX_INPUTS", "7")
    monkeypatch.setenv("LINEAGE_MAX_FACET_BYTES", "100")
    assert Settings().event_limits() == EventLimits(max_inputs=7, max_facet_bytes=100)


def test_prepare_refuses_before_parsing_so_an_invalid_wide_event_names_the_limit() -> None:
    event = wide(inputs=[{"no": "namespace"}] * 5)
    with pytest.raises(EventTooLarge) as refused:
        prepare(event, limits=EventLimits(max_inputs=4))
    assert refused.value.limit == "max_inputs"
    assert [p.path for p in refused.value.problems] == ["inputs"]


def test_lineage_ingest_applies_the_same_limits(tmp_path: Path) -> None:
    source = tmp_path / "events.jsonl"
    source.write_bytes(
        orjson.dumps(wide(inputs=inputs(2))) + b"\n" + orjson.dumps(wide(inputs=inputs(3))) + b"\n"
    )
    env = {**os.environ, "LINEAGE_MAX_INPUTS": "2"}
    done = lineage_cli_env(env, "ingest", str(source), "--store", f"sqlite:///{tmp_path}/l.db")
    assert done.returncode == 1, done.stderr
    assert "accepted 1, rejected 1" in done.stdout
    assert "events.jsonl:2: inputs: 3 inputs; one event holds at most 2" in done.stderr
    assert "LINEAGE_MAX_INPUTS" in done.stderr


def test_lineage_ingest_from_stdin_applies_the_same_limits(tmp_path: Path) -> None:
    event = wide(run_facets={"blob": big_facet(2_000_000)})
    done = lineage_cli(
        "ingest", "-", "--store", f"sqlite:///{tmp_path}/l.db", stdin=orjson.dumps(event)
    )
    assert done.returncode == 1, done.stderr
    assert "run.facets.blob: this facet is 2000" in done.stderr
    assert "LINEAGE_MAX_FACET_BYTES" in done.stderr


def lineage_cli_env(env: dict[str, str], *args: str) -> Any:
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "lineage.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


# -- bounded transactions ------------------------------------------------------------------


def open_store(kind: str, tmp_path: Path) -> tuple[str, GraphStore]:
    if kind == "embedded":
        return f"sqlite:///{tmp_path}/lineage.db", EmbeddedStore(tmp_path / "lineage.db")
    url = os.environ.get("LINEAGE_TEST_NEO4J")
    if not url:
        skip_or_fail("needs a running Neo4j: set LINEAGE_TEST_NEO4J=neo4j://127.0.0.1:7687")
        raise AssertionError("unreachable")
    from lineage.store.neo4j import Neo4jStore

    return url, Neo4jStore(url, reset_for_tests=True)


def runs(count: int) -> list[dict[str, Any]]:
    events = []
    for i in range(count // 2):
        run, job = new_run_id(), ("etl", f"job_{i % 3}")
        io = {
            "inputs": [dataset("pg", f"raw_{i % 4}")],
            "outputs": [dataset("pg", f"mart_{i % 3}")],
        }
        events.append(run_event("START", run, job, time=i, **io))
        events.append(run_event("COMPLETE", run, job, time=i + 0.5, **io))
    return events


@pytest.mark.parametrize("kind", ["embedded", "neo4j"])
def test_a_batch_is_written_in_transactions_of_at_most_the_setting(
    kind: str, tmp_path: Path
) -> None:
    url, store = open_store(kind, tmp_path)
    events = runs(20)
    bad = run_event("START", "not-a-uuid", ("etl", "x"))
    settings = Settings(store=url, tokens=[], max_events_per_transaction=6)
    app = create_app(settings, store=store)
    try:
        with TestClient(app) as client:
            response = client.post("/api/v1/lineage/batch", json=[*events[:9], bad, *events[9:]])
            assert response.status_code == 207, response.text
            assert response.json()["accepted"] == 20
            assert [r["index"] for r in response.json()["rejected"]] == [9]
            # 21 events, 6 a part: 6 + 5 (one rejected) + 6 + 3.
            assert app.state.group_commit.transactions == 4
            stored = client.get("/api/v1/events/lineage", params={"limit": 100}).json()
            assert stored["count"] == 20
            assert {e["run"]["runId"] for e in stored["events"]} == {
                e["run"]["runId"] for e in events
            }
    finally:
        store.close()


def test_a_store_failure_part_way_says_from_which_index_nothing_was_stored(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "lineage.db")
    first = runs(2)
    # The second part carries 900 KB facets: more than the file may grow by below.
    heavy = [wide(run_facets={"blob": big_facet(900_000)}) for _ in range(2)]
    settings = Settings(
        store=f"sqlite:///{tmp_path}/lineage.db", tokens=[], max_events_per_transaction=2
    )
    with TestClient(create_app(settings, store=store)) as client:
        db: sqlite3.Connection = store._db  # the store's own connection: a real full disk
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages + 50}")
        response = client.post("/api/v1/lineage/batch", json=[*first, *heavy])
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"] == "5"
        body = response.json()
        assert body["accepted"] == 2
        assert body["notStoredFrom"] == 2
        assert "from index 2 on were not stored" in body["error"]
        db.execute("PRAGMA max_page_count = 1073741823")
        stored = client.get("/api/v1/events/lineage").json()
        assert {e["run"]["runId"] for e in stored["events"]} == {e["run"]["runId"] for e in first}
    store.close()
