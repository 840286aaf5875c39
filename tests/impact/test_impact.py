"""Impact analysis: what a schema change breaks downstream, on real event sequences."""

from __future__ import annotations

from typing import Any

import pytest

from lineage.analysis import InvalidArgument, NodeRef, NotFound
from lineage.analysis.impact import (
    Category,
    Change,
    ChangeKind,
    FieldSpec,
    ImpactReport,
    Severity,
    impact,
    schema_changes,
)
from lineage.graph.model import dataset_id, field_id, job_id
from lineage.store import GraphStore
from tests.conftest import feed
from tests.factories import column_lineage, dataset, pipeline_run, schema
from tests.impact import graphs
from tests.impact.graphs import ML, NS

RAW = NodeRef(namespace=NS, name="raw.orders")


def items(report: ImpactReport, change: int = 0) -> dict[str, tuple[str, int]]:
    """Every item of one change: node id -> (class, distance)."""
    return {i.node.id: (i.severity.value, i.distance) for i in report.changes[change].items}


def item(report: ImpactReport, nid: str, change: int = 0) -> Any:
    return next(i for i in report.changes[change].items if i.node.id == nid)


def drop(field: str) -> list[Change]:
    return [Change(ChangeKind.DROP_FIELD, field)]


def test_dropping_a_column_read_directly_downstream_is_breaking_with_owners(
    store: GraphStore,
) -> None:
    graphs.shop(store)
    report = impact(store, RAW, drop("amount"))
    found = items(report)
    assert found[field_id(NS, "stg.orders", "amount")] == ("BREAKING", 1)
    assert found[job_id("etl", "stage_orders")] == ("BREAKING", 1)
    assert found[dataset_id(NS, "stg.orders")] == ("BREAKING", 1)
    # Columns that do not take their value from amount are not touched.
    assert field_id(NS, "stg.orders", "id") not in found
    assert field_id(NS, "mart.revenue", "status") not in found
    staged = item(report, field_id(NS, "stg.orders", "amount"))
    assert [o.name for o in staged.owners] == ["staging"]
    assert "raw.orders.amount" in staged.reason and "dropped" in staged.reason
    assert [(s.kind, s.source, s.target) for s in staged.chain] == [
        ("FEEDS", field_id(NS, "raw.orders", "amount"), field_id(NS, "stg.orders", "amount"))
    ]
    assert report.breaking and report.changes[0].breaking
    notify = {(n.name, n.severity.value) for n in report.owners}
    assert {("staging", "BREAKING"), ("analytics", "BREAKING"), ("finance", "BREAKING")} <= notify


def test_a_breaking_change_follows_direct_column_lineage_three_hops(store: GraphStore) -> None:
    graphs.shop(store)
    report = impact(store, RAW, drop("amount"))
    found = items(report)
    assert found[field_id(NS, "mart.revenue", "total")] == ("BREAKING", 2)
    assert found[job_id("etl", "build_revenue")] == ("BREAKING", 2)
    assert found[field_id(NS, "report.kpis", "revenue")] == ("BREAKING", 3)
    assert found[job_id("etl", "build_kpis")] == ("BREAKING", 3)
    revenue = item(report, field_id(NS, "report.kpis", "revenue"))
    assert [s.target for s in revenue.chain] == [
        field_id(NS, "stg.orders", "amount"),
        field_id(NS, "mart.revenue", "total"),
        field_id(NS, "report.kpis", "revenue"),
    ]
    assert [s.props["subtype"] for s in revenue.chain] == ["IDENTITY", "AGGREGATION", "IDENTITY"]
    assert [d for d, _ in report.changes[0].by_distance()] == [1, 2, 3, 4]
    # Limited to two jobs away, the third hop is left out (that is a limit, not truncation).
    near = impact(store, RAW, drop("amount"), max_depth=2)
    assert field_id(NS, "report.kpis", "revenue") not in items(near)
    assert not near.truncated


def test_dropping_a_join_key_breaks_the_job_that_joins_on_it_and_its_rows_are_likely_hurt(
    store: GraphStore,
) -> None:
    graphs.shop(store)
    report = impact(store, RAW, drop("customer_id"))  # the join key of stage_orders
    found = items(report)
    for column in ("id", "amount", "status"):
        assert found[field_id(NS, "stg.orders", column)] == ("LIKELY", 1)
    # The job's query names the column: without it, the query fails.
    assert found[job_id("etl", "stage_orders")] == ("BREAKING", 1)
    assert "fails" in item(report, job_id("etl", "stage_orders")).reason
    # DIRECT steps after an INDIRECT one do not make it surer.
    assert found[field_id(NS, "report.kpis", "revenue")] == ("LIKELY", 3)
    assert "JOIN" in item(report, field_id(NS, "stg.orders", "id")).reason
    assert report.breaking


def test_retyping_a_join_key_is_likely_for_the_job_that_joins_on_it(store: GraphStore) -> None:
    graphs.shop(store)
    report = impact(store, RAW, [Change(ChangeKind.CHANGE_TYPE, "customer_id", new_type="VARCHAR")])
    found = items(report)
    assert found[job_id("etl", "stage_orders")] == ("LIKELY", 1)
    assert not report.breaking


def test_retyping_a_column_to_the_type_it_has_changes_nothing(store: GraphStore) -> None:
    graphs.shop(store)
    report = impact(store, RAW, [Change(ChangeKind.CHANGE_TYPE, "status", new_type=" varchar ")])
    assert report.changes[0].items == []
    assert report.changes[0].note == "column status is already VARCHAR: nothing changes"
    assert not report.breaking and report.summary.breaking == 0


def test_a_direct_and_an_indirect_way_keep_the_surest(store: GraphStore) -> None:
    graphs.shop(store)
    report = impact(store, RAW, [Change(ChangeKind.CHANGE_TYPE, "status", new_type="INT")])
    found = items(report)
    assert found[field_id(NS, "mart.revenue", "status")] == ("BREAKING", 2)
    assert found[field_id(NS, "mart.revenue", "total")] == ("LIKELY", 2)  # GROUP BY status
    assert report.changes[0].change.old_type == "VARCHAR"
    assert "VARCHAR to INT" in item(report, field_id(NS, "stg.orders", "status")).reason


def test_a_select_star_consumer_without_column_lineage_is_possible(store: GraphStore) -> None:
    graphs.shop(store)
    report = impact(store, RAW, drop("amount"))
    found = items(report)
    assert found[job_id("etl", "export_orders")] == ("POSSIBLE", 1)
    assert found[dataset_id(NS, "lake.orders_copy")] == ("POSSIBLE", 1)
    export = item(report, job_id("etl", "export_orders"))
    assert export.uncertain
    assert "no column lineage" in export.reason and "unknown" in export.reason


def test_a_model_and_its_endpoint_are_reached_through_training_and_deployment(
    store: GraphStore,
) -> None:
    graphs.shop(store)
    report = impact(store, RAW, drop("amount"))
    found = items(report)
    # The training job reads mart.revenue without column lineage: uncertain from there on.
    assert found[job_id("ml", "train_churn")] == ("POSSIBLE", 3)
    assert found[dataset_id(ML, "models.churn")] == ("POSSIBLE", 3)
    assert found[job_id("ml", "deploy_churn")] == ("POSSIBLE", 4)
    assert found[dataset_id(ML, "endpoints.churn")] == ("POSSIBLE", 4)
    categories = {i.node.id: i.category for i in report.changes[0].items}
    assert categories[dataset_id(ML, "models.churn")] is Category.MODEL
    assert categories[dataset_id(ML, "endpoints.churn")] is Category.ENDPOINT
    assert categories[job_id("ml", "deploy_churn")] is Category.DEPLOYMENT
    summary = report.summary
    assert (summary.models, summary.endpoints, summary.deployments) == (1, 1, 1)
    assert (summary.breaking, summary.likely, summary.possible) == (9, 0, 6)
    # Dropping the whole dataset breaks all of it, the model and endpoint included.
    dropped = impact(store, RAW, [Change(ChangeKind.DROP_DATASET)])
    everything = items(dropped)
    assert everything[dataset_id(ML, "models.churn")] == ("BREAKING", 3)
    assert everything[dataset_id(ML, "endpoints.churn")] == ("BREAKING", 4)
    assert everything[job_id("etl", "export_orders")] == ("BREAKING", 1)
    assert {s for s, _ in everything.values()} == {"BREAKING"}
    owners = {n.name for n in dropped.owners}
    assert {"ml", "serving", "exports", "trainers"} <= owners  # trainers own the job


def test_adding_a_nullable_column_breaks_nothing(store: GraphStore) -> None:
    graphs.shop(store)
    report = impact(store, RAW, [Change(ChangeKind.ADD_FIELD, "coupon", new_type="VARCHAR")])
    assert report.changes[0].items == []
    assert not report.breaking
    assert "nullable" in (report.changes[0].note or "")


def test_adding_a_non_nullable_column_makes_its_writers_likely_to_fail(store: GraphStore) -> None:
    graphs.shop(store)
    change = Change(ChangeKind.ADD_FIELD, "region", new_type="VARCHAR", nullable=False)
    report = impact(store, RAW, [change])
    assert items(report) == {job_id("etl", "load_orders"): ("LIKELY", 0)}
    assert not report.breaking


def test_a_proposed_schema_is_diffed_into_changes(store: GraphStore) -> None:
    graphs.shop(store)
    proposed = [
        FieldSpec("order_id", "INT", renamed_from="id"),
        FieldSpec("amount", "BIGINT"),
        FieldSpec("status", "varchar"),  # same type, other case
        FieldSpec("note", "VARCHAR"),  # nullable: harmless
    ]  # customer_id is dropped
    report = impact(store, RAW, proposed_schema=proposed)
    kinds = [(c.change.kind.value, c.change.field) for c in report.changes]
    assert kinds == [
        ("DROP_FIELD", "customer_id"),
        ("RENAME_FIELD", "id"),
        ("CHANGE_TYPE", "amount"),
        ("ADD_FIELD", "note"),
    ]
    assert items(report, 1)[field_id(NS, "stg.orders", "id")] == ("BREAKING", 1)
    assert report.changes[2].change.old_type == "INT"
    assert report.changes[3].items == []
    unchanged = [FieldSpec(n, t) for n, t in (("id", "INT"), ("amount", "INT"),
                                              ("status", "VARCHAR"), ("customer_id", "INT"))]  # fmt: skip
    assert impact(store, RAW, proposed_schema=unchanged).changes == []


def test_schema_changes_drop_nested_columns_with_their_parent() -> None:
    current = [
        {"name": "id", "type": "INT"},
        {"name": "address", "type": "STRUCT", "fields": [{"name": "city", "type": "VARCHAR"}]},
    ]
    changes = schema_changes(current, [FieldSpec("id", "INT")])
    assert changes == [Change(ChangeKind.DROP_FIELD, "address", old_type="STRUCT")]


def test_dropping_a_struct_follows_its_nested_columns(store: GraphStore) -> None:
    nested = {"schema": schema()["schema"] | {"fields": [
        {"name": "address", "type": "STRUCT", "fields": [{"name": "city", "type": "VARCHAR"}]}
    ]}}  # fmt: skip
    out = dataset(NS, "cities", c=column_lineage({"city": [(NS, "customers", "address.city")]}))
    feed(
        store,
        pipeline_run(("etl", "cities"), [dataset(NS, "customers", s=nested)], [out], start=0),
    )
    report = impact(store, NodeRef(namespace=NS, name="customers"), drop("address"))
    assert items(report)[field_id(NS, "cities", "city")] == ("BREAKING", 1)


def test_renaming_the_dataset_breaks_every_reader(store: GraphStore) -> None:
    graphs.shop(store)
    report = impact(store, RAW, [Change(ChangeKind.RENAME_DATASET, new_name="raw.orders_v2")])
    export = item(report, job_id("etl", "export_orders"))
    assert export.severity is Severity.BREAKING
    assert "renamed to raw.orders_v2" in export.reason


def test_the_node_budget_truncates_the_report(store: GraphStore) -> None:
    graphs.shop(store)
    report = impact(store, RAW, drop("amount"), node_budget=4)
    assert report.truncated
    assert len(items(report)) < 15


def test_bad_changes_are_refused_with_what_to_fix(store: GraphStore) -> None:
    graphs.shop(store)
    with pytest.raises(InvalidArgument, match=r"no column 'amout'.*amount"):
        impact(store, RAW, drop("amout"))
    with pytest.raises(InvalidArgument, match="already has a column 'status'"):
        impact(store, RAW, [Change(ChangeKind.RENAME_FIELD, "id", new_name="status")])
    with pytest.raises(InvalidArgument, match="needs the new type"):
        impact(store, RAW, [Change(ChangeKind.CHANGE_TYPE, "id")])
    with pytest.raises(InvalidArgument, match="not both or neither"):
        impact(store, RAW)
    with pytest.raises(InvalidArgument, match="renamed from 'nope'"):
        impact(store, RAW, proposed_schema=[FieldSpec("x", renamed_from="nope")])
    with pytest.raises(InvalidArgument, match="no known schema"):
        impact(store, NodeRef(namespace=NS, name="lake.orders_copy"), proposed_schema=[])
    with pytest.raises(NotFound, match=r"raw\.order"):
        impact(store, NodeRef(namespace=NS, name="raw.order"), drop("id"))


def test_a_symlinked_table_is_the_same_data_as_the_file_it_names(store: GraphStore) -> None:
    from tests.analysis.graphs import HIVE, S3, symlinked_file_and_table

    symlinked_file_and_table(store)  # Spark writes the file; SQL reads the table
    report = impact(store, NodeRef(namespace=S3, name="/warehouse/orders"), drop("amount"))
    found = items(report)
    assert found[field_id(HIVE, "sales.revenue", "revenue")] == ("BREAKING", 1)
    assert found[job_id("warehouse", "daily_revenue")] == ("BREAKING", 1)
    assert dataset_id(HIVE, "sales.orders") not in found  # the changed data itself
