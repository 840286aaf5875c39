"""``GET /api/v1/export``: a lineage subgraph or the whole graph as JSON, CSV, GraphML,
DOT or Mermaid, on each store under contract."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import networkx as nx
import orjson
import pytest
from fastapi.testclient import TestClient

from lineage.analysis import Granularity
from lineage.analysis.export import CSV_COLUMNS, Format
from lineage.api.app import create_app
from lineage.settings import Settings
from lineage.store import GraphStore
from tests.analysis import graphs
from tests.analysis.graphs import NS, ts
from tests.conftest import feed
from tests.factories import dataset, pipeline_run

MART = f"dataset:{NS}:mart.orders"
STG = f"dataset:{NS}:stg.orders"
RAW = f"dataset:{NS}:raw.orders"
CHAIN_EDGES = {
    (RAW, "job:etl:stage_orders", "INPUT_TO"),
    ("job:etl:stage_orders", STG, "PRODUCES"),
    (STG, "job:etl:build_mart", "INPUT_TO"),
    ("job:etl:build_mart", MART, "PRODUCES"),
}


@pytest.fixture
def client(store: GraphStore) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(tokens=[]), store=store)) as c:
        yield c


def export(client: TestClient, **params: Any) -> tuple[str, dict[str, str]]:
    response = client.get("/api/v1/export", params=params)
    assert response.status_code == 200, response.text
    return response.text, dict(response.headers)


def test_json_holds_the_nodes_and_edges_around_the_start(
    store: GraphStore, client: TestClient
) -> None:
    graphs.chain(store)
    response = client.get("/api/v1/export", params={"start": MART, "direction": "UPSTREAM"})
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-disposition"] == 'attachment; filename="lineage.json"'
    body = response.json()
    assert body["start"] == [MART] and body["truncated"] is False
    assert body["granularity"] == "DATASET"
    assert {n["id"] for n in body["nodes"]} == {
        MART,
        STG,
        RAW,
        "job:etl:build_mart",
        "job:etl:stage_orders",
    }
    mart = next(n for n in body["nodes"] if n["id"] == MART)
    assert mart == {
        "id": MART,
        "kind": "DATASET",
        "label": "mart.orders",
        "namespace": NS,
        "name": "mart.orders",
        "depth": 0,
    }
    assert {(e["source"], e["target"], e["kind"]) for e in body["edges"]} == CHAIN_EDGES
    assert all(e["validSince"].startswith("2026-11-01T08:0") for e in body["edges"])


def test_direction_and_depth_bound_the_subgraph(store: GraphStore, client: TestClient) -> None:
    graphs.chain(store)
    text, _ = export(client, start=STG, direction="DOWNSTREAM", depth=2)
    ids = {n["id"] for n in orjson.loads(text)["nodes"]}
    assert ids == {STG, "job:etl:build_mart", MART}


def test_without_a_start_the_whole_graph_is_exported(store: GraphStore, client: TestClient) -> None:
    graphs.chain(store)
    graphs.diamond(store)
    text, headers = export(client, format="csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    pairs = {(r["source"], r["target"], r["kind"]) for r in rows}
    assert pairs >= CHAIN_EDGES
    assert (f"dataset:{NS}:a", "job:etl:left", "INPUT_TO") in pairs
    assert len(rows) == 4 + 7
    assert headers["x-lineage-truncated"] == "false"


def test_the_limit_bounds_the_nodes_and_says_so(store: GraphStore, client: TestClient) -> None:
    graphs.fan_out(store, 6)
    whole = orjson.loads(export(client, limit=3)[0])
    assert len(whole["nodes"]) == 3 and whole["truncated"] is True
    text, headers = export(client, start=f"dataset:{NS}:src", direction="DOWNSTREAM", limit=4)
    assert headers["x-lineage-truncated"] == "true"
    assert len(orjson.loads(text)["nodes"]) == 4


def test_csv_is_one_row_per_edge_with_labels(store: GraphStore, client: TestClient) -> None:
    graphs.column_lineage_with_a_filter(store)
    text, headers = export(
        client,
        start=f"datasetField:{NS}:mart.customers:total",
        granularity="COLUMN",
        direction="UPSTREAM",
        format="csv",
    )
    assert headers["content-type"] == "text/csv; charset=utf-8"
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    rows = sorted(reader, key=lambda r: r["source"])
    assert [
        (
            r["source_label"],
            r["target_label"],
            r["transformation_type"],
            r["transformation_subtype"],
        )
        for r in rows
    ] == [
        ("stg.orders.amount", "mart.customers.total", "DIRECT", "AGGREGATION"),
        ("stg.orders.status", "mart.customers.total", "INDIRECT", "FILTER"),
    ]
    assert {r["job"] for r in rows} == {"job:etl:build_customers"}


def test_graphml_reads_back_into_networkx(store: GraphStore, client: TestClient) -> None:
    graphs.chain(store)
    text, headers = export(client, start=MART, format="graphml")
    assert headers["content-type"] == "application/graphml+xml"
    graph = nx.parse_graphml(text)
    assert set(graph.nodes) == {MART, STG, RAW, "job:etl:build_mart", "job:etl:stage_orders"}
    assert {(a, b, d["kind"]) for a, b, d in graph.edges(data=True)} == CHAIN_EDGES
    assert graph.nodes[MART]["kind"] == "DATASET"
    assert graph.nodes[RAW]["depth"] == 4


def test_dot_draws_datasets_as_cylinders_and_jobs_as_boxes(
    store: GraphStore, client: TestClient
) -> None:
    graphs.chain(store)
    text, headers = export(client, start=MART, format="dot")
    assert headers["content-type"].startswith("text/vnd.graphviz")
    assert text.startswith("digraph lineage {") and text.rstrip().endswith("}")
    assert f'"{MART}" [label="mart.orders", shape=cylinder, style=bold];' in text
    assert '"job:etl:build_mart" [label="build_mart", shape=box];' in text
    arrows = set(re.findall(r'"([^"]+)" -> "([^"]+)"', text))
    assert arrows == {(a, b) for a, b, _ in CHAIN_EDGES}


def test_dot_and_mermaid_escape_quotes_in_names(store: GraphStore, client: TestClient) -> None:
    feed(
        store,
        pipeline_run(("etl", 'load "quoted"'), [dataset(NS, "a#1")], [dataset(NS, "b")], start=0),
    )
    dot, _ = export(client, format="dot")
    assert 'label="load \\"quoted\\""' in dot
    mermaid, _ = export(client, format="mermaid")
    assert '["load #quot;quoted#quot;"]' in mermaid
    assert '[("a#35;1")]' in mermaid


def test_mermaid_is_a_flowchart_with_indirect_column_edges_dashed(
    store: GraphStore, client: TestClient
) -> None:
    graphs.column_lineage_with_a_filter(store)
    text, _ = export(client, granularity="COLUMN", format="mermaid")
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    short = dict(re.findall(r"%% (n\d+): (\S+)", text))
    named = {v: k for k, v in short.items()}
    status, total = (
        named[f"datasetField:{NS}:stg.orders:status"],
        named[f"datasetField:{NS}:mart.customers:total"],
    )
    assert f'  {status} -.->|"INDIRECT/FILTER"| {total}' in lines
    amount = named[f"datasetField:{NS}:stg.orders:amount"]
    assert f'  {amount} -->|"DIRECT/AGGREGATION"| {total}' in lines


def test_as_of_exports_the_graph_as_it_stood_then(store: GraphStore, client: TestClient) -> None:
    graphs.job_drops_an_input(store)
    legacy = f"dataset:{NS}:raw.legacy"
    then = datetime.fromtimestamp(ts(5), UTC).isoformat()
    before = orjson.loads(export(client, asOf=then)[0])
    now = orjson.loads(export(client)[0])
    assert (legacy, "job:etl:build_report") in {(e["source"], e["target"]) for e in before["edges"]}
    assert (legacy, "job:etl:build_report") not in {
        (e["source"], e["target"]) for e in now["edges"]
    }


def test_run_granularity_exports_runs_and_the_versions_they_read_and_wrote(
    store: GraphStore, client: TestClient
) -> None:
    runs = graphs.writes_and_reads(store)
    body = orjson.loads(export(client, granularity="RUN")[0])
    kinds = {n["kind"] for n in body["nodes"]}
    assert kinds == {"RUN", "DATASET_VERSION"}
    read = (f"dataset:{NS}:a#run:{runs['a1']}", f"run:{runs['b1']}", "READ")
    assert read in {(e["source"], e["target"], e["kind"]) for e in body["edges"]}


def test_an_unknown_start_is_a_404_naming_it(store: GraphStore, client: TestClient) -> None:
    graphs.chain(store)
    response = client.get("/api/v1/export", params={"start": f"dataset:{NS}:mart.order"})
    assert response.status_code == 404
    assert response.json()["error"].startswith(f"no dataset 'mart.order' in namespace '{NS}'")
    bad = client.get("/api/v1/export", params={"start": "orders"})
    assert bad.status_code == 400
    wrong_level = client.get(
        "/api/v1/export", params={"start": "job:etl:build_mart", "granularity": "COLUMN"}
    )
    assert wrong_level.status_code == 400
    assert client.get("/api/v1/export", params={"format": "pdf"}).status_code == 422


def test_every_format_and_granularity_is_offered(store: GraphStore, client: TestClient) -> None:
    graphs.chain(store)
    for fmt in Format:
        for granularity in Granularity:
            response = client.get(
                "/api/v1/export", params={"format": fmt.value, "granularity": granularity.value}
            )
            assert response.status_code == 200, (fmt, granularity, response.text)


def test_export_needs_the_read_scope(tmp_path: Path) -> None:
    settings = Settings(store=f"sqlite:///{tmp_path}/l.db", tokens=["writer=ingest", "reader=read"])
    with TestClient(create_app(settings)) as c:
        assert c.get("/api/v1/export").status_code == 401
        assert (
            c.get("/api/v1/export", headers={"Authorization": "Bearer writer"}).status_code == 403
        )
        assert (
            c.get("/api/v1/export", headers={"Authorization": "Bearer reader"}).status_code == 200
        )


def test_depth_beyond_the_servers_limit_is_refused(store: GraphStore) -> None:
    graphs.chain(store)
    with TestClient(create_app(Settings(tokens=[], max_depth=3), store=store)) as client:
        response = client.get("/api/v1/export", params={"start": MART, "depth": 4})
        assert response.status_code == 400
        assert "LINEAGE_MAX_DEPTH" in response.json()["error"]
        assert client.get("/api/v1/export", params={"start": MART, "depth": 3}).status_code == 200


def test_without_a_limit_the_whole_graph_is_exported_with_no_row_cap(store: GraphStore, client: TestClient) -> None:
    events = []
    for i in range(40):
        events += pipeline_run(("etl", f"step{i}"), [dataset(NS, f"t{i}")], [dataset(NS, f"t{i + 1}")], start=i)
    feed(store, events, batch=20)
    text, headers = export(client, format="csv")
    assert headers.get("x-lineage-truncated") != "true"
    assert len(text.strip().splitlines()) == 1 + 80  # header + one row per edge
