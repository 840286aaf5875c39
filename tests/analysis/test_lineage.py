"""Lineage answers at dataset, column and run level, at any time, within a budget."""

from __future__ import annotations

import time
from typing import Any

import pytest

from lineage.analysis import (
    FLOWS_TO,
    Granularity,
    InvalidArgument,
    NodeRef,
    NotFound,
    Timeout,
    lineage,
    paths,
)
from lineage.graph.model import NodeKind, dataset_id, field_id, job_id, run_id, version_id
from lineage.store import Direction, GraphStore
from tests.analysis import graphs
from tests.analysis.graphs import HIVE, NS, S3, ts


def names(graph: Any) -> set[str]:
    return {n.props.get("name") or n.props.get("path") or n.id for n in graph.nodes.values()}


def hops(graph: Any) -> set[tuple[str, str, str]]:
    return {(e.kind, e.source, e.target) for e in graph.edges}


# -- dataset granularity ---------------------------------------------------------------


def test_upstream_of_a_dataset_lists_the_datasets_and_jobs_that_feed_it(store: GraphStore) -> None:
    graphs.chain(store)
    graph = lineage(store, NodeRef(namespace=NS, name="mart.orders"), Direction.UPSTREAM, depth=4)
    assert names(graph) == {"mart.orders", "build_mart", "stg.orders", "stage_orders", "raw.orders"}
    assert ("PRODUCES", job_id("etl", "build_mart"), dataset_id(NS, "mart.orders")) in hops(graph)
    assert ("INPUT_TO", dataset_id(NS, "raw.orders"), job_id("etl", "stage_orders")) in hops(graph)
    assert graph.depths[dataset_id(NS, "raw.orders")] == 4
    assert not graph.truncated


def test_downstream_follows_the_data_and_depth_counts_edges(store: GraphStore) -> None:
    graphs.chain(store)
    graph = lineage(store, dataset_id(NS, "raw.orders"), Direction.DOWNSTREAM, depth=2)
    assert names(graph) == {"raw.orders", "stage_orders", "stg.orders"}
    assert not graph.truncated  # depth is what was asked for, not a budget running out


def test_both_directions_is_upstream_plus_downstream_without_siblings(store: GraphStore) -> None:
    graphs.diamond(store)
    graph = lineage(store, dataset_id(NS, "b"), Direction.BOTH, depth=2)
    assert names(graph) == {"a", "left", "b", "join", "d"}  # not c, b's sibling


def test_a_symlinked_file_and_its_table_are_one_node(store: GraphStore) -> None:
    graphs.symlinked_file_and_table(store)
    graph = lineage(store, NodeRef(namespace=HIVE, name="sales.revenue"), depth=6)
    table = dataset_id(HIVE, "sales.orders")
    assert table in graph.nodes and dataset_id(S3, "/warehouse/orders") not in graph.nodes
    assert graph.aliases[table] == [dataset_id(S3, "/warehouse/orders")]
    assert graph.canonical[dataset_id(S3, "/warehouse/orders")] == table
    assert ("PRODUCES", job_id("spark", "ingest_orders"), table) in hops(graph)
    assert dataset_id(S3, "/landing/orders.json") in graph.nodes


def test_starting_from_the_file_path_shows_the_file_path(store: GraphStore) -> None:
    graphs.symlinked_file_and_table(store)
    graph = lineage(store, dataset_id(S3, "/warehouse/orders"), Direction.DOWNSTREAM, depth=2)
    assert graph.starts == [dataset_id(S3, "/warehouse/orders")]
    assert job_id("warehouse", "daily_revenue") in graph.nodes


def test_as_of_before_a_job_stopped_reading_a_dataset_still_shows_it(store: GraphStore) -> None:
    graphs.job_drops_an_input(store)
    report = dataset_id(NS, "report")
    then = lineage(store, report, Direction.UPSTREAM, depth=2, as_of=ts(5))
    now = lineage(store, report, Direction.UPSTREAM, depth=2)
    assert dataset_id(NS, "raw.legacy") in then.nodes
    assert dataset_id(NS, "raw.legacy") not in now.nodes
    assert dataset_id(NS, "raw.orders") in now.nodes
    before_anything = lineage(store, report, Direction.UPSTREAM, depth=2, as_of=ts(-1))
    assert set(before_anything.nodes) == {report}


def test_a_kinds_filter_hides_jobs_and_joins_datasets_through_them(store: GraphStore) -> None:
    graphs.chain(store)
    graph = lineage(store, dataset_id(NS, "mart.orders"), depth=4, kinds=[NodeKind.DATASET])
    assert names(graph) == {"mart.orders", "stg.orders", "raw.orders"}
    flows = {(e.source, e.target): e.via for e in graph.edges if e.kind == FLOWS_TO}
    assert flows == {
        (dataset_id(NS, "raw.orders"), dataset_id(NS, "stg.orders")): (job_id("etl", "stage_orders"),),
        (dataset_id(NS, "stg.orders"), dataset_id(NS, "mart.orders")): (job_id("etl", "build_mart"),),
    }
    assert set(graph.hidden) == {job_id("etl", "stage_orders"), job_id("etl", "build_mart")}


# -- column granularity -----------------------------------------------------------------


def test_column_lineage_labels_dataset_wide_indirect_dependencies(store: GraphStore) -> None:
    graphs.column_lineage_with_a_filter(store)
    total = field_id(NS, "mart.customers", "total")
    graph = lineage(store, total, granularity=Granularity.COLUMN, depth=1)
    by_source = {e.source: e.props for e in graph.edges}
    assert by_source[field_id(NS, "stg.orders", "amount")]["subtype"] == "AGGREGATION"
    status = by_source[field_id(NS, "stg.orders", "status")]
    assert (status["type"], status["subtype"], status["scope"]) == ("INDIRECT", "FILTER", "DATASET")
    direct_only = lineage(store, total, granularity=Granularity.COLUMN, depth=1, indirect=False)
    assert set(direct_only.nodes) == {total, field_id(NS, "stg.orders", "amount")}


def test_column_lineage_of_a_dataset_starts_from_all_its_fields(store: GraphStore) -> None:
    graphs.column_lineage_with_a_filter(store)
    graph = lineage(store, dataset_id(NS, "mart.customers"), granularity=Granularity.COLUMN, depth=1)
    assert set(graph.starts) == {
        field_id(NS, "mart.customers", "customer_id"),
        field_id(NS, "mart.customers", "total"),
    }
    assert field_id(NS, "stg.customers", "id") in graph.nodes


def test_column_lineage_crosses_a_symlink(store: GraphStore) -> None:
    graphs.symlinked_file_and_table(store)
    revenue = field_id(HIVE, "sales.revenue", "revenue")
    graph = lineage(store, revenue, granularity=Granularity.COLUMN, depth=3)
    amount = field_id(HIVE, "sales.orders", "amount")
    assert amount in graph.nodes
    assert graph.aliases[amount] == [field_id(S3, "/warehouse/orders", "amount")]


def test_a_job_cannot_start_column_lineage(store: GraphStore) -> None:
    graphs.chain(store)
    with pytest.raises(InvalidArgument, match="cannot start lineage at COLUMN"):
        lineage(store, job_id("etl", "build_mart"), granularity=Granularity.COLUMN)


# -- run granularity --------------------------------------------------------------------


def test_run_lineage_follows_the_exact_versions_a_run_read(store: GraphStore) -> None:
    runs = graphs.writes_and_reads(store)
    graph = lineage(store, NodeRef(run_id=runs["b1"]), granularity=Granularity.RUN, depth=4)
    v1 = version_id(NS, "a", "run:" + runs["a1"])
    assert set(graph.nodes) == {run_id(runs["b1"]), v1, run_id(runs["a1"])}
    assert ("READ", v1, run_id(runs["b1"])) in hops(graph)
    assert ("WROTE", run_id(runs["a1"]), v1) in hops(graph)
    later = lineage(store, NodeRef(run_id=runs["b2"]), granularity=Granularity.RUN, depth=4)
    assert run_id(runs["a2"]) in later.nodes and run_id(runs["a1"]) not in later.nodes


def test_run_lineage_of_a_dataset_starts_from_its_version_current_then(store: GraphStore) -> None:
    runs = graphs.writes_and_reads(store)
    a = dataset_id(NS, "a")
    then = lineage(store, a, Direction.DOWNSTREAM, granularity=Granularity.RUN, depth=1, as_of=ts(7))
    assert then.starts == [version_id(NS, "a", "run:" + runs["a1"])]
    assert set(then.nodes) == {version_id(NS, "a", "run:" + runs["a1"]), run_id(runs["b1"])}
    now = lineage(store, a, Direction.DOWNSTREAM, granularity=Granularity.RUN, depth=1)
    assert now.starts == [version_id(NS, "a", "run:" + runs["a2"])]
    assert run_id(runs["b2"]) in now.nodes


def test_run_lineage_as_of_leaves_out_runs_that_had_not_started(store: GraphStore) -> None:
    runs = graphs.writes_and_reads(store)
    job = NodeRef(kind=NodeKind.JOB, namespace="etl", name="load_a")
    graph = lineage(store, job, Direction.DOWNSTREAM, granularity=Granularity.RUN, depth=4, as_of=ts(12))
    assert graph.starts == [run_id(runs["a2"])]  # the job's latest run by then
    assert run_id(runs["b2"]) not in graph.nodes  # started at minute 15


# -- budgets, errors --------------------------------------------------------------------


def test_the_node_budget_truncates_honestly(store: GraphStore) -> None:
    graphs.fan_out(store, 6)
    src = dataset_id(NS, "src")
    cut = lineage(store, src, Direction.DOWNSTREAM, depth=2, node_budget=4)
    assert len(cut.nodes) == 4 and cut.truncated
    assert cut.truncated_at == [job_id("etl", "split")]
    exact = lineage(store, src, Direction.DOWNSTREAM, depth=2, node_budget=8)  # src, job, 6 outs
    assert len(exact.nodes) == 8 and not exact.truncated and exact.truncated_at == []


def test_an_unknown_dataset_is_named_in_the_error_with_similar_names(store: GraphStore) -> None:
    graphs.chain(store)
    with pytest.raises(NotFound) as raised:
        lineage(store, NodeRef(namespace=NS, name="mart.order"))
    message = str(raised.value)
    assert "no dataset 'mart.order' in namespace 'postgres://warehouse:5432'" in message
    assert "'mart.orders'" in message


@pytest.mark.parametrize("depth", [-1, 51])
def test_depth_must_be_between_0_and_50(store: GraphStore, depth: int) -> None:
    graphs.chain(store)
    with pytest.raises(InvalidArgument, match="between 0 and 50"):
        lineage(store, dataset_id(NS, "mart.orders"), depth=depth)


def test_a_passed_deadline_stops_the_walk(store: GraphStore) -> None:
    graphs.chain(store)
    with pytest.raises(Timeout):
        lineage(store, dataset_id(NS, "mart.orders"), deadline=time.monotonic() - 1)


class CountingStore:
    """Delegates to a store and counts the calls made to it."""

    def __init__(self, inner: GraphStore) -> None:
        self.inner = inner
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if not callable(attr):
            return attr

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return attr(*args, **kwargs)

        return counted


def test_store_calls_grow_with_depth_not_with_nodes(store: GraphStore) -> None:
    graphs.fan_out(store, 3, "small_")
    graphs.fan_out(store, 60, "big_")
    calls = {}
    for prefix, width in (("small_", 3), ("big_", 60)):
        counting = CountingStore(store)
        graph = lineage(counting, dataset_id(NS, f"{prefix}src"), Direction.DOWNSTREAM, depth=2)  # type: ignore[arg-type]
        assert len(graph.nodes) == width + 2
        calls[prefix] = counting.calls
    assert calls["small_"] == calls["big_"] <= 2 + 3 * 2


# -- paths ----------------------------------------------------------------------------


def test_paths_through_a_diamond_are_both_sides_shortest_first(store: GraphStore) -> None:
    graphs.diamond(store)
    found = paths(store, dataset_id(NS, "a"), dataset_id(NS, "d"), max_depth=4)
    assert [p.nodes for p in found.paths] == [
        (dataset_id(NS, "a"), job_id("etl", "left"), dataset_id(NS, "b"), job_id("etl", "join"), dataset_id(NS, "d")),
        (dataset_id(NS, "a"), job_id("etl", "right"), dataset_id(NS, "c"), job_id("etl", "join"), dataset_id(NS, "d")),
    ]
    assert [e.kind for e in found.paths[0].edges] == ["INPUT_TO", "PRODUCES", "INPUT_TO", "PRODUCES"]
    assert set(found.nodes) >= {dataset_id(NS, "b"), dataset_id(NS, "c")}
    assert len(paths(store, dataset_id(NS, "a"), dataset_id(NS, "d"), limit=1).paths) == 1


def test_paths_longer_than_max_depth_are_not_returned(store: GraphStore) -> None:
    graphs.diamond(store)
    assert paths(store, dataset_id(NS, "a"), dataset_id(NS, "d"), max_depth=3).paths == []
    assert paths(store, dataset_id(NS, "d"), dataset_id(NS, "a")).paths == []  # against the flow


def test_paths_between_columns(store: GraphStore) -> None:
    graphs.column_lineage_with_a_filter(store)
    found = paths(
        store,
        field_id(NS, "stg.orders", "status"),
        field_id(NS, "mart.customers", "total"),
        granularity=Granularity.COLUMN,
    )
    assert len(found.paths) == 1
    assert found.paths[0].edges[0].props["type"] == "INDIRECT"


def test_paths_at_column_granularity_need_fields_not_datasets(store: GraphStore) -> None:
    graphs.column_lineage_with_a_filter(store)
    with pytest.raises(InvalidArgument, match="one node"):
        paths(
            store,
            dataset_id(NS, "stg.orders"),
            field_id(NS, "mart.customers", "total"),
            granularity=Granularity.COLUMN,
        )
