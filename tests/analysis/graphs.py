"""Small lineage graphs built from real events, shared by the analysis and GraphQL tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lineage.store import GraphStore
from tests.conftest import feed
from tests.factories import (
    at,
    column_lineage,
    dataset,
    facet,
    new_run_id,
    pipeline_run,
    run_event,
    schema,
)

NS = "postgres://warehouse:5432"
S3 = "s3://lake"
HIVE = "hive://metastore"


def ts(minutes: float) -> float:
    return datetime.fromisoformat(at(minutes)).timestamp()


def chain(store: GraphStore) -> None:
    """raw.orders -> etl.stage_orders -> stg.orders -> etl.build_mart -> mart.orders."""
    feed(
        store,
        pipeline_run(
            ("etl", "stage_orders"),
            [dataset(NS, "raw.orders", s=schema("id", "amount", "status"))],
            [dataset(NS, "stg.orders", s=schema("id", "amount", "status"))],
            start=0,
        )
        + pipeline_run(
            ("etl", "build_mart"),
            [dataset(NS, "stg.orders")],
            [dataset(NS, "mart.orders", s=schema("id", "total"))],
            start=5,
        ),
    )


def job_drops_an_input(store: GraphStore) -> None:
    """etl.build_report reads raw.orders and raw.legacy until minute 10, then raw.orders only."""
    job = ("etl", "build_report")
    feed(
        store,
        pipeline_run(
            job, [dataset(NS, "raw.orders"), dataset(NS, "raw.legacy")], [dataset(NS, "report")],
            start=0,
        )
        + pipeline_run(job, [dataset(NS, "raw.orders")], [dataset(NS, "report")], start=10),
    )  # fmt: skip


def symlinked_file_and_table(store: GraphStore) -> None:
    """A Spark job writes a file that is also a warehouse table; a SQL job reads the table."""
    links = {
        "symlinks": facet(
            "SymlinksDatasetFacet",
            identifiers=[{"namespace": HIVE, "name": "sales.orders", "type": "TABLE"}],
        )
    }
    feed(
        store,
        pipeline_run(
            ("spark", "ingest_orders"),
            [dataset(S3, "/landing/orders.json")],
            [dataset(S3, "/warehouse/orders", l=links, s=schema("id", "amount"))],
            start=0,
        )
        + pipeline_run(
            ("warehouse", "daily_revenue"),
            [dataset(HIVE, "sales.orders", s=schema("id", "amount"))],
            [
                dataset(
                    HIVE,
                    "sales.revenue",
                    c=column_lineage({"revenue": [(HIVE, "sales.orders", "amount")]}),
                )
            ],
            start=5,
        ),
    )


def column_lineage_with_a_filter(store: GraphStore) -> None:
    """mart.customers: customer_id <- stg.customers.id, total <- SUM(stg.orders.amount),
    every column filtered by stg.orders.status (a dataset-wide INDIRECT dependency)."""
    out = dataset(
        NS,
        "mart.customers",
        s=schema("customer_id", "total"),
        c=column_lineage(
            {
                "customer_id": [(NS, "stg.customers", "id")],
                "total": [(NS, "stg.orders", "amount", "DIRECT", "AGGREGATION")],
            },
            dataset=[(NS, "stg.orders", "status", "INDIRECT", "FILTER")],
        ),
    )
    feed(
        store,
        pipeline_run(
            ("etl", "build_customers"),
            [
                dataset(NS, "stg.customers", s=schema("id", "name")),
                dataset(NS, "stg.orders", s=schema("amount", "status")),
            ],
            [out],
            start=0,
        ),
    )


def writes_and_reads(store: GraphStore) -> dict[str, str]:
    """load_a writes a; two runs of build_b each read the version of a current then.

    Returns the run ids by name: a1 (minute 0), a2 (minute 10) write a; b1 (minute 5)
    and b2 (minute 15) read it and write b.
    """
    runs = {name: new_run_id(f"writes-and-reads-{name}") for name in ("a1", "a2", "b1", "b2")}
    events: list[dict[str, Any]] = []
    for name, minute in (("a1", 0), ("a2", 10)):
        events += pipeline_run(
            ("etl", "load_a"), [], [dataset(NS, "a", s=schema("x"))], start=minute,
            seed=f"writes-and-reads-{name}",
        )  # fmt: skip
    for name, minute in (("b1", 5), ("b2", 15)):
        events += pipeline_run(
            ("etl", "build_b"), [dataset(NS, "a")], [dataset(NS, "b")], start=minute,
            seed=f"writes-and-reads-{name}",
        )  # fmt: skip
    feed(store, events)
    return runs


def diamond(store: GraphStore) -> None:
    """a feeds b (left) and c (right); b and c feed d (join)."""
    feed(
        store,
        pipeline_run(("etl", "left"), [dataset(NS, "a")], [dataset(NS, "b")], start=0)
        + pipeline_run(("etl", "right"), [dataset(NS, "a")], [dataset(NS, "c")], start=0)
        + pipeline_run(
            ("etl", "join"), [dataset(NS, "b"), dataset(NS, "c")], [dataset(NS, "d")], start=5
        ),
    )


def fan_out(store: GraphStore, width: int, prefix: str = "") -> None:
    """One job ({prefix}split) reads {prefix}src and writes {prefix}out0 .. out{width-1}."""
    feed(
        store,
        pipeline_run(
            ("etl", f"{prefix}split"),
            [dataset(NS, f"{prefix}src")],
            [dataset(NS, f"{prefix}out{i}", s=schema("x")) for i in range(width)],
            start=0,
        ),
    )


def evolving(store: GraphStore) -> None:
    """load_a changes its SQL and a's schema at minute 10; build_b stops reading old then.

    Minute 0: load_a (SELECT x) writes a(x INT); minute 1: build_b reads a and old, writes b.
    Minute 10: load_a (SELECT x, y) writes a(x BIGINT, y VARCHAR); minute 11: build_b
    reads a only.
    """
    events: list[dict[str, Any]] = []
    for minute, query, columns in (
        (0, "SELECT x FROM src", [("x", "INT")]),
        (10, "SELECT x, y FROM src", [("x", "BIGINT"), ("y", "VARCHAR")]),
    ):
        rid = new_run_id(f"evolving-load-{minute}")
        sql = {"sql": facet("SQLJobFacet", query=query)}
        out = [dataset(NS, "a", s=schema(*columns))]
        events += [
            run_event("START", rid, ("etl", "load_a"), time=minute, outputs=out, job_facets=sql),
            run_event("COMPLETE", rid, ("etl", "load_a"), time=minute + 0.5, outputs=out, job_facets=sql),
        ]
    events += pipeline_run(
        ("etl", "build_b"), [dataset(NS, "a"), dataset(NS, "old")], [dataset(NS, "b")], start=1
    )
    events += pipeline_run(("etl", "build_b"), [dataset(NS, "a")], [dataset(NS, "b")], start=11)
    feed(store, events)
