"""Looking nodes up by name or id, walking to their neighbours, and searching."""

from __future__ import annotations

import base64

from lineage.graph.model import dataset_id
from lineage.store import GraphStore
from tests.analysis import graphs
from tests.analysis.graphs import NS
from tests.conftest import feed
from tests.factories import dataset, facet, new_run_id, pipeline_run, run_event, schema
from tests.graphql.conftest import GraphQL


def test_a_dataset_shows_its_fields_versions_jobs_and_writing_runs(store: GraphStore, gql: GraphQL) -> None:
    runs = graphs.writes_and_reads(store)
    answer = gql.data(
        """query($ns: String!) {
          dataset(namespace: $ns, name: "a") {
            kind namespace name dropped
            fields { name path type }
            currentVersion { version schema { name type } writtenBy { runId } }
            versions(first: 1) { totalCount pageInfo { hasNextPage endCursor } nodes { version } }
            producedBy { name }
            consumedBy { name }
            writtenBy { totalCount nodes { runId state } }
          }
        }""",
        ns=NS,
    )["dataset"]
    assert answer["kind"] == "DATASET" and answer["dropped"] is False
    assert answer["fields"] == [{"name": "x", "path": "x", "type": "VARCHAR"}]
    assert answer["currentVersion"]["version"] == "run:" + runs["a2"]
    assert answer["currentVersion"]["writtenBy"]["runId"] == runs["a2"]
    assert answer["currentVersion"]["schema"] == [{"name": "x", "type": "VARCHAR"}]
    assert answer["versions"]["totalCount"] == 2 and answer["versions"]["pageInfo"]["hasNextPage"]
    assert answer["versions"]["nodes"] == [{"version": "run:" + runs["a2"]}]  # newest first
    assert answer["producedBy"] == [{"name": "load_a"}]
    assert answer["consumedBy"] == [{"name": "build_b"}]
    assert [r["runId"] for r in answer["writtenBy"]["nodes"]] == [runs["a2"], runs["a1"]]


def test_a_job_pages_its_runs_latest_first(store: GraphStore, gql: GraphQL) -> None:
    runs = graphs.writes_and_reads(store)
    query = """query($after: String) {
      job(namespace: "etl", name: "build_b") {
        type inputs { name } outputs { name }
        latestRun { runId }
        runs(first: 1, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { runId } }
      }
    }"""
    first = gql.data(query)["job"]
    assert first["type"] == "ETL"
    assert first["inputs"] == [{"name": "a"}] and first["outputs"] == [{"name": "b"}]
    assert first["latestRun"] == {"runId": runs["b2"]}
    assert first["runs"]["nodes"] == [{"runId": runs["b2"]}] and first["runs"]["totalCount"] == 2
    second = gql.data(query, after=first["runs"]["pageInfo"]["endCursor"])["job"]["runs"]
    assert second["nodes"] == [{"runId": runs["b1"]}] and not second["pageInfo"]["hasNextPage"]


def test_a_run_shows_the_exact_versions_it_read_and_wrote(store: GraphStore, gql: GraphQL) -> None:
    runs = graphs.writes_and_reads(store)
    answer = gql.data(
        """query($id: String!) { run(runId: $id) {
            runId state startedAt endedAt duration
            job { name }
            inputs { version dataset { name } readBy { nodes { runId } } }
            outputs { version dataset { name } }
        } }""",
        id=runs["b1"],
    )["run"]
    assert answer["state"] == "COMPLETE" and answer["duration"] == 60.0
    assert answer["job"] == {"name": "build_b"}
    assert answer["inputs"] == [
        {"version": "run:" + runs["a1"], "dataset": {"name": "a"}, "readBy": {"nodes": [{"runId": runs["b1"]}]}}
    ]
    assert answer["outputs"] == [{"version": "run:" + runs["b1"], "dataset": {"name": "b"}}]


def test_a_child_run_knows_its_parent_and_the_parent_its_children(store: GraphStore, gql: GraphQL) -> None:
    parent_id, child_id = new_run_id("parent"), new_run_id("child")
    parent = {
        "parent": facet("ParentRunFacet", run={"runId": parent_id}, job={"namespace": "airflow", "name": "dag"})
    }
    feed(store, [run_event("START", child_id, ("airflow", "dag.task"), run_facets=parent)])
    answer = gql.data(
        "query($id: String!) { run(runId: $id) { parent { runId children { runId } } } }", id=child_id
    )
    assert answer["run"]["parent"] == {"runId": parent_id, "children": [{"runId": child_id}]}


def test_a_field_shows_its_type_and_where_it_comes_from(store: GraphStore, gql: GraphQL) -> None:
    graphs.column_lineage_with_a_filter(store)
    answer = gql.data(
        """query($ns: String!) { field(namespace: $ns, name: "stg.orders", path: "status") {
            name type dataset { name }
            downstream { field { path } transformation { type subtype scope } job { name } validUntil }
        } }""",
        ns=NS,
    )["field"]
    assert answer["type"] == "VARCHAR" and answer["dataset"] == {"name": "stg.orders"}
    assert {d["field"]["path"] for d in answer["downstream"]} == {"customer_id", "total"}
    assert {d["transformation"]["type"] for d in answer["downstream"]} == {"INDIRECT"}
    assert all(d["validUntil"] is None for d in answer["downstream"])


def test_every_node_id_round_trips_through_node(store: GraphStore, gql: GraphQL) -> None:
    runs = graphs.writes_and_reads(store)
    graph = gql.data(
        'query($id: String!) { lineage(start: {runId: $id}, granularity: RUN, depth: 2) { nodes { id kind } } }',
        id=runs["b1"],
    )
    nodes = graph["lineage"]["nodes"]
    more = gql.data(
        'query($ns: String!) { dataset(namespace: $ns, name: "a") { id kind fields { id kind } } '
        'job(namespace: "etl", name: "load_a") { id kind } }',
        ns=NS,
    )
    nodes += [{"id": more["dataset"]["id"], "kind": "DATASET"}, more["dataset"]["fields"][0], more["job"]]
    assert {n["kind"] for n in nodes} == {"RUN", "DATASET_VERSION", "DATASET", "FIELD", "JOB"}
    for node in nodes:
        again = gql.data("query($id: ID!) { node(id: $id) { id kind } }", id=node["id"])
        assert again["node"] == node
    lineage_by_id = gql.data(
        "query($id: ID!) { lineage(start: {id: $id}, depth: 1) { start { id } } }", id=more["dataset"]["id"]
    )
    assert lineage_by_id["lineage"]["start"] == [{"id": more["dataset"]["id"]}]


def test_node_ids_are_opaque_and_stable(store: GraphStore, gql: GraphQL) -> None:
    graphs.chain(store)
    query = 'query($ns: String!) { dataset(namespace: $ns, name: "raw.orders") { id } }'
    first, second = gql.data(query, ns=NS)["dataset"]["id"], gql.data(query, ns=NS)["dataset"]["id"]
    assert first == second
    assert "raw.orders" not in first
    padded = first + "=" * (-len(first) % 4)
    assert base64.urlsafe_b64decode(padded).decode() == dataset_id(NS, "raw.orders")


SEARCH = """query($q: String!, $first: Int, $after: String, $kinds: [NodeKind!], $namespace: String) {
  search(query: $q, first: $first, after: $after, kinds: $kinds, namespace: $namespace) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { kind ... on Dataset { name } ... on Job { name } ... on Field { path } } }
  }
}"""


def test_search_ranks_whole_names_then_prefixes_and_pages_through_the_rest(store: GraphStore, gql: GraphQL) -> None:
    feed(
        store,
        pipeline_run(
            ("etl", "build_orders"),
            [dataset(NS, "raw_orders", s=schema("order_id"))],
            [dataset(NS, "orders", s=schema("id")), dataset(NS, "orders_daily")],
            start=0,
        ),
    )
    found = gql.data(SEARCH, q="orders", first=2)["search"]
    assert found["totalCount"] == 4  # the field order_id does not hold "orders"
    names = [e["node"].get("name") or e["node"].get("path") for e in found["edges"]]
    assert names == ["orders", "orders_daily"]
    assert found["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": False, "endCursor": found["edges"][-1]["cursor"]}
    rest = gql.data(SEARCH, q="orders", first=10, after=found["pageInfo"]["endCursor"])["search"]
    assert [e["node"]["name"] for e in rest["edges"]] == ["raw_orders", "build_orders"]
    assert rest["pageInfo"]["hasPreviousPage"] and not rest["pageInfo"]["hasNextPage"]
    fields = gql.data(SEARCH, q="order_id", kinds=["FIELD"], namespace=NS)["search"]
    assert [e["node"] for e in fields["edges"]] == [{"kind": "FIELD", "path": "order_id"}]
    assert gql.data(SEARCH, q="orders", namespace="elsewhere")["search"]["totalCount"] == 0
