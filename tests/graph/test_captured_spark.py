"""What the OpenLineage Spark listener sent for Spark SQL, replayed: the answers must be what the
SQL means.

tests/events/data/captured/spark_sql.jsonl was captured from the listener 1.53.0 on Spark 4.3.0
running tools/spark/job.py: a jaffle_shop whose tables live in the session catalog (parquet in
a local warehouse folder). The listener names each table by its location (namespace ``file``,
``/tmp/lineage-spark-capture/warehouse/<table>``) and, in ``symlinks``, by its catalog name
(``default.<table>``); each statement is two jobs (the command, e.g.
``execute_create_data_source_table_as_select_command.default_<table>``, and the plan that
writes, ``adaptive_spark_plan.warehouse_<table>`` or
``execute_insert_into_hadoop_fs_relation_command.warehouse_<table>``); only the second carries
the ``sql`` facet and, always, a ``columnLineage`` facet computed from the plan.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from lineage.analysis.incidents import incidents_on
from lineage.graph.model import EdgeKind, NodeKind, dataset_id, field_id, job_id, run_id, split_id
from lineage.ingest import prepare, write
from lineage.store import Direction, GraphStore
from lineage.store.embedded import EmbeddedStore
from tests.conftest import graph_diff, snapshot

CAPTURED = Path(__file__).resolve().parent.parent / "events" / "data" / "captured"
JOBS = "spark_jaffle_shop"
WAREHOUSE = "/tmp/lineage-spark-capture/warehouse"
SEEDS = "/tmp/lineage-spark-capture/seeds"


def events() -> list[dict[str, Any]]:
    return [
        orjson.loads(line)
        for line in (CAPTURED / "spark_sql.jsonl").read_bytes().splitlines()
        if line
    ]


def ingest(store: GraphStore, stream: list[dict[str, Any]], batch: int = 50) -> None:
    items = [prepare(e) for e in stream]
    for i in range(0, len(items), batch):
        write(store, items[i : i + batch])


def table(name: str) -> str:
    return dataset_id("file", f"{WAREHOUSE}/{name}")


def job(name: str) -> str:
    return job_id(JOBS, f"jaffle_shop.{name}")


#: The job that ran each statement's plan, with the statement's SQL (tools/spark/job.py).
WRITER = {
    "stg_customers": "execute_insert_into_hadoop_fs_relation_command.warehouse_stg_customers",
    "stg_orders": "execute_insert_into_hadoop_fs_relation_command.warehouse_stg_orders",
    "stg_payments": "execute_insert_into_hadoop_fs_relation_command.warehouse_stg_payments",
    "customers": "adaptive_spark_plan.warehouse_customers",
    "orders": "adaptive_spark_plan.warehouse_orders",
    "customer_order_history": "adaptive_spark_plan.warehouse_customer_order_history",
    "daily_revenue": "adaptive_spark_plan.warehouse_daily_revenue",
}
#: The INSERT that failed at run time (an ANSI cast of `status` to BIGINT).
FAILED = "execute_insert_into_hadoop_fs_relation_command.warehouse_daily_revenue"

Lineage = dict[str, dict[tuple[str, str], str]]  # output column -> (table, column) -> kinds


def meaning(fields: dict[str, dict[str, str]], rows: dict[str, str]) -> Lineage:
    """Each output column's steps: its own (``"table.column": "KIND,..."``) and the rows'
    (join keys, filters, grouping), which feed every column."""
    found: Lineage = {}
    for column, own in fields.items():
        steps: dict[tuple[str, str], set[str]] = {}
        for source, kinds in [*own.items(), *rows.items()]:
            tname, cname = source.split(".")
            steps.setdefault((tname, cname), set()).update(kinds.split(","))
        found[column] = {k: ",".join(sorted(v)) for k, v in steps.items()}
    return found


IDENT, TRANSFORM, AGG = "DIRECT/IDENTITY", "DIRECT/TRANSFORMATION", "DIRECT/AGGREGATION"
WINDOW, CASE = "INDIRECT/WINDOW", "INDIRECT/CONDITIONAL"
JOIN, GROUP_BY, FILTER = "INDIRECT/JOIN", "INDIRECT/GROUP_BY", "INDIRECT/FILTER"

#: Per output table: what each column is made of, and what decides its rows, as the SQL means.
FIELDS: dict[str, dict[str, dict[str, str]]] = {
    # CTE chains that `select *` from a source and rename.
    "stg_customers": {
        "customer_id": {"raw_customers.id": IDENT},
        "first_name": {"raw_customers.first_name": IDENT},
        "last_name": {"raw_customers.last_name": IDENT},
    },
    "stg_orders": {
        "order_id": {"raw_orders.id": IDENT},
        "customer_id": {"raw_orders.user_id": IDENT},
        "order_date": {"raw_orders.order_date": IDENT},
        "status": {"raw_orders.status": IDENT},
    },
    "stg_payments": {
        "payment_id": {"raw_payments.id": IDENT},
        "order_id": {"raw_payments.order_id": IDENT},
        "payment_method": {"raw_payments.payment_method": IDENT},
        "amount": {"raw_payments.amount": TRANSFORM},
    },
    # Joins on shared key names, GROUP BY with min/max/count/sum, `select * from final`.
    "customers": {
        "customer_id": {"stg_customers.customer_id": IDENT},
        "first_name": {"stg_customers.first_name": IDENT},
        "last_name": {"stg_customers.last_name": IDENT},
        "first_order": {"stg_orders.order_date": AGG},
        "most_recent_order": {"stg_orders.order_date": AGG},
        "number_of_orders": {"stg_orders.order_id": AGG},
        "customer_lifetime_value": {"stg_payments.amount": AGG},
    },
    # sum(CASE ...) per payment method, LEFT JOIN ... USING (order_id).
    "orders": {
        "order_id": {"stg_orders.order_id": IDENT},
        "customer_id": {"stg_orders.customer_id": IDENT},
        "order_date": {"stg_orders.order_date": IDENT},
        "status": {"stg_orders.status": IDENT},
        **{
            f"{method}_amount": {"stg_payments.amount": AGG, "stg_payments.payment_method": CASE}
            for method in ("credit_card", "coupon", "bank_transfer", "gift_card")
        },
        "amount": {"stg_payments.amount": AGG},
    },
    # row_number() and a running sum over (PARTITION BY ... ORDER BY ...), WHERE.
    "customer_order_history": {
        "customer_id": {"orders.customer_id": IDENT},
        "order_id": {"orders.order_id": IDENT},
        "order_date": {"orders.order_date": IDENT},
        "order_number": {
            "orders.customer_id": WINDOW,
            "orders.order_date": WINDOW,
            "orders.order_id": WINDOW,
        },
        "running_amount": {
            "orders.amount": AGG,
            "orders.customer_id": WINDOW,
            "orders.order_date": WINDOW,
            "orders.order_id": WINDOW,
        },
    },
    # INSERT INTO daily_revenue SELECT ... without a column list: by position, so `orders`
    # fills order_count and `amount` fills revenue.
    "daily_revenue": {
        "order_date": {"stg_orders.order_date": IDENT},
        "status": {"stg_orders.status": IDENT},
        "order_count": {"stg_orders.order_id": AGG},
        "revenue": {"stg_payments.amount": AGG},
    },
}
ROWS: dict[str, dict[str, str]] = {
    "customers": {
        "stg_customers.customer_id": JOIN,
        "stg_orders.customer_id": f"{JOIN},{GROUP_BY}",
        "stg_orders.order_id": JOIN,
        "stg_payments.order_id": JOIN,
    },
    "orders": {"stg_orders.order_id": JOIN, "stg_payments.order_id": f"{JOIN},{GROUP_BY}"},
    "customer_order_history": {"orders.status": FILTER},
    "daily_revenue": {
        "stg_orders.order_id": JOIN,
        "stg_payments.order_id": JOIN,
        "stg_orders.status": f"{FILTER},{GROUP_BY}",
        "stg_orders.order_date": GROUP_BY,
    },
}
#: What the listener adds to the SQL's row dependencies: Spark's optimizer infers
#: `isnotnull(key)` filters from equi-joins (both sides of an inner join, the kept rows' side
#: of a left join into an aggregate), and the listener reads the optimized plan.
OPTIMIZER_FILTERS: dict[str, dict[str, str]] = {
    "customers": {"stg_orders.customer_id": FILTER, "stg_orders.order_id": FILTER},
    "orders": {"stg_payments.order_id": FILTER},
    "daily_revenue": {"stg_orders.order_id": FILTER, "stg_payments.order_id": FILTER},
}


def merged(*parts: dict[str, str]) -> dict[str, str]:
    found: dict[str, set[str]] = {}
    for part in parts:
        for source, kinds in part.items():
            found.setdefault(source, set()).update(kinds.split(","))
    return {k: ",".join(sorted(v)) for k, v in found.items()}


def upstream(store: GraphStore, output: str, writer: str) -> Lineage:
    """Every step into each column of ``output`` that the job ``writer`` reported or derived."""
    found: Lineage = {}
    for column in FIELDS[output]:
        steps = {}
        dst = field_id("file", f"{WAREHOUSE}/{output}", column)
        for e in store.edges_of([dst], Direction.UPSTREAM, [EdgeKind.FEEDS]):
            if e.props["job"] != job(writer):
                continue
            _, (ns, name, source) = split_id(e.src)
            assert ns == "file" and name.startswith(WAREHOUSE + "/"), e.src
            kinds = sorted(
                {
                    f"{t['type']}/{t.get('subtype')}"
                    for t in (orjson.loads(raw) for raw in e.props.get("transformations") or ())
                }
            )
            steps[(name.rsplit("/", 1)[-1], source)] = ",".join(kinds)
        found[column] = steps
    return found


@pytest.fixture
def spark(store: GraphStore) -> Iterator[GraphStore]:
    ingest(store, events())
    yield store


@pytest.mark.parametrize("output", sorted(FIELDS))
def test_every_output_column_has_the_lineage_its_sql_means(spark: GraphStore, output: str) -> None:
    # The listener's column lineage, which wins, is the SQL's meaning plus the filters Spark's
    # optimizer adds.
    want = meaning(FIELDS[output], merged(ROWS.get(output, {}), OPTIMIZER_FILTERS.get(output, {})))
    assert upstream(spark, output, WRITER[output]) == want


def test_the_failed_insert_s_lineage_is_its_own_job_s(spark: GraphStore) -> None:
    # INSERT INTO daily_revenue SELECT order_date, status, CAST(status AS BIGINT), amount FROM
    # orders: reported by the run that failed, under the job its plan gave it.
    want = meaning(
        {
            "order_date": {"orders.order_date": IDENT},
            "status": {"orders.status": IDENT},
            "order_count": {"orders.status": TRANSFORM},
            "revenue": {"orders.amount": IDENT},
        },
        {},
    )
    assert upstream(spark, "daily_revenue", FAILED) == want
    # The INSERT that succeeded has its own job; their lineage does not mix.
    assert ("orders", "status") not in upstream(spark, "daily_revenue", WRITER["daily_revenue"])[
        "order_count"
    ]


def without_column_lineage(stream: list[dict[str, Any]]) -> list[dict[str, Any]]:
    stripped = copy.deepcopy(stream)
    for event in stripped:
        for ds in event.get("outputs") or ():
            ds.get("facets", {}).pop("columnLineage", None)
    return stripped


@pytest.mark.parametrize("output", sorted(FIELDS))
def test_the_sql_alone_gives_the_same_column_lineage_on_the_listener_s_datasets(
    store: GraphStore, output: str
) -> None:
    # Without the listener's column lineage, the `sql` facet gives it: the query's tables
    # (`stg_orders`) are the event's datasets whose `symlinks` name them (`default.stg_orders`),
    # and the table a CREATE TABLE ... AS writes is its location's last segment.
    ingest(store, without_column_lineage(events()))
    assert upstream(store, output, WRITER[output]) == meaning(FIELDS[output], ROWS.get(output, {}))
    feeds = store.edges_of(
        [field_id("file", f"{WAREHOUSE}/{output}", next(iter(FIELDS[output])))],
        Direction.UPSTREAM,
        [EdgeKind.FEEDS],
    )
    assert {e.props["origin"] for e in feeds} == {"derived"}
    # No dataset is made up from a table name the query used (`file` + `stg_orders`): every
    # one is a location the listener named, or a catalog name from its symlinks.
    nodes, _ = store.export()
    for node in nodes:
        if node.kind == NodeKind.DATASET:
            ns, name = node.props["namespace"], str(node.props["name"])
            assert (ns == "file" and name.startswith("/tmp/lineage-spark-capture/")) or (
                ns == f"file:{WAREHOUSE}" and name.startswith("default.")
            ), node.id


def test_each_statement_reads_and_writes_the_warehouse_tables_it_names(spark: GraphStore) -> None:
    reads = {
        "stg_customers": {"raw_customers"},
        "stg_orders": {"raw_orders"},
        "stg_payments": {"raw_payments"},
        "customers": {"stg_customers", "stg_orders", "stg_payments"},
        "orders": {"stg_orders", "stg_payments"},
        "customer_order_history": {"orders"},
        "daily_revenue": {"stg_orders", "stg_payments"},
    }
    for output, tables in reads.items():
        inputs = spark.edges_of([job(WRITER[output])], Direction.UPSTREAM, [EdgeKind.INPUT_TO])
        assert {e.src for e in inputs} == {table(t) for t in tables}, output
        assert all(e.props["declared"] for e in inputs), output
        assert not any(e.props.get("column_usage_gap") for e in inputs), output
        writes = spark.edges_of([job(WRITER[output])], Direction.DOWNSTREAM, [EdgeKind.PRODUCES])
        assert {e.dst for e in writes} == {table(output)}, output
    # The seeds: CSV files the DataFrame reader loaded into the raw tables.
    seeded = spark.edges_of(
        [job("execute_insert_into_hadoop_fs_relation_command.warehouse_raw_orders")],
        Direction.UPSTREAM,
        [EdgeKind.INPUT_TO],
    )
    assert {e.src for e in seeded} == {dataset_id("file", f"{SEEDS}/raw_orders.csv")}
    # A table's location and its catalog name are one thing for traversal.
    aliases = spark.edges_of([table("customers")], Direction.DOWNSTREAM, [EdgeKind.ALIAS_OF])
    assert {e.dst for e in aliases} == {dataset_id(f"file:{WAREHOUSE}", "default.customers")}


def test_the_statement_that_failed_at_run_time_opens_a_run_failure_that_stays_open(
    spark: GraphStore,
) -> None:
    # The listener sends FAIL for the failed Spark job and then COMPLETE for the SQL
    # execution, under the same runId: the run stays failed, and its incident open.
    failed = [
        e
        for e in events()
        if e["job"]["name"] == f"jaffle_shop.{FAILED}" and e["eventType"] in ("FAIL", "COMPLETE")
    ]
    assert [e["eventType"] for e in failed] == ["FAIL", "COMPLETE"]
    assert len({e["run"]["runId"] for e in failed}) == 1
    rid = run_id(failed[0]["run"]["runId"])
    assert spark.get_nodes([rid])[rid].props["state"] == "FAIL"
    [incident] = [
        i
        for i in incidents_on(spark, [job(FAILED)])[job(FAILED)]
        if i.props["kind"] == "RUN_FAILURE"
    ]
    assert incident.props["status"] == "OPEN"
    # Why: the listener sends no `errorMessage`, only the stack trace in `spark.exception`.
    cause = "org.apache.spark.SparkNumberFormatException: [CAST_INVALID_INPUT] The value 'returned'"
    assert cause in incident.props["title"]
    assert str(spark.get_nodes([rid])[rid].props["error_message"]).startswith(cause)
    # No other job failed: the statement that named a missing column was rejected while Spark
    # analysed it, before anything ran, and the listener sent nothing for it.
    nodes, _ = spark.export()
    assert [n.props["subject"] for n in nodes if n.kind == NodeKind.INCIDENT] == [job(FAILED)]
    assert not [n for n in nodes if "customer_segments" in n.id]


@pytest.mark.parametrize("order", ["reversed", "shuffled"])
def test_the_spark_stream_in_any_order_builds_the_same_graph(
    store: GraphStore, tmp_path: Path, order: str
) -> None:
    stream = events()
    expected = EmbeddedStore(tmp_path / "in-order.db")
    ingest(expected, stream)
    want = snapshot(expected)
    expected.close()
    other = (
        list(reversed(stream))
        if order == "reversed"
        else random.Random(20261206).sample(stream, len(stream))
    )
    ingest(store, other, batch=7)
    assert graph_diff(without_revisions(want), without_revisions(snapshot(store))) == []


def without_revisions(picture: tuple[list[Any], list[Any]]) -> tuple[list[Any], list[Any]]:
    """A snapshot less what counts writes rather than states (an incident's ``revision``,
    and its ``number``: the order incidents were created in)."""
    nodes, edges = picture
    return [
        (i, k, {p: v for p, v in props.items() if p not in ("revision", "number")})
        for i, k, props in nodes
    ], edges
