"""`lineage` and `paths` over GraphQL, at dataset, column and run level, at any time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lineage.store import GraphStore
from tests.analysis import graphs
from tests.analysis.graphs import HIVE, NS, S3, ts
from tests.graphql.conftest import GraphQL, open_client

LINEAGE = """
query Lineage($start: NodeRef!, $direction: Direction! = UPSTREAM, $depth: Int! = 10,
              $asOf: DateTime, $granularity: Granularity! = DATASET, $kinds: [NodeKind!],
              $budget: Int) {
  lineage(start: $start, direction: $direction, depth: $depth, asOf: $asOf,
          granularity: $granularity, kinds: $kinds, nodeBudget: $budget) {
    truncated
    truncatedAt { id }
    start { id }
    nodes {
      id kind
      ... on Dataset { namespace name }
      ... on Job { namespace name }
      ... on Field { path dataset { name } }
      ... on Run { runId }
      ... on DatasetVersion { version dataset { name } }
    }
    edges {
      kind
      source { id }
      target { id }
      transformation { type subtype scope }
      job { name }
      via { id }
    }
  }
}
"""


def when(minutes: float) -> str:
    return datetime.fromtimestamp(ts(minutes), UTC).isoformat()


def label(node: dict[str, Any]) -> str:
    if node["kind"] == "FIELD":
        return f"{node['dataset']['name']}.{node['path']}"
    if node["kind"] == "RUN":
        return node["runId"]
    if node["kind"] == "DATASET_VERSION":
        return f"{node['dataset']['name']}@{node['version']}"
    return str(node["name"])


def lineage(gql: GraphQL, **variables: Any) -> tuple[set[str], set[tuple[str, str, str]], dict[str, Any]]:
    """(node labels, (kind, source label, target label) edges, the raw answer)."""
    answer = gql.data(LINEAGE, **variables)["lineage"]
    labels = {n["id"]: label(n) for n in answer["nodes"]}
    edges = {(e["kind"], labels[e["source"]["id"]], labels[e["target"]["id"]]) for e in answer["edges"]}
    return set(labels.values()), edges, answer


def test_upstream_at_dataset_level_lists_the_datasets_and_jobs_feeding_a_dataset(
    store: GraphStore, gql: GraphQL
) -> None:
    graphs.chain(store)
    nodes, edges, answer = lineage(gql, start={"namespace": NS, "name": "mart.orders"}, depth=4)
    assert nodes == {"mart.orders", "build_mart", "stg.orders", "stage_orders", "raw.orders"}
    assert ("PRODUCES", "build_mart", "mart.orders") in edges
    assert ("INPUT_TO", "raw.orders", "stage_orders") in edges
    assert answer["truncated"] is False and answer["truncatedAt"] == []


def test_downstream_at_dataset_level_follows_the_data(store: GraphStore, gql: GraphQL) -> None:
    graphs.chain(store)
    nodes, _, _ = lineage(gql, start={"namespace": NS, "name": "raw.orders"}, direction="DOWNSTREAM", depth=2)
    assert nodes == {"raw.orders", "stage_orders", "stg.orders"}


def test_a_kinds_filter_gives_dataset_to_dataset_edges_through_jobs(store: GraphStore, gql: GraphQL) -> None:
    graphs.chain(store)
    nodes, edges, answer = lineage(gql, start={"namespace": NS, "name": "mart.orders"}, depth=4, kinds=["DATASET"])
    assert nodes == {"mart.orders", "stg.orders", "raw.orders"}
    assert edges == {("FLOWS_TO", "raw.orders", "stg.orders"), ("FLOWS_TO", "stg.orders", "mart.orders")}
    assert all(len(e["via"]) == 1 for e in answer["edges"])


def test_column_level_lineage_labels_dataset_wide_indirect_dependencies(store: GraphStore, gql: GraphQL) -> None:
    graphs.column_lineage_with_a_filter(store)
    start = {"namespace": NS, "name": "mart.customers", "field": "total"}
    nodes, _, answer = lineage(gql, start=start, granularity="COLUMN", depth=1)
    assert nodes == {"mart.customers.total", "stg.orders.amount", "stg.orders.status"}
    transformations = {(e["transformation"]["type"], e["transformation"]["subtype"], e["transformation"]["scope"]) for e in answer["edges"]}
    assert transformations == {("DIRECT", "AGGREGATION", "FIELD"), ("INDIRECT", "FILTER", "DATASET")}
    assert {e["job"]["name"] for e in answer["edges"]} == {"build_customers"}


def test_run_level_lineage_shows_the_exact_versions_a_run_read(store: GraphStore, gql: GraphQL) -> None:
    runs = graphs.writes_and_reads(store)
    nodes, edges, _ = lineage(gql, start={"runId": runs["b1"]}, granularity="RUN", depth=4)
    v1 = f"a@run:{runs['a1']}"
    assert nodes == {runs["b1"], v1, runs["a1"]}
    assert edges == {("READ", v1, runs["b1"]), ("WROTE", runs["a1"], v1)}


def test_as_of_before_a_job_stopped_reading_a_dataset_shows_it_and_after_does_not(
    store: GraphStore, gql: GraphQL
) -> None:
    graphs.job_drops_an_input(store)
    start = {"namespace": NS, "name": "report"}
    before, _, _ = lineage(gql, start=start, depth=2, asOf=when(5))
    after, _, _ = lineage(gql, start=start, depth=2, asOf=when(20))
    now, _, _ = lineage(gql, start=start, depth=2)
    assert before == {"report", "build_report", "raw.orders", "raw.legacy"}
    assert after == now == {"report", "build_report", "raw.orders"}


def test_as_of_shows_the_dataset_versions_current_then(store: GraphStore, gql: GraphQL) -> None:
    runs = graphs.writes_and_reads(store)
    query = """
    query($ns: String!, $asOf: DateTime) {
      lineage(start: {namespace: $ns, name: "b"}, depth: 2, asOf: $asOf) {
        nodes { ... on Dataset { name currentVersion { version } } }
      }
    }"""

    def version_of_a(as_of: str | None) -> str:
        nodes = gql.data(query, ns=NS, asOf=as_of)["lineage"]["nodes"]
        return next(n["currentVersion"]["version"] for n in nodes if n.get("name") == "a")
    assert version_of_a(when(7)) == "run:" + runs["a1"]
    assert version_of_a(when(12)) == "run:" + runs["a2"]
    assert version_of_a(None) == "run:" + runs["a2"]


def test_a_symlinked_file_path_and_table_are_traversed_as_one(store: GraphStore, gql: GraphQL) -> None:
    graphs.symlinked_file_and_table(store)
    nodes, edges, _ = lineage(gql, start={"namespace": HIVE, "name": "sales.revenue"}, depth=6)
    assert nodes == {"sales.revenue", "daily_revenue", "sales.orders", "ingest_orders", "/landing/orders.json"}
    assert ("PRODUCES", "ingest_orders", "sales.orders") in edges
    aliases = gql.data(
        'query($ns: String!) { dataset(namespace: $ns, name: "sales.orders") { aliases { namespace name } } }', ns=HIVE
    )
    assert aliases["dataset"]["aliases"] == [{"namespace": S3, "name": "/warehouse/orders"}]


def test_the_node_budget_truncates_the_answer_and_says_where(store: GraphStore) -> None:
    graphs.fan_out(store, 6)
    start = {"namespace": NS, "name": "src"}
    for gql in open_client(store, node_budget=4):
        _, _, cut = lineage(gql, start=start, direction="DOWNSTREAM", depth=2)
        assert len(cut["nodes"]) == 4 and cut["truncated"] is True
        assert [n["id"] for n in cut["truncatedAt"]] == [
            n["id"] for n in cut["nodes"] if n["kind"] == "JOB"
        ]
        smaller = gql.data(LINEAGE, start=start, direction="DOWNSTREAM", budget=2)["lineage"]
        assert len(smaller["nodes"]) == 2 and smaller["truncated"] is True
        too_big = gql.errors(LINEAGE, start=start, budget=5)
        assert too_big[0]["extensions"]["code"] == "INVALID_ARGUMENT"
        assert "LINEAGE_NODE_BUDGET" in too_big[0]["message"]


PATHS = """
query($from: NodeRef!, $to: NodeRef!, $maxDepth: Int! = 10, $limit: Int! = 10, $granularity: Granularity! = DATASET) {
  paths(from: $from, to: $to, maxDepth: $maxDepth, limit: $limit, granularity: $granularity) {
    truncated
    paths { length nodes { ... on Dataset { name } ... on Job { name } ... on Field { path } } edges { kind } }
  }
}
"""


def test_paths_through_a_diamond_are_both_sides_shortest_first(store: GraphStore, gql: GraphQL) -> None:
    graphs.diamond(store)
    ends = {"from": {"namespace": NS, "name": "a"}, "to": {"namespace": NS, "name": "d"}}
    found = gql.data(PATHS, **ends)["paths"]
    assert [[n["name"] for n in p["nodes"]] for p in found["paths"]] == [
        ["a", "left", "b", "join", "d"],
        ["a", "right", "c", "join", "d"],
    ]
    assert [p["length"] for p in found["paths"]] == [4, 4]
    assert found["paths"][0]["edges"] == [{"kind": k} for k in ("INPUT_TO", "PRODUCES", "INPUT_TO", "PRODUCES")]
    assert len(gql.data(PATHS, limit=1, **ends)["paths"]["paths"]) == 1
    assert gql.data(PATHS, maxDepth=3, **ends)["paths"]["paths"] == []


def test_paths_between_columns(store: GraphStore, gql: GraphQL) -> None:
    graphs.column_lineage_with_a_filter(store)
    found = gql.data(
        PATHS,
        granularity="COLUMN",
        **{
            "from": {"namespace": NS, "name": "stg.orders", "field": "status"},
            "to": {"namespace": NS, "name": "mart.customers", "field": "customer_id"},
        },
    )["paths"]["paths"]
    assert [[n["path"] for n in p["nodes"]] for p in found] == [["status", "customer_id"]]


def test_lineage_diff_says_what_changed_upstream_since_a_time(store: GraphStore, gql: GraphQL) -> None:
    graphs.evolving(store)
    diff = gql.data(
        """query($ns: String!, $since: DateTime!) {
          lineageDiff(start: {namespace: $ns, name: "b"}, since: $since, depth: 4) {
            removedEdges { kind source { ... on Dataset { name } } target { ... on Job { name } } }
            addedEdges { kind }
            removedNodes { ... on Dataset { name } }
            schemaChanges { dataset { name } added removed typeChanged { path before after }
                            before { version } after { version } }
            jobChanges { job { name } sqlBefore sqlAfter }
          }
        }""",
        ns=NS,
        since=when(5),
    )["lineageDiff"]
    assert diff["removedEdges"] == [{"kind": "INPUT_TO", "source": {"name": "old"}, "target": {"name": "build_b"}}]
    assert diff["addedEdges"] == [] and diff["removedNodes"] == [{"name": "old"}]
    [change] = diff["schemaChanges"]
    assert change["dataset"] == {"name": "a"} and change["added"] == ["y"] and change["removed"] == []
    assert change["typeChanged"] == [{"path": "x", "before": "INT", "after": "BIGINT"}]
    assert diff["jobChanges"] == [
        {"job": {"name": "load_a"}, "sqlBefore": "SELECT x FROM src", "sqlAfter": "SELECT x, y FROM src"}
    ]
