"""What a dbt (or Airflow) user sees listed: one job per model, seed or task; the statements
and dbt tests that ran under it are parts of it, reached through it; and no dataset for a
table no event says was written.

Built from the captured streams (tests/events/data/captured, see its README) on each store:
dbt-ol's default mode (`<model>.build.run` and `<model>.build.test` under the invocation),
its structured-logs mode (`model.`/`seed.`/`test.` jobs, each statement a `.sql.N` child),
and Airflow's SQL operator on SQLite (`<dag>.<task>.query.N` children of each task).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from fastapi.testclient import TestClient

from lineage.api.app import create_app
from lineage.graph.model import EdgeKind, dataset_id
from lineage.ingest import prepare, write
from lineage.settings import Settings
from lineage.store import Direction, GraphStore
from tests.graphql.conftest import GraphQL

CAPTURED = Path(__file__).resolve().parents[1] / "events" / "data" / "captured"
DEV = "duckdb://dev/jaffle_shop.duckdb"
DBT = "dbt_classic"
AIRFLOW = "airflow_sqlite"
AUDIT = "_dbt_test__audit."

DEFAULT_MODE_JOBS = ["dbt-run-jaffle_shop"] + [
    f"jaffle_shop.main.jaffle_shop.{m}.build.run"
    for m in ("customers", "orders", "stg_customers", "stg_orders", "stg_payments")
]
STRUCTURED_JOBS = [
    "dbt-run-jaffle_shop",
    *(f"model.jaffle_shop.{m}" for m in ("customers", "orders", "stg_customers")),
    *(f"model.jaffle_shop.{m}" for m in ("stg_orders", "stg_payments")),
    *(f"seed.jaffle_shop.raw_{s}" for s in ("customers", "orders", "payments")),
]
AIRFLOW_JOBS = ["jaffle_shop_sqlite"] + [
    f"jaffle_shop_sqlite.{t}" for t in ("customer_revenue", "daily_revenue", "load_raw")
]


def events(name: str) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in (CAPTURED / name).read_bytes().splitlines() if line]


def load(store: GraphStore, *names: str, order: str = "as sent") -> None:
    stream = [e for name in names for e in events(name)]
    if order == "reversed":
        stream.reverse()
    elif order == "shuffled":
        random.Random(7).shuffle(stream)
    items = [prepare(e) for e in stream]
    for i in range(0, len(items), 25):
        write(store, items[i : i + 25])


@pytest.fixture
def client(store: GraphStore) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(tokens=[]), store=store)) as c:
        yield c


@pytest.fixture
def gql(client: TestClient) -> GraphQL:
    return GraphQL(client)


def get(client: TestClient, path: str, **params: Any) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


SEARCH = """query($q: String!, $kinds: [NodeKind!]) {
  search(query: $q, kinds: $kinds, first: 500) {
    nodes { kind ... on Job { namespace name } ... on Dataset { namespace name } }
  }
}"""

JOB = """query($ns: String!, $name: String!) {
  job(namespace: $ns, name: $name) {
    name jobType listed
    parent { name }
    children { name jobType listed }
  }
}"""


def searched_jobs(gql: GraphQL, namespace: str, text: str = "") -> list[str]:
    nodes = gql.data(SEARCH, q=text or "a", kinds=["JOB"])["search"]["nodes"]
    return sorted(n["name"] for n in nodes if n["namespace"] == namespace)


def marquez_jobs(client: TestClient, namespace: str) -> list[str]:
    body = get(client, f"/api/v1/namespaces/{quote(namespace, safe='')}/jobs", limit=1000)
    assert body["totalCount"] == len(body["jobs"])
    return sorted(j["name"] for j in body["jobs"])


def marquez_search(client: TestClient, text: str, kind: str | None = None) -> list[str]:
    params = {"q": text, "limit": 1000, **({"filter": kind} if kind else {})}
    return sorted(r["name"] for r in get(client, "/api/v1/search", **params)["results"])


def job(gql: GraphQL, namespace: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = gql.data(JOB, ns=namespace, name=name)["job"]
    return found


# -- 1. one job per model, seed or task; its statements and tests are parts of it ---------------


def test_dbt_ol_default_mode_lists_one_job_per_model_and_keeps_tests_under_the_invocation(
    store: GraphStore, gql: GraphQL, client: TestClient
) -> None:
    load(store, "dbt_classic_dev.jsonl")
    assert searched_jobs(gql, DBT) == sorted(DEFAULT_MODE_JOBS)
    assert marquez_jobs(client, DBT) == sorted(DEFAULT_MODE_JOBS)
    assert marquez_search(client, "customers", "JOB") == [
        "jaffle_shop.main.jaffle_shop.customers.build.run",
        "jaffle_shop.main.jaffle_shop.stg_customers.build.run",
    ]

    invocation = job(gql, DBT, "dbt-run-jaffle_shop")
    assert invocation["listed"] is True and invocation["parent"] is None
    tests = [c for c in invocation["children"] if not c["listed"]]
    assert sorted(c["name"] for c in tests) == sorted(
        n.replace(".build.run", ".build.test") for n in DEFAULT_MODE_JOBS[1:]
    )
    assert {c["jobType"] for c in tests} == {"TEST"}
    assert {c["jobType"] for c in invocation["children"] if c["listed"]} == {"MODEL"}

    test = job(gql, DBT, "jaffle_shop.main.jaffle_shop.customers.build.test")
    assert test == {
        "name": "jaffle_shop.main.jaffle_shop.customers.build.test",
        "jobType": "TEST",
        "listed": False,
        "parent": {"name": "dbt-run-jaffle_shop"},
        "children": [],
    }
    # Marquez serves it at its own path, under the job it ran in.
    name = quote("jaffle_shop.main.jaffle_shop.customers.build.test", safe="")
    body = get(client, f"/api/v1/namespaces/{DBT}/jobs/{name}")
    assert body["parentJobName"] == "dbt-run-jaffle_shop"
    model = get(client, f"/api/v1/namespaces/{DBT}/jobs/" + quote(DEFAULT_MODE_JOBS[1], safe=""))
    assert model["parentJobName"] == "dbt-run-jaffle_shop"
    assert (
        get(client, f"/api/v1/namespaces/{DBT}/jobs/dbt-run-jaffle_shop")["parentJobName"] is None
    )


def test_dbt_ol_structured_logs_mode_lists_models_and_seeds_not_their_statements_or_tests(
    store: GraphStore, gql: GraphQL, client: TestClient
) -> None:
    load(store, "dbt_classic_dev_structured.jsonl")
    assert searched_jobs(gql, DBT) == sorted(STRUCTURED_JOBS)
    assert marquez_jobs(client, DBT) == sorted(STRUCTURED_JOBS)
    assert searched_jobs(gql, DBT, "sql") == []
    assert searched_jobs(gql, DBT, "test.jaffle_shop") == []
    assert marquez_search(client, "stg_customers", "JOB") == ["model.jaffle_shop.stg_customers"]

    model = job(gql, DBT, "model.jaffle_shop.customers")
    assert model["listed"] is True and model["parent"] == {"name": "dbt-run-jaffle_shop"}
    assert [c["name"] for c in model["children"]] == [
        f"model.jaffle_shop.customers.sql.{n}" for n in range(1, 6)
    ]
    assert {(c["jobType"], c["listed"]) for c in model["children"]} == {("SQL", False)}

    invocation = job(gql, DBT, "dbt-run-jaffle_shop")
    tests = sorted(c["name"] for c in invocation["children"] if not c["listed"])
    assert len(tests) == 20 and all(t.startswith("test.jaffle_shop.") for t in tests)
    test = job(gql, DBT, "test.jaffle_shop.unique_customers_customer_id.c5af1ff4b1")
    assert test["listed"] is False
    assert test["parent"] == {"name": "dbt-run-jaffle_shop"}
    assert [c["name"] for c in test["children"]] == [
        "test.jaffle_shop.unique_customers_customer_id.c5af1ff4b1.sql.1",
        "test.jaffle_shop.unique_customers_customer_id.c5af1ff4b1.sql.2",
    ]
    name = quote("model.jaffle_shop.customers.sql.3", safe="")
    body = get(client, f"/api/v1/namespaces/{DBT}/jobs/{name}")
    assert body["parentJobName"] == "model.jaffle_shop.customers"


def test_airflow_lists_the_dag_and_its_tasks_not_the_statements_each_task_ran(
    store: GraphStore, gql: GraphQL, client: TestClient
) -> None:
    load(store, "airflow_sqlite_sql.jsonl")
    assert searched_jobs(gql, AIRFLOW) == sorted(AIRFLOW_JOBS)
    assert marquez_jobs(client, AIRFLOW) == sorted(AIRFLOW_JOBS)
    assert marquez_search(client, "query") == []

    dag = job(gql, AIRFLOW, "jaffle_shop_sqlite")
    assert sorted(c["name"] for c in dag["children"]) == AIRFLOW_JOBS[1:]
    assert all(c["listed"] for c in dag["children"])
    task = job(gql, AIRFLOW, "jaffle_shop_sqlite.customer_revenue")
    assert task["parent"] == {"name": "jaffle_shop_sqlite"}
    # `airflow dags test` repeats the earlier tasks' statements: 11 stale and its own 2.
    assert len(task["children"]) == 13
    assert {(c["jobType"], c["listed"]) for c in task["children"]} == {("QUERY", False)}
    query = job(gql, AIRFLOW, "jaffle_shop_sqlite.customer_revenue.query.12")
    assert query["listed"] is False
    assert query["parent"] == {"name": "jaffle_shop_sqlite.customer_revenue"}


@pytest.mark.parametrize("order", ["reversed", "shuffled"])
def test_which_jobs_are_listed_does_not_depend_on_the_order_events_arrive_in(
    store: GraphStore, gql: GraphQL, client: TestClient, order: str
) -> None:
    names = (
        "dbt_classic_dev.jsonl",
        "dbt_classic_dev_structured.jsonl",
        "airflow_sqlite_sql.jsonl",
    )
    load(store, *names, order=order)
    assert searched_jobs(gql, DBT) == sorted({*DEFAULT_MODE_JOBS, *STRUCTURED_JOBS})
    assert marquez_jobs(client, AIRFLOW) == sorted(AIRFLOW_JOBS)
    task = job(gql, AIRFLOW, "jaffle_shop_sqlite.load_raw")
    assert len(task["children"]) == 11 and not any(c["listed"] for c in task["children"])


# -- 2. no dataset for a table no event says was written ----------------------------------------


def test_a_dbt_test_s_audit_table_is_no_dataset_when_the_test_stores_no_failures(
    store: GraphStore, gql: GraphQL, client: TestClient
) -> None:
    load(store, "dbt_classic_dev_structured.jsonl")
    datasets = gql.data(SEARCH, q="jaffle_shop", kinds=["DATASET"])["search"]["nodes"]
    assert datasets and not [d for d in datasets if AUDIT in d["name"]]
    assert gql.data(SEARCH, q="dbt_test__audit", kinds=None)["search"]["nodes"] == []
    listed = get(client, f"/api/v1/namespaces/{quote(DEV, safe='')}/datasets", limit=1000)
    assert sorted(d["name"] for d in listed["datasets"]) == sorted(
        f"jaffle_shop.main.{n}"
        for n in (
            "customers",
            "orders",
            "raw_customers",
            "raw_orders",
            "raw_payments",
            "stg_customers",
            "stg_orders",
            "stg_payments",
        )
    )
    # A test reads the model it tests, and writes nothing.
    test = "test.jaffle_shop.not_null_stg_customers_customer_id.e2cfb1f9aa"
    answer = gql.data(
        'query($n: String!) { job(namespace: "dbt_classic", name: $n) '
        "{ inputs { name } outputs { name } } }",
        n=test,
    )["job"]
    assert answer == {"inputs": [{"name": "jaffle_shop.main.stg_customers"}], "outputs": []}
    downstream = gql.data(
        """{ lineage(start: {kind: DATASET, namespace: "duckdb://dev/jaffle_shop.duckdb",
                             name: "jaffle_shop.main.stg_customers"},
                     direction: DOWNSTREAM, depth: 10) { nodes { kind ... on Dataset { name } } } }"""
    )["lineage"]["nodes"]
    assert not [n for n in downstream if AUDIT in str(n.get("name"))]


def test_a_dbt_test_that_stores_its_failures_writes_its_audit_table(
    store: GraphStore, gql: GraphQL
) -> None:
    load(store, "dbt_classic_dev_structured.jsonl", "dbt_classic_dev_store_failures.jsonl")
    stored = sorted(
        d["name"]
        for d in gql.data(SEARCH, q="dbt_test__audit", kinds=["DATASET"])["search"]["nodes"]
    )
    # Only the two tests run with --store-failures created their tables.
    assert stored == [
        "jaffle_shop.main_dbt_test__audit.not_null_stg_customers_customer_id",
        "jaffle_shop.main_dbt_test__audit.unique_stg_customers_customer_id",
    ]
    audit = dataset_id(DEV, stored[0])
    [writer] = store.edges_of([audit], Direction.UPSTREAM, [EdgeKind.PRODUCES])
    assert writer.src.endswith("test.jaffle_shop.not_null_stg_customers_customer_id.e2cfb1f9aa")
    assert writer.props.get("derived_from") == "sql"
    upstream = gql.data(
        """query($name: String!) { lineage(start: {kind: DATASET,
               namespace: "duckdb://dev/jaffle_shop.duckdb", name: $name},
               direction: UPSTREAM, depth: 2) { nodes { kind ... on Dataset { name } } } }""",
        name=stored[0],
    )["lineage"]["nodes"]
    assert {"kind": "DATASET", "name": "jaffle_shop.main.stg_customers"} in upstream
