"""What real producers sent, replayed: the answers must be what the SQL means.

The streams in tests/events/data/captured were captured from dbt-ol 1.54 on the classic
jaffle_shop project (tests/dbt_project_classic: CTEs that `select *` from refs, joins on
shared key names, `select * from final`), in its default and structured-logs modes and
against two targets, and from Airflow's SQL operator on SQLite. None of them sends column
lineage for these models (dbt-ol's parser cannot expand `select *`; Airflow's SQLite hook
gives its parser nothing to work with): everything below is read from the SQL they send.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from lineage.analysis.impact import Change, ChangeKind, impact
from lineage.analysis.refs import NodeRef
from lineage.graph.model import EdgeKind, dataset_id, field_id, job_id, split_id
from lineage.ingest import prepare, write
from lineage.store import Direction, GraphStore
from lineage.store.embedded import EmbeddedStore
from tests.conftest import graph_diff, snapshot

CAPTURED = Path(__file__).resolve().parent.parent / "events" / "data" / "captured"
DEV = "duckdb://dev/jaffle_shop.duckdb"
PROD = "duckdb://prod/jaffle_shop.duckdb"
JOBS = "dbt_classic"


def events(name: str) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in (CAPTURED / name).read_bytes().splitlines() if line]


def ingest(store: GraphStore, stream: list[dict[str, Any]], batch: int = 50) -> None:
    items = [prepare(e) for e in stream]
    for i in range(0, len(items), batch):
        write(store, items[i : i + batch])


def table(name: str, ns: str = DEV) -> str:
    return dataset_id(ns, f"jaffle_shop.main.{name}")


def column(name: str, path: str, ns: str = DEV) -> str:
    return field_id(ns, f"jaffle_shop.main.{name}", path)


def model_job(model: str) -> str:
    return job_id(JOBS, f"jaffle_shop.main.jaffle_shop.{model}.build.run")


def upstream(store: GraphStore, model: str, path: str, ns: str = DEV) -> dict[tuple[str, str], str]:
    """(table, column) -> "TYPE/SUBTYPE" of every step into one mart column."""
    found = {}
    for e in store.edges_of([column(model, path, ns)], Direction.UPSTREAM, [EdgeKind.FEEDS]):
        _, (_, name, source_path) = split_id(e.src)
        kinds = sorted(
            {
                f"{t['type']}/{t.get('subtype')}"
                for t in (orjson.loads(raw) for raw in e.props.get("transformations") or ())
            }
        )
        found[(name.rsplit(".", 1)[-1], source_path)] = ",".join(kinds)
    return found


@pytest.fixture
def dev(store: GraphStore) -> Iterator[GraphStore]:
    ingest(store, events("dbt_classic_dev.jsonl"))
    yield store


# The dataset-wide dependencies of each mart (join keys and grouping, from its SQL).
CUSTOMERS_ROWS = {
    ("stg_customers", "customer_id"): "INDIRECT/JOIN",
    ("stg_orders", "customer_id"): "INDIRECT/GROUP_BY,INDIRECT/JOIN",
    ("stg_orders", "order_id"): "INDIRECT/JOIN",
    ("stg_payments", "order_id"): "INDIRECT/JOIN",
}
ORDERS_ROWS = {
    ("stg_orders", "order_id"): "INDIRECT/JOIN",
    ("stg_payments", "order_id"): "INDIRECT/GROUP_BY,INDIRECT/JOIN",
}


def with_rows(rows: dict[tuple[str, str], str], **direct: str) -> dict[tuple[str, str], str]:
    found = dict(rows)
    for key, kind in direct.items():
        source = tuple(key.split("__"))
        assert len(source) == 2
        pair = (source[0], source[1])
        found[pair] = ",".join(sorted({*found.get(pair, "").split(","), kind} - {""}))
    return found


def test_every_customers_column_has_exactly_the_lineage_its_sql_means(dev: GraphStore) -> None:
    expected = {
        "customer_id": with_rows(CUSTOMERS_ROWS, stg_customers__customer_id="DIRECT/IDENTITY"),
        "first_name": with_rows(CUSTOMERS_ROWS, stg_customers__first_name="DIRECT/IDENTITY"),
        "last_name": with_rows(CUSTOMERS_ROWS, stg_customers__last_name="DIRECT/IDENTITY"),
        "first_order": with_rows(CUSTOMERS_ROWS, stg_orders__order_date="DIRECT/AGGREGATION"),
        "most_recent_order": with_rows(CUSTOMERS_ROWS, stg_orders__order_date="DIRECT/AGGREGATION"),
        "number_of_orders": with_rows(CUSTOMERS_ROWS, stg_orders__order_id="DIRECT/AGGREGATION"),
        "customer_lifetime_value": with_rows(CUSTOMERS_ROWS, stg_payments__amount="DIRECT/AGGREGATION"),
    }
    for path, want in expected.items():
        assert upstream(dev, "customers", path) == want, path


def test_every_orders_column_has_exactly_the_lineage_its_sql_means(dev: GraphStore) -> None:
    amounts = {
        f"{method}_amount": with_rows(
            ORDERS_ROWS,
            stg_payments__amount="DIRECT/AGGREGATION",
            stg_payments__payment_method="INDIRECT/CONDITIONAL",
        )
        for method in ("credit_card", "coupon", "bank_transfer", "gift_card")
    }
    expected = {
        "order_id": with_rows(ORDERS_ROWS, stg_orders__order_id="DIRECT/IDENTITY"),
        "customer_id": with_rows(ORDERS_ROWS, stg_orders__customer_id="DIRECT/IDENTITY"),
        "order_date": with_rows(ORDERS_ROWS, stg_orders__order_date="DIRECT/IDENTITY"),
        "status": with_rows(ORDERS_ROWS, stg_orders__status="DIRECT/IDENTITY"),
        "amount": with_rows(ORDERS_ROWS, stg_payments__amount="DIRECT/AGGREGATION"),
        **amounts,
    }
    for path, want in expected.items():
        assert upstream(dev, "orders", path) == want, path


def test_staging_columns_reach_the_seeds_through_the_select_star_ctes(dev: GraphStore) -> None:
    assert upstream(dev, "stg_orders", "customer_id") == {("raw_orders", "user_id"): "DIRECT/IDENTITY"}
    assert upstream(dev, "stg_payments", "amount") == {("raw_payments", "amount"): "DIRECT/TRANSFORMATION"}
    # The seeds are inputs of the staging jobs because their SQL reads them.
    inputs = dev.edges_of([model_job("stg_orders")], Direction.UPSTREAM, [EdgeKind.INPUT_TO])
    assert [(e.src, e.props["derived_from"]) for e in inputs] == [(table("raw_orders"), "sql")]
    # Every step was read from the SQL: dbt-ol reported none.
    feeds = dev.edges_of([column("customers", "customer_id")], Direction.UPSTREAM, [EdgeKind.FEEDS])
    assert {e.props["origin"] for e in feeds} == {"derived"}


def test_structured_logs_mode_gives_each_model_job_the_same_column_lineage(
    store: GraphStore,
) -> None:
    # The SQL comes only on `<model>.sql.N` child runs, which name no dataset; it belongs to
    # the model's own job, into the datasets the model's run names.
    ingest(store, events("dbt_classic_dev_structured.jsonl"))
    expected = {
        ("customers", "customer_id"): with_rows(CUSTOMERS_ROWS, stg_customers__customer_id="DIRECT/IDENTITY"),
        ("customers", "number_of_orders"): with_rows(CUSTOMERS_ROWS, stg_orders__order_id="DIRECT/AGGREGATION"),
        ("orders", "amount"): with_rows(ORDERS_ROWS, stg_payments__amount="DIRECT/AGGREGATION"),
        ("stg_orders", "customer_id"): {("raw_orders", "user_id"): "DIRECT/IDENTITY"},
    }
    for (model, path), want in expected.items():
        assert upstream(store, model, path) == want, (model, path)
    feeds = store.edges_of([column("customers", "customer_id")], Direction.UPSTREAM, [EdgeKind.FEEDS])
    assert {e.props["job"] for e in feeds} == {job_id(JOBS, "model.jaffle_shop.customers")}
    # dbt builds the model as customers__dbt_tmp and renames it: that relation is the model.
    assert not store.get_nodes([table("customers__dbt_tmp")])


def test_airflow_sql_on_sqlite_gets_column_lineage_from_its_sql_alone(store: GraphStore) -> None:
    ingest(store, events("airflow_sqlite_sql.jsonl"))
    check_airflow_sql_lineage(store)


def check_airflow_sql_lineage(store: GraphStore) -> None:
    """What the SQL of tests/airflow_dags/jaffle_shop_sqlite.py means, column by column."""
    ns = "airflow_sqlite"  # no event names the database: the tables take the job namespace
    revenue = field_id(ns, "customer_revenue", "lifetime_value")
    feeds = {
        (split_id(e.src)[1][1], split_id(e.src)[1][2], e.props.get("type"), e.props.get("subtype"))
        for e in store.edges_of([revenue], Direction.UPSTREAM, [EdgeKind.FEEDS])
        if e.props["job"] == job_id("airflow_sqlite", "jaffle_shop_sqlite.customer_revenue")
    }
    assert ("payments", "amount", "DIRECT", "AGGREGATION") in feeds
    assert ("orders", "status", "INDIRECT", "FILTER") in feeds
    assert ("orders", "customer_id", "INDIRECT", "JOIN") in feeds
    assert ("customers", "customer_id", "INDIRECT", "GROUP_BY") in feeds
    daily = field_id(ns, "daily_revenue", "revenue")
    assert ("payments", "amount", "DIRECT", "AGGREGATION") in {
        (split_id(e.src)[1][1], split_id(e.src)[1][2], e.props.get("type"), e.props.get("subtype"))
        for e in store.edges_of([daily], Direction.UPSTREAM, [EdgeKind.FEEDS])
    }
    writes = store.edges_of(
        [job_id("airflow_sqlite", "jaffle_shop_sqlite.customer_revenue")], Direction.DOWNSTREAM, [EdgeKind.PRODUCES]
    )
    assert dataset_id(ns, "customer_revenue") in {e.dst for e in writes}


def picture(store: GraphStore) -> tuple[list[Any], list[Any]]:
    """The whole graph, less what counts writes rather than states (an incident's
    ``revision`` counts how often it was recomputed, its ``number`` in which order incidents
    were created)."""
    nodes, edges = snapshot(store)
    kept = [(i, k, {p: v for p, v in props.items() if p not in ("revision", "number")}) for i, k, props in nodes]
    return kept, edges


def verdicts(store: GraphStore, model: str, change: Change) -> dict[str, str]:
    report = impact(store, NodeRef(namespace=DEV, name=f"jaffle_shop.main.{model}"), [change])
    return {item.node.id: item.severity.value for c in report.changes for item in c.items}


@pytest.mark.parametrize(
    ("model", "change", "breaks"),
    [
        (
            "stg_customers",
            Change(ChangeKind.DROP_FIELD, "customer_id"),
            [column("customers", "customer_id"), model_job("customers")],
        ),
        (
            "stg_customers",
            Change(ChangeKind.RENAME_FIELD, "customer_id", new_name="id"),
            [column("customers", "customer_id"), model_job("customers")],
        ),
        (
            "stg_orders",
            Change(ChangeKind.DROP_FIELD, "order_id"),
            [
                column("customers", "number_of_orders"),
                column("orders", "order_id"),
                model_job("customers"),
                model_job("orders"),
            ],
        ),
        (
            "stg_orders",
            Change(ChangeKind.DROP_FIELD, "customer_id"),
            [column("orders", "customer_id"), model_job("customers"), model_job("orders")],
        ),
    ],
)
def test_dropping_or_renaming_a_key_the_marts_select_and_join_on_breaks_them(
    dev: GraphStore, model: str, change: Change, breaks: list[str]
) -> None:
    found = verdicts(dev, model, change)
    for nid in breaks:
        assert found.get(nid) == "BREAKING", (nid, found.get(nid))


def test_a_column_only_grouped_on_is_likely_not_breaking_when_retyped(dev: GraphStore) -> None:
    found = verdicts(dev, "stg_orders", Change(ChangeKind.CHANGE_TYPE, "customer_id", new_type="VARCHAR"))
    # customers groups and joins on it; orders copies it.
    assert found[model_job("customers")] == "LIKELY"
    assert found[column("customers", "number_of_orders")] == "LIKELY"
    assert found[column("orders", "customer_id")] == "BREAKING"


def test_a_second_target_keeps_the_first_targets_lineage(store: GraphStore) -> None:
    ingest(store, events("dbt_classic_prod.jsonl"))
    ingest(store, events("dbt_classic_dev.jsonl"))
    for ns in (DEV, PROD):
        readers = store.edges_of([model_job("customers")], Direction.UPSTREAM, [EdgeKind.INPUT_TO])
        valid = {e.src for e in readers if e.props.get("until") is None}
        assert {table(t, ns) for t in ("stg_customers", "stg_orders", "stg_payments")} <= valid, ns
        writes = store.edges_of([model_job("customers")], Direction.DOWNSTREAM, [EdgeKind.PRODUCES])
        assert table("customers", ns) in {e.dst for e in writes if e.props.get("until") is None}, ns
        assert upstream(store, "customers", "customer_id", ns)[("stg_customers", "customer_id")]


@pytest.mark.parametrize("first", ["dbt_classic_dev.jsonl", "dbt_classic_prod.jsonl"])
def test_two_targets_keep_every_job_level_edge_of_both_valid(store: GraphStore, first: str) -> None:
    # The same jobs (models and their tests) ran once against each target: nothing closes,
    # whichever target ran last.
    second = "dbt_classic_prod.jsonl" if first == "dbt_classic_dev.jsonl" else "dbt_classic_dev.jsonl"
    ingest(store, events(first))
    ingest(store, events(second))
    _, edges = store.export()
    projection = [e for e in edges if e.kind in (EdgeKind.INPUT_TO, EdgeKind.PRODUCES)]
    closed = sorted((e.src, e.dst) for e in projection if e.props.get("until") is not None)
    assert closed == []
    datasets = {e.src if e.kind is EdgeKind.INPUT_TO else e.dst for e in projection}
    tests = {e.dst for e in projection if e.kind is EdgeKind.INPUT_TO and e.dst.endswith(".build.test")}
    assert tests, "the dbt tests read the tables they test"
    for ns in (DEV, PROD):
        assert {table(t, ns) for t in ("stg_customers", "customers", "orders")} <= datasets, ns


@pytest.mark.parametrize("order", ["reversed", "shuffled", "one_by_one"])
def test_the_captured_streams_in_any_order_and_batch_size_build_the_same_graph(
    store: GraphStore, tmp_path: Path, order: str
) -> None:
    # Passing runs, then failing ones (a model that fails to build, a failing test, a task
    # whose SQL names a missing table): incidents open and resolve along the way.
    stream = [
        *events("dbt_classic_dev.jsonl"),
        *events("dbt_classic_prod.jsonl"),
        *events("dbt_classic_dev_structured.jsonl"),
        *events("dbt_classic_dev_failures.jsonl"),
        *events("airflow_sqlite_sql.jsonl"),
        *events("airflow_sqlite_sql_failure.jsonl"),
    ]
    # The picture to match: the embedded store, fed in the order the producers sent.
    expected = EmbeddedStore(tmp_path / "in-order.db")
    ingest(expected, stream)
    want = picture(expected)
    expected.close()
    other = list(stream)
    batch = 7
    if order == "reversed":
        other.reverse()
    elif order == "shuffled":
        random.Random(20261206).shuffle(other)
    else:
        batch = 1
    ingest(store, other, batch=batch)
    got = picture(store)
    assert graph_diff(want, got) == []
    incidents = [n for n in got[0] if n[1] == "INCIDENT"]
    assert incidents, "the failing runs and tests open incidents"
