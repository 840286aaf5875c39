"""Marquez's lineage graph (``/api/v1/lineage``) and column lineage graph
(``/api/v1/column-lineage``): node ids, node shapes, in and out edges."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lineage.api.app import create_app
from lineage.settings import Settings
from lineage.store import GraphStore
from tests.analysis import graphs
from tests.analysis.graphs import HIVE, NS, S3
from tests.conftest import feed
from tests.factories import dataset, facet, pipeline_run, schema


@pytest.fixture
def client(store: GraphStore) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(tokens=[]), store=store)) as c:
        yield c


def graph_of(client: TestClient, path: str, **params: Any) -> dict[str, dict[str, Any]]:
    """The answer's nodes by id, after checking the answer is sorted by id."""
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    nodes = response.json()["graph"]
    assert [n["id"] for n in nodes] == sorted(n["id"] for n in nodes)
    return {n["id"]: n for n in nodes}


def edges(nodes: dict[str, dict[str, Any]]) -> set[tuple[str, str]]:
    found = set()
    for node in nodes.values():
        for edge in node["inEdges"]:
            assert edge["destination"] == node["id"]
            found.add((edge["origin"], edge["destination"]))
        for edge in node["outEdges"]:
            assert edge["origin"] == node["id"]
            found.add((edge["origin"], edge["destination"]))
    return found


MART = f"dataset:{NS}:mart.orders"
STG = f"dataset:{NS}:stg.orders"
RAW = f"dataset:{NS}:raw.orders"


def test_lineage_of_a_dataset_is_marquez_graph_of_datasets_and_jobs(
    store: GraphStore, client: TestClient
) -> None:
    graphs.chain(store)
    nodes = graph_of(client, "/api/v1/lineage", nodeId=STG, depth=1)
    assert set(nodes) == {RAW, "job:etl:stage_orders", STG, "job:etl:build_mart", MART}
    assert edges(nodes) == {
        (RAW, "job:etl:stage_orders"),
        ("job:etl:stage_orders", STG),
        (STG, "job:etl:build_mart"),
        ("job:etl:build_mart", MART),
    }
    stg = nodes[STG]
    assert list(stg) == ["id", "type", "data", "inEdges", "outEdges"]
    assert stg["type"] == "DATASET"
    assert stg["data"]["id"] == {"namespace": NS, "name": "stg.orders"}
    assert [f["name"] for f in stg["data"]["fields"]] == ["id", "amount", "status"]
    job = nodes["job:etl:build_mart"]
    assert job["type"] == "JOB"
    assert job["data"]["inputs"] == [{"namespace": NS, "name": "stg.orders"}]
    assert job["data"]["latestRun"]["state"] == "COMPLETED"


def test_depth_counts_jobs_as_marquez_does(store: GraphStore, client: TestClient) -> None:
    graphs.chain(store)
    assert set(graph_of(client, "/api/v1/lineage", nodeId=MART, depth=1)) == {
        MART,
        "job:etl:build_mart",
        STG,
    }
    assert RAW in graph_of(client, "/api/v1/lineage", nodeId=MART, depth=2)
    assert set(graph_of(client, "/api/v1/lineage", nodeId=MART, depth=0)) == {MART}


def test_lineage_from_a_job_node_id(store: GraphStore, client: TestClient) -> None:
    graphs.chain(store)
    nodes = graph_of(client, "/api/v1/lineage", nodeId="job:etl:build_mart", depth=1)
    assert set(nodes) == {STG, "job:etl:build_mart", MART, "job:etl:stage_orders"}


def test_a_symlinked_file_and_table_are_one_node(store: GraphStore, client: TestClient) -> None:
    graphs.symlinked_file_and_table(store)
    nodes = graph_of(client, "/api/v1/lineage", nodeId=f"dataset:{HIVE}:sales.revenue", depth=5)
    assert f"dataset:{HIVE}:sales.orders" in nodes
    assert f"dataset:{S3}:/warehouse/orders" not in nodes
    assert ("job:spark:ingest_orders", f"dataset:{HIVE}:sales.orders") in edges(nodes)


def test_a_namespace_with_colons_is_told_apart_from_the_name(
    store: GraphStore, client: TestClient
) -> None:
    graphs.chain(store)
    response = client.get(f"/api/v1/lineage?nodeId=dataset%3A{NS.replace(':', '%3A')}%3Araw.orders")
    assert response.status_code == 200
    assert RAW in {n["id"] for n in response.json()["graph"]}


def test_the_node_budget_cut_is_said_in_a_header(store: GraphStore) -> None:
    graphs.fan_out(store, 6)
    app = create_app(Settings(tokens=[], node_budget=4), store=store)
    with TestClient(app) as client:
        response = client.get("/api/v1/lineage", params={"nodeId": f"dataset:{NS}:src"})
        assert response.status_code == 200
        assert len(response.json()["graph"]) == 4
        assert response.headers["X-Lineage-Truncated"] == "true"
        whole = client.get("/api/v1/lineage", params={"nodeId": f"dataset:{NS}:out0", "depth": 0})
        assert whole.headers["X-Lineage-Truncated"] == "false"


def test_a_bad_or_unknown_node_id_is_an_error_naming_it(
    store: GraphStore, client: TestClient
) -> None:
    graphs.chain(store)
    bad = client.get("/api/v1/lineage", params={"nodeId": "table:orders"})
    assert bad.status_code == 400
    assert "table:orders" in bad.json()["message"]
    unknown = client.get("/api/v1/lineage", params={"nodeId": f"dataset:{NS}:mart.order"})
    assert unknown.status_code == 404
    assert unknown.json()["message"].startswith(f"no dataset 'mart.order' in namespace '{NS}'")
    assert client.get("/api/v1/lineage").status_code == 422


COLUMN = "/api/v1/column-lineage"
TOTAL = f"datasetField:{NS}:mart.customers:total"
AMOUNT = f"datasetField:{NS}:stg.orders:amount"
STATUS = f"datasetField:{NS}:stg.orders:status"
CUSTOMER_ID = f"datasetField:{NS}:mart.customers:customer_id"


def test_column_lineage_of_a_field_lists_its_input_fields(
    store: GraphStore, client: TestClient
) -> None:
    graphs.column_lineage_with_a_filter(store)
    nodes = graph_of(client, COLUMN, nodeId=TOTAL)
    assert set(nodes) == {TOTAL, AMOUNT, STATUS}
    assert edges(nodes) == {(AMOUNT, TOTAL), (STATUS, TOTAL)}
    total = nodes[TOTAL]
    assert total["type"] == "DATASET_FIELD"
    data = total["data"]
    assert (data["namespace"], data["dataset"], data["field"], data["fieldType"]) == (
        NS,
        "mart.customers",
        "total",
        "VARCHAR",
    )
    assert data["datasetVersion"].startswith("run:")
    inputs = {(f["field"], f["transformationType"]) for f in data["inputFields"]}
    assert inputs == {("amount", "DIRECT"), ("status", "INDIRECT")}
    amount = next(f for f in data["inputFields"] if f["field"] == "amount")
    assert amount["transformations"] == [{"type": "DIRECT", "subtype": "AGGREGATION"}]


def test_column_lineage_of_a_dataset_starts_from_each_of_its_fields(
    store: GraphStore, client: TestClient
) -> None:
    graphs.column_lineage_with_a_filter(store)
    nodes = graph_of(client, COLUMN, nodeId=f"dataset:{NS}:mart.customers")
    assert {TOTAL, CUSTOMER_ID, f"datasetField:{NS}:stg.customers:id", STATUS} <= set(nodes)


def test_column_lineage_goes_downstream_only_when_asked(
    store: GraphStore, client: TestClient
) -> None:
    graphs.column_lineage_with_a_filter(store)
    assert set(graph_of(client, COLUMN, nodeId=STATUS)) == {STATUS}
    both = graph_of(client, COLUMN, nodeId=STATUS, withDownstream="true")
    assert set(both) == {STATUS, TOTAL, CUSTOMER_ID}
    assert nodes_fed_by(both, STATUS) == {TOTAL, CUSTOMER_ID}


def nodes_fed_by(nodes: dict[str, dict[str, Any]], nid: str) -> set[str]:
    return {e["destination"] for e in nodes[nid]["outEdges"]}


def test_a_transformation_description_is_passed_on(store: GraphStore, client: TestClient) -> None:
    how = {"type": "DIRECT", "subtype": "AGGREGATION", "description": "SUM(amount)"}
    lineage = facet(
        "ColumnLineageDatasetFacet",
        fields={
            "total": {
                "inputFields": [
                    {
                        "namespace": NS,
                        "name": "payments",
                        "field": "amount",
                        "transformations": [how],
                    }
                ]
            }
        },
    )
    out = dataset(NS, "revenue", s=schema("total"), c={"columnLineage": lineage})
    feed(
        store,
        pipeline_run(("etl", "sum"), [dataset(NS, "payments", s=schema("amount"))], [out], start=0),
    )
    nodes = graph_of(client, COLUMN, nodeId=f"datasetField:{NS}:revenue:total")
    (source,) = nodes[f"datasetField:{NS}:revenue:total"]["data"]["inputFields"]
    assert source["transformationDescription"] == "SUM(amount)"
    assert source["transformations"] == [how]
    response = client.get(f"/api/v1/namespaces/{NS.replace('/', '%2F')}/datasets/revenue")
    (column,) = response.json()["columnLineage"]
    assert column["inputFields"][0]["transformationDescription"] == "SUM(amount)"


def test_column_lineage_of_a_job_is_that_of_the_datasets_it_writes(
    store: GraphStore, client: TestClient
) -> None:
    graphs.column_lineage_with_a_filter(store)
    nodes = graph_of(client, COLUMN, nodeId="job:etl:build_customers")
    assert {TOTAL, CUSTOMER_ID, AMOUNT, STATUS} <= set(nodes)


def test_column_lineage_of_a_version_is_asked_as_of_when_it_was_written(
    store: GraphStore, client: TestClient
) -> None:
    def report(start: float, source: str) -> list[dict[str, Any]]:
        out = dataset(
            NS,
            "report",
            s=schema("total"),
            c={
                "columnLineage": facet(
                    "ColumnLineageDatasetFacet",
                    fields={
                        "total": {
                            "inputFields": [{"namespace": NS, "name": source, "field": "amount"}]
                        }
                    },
                )
            },
        )
        return pipeline_run(
            ("etl", "report"),
            [dataset(NS, source, s=schema("amount"))],
            [out],
            start=start,
            seed=f"report-{start}",
        )

    feed(store, report(0, "old_payments") + report(10, "payments"))
    first = client.get(
        f"/api/v1/namespaces/{NS.replace('/', '%2F')}/datasets/report/versions"
    ).json()["versions"][-1]["version"]
    field = f"datasetField:{NS}:report:total"
    then = graph_of(client, COLUMN, nodeId=f"{field}#{first}")
    now = graph_of(client, COLUMN, nodeId=field)
    assert f"datasetField:{NS}:old_payments:amount" in then
    assert f"datasetField:{NS}:old_payments:amount" not in now
    assert f"datasetField:{NS}:payments:amount" in now
    assert set(graph_of(client, COLUMN, nodeId=f"dataset:{NS}:report#{first}")) == set(then)
    missing = client.get(COLUMN, params={"nodeId": f"{field}#nope"})
    assert missing.status_code == 404
    assert "no version 'nope'" in missing.json()["message"]
