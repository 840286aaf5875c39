"""Marquez's read API: namespaces, datasets, jobs, runs and search, at Marquez's paths and
in its JSON shapes, on each store under contract."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from lineage.api.app import create_app
from lineage.settings import Settings
from lineage.store import GraphStore
from tests.analysis import graphs
from tests.analysis.graphs import HIVE, NS, S3
from tests.conftest import feed
from tests.factories import dataset, facet, new_run_id, pipeline_run, run_event, schema


def encoded(name: str) -> str:
    """A path segment as Marquez clients send it (encodeURIComponent)."""
    return quote(name, safe="")


@pytest.fixture
def client(store: GraphStore) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(tokens=[]), store=store)) as c:
        yield c


def get(client: TestClient, path: str, **params: Any) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def test_namespaces_are_every_namespace_a_dataset_or_job_was_seen_in(
    store: GraphStore, client: TestClient
) -> None:
    graphs.chain(store)
    graphs.symlinked_file_and_table(store)
    body = get(client, "/api/v1/namespaces")
    names = [n["name"] for n in body["namespaces"]]
    assert names == sorted([NS, "etl", S3, HIVE, "spark", "warehouse"])
    etl = next(n for n in body["namespaces"] if n["name"] == "etl")
    assert etl == {
        "name": "etl",
        "createdAt": "2026-11-01T08:00:00Z",
        "updatedAt": "2026-11-01T08:06:00Z",
        "ownerName": "anonymous",
        "description": None,
        "isHidden": False,
    }


def test_a_namespace_holding_slashes_and_colons_is_read_from_its_encoded_path(
    store: GraphStore, client: TestClient
) -> None:
    graphs.chain(store)
    body = get(client, f"/api/v1/namespaces/{encoded(NS)}")
    assert body["name"] == NS
    listed = get(client, f"/api/v1/namespaces/{encoded(NS)}/datasets")
    assert [d["name"] for d in listed["datasets"]] == ["mart.orders", "raw.orders", "stg.orders"]


def test_a_namespace_and_name_sent_with_bare_slashes_still_read_right(
    store: GraphStore, client: TestClient
) -> None:
    graphs.symlinked_file_and_table(store)
    bare = get(client, f"/api/v1/namespaces/{S3}/datasets//warehouse/orders")
    assert bare["id"] == {"namespace": S3, "name": "/warehouse/orders"}
    versions = get(client, f"/api/v1/namespaces/{S3}/datasets//warehouse/orders/versions")
    assert versions["totalCount"] == 1


def test_datasets_are_listed_in_pages_with_a_total_count(
    store: GraphStore, client: TestClient
) -> None:
    graphs.chain(store)
    path = f"/api/v1/namespaces/{encoded(NS)}/datasets"
    first = get(client, path, limit=2)
    second = get(client, path, limit=2, offset=2)
    assert first["totalCount"] == second["totalCount"] == 3
    assert [d["name"] for d in first["datasets"] + second["datasets"]] == [
        "mart.orders",
        "raw.orders",
        "stg.orders",
    ]


def test_a_dataset_has_marquez_fields_and_keeps_every_facet(
    store: GraphStore, client: TestClient
) -> None:
    docs = {
        "documentation": facet("DocumentationDatasetFacet", description="Orders, cleaned"),
        "tags": facet("TagsDatasetFacet", tags=[{"key": "pii", "value": "true"}]),
    }
    out = dataset(NS, "stg.orders", s=schema(("id", "INT"), "status"), d=docs)
    feed(store, pipeline_run(("etl", "stage_orders"), [dataset(NS, "raw.orders")], [out], start=0))
    body = get(client, f"/api/v1/namespaces/{encoded(NS)}/datasets/stg.orders")
    version = body.pop("currentVersion")
    facets = body.pop("facets")
    assert body == {
        "id": {"namespace": NS, "name": "stg.orders"},
        "type": "DB_TABLE",
        "name": "stg.orders",
        "physicalName": "stg.orders",
        "createdAt": "2026-11-01T08:00:00Z",
        "updatedAt": "2026-11-01T08:00:00Z",
        "namespace": NS,
        "sourceName": NS,
        "fields": [
            {"name": "id", "type": "INT", "tags": [], "description": None},
            {"name": "status", "type": "VARCHAR", "tags": [], "description": None},
        ],
        "tags": ["pii"],
        "lastModifiedAt": "2026-11-01T08:00:00Z",
        "lastLifecycleState": None,
        "description": "Orders, cleaned",
        "deleted": False,
        "columnLineage": [],
    }
    assert version.startswith("run:")
    assert set(facets) == {"schema", "documentation", "tags"}
    assert facets["tags"]["tags"] == [{"key": "pii", "value": "true"}]


def test_a_dataset_lists_the_columns_each_of_its_columns_comes_from(
    store: GraphStore, client: TestClient
) -> None:
    graphs.column_lineage_with_a_filter(store)
    body = get(client, f"/api/v1/namespaces/{encoded(NS)}/datasets/mart.customers")
    lineage = {c["name"]: c["inputFields"] for c in body["columnLineage"]}
    assert sorted(
        (f["dataset"], f["field"], f["transformationType"]) for f in lineage["total"]
    ) == [
        ("stg.orders", "amount", "DIRECT"),
        ("stg.orders", "status", "INDIRECT"),
    ]


def test_dataset_versions_are_newest_first_with_the_run_that_wrote_each(
    store: GraphStore, client: TestClient
) -> None:
    runs = graphs.writes_and_reads(store)
    body = get(client, f"/api/v1/namespaces/{encoded(NS)}/datasets/a/versions")
    assert body["totalCount"] == 2
    assert [v["version"] for v in body["versions"]] == [f"run:{runs['a2']}", f"run:{runs['a1']}"]
    newest = body["versions"][0]
    assert newest["id"] == {"namespace": NS, "name": "a", "version": f"run:{runs['a2']}"}
    assert newest["fields"] == [{"name": "x", "type": "VARCHAR", "tags": [], "description": None}]
    assert newest["createdByRun"]["id"] == runs["a2"]
    assert newest["createdByRun"]["state"] == "COMPLETED"
    one = get(client, f"/api/v1/namespaces/{encoded(NS)}/datasets/a/versions/run:{runs['a1']}")
    assert one["createdAt"] == "2026-11-01T08:00:00Z"


def test_jobs_show_their_inputs_outputs_and_latest_run(
    store: GraphStore, client: TestClient
) -> None:
    runs = graphs.writes_and_reads(store)
    body = get(client, "/api/v1/namespaces/etl/jobs")
    assert [j["name"] for j in body["jobs"]] == ["build_b", "load_a"]
    assert body["totalCount"] == 2
    build_b = body["jobs"][0]
    assert build_b["id"] == {"namespace": "etl", "name": "build_b"}
    assert build_b["type"] == "BATCH"
    assert build_b["inputs"] == [{"namespace": NS, "name": "a"}]
    assert build_b["outputs"] == [{"namespace": NS, "name": "b"}]
    assert build_b["createdAt"] == "2026-11-01T08:05:00Z"
    assert build_b["updatedAt"] == "2026-11-01T08:16:00Z"
    assert build_b["latestRun"]["id"] == runs["b2"]
    assert build_b["latestRun"]["inputDatasetVersions"] == [
        {
            "datasetVersionId": {"namespace": NS, "name": "a", "version": f"run:{runs['a2']}"},
            "facets": {},
        }
    ]
    assert get(client, "/api/v1/namespaces/etl/jobs/build_b") == build_b


def test_a_jobs_sql_and_source_location_are_its_context_and_location(
    store: GraphStore, client: TestClient
) -> None:
    facets = {
        "sql": facet("SQLJobFacet", query="SELECT 1"),
        "sourceCodeLocation": facet(
            "SourceCodeLocationJobFacet", type="git", url="https://git.example.com/etl/load.py"
        ),
    }
    feed(store, [run_event("START", new_run_id(), ("etl", "load"), job_facets=facets)])
    body = get(client, "/api/v1/namespaces/etl/jobs/load")
    assert body["context"] == {"sql": "SELECT 1"}
    assert body["location"] == "https://git.example.com/etl/load.py"
    assert body["latestRun"]["state"] == "RUNNING"
    assert set(body["facets"]) == {"sql", "sourceCodeLocation"}


def test_a_jobs_runs_are_listed_latest_first_in_marquez_states(
    store: GraphStore, client: TestClient
) -> None:
    job = ("etl", "flaky")
    events = pipeline_run(job, [], [dataset(NS, "x")], start=0, final="FAIL")
    events += pipeline_run(job, [], [dataset(NS, "x")], start=10, end=12)
    feed(store, events)
    body = get(client, "/api/v1/namespaces/etl/jobs/flaky/runs")
    assert body["totalCount"] == 2
    assert [r["state"] for r in body["runs"]] == ["COMPLETED", "FAILED"]
    latest = body["runs"][0]
    assert latest["startedAt"] == "2026-11-01T08:10:00Z"
    assert latest["endedAt"] == "2026-11-01T08:12:00Z"
    assert latest["durationMs"] == 120_000
    assert latest["jobVersion"] == {"namespace": "etl", "name": "flaky", "version": None}
    assert len(get(client, "/api/v1/namespaces/etl/jobs/flaky/runs", limit=1)["runs"]) == 1


def test_a_run_is_found_by_its_id_whatever_its_case(store: GraphStore, client: TestClient) -> None:
    runs = graphs.writes_and_reads(store)
    body = get(client, f"/api/v1/jobs/runs/{runs['b1'].upper()}")
    assert body["id"] == runs["b1"]
    assert body["outputDatasetVersions"][0]["datasetVersionId"]["name"] == "b"


def test_search_matches_names_marquez_style_and_sorts_by_name(
    store: GraphStore, client: TestClient
) -> None:
    graphs.chain(store)
    body = get(client, "/api/v1/search", q="orders")
    assert [(r["type"], r["name"]) for r in body["results"]] == [
        ("DATASET", "mart.orders"),
        ("DATASET", "raw.orders"),
        ("JOB", "stage_orders"),
        ("DATASET", "stg.orders"),
    ]
    assert body["totalCount"] == 4
    first = body["results"][0]
    assert first == {
        "type": "DATASET",
        "name": "mart.orders",
        "updatedAt": "2026-11-01T08:05:00Z",
        "namespace": NS,
        "nodeId": f"dataset:{NS}:mart.orders",
    }
    wildcard = get(client, "/api/v1/search", q="r%.orders", filter="dataset")
    assert [r["name"] for r in wildcard["results"]] == ["mart.orders", "raw.orders"]
    jobs = get(client, "/api/v1/search", q="orders", filter="JOB")
    assert [r["nodeId"] for r in jobs["results"]] == ["job:etl:stage_orders"]
    newest = get(client, "/api/v1/search", q="orders", sort="UPDATE_AT", limit=1)
    assert [r["name"] for r in newest["results"]] == ["mart.orders"]


def test_search_refuses_an_unknown_filter(client: TestClient) -> None:
    response = client.get("/api/v1/search", params={"q": "x", "filter": "model"})
    assert response.status_code == 400
    assert "DATASET or JOB" in response.json()["message"]


def test_what_is_not_there_is_a_404_naming_it(store: GraphStore, client: TestClient) -> None:
    graphs.chain(store)
    cases = {
        "/api/v1/namespaces/nowhere": "no namespace 'nowhere'",
        "/api/v1/namespaces/nowhere/datasets": "no namespace 'nowhere'",
        f"/api/v1/namespaces/{encoded(NS)}/datasets/mart.order": (
            f"no dataset 'mart.order' in namespace '{NS}'"
        ),
        "/api/v1/namespaces/etl/jobs/build": "no job 'build' in namespace 'etl'",
        f"/api/v1/namespaces/{encoded(NS)}/datasets/mart.orders/versions/v9": "no version 'v9'",
        "/api/v1/jobs/runs/5f1e9b1c-0000-4000-8000-000000000000": "no run",
    }
    for path, message in cases.items():
        response = client.get(path)
        assert response.status_code == 404, path
        body = response.json()
        assert body["code"] == 404
        assert message in body["message"], (path, body)
        assert body["error"] == body["message"]


def test_reads_need_the_read_scope(tmp_path: Path) -> None:
    settings = Settings(store=f"sqlite:///{tmp_path}/l.db", tokens=["writer=ingest", "reader=read"])
    with TestClient(create_app(settings)) as c:
        for path in ("/api/v1/namespaces", "/api/v1/search?q=x", "/api/v1/jobs/runs/x"):
            assert c.get(path).status_code == 401
            assert c.get(path, headers={"Authorization": "Bearer writer"}).status_code == 403
        reader = {"Authorization": "Bearer reader"}
        assert c.get("/api/v1/namespaces", headers=reader).json() == {"namespaces": []}
