"""dbt-ol on a real dbt project, against a real server: the graph matches the dbt DAG."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from lineage.graph.model import EdgeKind, NodeKind, dataset_id, field_id, job_id
from lineage.store import Direction, GraphStore, open_store
from tests.conftest import REPO, skip_or_fail
from tests.e2e.conftest import store_url
from tests.e2e.server import Server

DBT_VENV = Path(os.environ.get("DBT_VENV", REPO / ".venv-dbt"))
JOBS_NS = "dbt_test"


def name(table: str) -> str:
    return f"jaffle_shop.main.{table}"


def model_job(model: str) -> str:
    return job_id(JOBS_NS, f"jaffle_shop.main.jaffle_shop.{model}.build.run")


@pytest.fixture(scope="module", params=["embedded", "neo4j"])
def dbt_graph(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[GraphStore, str]]:
    if not (DBT_VENV / "bin" / "dbt-ol").exists():
        skip_or_fail(f"dbt-ol is not installed in {DBT_VENV}: run `make dbt-install` (make test does)")
    folder = tmp_path_factory.mktemp("dbt")
    url = store_url(request.param, folder)
    server = Server(url, folder / "server.log").start()
    duckdb = folder / "jaffle_shop.duckdb"
    try:
        done = subprocess.run(
            ["bash", str(REPO / "tools/dbt/run.sh"), "build"],
            env={
                **os.environ,
                "DBT_VENV": str(DBT_VENV),
                "OPENLINEAGE_URL": server.url,
                "OPENLINEAGE_NAMESPACE": JOBS_NS,
                "DBT_DUCKDB_PATH": str(duckdb),
            },
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        server.stop()
    # The project plants exactly one failing data test, so a healthy build exits 1.
    assert done.returncode == 1, f"dbt-ol build exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    store = open_store(url)
    yield store, f"duckdb://{duckdb}"
    store.close()


def inputs_of(store: GraphStore, job: str) -> dict[str, dict[str, object]]:
    return {e.src: dict(e.props) for e in store.edges_of([job], Direction.UPSTREAM, [EdgeKind.INPUT_TO])}


def outputs_of(store: GraphStore, job: str) -> set[str]:
    return {e.dst for e in store.edges_of([job], Direction.DOWNSTREAM, [EdgeKind.PRODUCES])}


def test_the_graph_has_exactly_the_dbt_dag_edges(dbt_graph: tuple[GraphStore, str]) -> None:
    store, ns = dbt_graph
    ds = lambda table: dataset_id(ns, name(table))  # noqa: E731
    expected_inputs = {
        # Seeds are not in dbt-ol's `inputs`; they come from column lineage.
        "stg_customers": {ds("raw_customers")},
        "stg_payments": {ds("raw_payments")},
        # stg_orders selects * from a CTE, so its column lineage names only the CTE.
        "stg_orders": set(),
        "customers": {ds("stg_customers"), ds("stg_orders"), ds("stg_payments")},
        "orders": {ds("stg_orders"), ds("stg_payments")},
    }
    for model, expected in expected_inputs.items():
        job = model_job(model)
        assert set(inputs_of(store, job)) == expected, model
        assert outputs_of(store, job) == {ds(model)}, model
    derived = inputs_of(store, model_job("stg_customers"))[ds("raw_customers")]
    assert derived["declared"] is False and derived["derived_from"] == "columnLineage"
    declared = inputs_of(store, model_job("orders"))[ds("stg_orders")]
    assert declared["declared"] is True


def test_renamed_columns_keep_their_lineage(dbt_graph: tuple[GraphStore, str]) -> None:
    store, ns = dbt_graph
    customer_id = field_id(ns, name("stg_customers"), "customer_id")
    feeding = store.edges_of([customer_id], Direction.UPSTREAM, [EdgeKind.FEEDS])
    assert [e.src for e in feeding] == [field_id(ns, name("raw_customers"), "id")]
    assert feeding[0].props["type"] == "DIRECT"
    amount = store.edges_of([field_id(ns, name("stg_payments"), "amount_usd")], Direction.UPSTREAM, [EdgeKind.FEEDS])
    assert [e.src for e in amount] == [field_id(ns, name("raw_payments"), "amount")]


def test_a_cte_name_is_flagged_and_never_an_upstream_table(dbt_graph: tuple[GraphStore, str]) -> None:
    store, ns = dbt_graph
    assert not store.get_nodes([dataset_id(ns, "source")])
    runs = [
        n for n in store.nodes_of_kind(NodeKind.RUN, limit=1000) if n.props.get("job") == model_job("stg_orders")
    ]
    assert len(runs) == 1
    assert any('"name":"source"' in ref for ref in runs[0].props["column_refs"])


def test_the_failing_data_test_is_stored_on_the_tested_dataset(dbt_graph: tuple[GraphStore, str]) -> None:
    store, ns = dbt_graph
    orders = store.get_nodes([dataset_id(ns, name("orders"))])[dataset_id(ns, name("orders"))]
    failing = [a for a in orders.props["assertions"] if not a["success"]]
    assert [(a["assertion"], a["column"]) for a in failing] == [("accepted_values", "status")]
    status = store.get_nodes([field_id(ns, name("orders"), "status")])[field_id(ns, name("orders"), "status")]
    assert status.props["assertion:accepted_values"] is False
    test_job = job_id(JOBS_NS, "jaffle_shop.main.jaffle_shop.orders.build.test")
    runs = [n for n in store.nodes_of_kind(NodeKind.RUN, limit=1000) if n.props.get("job") == test_job]
    assert [r.props["state"] for r in runs] == ["FAIL"]


def test_model_runs_are_children_of_the_dbt_invocation(dbt_graph: tuple[GraphStore, str]) -> None:
    store, _ = dbt_graph
    wrapper = job_id(JOBS_NS, "dbt-run-jaffle_shop")
    [invocation] = [n for n in store.nodes_of_kind(NodeKind.RUN, limit=1000) if n.props.get("job") == wrapper]
    assert invocation.props["state"] == "FAIL"
    children = store.edges_of([invocation.id], Direction.UPSTREAM, [EdgeKind.CHILD_OF])
    assert len(children) == 10  # five models, five test jobs


LINEAGE = """
query ($start: NodeRef!, $granularity: Granularity!, $direction: Direction!) {
  lineage(start: $start, direction: $direction, depth: 6, granularity: $granularity) {
    nodes { kind ... on Dataset { name } ... on Field { name dataset { name } } ... on Job { name } }
    edges { kind transformation { type } }
    truncated
  }
}
"""


def test_graphql_answers_lineage_questions_on_the_dbt_graph(dbt_graph: tuple[GraphStore, str]) -> None:
    from tests.graphql.conftest import open_client

    store, ns = dbt_graph
    [gql] = list(open_client(store))
    upstream = gql.data(
        LINEAGE,
        start={"kind": "DATASET", "namespace": ns, "name": name("customers")},
        granularity="DATASET",
        direction="UPSTREAM",
    )["lineage"]
    datasets = {n["name"] for n in upstream["nodes"] if n["kind"] == "DATASET"}
    assert datasets == {
        name(t) for t in ("customers", "stg_customers", "stg_orders", "stg_payments", "raw_customers", "raw_payments")
    }
    assert upstream["truncated"] is False
    columns = gql.data(
        LINEAGE,
        start={"kind": "FIELD", "namespace": ns, "name": name("stg_customers"), "field": "customer_id"},
        granularity="COLUMN",
        direction="UPSTREAM",
    )["lineage"]
    assert {(n["dataset"]["name"], n["name"]) for n in columns["nodes"]} == {
        (name("stg_customers"), "customer_id"),
        (name("raw_customers"), "id"),
    }
    downstream = gql.data(
        LINEAGE,
        start={"kind": "DATASET", "namespace": ns, "name": name("raw_payments")},
        granularity="DATASET",
        direction="DOWNSTREAM",
    )["lineage"]
    reached = {n["name"] for n in downstream["nodes"] if n["kind"] == "DATASET"}
    assert {name("stg_payments"), name("orders"), name("customers")} <= reached


def test_paths_search_run_lineage_and_ids_work_on_the_dbt_graph(dbt_graph: tuple[GraphStore, str]) -> None:
    from tests.graphql.conftest import open_client

    store, ns = dbt_graph
    [gql] = list(open_client(store))
    paths = gql.data(
        """query ($from: NodeRef!, $to: NodeRef!) {
             paths(from: $from, to: $to, maxDepth: 6) { paths { length nodes { kind ... on Dataset { name } } } }
           }""",
        **{
            "from": {"kind": "DATASET", "namespace": ns, "name": name("raw_payments")},
            "to": {"kind": "DATASET", "namespace": ns, "name": name("customers")},
        },
    )["paths"]["paths"]
    assert paths and paths[0]["length"] == 4
    assert [n["name"] for n in paths[0]["nodes"] if n["kind"] == "DATASET"] == [
        name("raw_payments"), name("stg_payments"), name("customers")
    ]
    found = gql.data(
        """{ search(query: "stg_", kinds: [DATASET], first: 2) {
               totalCount pageInfo { hasNextPage } nodes { id ... on Dataset { name } } } }"""
    )["search"]
    assert found["totalCount"] == 3 and found["pageInfo"]["hasNextPage"] is True
    first_id = found["nodes"][0]["id"]
    again = gql.data("query ($id: ID!) { node(id: $id) { id kind } }", id=first_id)["node"]
    assert again == {"id": first_id, "kind": "DATASET"}
    runs = gql.data(
        """query ($start: NodeRef!) {
             lineage(start: $start, direction: UPSTREAM, depth: 4, granularity: RUN) {
               nodes { kind ... on DatasetVersion { dataset { name } } }
             }
           }""",
        start={"kind": "DATASET", "namespace": ns, "name": name("orders")},
    )["lineage"]["nodes"]
    read_versions = {n["dataset"]["name"] for n in runs if n["kind"] == "DATASET_VERSION"}
    assert {name("orders"), name("stg_orders"), name("stg_payments")} <= read_versions
