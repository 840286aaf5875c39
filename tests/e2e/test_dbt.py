"""dbt-ol on a real dbt project, against a real server: the graph matches the dbt DAG."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

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
    env = {
        **os.environ,
        "DBT_VENV": str(DBT_VENV),
        "OPENLINEAGE_URL": server.url,
        "OPENLINEAGE_NAMESPACE": JOBS_NS,
        "DBT_DUCKDB_PATH": str(duckdb),
    }
    try:
        done = subprocess.run(
            ["bash", str(REPO / "tools/dbt/run.sh"), "build"],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        # The project plants exactly one failing data test, so a healthy build exits 1.
        assert done.returncode == 1, f"dbt-ol build exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        rebuild_orders_from_v2(folder, env)
    finally:
        server.stop()
    store = open_store(url)
    yield store, f"duckdb://{duckdb}"
    store.close()


def rebuild_orders_from_v2(folder: Path, env: dict[str, str]) -> None:
    """The pull request of tests/dbt_project_v2 is merged and only `orders` is rebuilt: its
    SQL and schema lose `gift_card_amount`. `dbt docs generate` runs first (after a plain
    `dbt run`, so the catalog is of the new table), so dbt-ol reports column types this time:
    it reads them only from target/catalog.json, which `build` does not write."""
    project = folder / "dbt_project_v2"
    shutil.copytree(REPO / "tests" / "dbt_project_v2", project, ignore=shutil.ignore_patterns("target", "logs"))
    env = {
        **env,
        "PATH": f"{DBT_VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        "DBT_PROFILES_DIR": str(project),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    for command in (
        ["dbt", "run", "--select", "orders"],
        ["dbt", "docs", "generate"],
        ["dbt-ol", "build", "--select", "orders", "--resource-type", "model"],
    ):
        done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"


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
        # stg_orders selects * from a CTE: dbt-ol's column lineage names only the CTE, and
        # the model's SQL says which table that CTE reads.
        "stg_orders": {ds("raw_orders")},
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
    through_cte = inputs_of(store, model_job("stg_orders"))[ds("raw_orders")]
    assert through_cte["declared"] is False and through_cte["derived_from"] == "sql"


def test_renamed_columns_keep_their_lineage(dbt_graph: tuple[GraphStore, str]) -> None:
    store, ns = dbt_graph
    customer_id = field_id(ns, name("stg_customers"), "customer_id")
    feeding = store.edges_of([customer_id], Direction.UPSTREAM, [EdgeKind.FEEDS])
    assert [e.src for e in feeding] == [field_id(ns, name("raw_customers"), "id")]
    assert feeding[0].props["type"] == "DIRECT"
    amount = store.edges_of([field_id(ns, name("stg_payments"), "amount_usd")], Direction.UPSTREAM, [EdgeKind.FEEDS])
    assert [e.src for e in amount] == [field_id(ns, name("raw_payments"), "amount")]


def test_a_cte_name_is_resolved_through_the_sql_and_never_an_upstream_table(
    dbt_graph: tuple[GraphStore, str],
) -> None:
    store, ns = dbt_graph
    assert not store.get_nodes([dataset_id(ns, "source")])
    runs = [
        n for n in store.nodes_of_kind(NodeKind.RUN, limit=1000) if n.props.get("job") == model_job("stg_orders")
    ]
    assert len(runs) == 1
    # dbt-ol names the CTE `source`; the model's SQL says it is `select * from raw_orders`.
    assert not runs[0].props.get("column_refs")
    feeds = store.edges_of([field_id(ns, name("stg_orders"), "order_id")], Direction.UPSTREAM, [EdgeKind.FEEDS])
    assert [(e.src, e.props.get("type"), e.props.get("subtype"), e.props["origin"]) for e in feeds] == [
        (field_id(ns, name("raw_orders"), "id"), "DIRECT", "IDENTITY", "derived")
    ]


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
    invocations = [n for n in store.nodes_of_kind(NodeKind.RUN, limit=1000) if n.props.get("job") == wrapper]
    # The build fails (its planted test); the rebuild of `orders` alone completes.
    [build] = [n for n in invocations if n.props["state"] == "FAIL"]
    [rebuild] = [n for n in invocations if n.props["state"] == "COMPLETE"]
    children = store.edges_of([build.id], Direction.UPSTREAM, [EdgeKind.CHILD_OF])
    assert len(children) == 10  # five models, five test jobs
    assert len(store.edges_of([rebuild.id], Direction.UPSTREAM, [EdgeKind.CHILD_OF])) == 1


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
        name(t)
        for t in (
            "customers",
            "stg_customers",
            "stg_orders",
            "stg_payments",
            "raw_customers",
            "raw_orders",
            "raw_payments",
        )
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


# -- The GraphQL API on the dbt graph: lookups, nested fields, history, diffs -------------------
#
# The graph holds the build of tests/dbt_project and then the rebuild of `orders` alone from
# tests/dbt_project_v2 (see rebuild_orders_from_v2): two runs of the `orders` model job, two
# versions of `orders`, the second without `gift_card_amount` and with the catalog's types.

ORDERS_COLUMNS = [  # the rebuilt `orders`, in schema order, with the types of dbt's catalog
    ("order_id", "INTEGER", "Primary key."),
    ("customer_id", "INTEGER", "Foreign key to customers."),
    ("order_date", "DATE", "Date the order was placed."),
    ("status", "VARCHAR", "Order status."),
    ("credit_card_amount", "DOUBLE", "Amount paid by credit card, in dollars."),
    ("coupon_amount", "DOUBLE", "Amount paid by coupon, in dollars."),
    ("bank_transfer_amount", "DOUBLE", "Amount paid by bank transfer, in dollars."),
    ("amount", "DOUBLE", "Total amount paid for the order, in dollars."),
]
WRAPPER = "dbt-run-jaffle_shop"
ORDERS_JOB = "jaffle_shop.main.jaffle_shop.orders.build.run"
TEST_JOB = "jaffle_shop.main.jaffle_shop.orders.build.test"
NODE = """kind ... on Dataset { name } ... on Field { path dataset { name } } ... on Job { name }
          ... on Run { runId } ... on DatasetVersion { version dataset { name } }"""


@pytest.fixture(scope="module")
def api(dbt_graph: tuple[GraphStore, str]) -> Iterator[tuple[Any, str]]:
    """A GraphQL client on the dbt graph, and the dataset namespace."""
    from tests.graphql.conftest import open_client

    store, ns = dbt_graph
    for gql in open_client(store):
        yield gql, ns


def model_sql(project: str, model: str) -> str:
    """The SQL dbt compiles for a model of this project: its refs resolved to the tables."""
    source = (REPO / "tests" / project / "models" / "marts" / f"{model}.sql").read_text()
    for ref in ("stg_orders", "stg_payments", "stg_customers"):
        source = source.replace(f"{{{{ ref('{ref}') }}}}", f'"jaffle_shop"."main"."{ref}"')
    return source.rstrip("\n")


def invocations(gql: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The dbt build and the later rebuild of `orders`, as runs of the wrapper job."""
    runs = gql.data(
        """query ($ns: String!, $name: String!) { job(namespace: $ns, name: $name) {
             runs { nodes { runId state startedAt endedAt } } } }""",
        ns=JOBS_NS,
        name=WRAPPER,
    )["job"]["runs"]["nodes"]
    rebuild, build = runs  # latest first
    return build, rebuild


def between_the_invocations(gql: Any) -> str:
    build, rebuild = invocations(gql)
    ended, started = (datetime.fromisoformat(t) for t in (build["endedAt"], rebuild["startedAt"]))
    assert ended < started
    return (ended + (started - ended) / 2).isoformat()


def orders_runs(gql: Any) -> list[dict[str, Any]]:
    """The `orders` model job's runs, latest first."""
    runs: list[dict[str, Any]] = gql.data(
        """query ($ns: String!, $name: String!) { job(namespace: $ns, name: $name) {
             runs { nodes { runId startedAt endedAt } } } }""",
        ns=JOBS_NS,
        name=ORDERS_JOB,
    )["job"]["runs"]["nodes"]
    return runs


def test_a_model_dataset_shows_its_dbt_description_owner_catalog_types_and_jobs(api: tuple[Any, str]) -> None:
    gql, ns = api
    orders = gql.data(
        """query ($ns: String!, $name: String!) { dataset(namespace: $ns, name: $name) {
             kind namespace name type description dropped facets
             owners { name type } tags { key }
             fields { name path type description }
             producedBy { name } consumedBy { name }
           } }""",
        ns=ns,
        name=name("orders"),
    )["dataset"]
    assert (orders["kind"], orders["namespace"], orders["name"]) == ("DATASET", ns, name("orders"))
    assert orders["description"] == "One row per order with its payments pivoted by payment method."
    assert orders["owners"] == [{"name": "analytics", "type": None}]
    assert orders["type"] is None and orders["dropped"] is False and orders["tags"] == []
    # The rebuilt table: `gift_card_amount` is gone; the others have the catalog's types.
    assert [(f["name"], f["type"], f["description"]) for f in orders["fields"]] == ORDERS_COLUMNS
    assert all(f["path"] == f["name"] for f in orders["fields"])
    assert orders["facets"]["dbt_model"]["config"]["materialized"] == "table"
    assert set(orders["facets"]) == {
        "columnLineage", "dataQualityAssertions", "dataSource", "dbt_model", "documentation", "ownership", "schema"
    }
    assert orders["producedBy"] == [{"name": ORDERS_JOB}]
    assert orders["consumedBy"] == [{"name": TEST_JOB}]


def test_a_dataset_s_data_quality_is_failing_by_its_failing_dbt_test(api: tuple[Any, str]) -> None:
    gql, ns = api
    quality = gql.data(
        """query ($ns: String!, $name: String!) { dataset(namespace: $ns, name: $name) {
             quality { status assertions { assertion success column } } } }""",
        ns=ns,
        name=name("orders"),
    )["dataset"]["quality"]
    assert quality["status"] == "FAILING"
    assert sorted((a["assertion"], a["column"], a["success"]) for a in quality["assertions"]) == [
        ("accepted_values", "status", False),
        ("not_null", "customer_id", True),
        ("not_null", "order_id", True),
        ("relationships", "customer_id", True),
        ("unique", "order_id", True),
    ]
    passing = gql.data(
        """query ($ns: String!, $name: String!) { dataset(namespace: $ns, name: $name) {
             quality { status } } }""",
        ns=ns,
        name=name("customers"),
    )["dataset"]["quality"]
    assert passing == {"status": "PASSING"}


def test_a_rebuilt_model_has_two_versions_newest_first_each_with_the_run_that_wrote_it(
    api: tuple[Any, str],
) -> None:
    gql, ns = api
    rebuild, build = orders_runs(gql)
    query = """query ($ns: String!, $name: String!, $after: String) { dataset(namespace: $ns, name: $name) {
                 currentVersion { version }
                 writtenBy { totalCount nodes { runId state } }
                 versions(first: 1, after: $after) {
                   totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
                   nodes { version createdAt observed schema { name type }
                           writtenBy { runId job { name } } readBy { totalCount nodes { runId job { name } } } }
                 }
               } }"""
    first = gql.data(query, ns=ns, name=name("orders"))["dataset"]
    assert first["currentVersion"] == {"version": f"run:{rebuild['runId']}"}
    assert first["writtenBy"] == {
        "totalCount": 2,
        "nodes": [{"runId": rebuild["runId"], "state": "COMPLETE"}, {"runId": build["runId"], "state": "COMPLETE"}],
    }
    page = first["versions"]
    assert page["totalCount"] == 2 and page["pageInfo"]["hasNextPage"] and not page["pageInfo"]["hasPreviousPage"]
    [newest] = page["nodes"]
    assert newest["version"] == f"run:{rebuild['runId']}" and newest["observed"] is False
    assert newest["writtenBy"]["runId"] == rebuild["runId"]
    assert [(f["name"], f["type"]) for f in newest["schema"]] == [(n, t) for n, t, _ in ORDERS_COLUMNS]
    assert newest["readBy"] == {"totalCount": 0, "nodes": []}  # no test ran after the rebuild

    rest = gql.data(query, ns=ns, name=name("orders"), after=page["pageInfo"]["endCursor"])["dataset"]["versions"]
    assert not rest["pageInfo"]["hasNextPage"] and rest["pageInfo"]["hasPreviousPage"]
    [older] = rest["nodes"]
    assert older["version"] == f"run:{build['runId']}" and older["createdAt"] < newest["createdAt"]
    # The build had no catalog: names (from the manifest) without types, gift_card_amount included.
    assert [(f["name"], f["type"]) for f in older["schema"]] == [
        *((n, None) for n, _, _ in ORDERS_COLUMNS[:7]), ("gift_card_amount", None), ("amount", None)
    ]
    # The failing test read exactly the version the build wrote.
    assert older["readBy"]["totalCount"] == 1
    assert [r["job"]["name"] for r in older["readBy"]["nodes"]] == [TEST_JOB]


def test_a_model_job_has_its_compiled_sql_and_pages_its_runs_latest_first(api: tuple[Any, str]) -> None:
    gql, _ = api
    rebuild, build = orders_runs(gql)
    query = """query ($ns: String!, $name: String!, $after: String) { job(namespace: $ns, name: $name) {
                 kind namespace type jobType integration processingType sql sourceLocation { url }
                 inputs { name } outputs { name }
                 latestRun { runId state }
                 runs(first: 1, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { runId } }
               } }"""
    job_name = ORDERS_JOB
    job = gql.data(query, ns=JOBS_NS, name=job_name)["job"]
    assert (job["kind"], job["namespace"], job["type"]) == ("JOB", JOBS_NS, "ETL")
    assert (job["jobType"], job["integration"], job["processingType"]) == ("MODEL", "DBT", "BATCH")
    assert job["sql"] == model_sql("dbt_project_v2", "orders")  # the latest run's SQL
    assert "gift_card_amount" not in job["sql"] and job["sourceLocation"] is None
    assert job["inputs"] == [{"name": name("stg_orders")}, {"name": name("stg_payments")}]
    assert job["outputs"] == [{"name": name("orders")}]
    assert job["latestRun"] == {"runId": rebuild["runId"], "state": "COMPLETE"}
    assert job["runs"]["totalCount"] == 2 and job["runs"]["nodes"] == [{"runId": rebuild["runId"]}]
    after = job["runs"]["pageInfo"]["endCursor"]
    rest = gql.data(query, ns=JOBS_NS, name=job_name, after=after)["job"]["runs"]
    assert rest["nodes"] == [{"runId": build["runId"]}] and rest["pageInfo"]["hasNextPage"] is False


def test_a_model_run_read_the_exact_versions_the_staging_runs_wrote(api: tuple[Any, str]) -> None:
    gql, _ = api
    rebuild, _ = orders_runs(gql)
    run = gql.data(
        """query ($id: String!) { run(runId: $id) {
             kind runId state startedAt endedAt duration job { name } facets
             inputs { version dataset { name } writtenBy { job { name } } }
             outputs { version dataset { name } }
             parent { runId state job { name } children { runId } }
           } }""",
        id=rebuild["runId"].upper(),  # runIds are UUIDs: any case names the run
    )["run"]
    assert (run["kind"], run["runId"], run["state"]) == ("RUN", rebuild["runId"], "COMPLETE")
    started, ended = datetime.fromisoformat(run["startedAt"]), datetime.fromisoformat(run["endedAt"])
    # startedAt/endedAt are printed to the microsecond, duration is not rounded.
    assert run["duration"] == pytest.approx((ended - started).total_seconds(), abs=2e-6)
    assert run["duration"] >= 0
    assert run["job"] == {"name": ORDERS_JOB}
    assert {"dbt_run", "dbt_version", "parent"} <= set(run["facets"])
    # The staging views were not rebuilt: the rebuild read the versions the build wrote.
    assert sorted((v["dataset"]["name"], v["writtenBy"]["job"]["name"]) for v in run["inputs"]) == [
        (name("stg_orders"), "jaffle_shop.main.jaffle_shop.stg_orders.build.run"),
        (name("stg_payments"), "jaffle_shop.main.jaffle_shop.stg_payments.build.run"),
    ]
    assert run["outputs"] == [{"version": f"run:{rebuild['runId']}", "dataset": {"name": name("orders")}}]
    _, invocation = invocations(gql)
    assert run["parent"]["runId"] == invocation["runId"] and run["parent"]["job"] == {"name": WRAPPER}
    assert run["parent"]["children"] == [{"runId": rebuild["runId"]}]


def test_the_failing_dbt_test_is_a_fail_run_that_read_the_version_it_tested(api: tuple[Any, str]) -> None:
    gql, _ = api
    _, build = orders_runs(gql)
    job = gql.data(
        """query ($ns: String!, $name: String!) { job(namespace: $ns, name: $name) {
             jobType sql inputs { name } outputs { name }
             runs { totalCount nodes { state errorMessage inputs { version } outputs { version }
                                       parent { state job { name } } } }
           } }""",
        ns=JOBS_NS,
        name=TEST_JOB,
    )["job"]
    assert (job["jobType"], job["sql"]) == ("TEST", None)
    assert job["inputs"] == [{"name": name("orders")}] and job["outputs"] == []
    assert job["runs"]["totalCount"] == 1
    [run] = job["runs"]["nodes"]
    assert run["state"] == "FAIL" and run["errorMessage"] is None  # dbt-ol sends no errorMessage facet
    assert run["inputs"] == [{"version": f"run:{build['runId']}"}] and run["outputs"] == []
    assert run["parent"] == {"state": "FAIL", "job": {"name": WRAPPER}}


def test_the_failed_build_invocation_has_every_model_and_test_run_as_children(api: tuple[Any, str]) -> None:
    gql, _ = api
    build, rebuild = invocations(gql)
    assert (build["state"], rebuild["state"]) == ("FAIL", "COMPLETE")
    answer = gql.data(
        """query ($id: String!) { run(runId: $id) {
             parent { runId } job { jobType integration } children { state job { name } parent { runId } } } }""",
        id=build["runId"],
    )["run"]
    assert answer["parent"] is None and answer["job"] == {"jobType": "JOB", "integration": "DBT"}
    prefix = "jaffle_shop.main.jaffle_shop."
    assert sorted((c["job"]["name"].removeprefix(prefix), c["state"]) for c in answer["children"]) == sorted(
        [(f"{m}.build.run", "COMPLETE") for m in ("stg_customers", "stg_orders", "stg_payments", "customers", "orders")]
        + [(f"{m}.build.test", "COMPLETE") for m in ("stg_customers", "stg_orders", "stg_payments", "customers")]
        + [("orders.build.test", "FAIL")]
    )
    assert {c["parent"]["runId"] for c in answer["children"]} == {build["runId"]}


def test_every_kind_of_node_of_the_dbt_graph_round_trips_through_its_id(api: tuple[Any, str]) -> None:
    gql, ns = api
    rebuild, _ = orders_runs(gql)
    found = gql.data(
        """query ($ns: String!, $name: String!, $job: String!, $run: String!) {
             dataset(namespace: $ns, name: $name) { id currentVersion { id } }
             field(namespace: $ns, name: $name, path: "amount") { id }
             job(namespace: "dbt_test", name: $job) { id }
             run(runId: $run) { id }
           }""",
        ns=ns,
        name=name("orders"),
        job=ORDERS_JOB,
        run=rebuild["runId"],
    )
    ids = {
        "DATASET": found["dataset"]["id"],
        "DATASET_VERSION": found["dataset"]["currentVersion"]["id"],
        "FIELD": found["field"]["id"],
        "JOB": found["job"]["id"],
        "RUN": found["run"]["id"],
    }
    assert len(set(ids.values())) == 5
    for kind, nid in ids.items():
        again = gql.data(f"query ($id: ID!) {{ node(id: $id) {{ id {NODE} }} }}", id=nid)["node"]
        assert (again["id"], again["kind"]) == (nid, kind)
    assert gql.data(f"query ($id: ID!) {{ node(id: $id) {{ {NODE} }} }}", id=ids["FIELD"])["node"] == {
        "kind": "FIELD", "path": "amount", "dataset": {"name": name("orders")}
    }


def test_a_column_shows_its_catalog_type_and_the_columns_it_comes_from_and_feeds(api: tuple[Any, str]) -> None:
    gql, ns = api
    link = "field { path dataset { name } } transformation { type } job { name } validUntil"
    amount_usd = gql.data(
        f"""query ($ns: String!, $name: String!) {{ field(namespace: $ns, name: $name, path: "amount_usd") {{
              name path type description dataset {{ name }} upstream {{ {link} }} downstream {{ {link} }} }} }}""",
        ns=ns,
        name=name("stg_payments"),
    )["field"]
    # stg_payments was not rebuilt: its type is what the rebuild reported of its input.
    assert (amount_usd["type"], amount_usd["description"]) == (
        "DOUBLE", "Payment amount in dollars (raw_payments.amount / 100)."
    )
    assert amount_usd["upstream"] == [
        {
            "field": {"path": "amount", "dataset": {"name": name("raw_payments")}},
            "transformation": {"type": "DIRECT"},
            "job": {"name": "jaffle_shop.main.jaffle_shop.stg_payments.build.run"},
            "validUntil": None,
        }
    ]
    fed = {(f["field"]["dataset"]["name"], f["field"]["path"]): f["job"]["name"] for f in amount_usd["downstream"]}
    assert fed == {
        (name("customers"), "lifetime_value"): "jaffle_shop.main.jaffle_shop.customers.build.run",
        **{
            (name("orders"), column): ORDERS_JOB
            for column in ("amount", "credit_card_amount", "coupon_amount", "bank_transfer_amount")
        },
    }


def test_as_of_before_the_rebuild_the_dropped_column_was_fed_by_payments_and_now_by_nothing(
    api: tuple[Any, str],
) -> None:
    gql, ns = api
    rebuild, _ = orders_runs(gql)
    before = between_the_invocations(gql)
    gift = gql.data(
        """query ($ns: String!, $name: String!, $before: DateTime!) {
             field(namespace: $ns, name: $name, path: "gift_card_amount") {
               type now: upstream { field { path } }
               then: upstream(asOf: $before) { field { path dataset { name } } job { name } validUntil }
             } }""",
        ns=ns,
        name=name("orders"),
        before=before,
    )["field"]
    assert gift["type"] is None and gift["now"] == []
    # The value, the CASE condition, the grouping and the join keys (from the model's SQL).
    assert sorted((link["field"]["dataset"]["name"], link["field"]["path"]) for link in gift["then"]) == [
        (name("stg_orders"), "order_id"),
        (name("stg_payments"), "amount_usd"),
        (name("stg_payments"), "order_id"),
        (name("stg_payments"), "payment_method"),
    ]
    for link in gift["then"]:
        assert link["job"] == {"name": ORDERS_JOB}
        assert link["validUntil"] == rebuild["endedAt"]  # closed by the rebuild's completion
    column = """query ($start: NodeRef!, $asOf: DateTime) {
                  lineage(start: $start, depth: 6, granularity: COLUMN, asOf: $asOf) {
                    nodes { ... on Field { path dataset { name } } } } }"""
    start = {"namespace": ns, "name": name("orders"), "field": "gift_card_amount"}
    then = gql.data(column, start=start, asOf=before)["lineage"]["nodes"]
    assert sorted((n["dataset"]["name"], n["path"]) for n in then) == [
        (name("orders"), "gift_card_amount"),
        (name("raw_orders"), "id"),
        (name("raw_payments"), "amount"),
        (name("raw_payments"), "order_id"),
        (name("raw_payments"), "payment_method"),
        (name("stg_orders"), "order_id"),
        (name("stg_payments"), "amount_usd"),
        (name("stg_payments"), "order_id"),
        (name("stg_payments"), "payment_method"),
    ]
    now = gql.data(column, start=start)["lineage"]["nodes"]
    assert now == [{"path": "gift_card_amount", "dataset": {"name": name("orders")}}]


def test_a_lineage_as_of_before_the_rebuild_shows_the_versions_schema_and_runs_current_then(
    api: tuple[Any, str],
) -> None:
    gql, ns = api
    rebuild, build = orders_runs(gql)
    query = """query ($start: NodeRef!, $asOf: DateTime) {
                 lineage(start: $start, depth: 2, asOf: $asOf) {
                   asOf
                   nodes { kind ... on Dataset { name currentVersion { version } fields { name type } }
                                 ... on Job { name latestRun { runId } runs { totalCount } } }
                 } }"""
    start = {"namespace": ns, "name": name("orders")}
    before = between_the_invocations(gql)
    then = gql.data(query, start=start, asOf=before)["lineage"]
    assert datetime.fromisoformat(then["asOf"]) == datetime.fromisoformat(before)
    [orders] = [n for n in then["nodes"] if n.get("name") == name("orders")]
    assert orders["currentVersion"] == {"version": f"run:{build['runId']}"}
    assert [(f["name"], f["type"]) for f in orders["fields"]] == [
        *((n, None) for n, _, _ in ORDERS_COLUMNS[:7]), ("gift_card_amount", None), ("amount", None)
    ]
    [job] = [n for n in then["nodes"] if n["kind"] == "JOB"]
    assert job["latestRun"] == {"runId": build["runId"]} and job["runs"] == {"totalCount": 1}

    now = gql.data(query, start=start)["lineage"]
    [orders] = [n for n in now["nodes"] if n.get("name") == name("orders")]
    assert orders["currentVersion"] == {"version": f"run:{rebuild['runId']}"}
    assert [(f["name"], f["type"]) for f in orders["fields"]] == [(n, t) for n, t, _ in ORDERS_COLUMNS]
    [job] = [n for n in now["nodes"] if n["kind"] == "JOB"]
    assert job["latestRun"] == {"runId": rebuild["runId"]} and job["runs"] == {"totalCount": 2}

    runs = gql.data(
        """query ($start: NodeRef!, $asOf: DateTime) {
             lineage(start: $start, depth: 2, granularity: RUN, asOf: $asOf) { start { ... on DatasetVersion { version } } } }""",
        start=start,
        asOf=before,
    )["lineage"]
    assert runs["start"] == [{"version": f"run:{build['runId']}"}]


def test_lineage_diff_since_the_build_names_the_rebuilt_model_s_sql_and_schema_change(api: tuple[Any, str]) -> None:
    gql, ns = api
    rebuild, build = orders_runs(gql)
    since = between_the_invocations(gql)
    diff = gql.data(
        f"""query ($start: NodeRef!, $since: DateTime!) {{
              lineageDiff(start: $start, since: $since, direction: UPSTREAM, depth: 6) {{
                since until jobsTruncated
                before {{ nodes {{ {NODE} }} }} after {{ nodes {{ {NODE} }} }}
                addedNodes {{ kind }} removedNodes {{ kind }} addedEdges {{ kind }} removedEdges {{ kind }}
                schemaChanges {{ dataset {{ name }} before {{ version }} after {{ version }}
                                 added removed typeChanged {{ path before after }} }}
                jobChanges {{ job {{ name }} before {{ runId }} after {{ runId }} sqlBefore sqlAfter sourceBefore sourceAfter }}
              }} }}""",
        start={"namespace": ns, "name": name("orders")},
        since=since,
    )["lineageDiff"]
    assert datetime.fromisoformat(diff["since"]) == datetime.fromisoformat(since) and diff["until"] is None
    # The rebuild read and wrote what the build did: the same datasets and jobs, no edge changed.
    upstream = {(n["kind"], n.get("name")) for n in diff["before"]["nodes"]}
    assert upstream == {(n["kind"], n.get("name")) for n in diff["after"]["nodes"]} == {
        *(("DATASET", name(t)) for t in ("orders", "stg_orders", "stg_payments", "raw_orders", "raw_payments")),
        *(("JOB", f"jaffle_shop.main.jaffle_shop.{m}.build.run") for m in ("orders", "stg_orders", "stg_payments")),
    }
    assert (diff["addedNodes"], diff["removedNodes"], diff["addedEdges"], diff["removedEdges"]) == ([], [], [], [])
    assert diff["schemaChanges"] == [
        {
            "dataset": {"name": name("orders")},
            "before": {"version": f"run:{build['runId']}"},
            "after": {"version": f"run:{rebuild['runId']}"},
            "added": [],
            "removed": ["gift_card_amount"],
            # Types reported for the first time (from the catalog) count as changes from none.
            "typeChanged": [{"path": n, "before": None, "after": t} for n, t, _ in ORDERS_COLUMNS],
        }
    ]
    assert diff["jobChanges"] == [
        {
            "job": {"name": ORDERS_JOB},
            "before": {"runId": build["runId"]},
            "after": {"runId": rebuild["runId"]},
            "sqlBefore": model_sql("dbt_project", "orders"),
            "sqlAfter": model_sql("dbt_project_v2", "orders"),
            "sourceBefore": None,
            "sourceAfter": None,
        }
    ]
    assert diff["jobsTruncated"] is False


def test_lineage_diff_of_columns_lists_the_closed_feeds_of_the_dropped_column_and_its_job(
    api: tuple[Any, str],
) -> None:
    gql, ns = api
    rebuild, build = orders_runs(gql)
    diff = gql.data(
        f"""query ($start: NodeRef!, $since: DateTime!) {{
              lineageDiff(start: $start, since: $since, depth: 6, granularity: COLUMN) {{
                addedEdges {{ kind }} addedNodes {{ kind }} removedNodes {{ kind }}
                removedEdges {{ kind source {{ {NODE} }} target {{ {NODE} }} job {{ name }} validUntil
                                transformation {{ type }} transformations {{ type }} }}
                schemaChanges {{ dataset {{ name }} removed }}
                jobChanges {{ job {{ name }} before {{ runId }} after {{ runId }} }}
              }} }}""",
        start={"namespace": ns, "name": name("orders")},
        since=between_the_invocations(gql),
    )["lineageDiff"]
    assert (diff["addedEdges"], diff["addedNodes"], diff["removedNodes"]) == ([], [], [])
    removed = sorted(diff["removedEdges"], key=lambda e: (e["source"]["dataset"]["name"], e["source"]["path"]))
    # dbt-ol reports no transformations; the model's SQL says how each column is used:
    # `sum(case when payment_method = 'gift_card' then amount_usd else 0 end)`, grouped by
    # order_id and joined to orders on order_id.
    assert [
        (e["kind"], e["source"]["dataset"]["name"], e["source"]["path"], e["transformation"]) for e in removed
    ] == [
        ("FEEDS", name("stg_orders"), "order_id", {"type": "INDIRECT"}),
        ("FEEDS", name("stg_payments"), "amount_usd", {"type": "DIRECT"}),
        ("FEEDS", name("stg_payments"), "order_id", {"type": "INDIRECT"}),
        ("FEEDS", name("stg_payments"), "payment_method", {"type": "INDIRECT"}),
    ]
    for edge in removed:
        assert edge["target"] == {"path": "gift_card_amount", "dataset": {"name": name("orders")}} or (
            edge["target"]["path"] == "gift_card_amount"
        )
        assert edge["job"] == {"name": ORDERS_JOB}
        assert edge["validUntil"] == rebuild["endedAt"]
    assert diff["schemaChanges"] == [{"dataset": {"name": name("orders")}, "removed": ["gift_card_amount"]}]
    # The job behind the closed edges changed its SQL, though a column lineage shows no jobs.
    assert diff["jobChanges"] == [
        {
            "job": {"name": ORDERS_JOB},
            "before": {"runId": build["runId"]},
            "after": {"runId": rebuild["runId"]},
        }
    ]


def test_lineage_diff_between_the_build_and_the_rebuild_finds_nothing_changed(api: tuple[Any, str]) -> None:
    gql, ns = api
    build, _ = invocations(gql)
    diff = gql.data(
        """query ($start: NodeRef!, $since: DateTime!, $until: DateTime!) {
             lineageDiff(start: $start, since: $since, until: $until, depth: 6) {
               until addedEdges { kind } removedEdges { kind } schemaChanges { added } jobChanges { sqlAfter } } }""",
        start={"namespace": ns, "name": name("customers")},
        since=build["endedAt"],
        until=between_the_invocations(gql),
    )["lineageDiff"]
    assert diff["until"] is not None
    assert (diff["addedEdges"], diff["removedEdges"], diff["schemaChanges"], diff["jobChanges"]) == ([], [], [], [])


def test_search_pages_through_the_staging_datasets_with_cursors(api: tuple[Any, str]) -> None:
    gql, ns = api
    query = """query ($ns: String!, $after: String) {
                 search(query: "stg_", kinds: [DATASET], namespace: $ns, first: 2, after: $after) {
                   totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { ... on Dataset { name } } } } }"""
    first = gql.data(query, ns=ns)["search"]
    assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"] and not first["pageInfo"]["hasPreviousPage"]
    assert first["pageInfo"]["endCursor"] == first["edges"][-1]["cursor"]
    rest = gql.data(query, ns=ns, after=first["pageInfo"]["endCursor"])["search"]
    assert rest["totalCount"] == 3 and not rest["pageInfo"]["hasNextPage"] and rest["pageInfo"]["hasPreviousPage"]
    names = [e["node"]["name"] for e in first["edges"] + rest["edges"]]
    assert sorted(names) == [name("stg_customers"), name("stg_orders"), name("stg_payments")]
    column = gql.data(
        """query ($ns: String!) { search(query: "amount_usd", namespace: $ns) {
             totalCount nodes { kind ... on Field { path dataset { name } } } } }""",
        ns=ns,
    )["search"]
    assert column == {
        "totalCount": 1,
        "nodes": [{"kind": "FIELD", "path": "amount_usd", "dataset": {"name": name("stg_payments")}}],
    }
    jobs = gql.data(
        """{ search(query: "orders", kinds: [JOB], namespace: "dbt_test") { totalCount nodes { ... on Job { name } } } }"""
    )["search"]
    # One job per model: its tests are parts of the invocation they ran in, found under it.
    assert sorted(n["name"].removeprefix("jaffle_shop.main.jaffle_shop.") for n in jobs["nodes"]) == [
        "orders.build.run", "stg_orders.build.run"
    ]
    wrapper = gql.data(
        """{ job(namespace: "dbt_test", name: "dbt-run-jaffle_shop") { children { name listed } } }"""
    )["job"]
    tests = [c["name"] for c in wrapper["children"] if not c["listed"]]
    assert {"jaffle_shop.main.jaffle_shop.orders.build.test", "jaffle_shop.main.jaffle_shop.stg_orders.build.test"} <= set(tests)


def test_the_node_budget_truncates_lineage_of_the_dbt_graph_and_says_where(api: tuple[Any, str]) -> None:
    gql, ns = api
    answer = gql.data(
        f"""query ($start: NodeRef!) {{
              lineage(start: $start, direction: DOWNSTREAM, depth: 6, nodeBudget: 3) {{
                truncated truncatedAt {{ {NODE} }} nodes {{ {NODE} }} }} }}""",
        start={"namespace": ns, "name": name("raw_payments")},
    )["lineage"]
    assert answer["truncated"] is True
    assert [n.get("name") for n in answer["nodes"]] == [
        name("raw_payments"), "jaffle_shop.main.jaffle_shop.stg_payments.build.run", name("stg_payments")
    ]
    assert answer["truncatedAt"] == [{"kind": "DATASET", "name": name("stg_payments")}]


def test_a_kinds_filter_joins_dbt_datasets_through_the_model_jobs(api: tuple[Any, str]) -> None:
    gql, ns = api
    edges = gql.data(
        """query ($start: NodeRef!) { lineage(start: $start, depth: 6, kinds: [DATASET]) {
             nodes { kind } edges { kind source { ... on Dataset { name } } target { ... on Dataset { name } }
                                    via { ... on Job { name } } } } }""",
        start={"namespace": ns, "name": name("customers")},
    )["lineage"]
    assert {n["kind"] for n in edges["nodes"]} == {"DATASET"}
    job = "jaffle_shop.main.jaffle_shop.{}.build.run".format
    assert sorted(
        (e["kind"], e["source"]["name"], e["target"]["name"], tuple(v["name"] for v in e["via"]))
        for e in edges["edges"]
    ) == sorted(
        [
            ("FLOWS_TO", name("raw_customers"), name("stg_customers"), (job("stg_customers"),)),
            ("FLOWS_TO", name("raw_orders"), name("stg_orders"), (job("stg_orders"),)),
            ("FLOWS_TO", name("raw_payments"), name("stg_payments"), (job("stg_payments"),)),
            *(("FLOWS_TO", name(s), name("customers"), (job("customers"),)) for s in ("stg_customers", "stg_orders", "stg_payments")),
        ]
    )


def test_both_directions_of_a_staging_model_are_its_feeds_and_its_readers(api: tuple[Any, str]) -> None:
    gql, ns = api
    nodes = gql.data(
        """query ($start: NodeRef!) { lineage(start: $start, direction: BOTH, depth: 2) {
             direction nodes { kind ... on Dataset { name } ... on Job { name } } } }""",
        start={"namespace": ns, "name": name("stg_payments")},
    )["lineage"]
    assert nodes["direction"] == "BOTH"
    job = "jaffle_shop.main.jaffle_shop.{}".format
    assert {n["name"] for n in nodes["nodes"]} == {
        name("raw_payments"), job("stg_payments.build.run"), name("stg_payments"),
        job("orders.build.run"), name("orders"), job("customers.build.run"), name("customers"),
        job("stg_payments.build.test"),
    }


def test_column_paths_follow_a_payment_amount_from_the_seed_to_the_mart(api: tuple[Any, str]) -> None:
    gql, ns = api
    found = gql.data(
        """query ($from: NodeRef!, $to: NodeRef!) {
             paths(from: $from, to: $to, granularity: COLUMN) {
               truncated paths { length nodes { ... on Field { path dataset { name } } } edges { kind job { name } } } } }""",
        **{
            "from": {"namespace": ns, "name": name("raw_payments"), "field": "amount"},
            "to": {"namespace": ns, "name": name("orders"), "field": "amount"},
        },
    )["paths"]
    assert found["truncated"] is False
    [path] = found["paths"]
    assert path["length"] == 2
    assert [(n["dataset"]["name"], n["path"]) for n in path["nodes"]] == [
        (name("raw_payments"), "amount"), (name("stg_payments"), "amount_usd"), (name("orders"), "amount")
    ]
    assert [(e["kind"], e["job"]["name"]) for e in path["edges"]] == [
        ("FEEDS", "jaffle_shop.main.jaffle_shop.stg_payments.build.run"),
        ("FEEDS", ORDERS_JOB),
    ]
