"""The store contract: every GraphStore implementation must pass these, unchanged."""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path

import pytest

from lineage.graph.model import (
    EdgeKind,
    NodeKind,
    dataset_id,
    field_id,
    job_id,
    run_id,
    version_id,
)
from lineage.store import Direction, GraphStore
from lineage.store.embedded import EmbeddedStore
from tests.conftest import StoreFactory, feed, graph_diff, snapshot
from tests.factories import (
    at,
    column_lineage,
    dataset,
    dataset_event,
    facet,
    job_event,
    new_run_id,
    pipeline_run,
    run_event,
    schema,
)

NS = "postgres://warehouse:5432"
JOB = ("etl", "load_orders")


def ts(minutes: float) -> float:
    return datetime.fromisoformat(at(minutes)).timestamp()


def edge_between(store: GraphStore, kind: EdgeKind, src: str, dst: str) -> dict[str, object] | None:
    for edge in store.edges_of([src], Direction.DOWNSTREAM, [kind], include_closed=True):
        if edge.dst == dst:
            return dict(edge.props)
    return None


def test_a_run_event_creates_job_run_datasets_and_their_edges(store: GraphStore) -> None:
    rid = new_run_id()
    feed(
        store,
        [
            run_event(
                "COMPLETE",
                rid,
                JOB,
                inputs=[dataset(NS, "shop.public.raw_orders", s=schema("id", "amount"))],
                outputs=[dataset(NS, "shop.public.orders", s=schema("order_id", "amount"))],
            )
        ],
    )
    job, run = job_id(*JOB), run_id(rid)
    raw, orders = dataset_id(NS, "shop.public.raw_orders"), dataset_id(NS, "shop.public.orders")
    nodes = store.get_nodes([job, run, raw, orders])
    assert set(nodes) == {job, run, raw, orders}
    assert nodes[run].props["state"] == "COMPLETE"
    assert edge_between(store, EdgeKind.INPUT_TO, raw, job) is not None
    assert edge_between(store, EdgeKind.PRODUCES, job, orders) is not None
    assert edge_between(store, EdgeKind.RUN_OF, run, job) is not None
    written = version_id(NS, "shop.public.orders", "run:" + rid)
    assert edge_between(store, EdgeKind.WROTE, run, written) is not None
    assert edge_between(store, EdgeKind.VERSION_OF, written, orders) is not None
    assert field_id(NS, "shop.public.orders", "order_id") in store.get_nodes(
        [field_id(NS, "shop.public.orders", "order_id")]
    )


def test_replaying_an_event_changes_nothing(store: GraphStore) -> None:
    events = pipeline_run(JOB, [dataset(NS, "a")], [dataset(NS, "b")], start=0)
    feed(store, events)
    before = snapshot(store)
    feed(store, events)
    assert snapshot(store) == before


def test_complete_before_start_gives_the_same_graph(store_factory: StoreFactory, tmp_path: object) -> None:
    events = pipeline_run(
        JOB, [dataset(NS, "a", s=schema("x"))], [dataset(NS, "b", s=schema("y"))], start=0
    )
    in_order = store_factory()
    feed(in_order, events)
    expected = snapshot(in_order)
    from lineage.store.embedded import EmbeddedStore

    if isinstance(in_order, EmbeddedStore):
        other = EmbeddedStore(in_order.path.with_name("reversed.db"))
        feed(other, list(reversed(events)))
        assert snapshot(other) == expected
        other.close()


def test_a_later_state_never_regresses(store: GraphStore) -> None:
    rid = new_run_id()
    feed(
        store,
        [
            run_event("COMPLETE", rid, JOB, time=5),
            run_event("RUNNING", rid, JOB, time=3),
            run_event("START", rid, JOB, time=1),
        ],
    )
    run = store.get_nodes([run_id(rid)])[run_id(rid)]
    assert run.props["state"] == "COMPLETE"
    assert run.props["started_at"] == ts(1)
    assert run.props["ended_at"] == ts(5)


def test_inputs_sent_only_on_start_survive_an_empty_complete(store: GraphStore) -> None:
    # dbt-ol sends inputs on START and `inputs: []` on COMPLETE.
    rid = new_run_id()
    feed(
        store,
        [
            run_event("START", rid, JOB, time=0, inputs=[dataset(NS, "a")], outputs=[dataset(NS, "b")]),
            run_event("COMPLETE", rid, JOB, time=1, inputs=[], outputs=[dataset(NS, "b")]),
        ],
    )
    edge = edge_between(store, EdgeKind.INPUT_TO, dataset_id(NS, "a"), job_id(*JOB))
    assert edge is not None and edge["until"] is None
    reads = store.edges_of([run_id(rid)], Direction.DOWNSTREAM, [EdgeKind.READ])
    assert [e.props["dataset"] for e in reads] == [dataset_id(NS, "a")]


def test_each_writing_run_makes_a_new_version_and_readers_see_the_one_current_then(
    store: GraphStore,
) -> None:
    writer = ("etl", "write_b")
    reader = ("etl", "read_b")
    first = pipeline_run(writer, [], [dataset(NS, "b", s=schema("x"))], start=0, seed="w1")
    second = pipeline_run(writer, [], [dataset(NS, "b", s=schema("x", "y"))], start=10, seed="w2")
    read_between = pipeline_run(reader, [dataset(NS, "b")], [], start=5, seed="r1")
    read_after = pipeline_run(reader, [dataset(NS, "b")], [], start=15, seed="r2")
    # Out of order on purpose: the second writer arrives after the reader that follows it.
    feed(store, first + read_between + read_after + second)
    v1 = version_id(NS, "b", "run:" + new_run_id("w1"))
    v2 = version_id(NS, "b", "run:" + new_run_id("w2"))
    read = {
        e.src: e.dst
        for e in store.edges_of([run_id(new_run_id("r1")), run_id(new_run_id("r2"))], Direction.DOWNSTREAM, [EdgeKind.READ])
    }
    assert read == {run_id(new_run_id("r1")): v1, run_id(new_run_id("r2")): v2}
    versions = store.get_nodes([v1, v2])
    assert [f["name"] for f in versions[v2].props["schema"]] == ["x", "y"]
    assert store.get_nodes([dataset_id(NS, "b")])[dataset_id(NS, "b")].props["current_version"] == v2


def test_the_version_facet_names_the_version(store: GraphStore) -> None:
    version = {"version": facet("DatasetVersionDatasetFacet", datasetVersion="snapshot-42")}
    feed(store, pipeline_run(JOB, [], [dataset(NS, "b", v=version)], start=0))
    assert store.get_nodes([version_id(NS, "b", "snapshot-42")])


def test_a_job_edge_closes_when_a_completed_run_stops_reading_the_dataset(store: GraphStore) -> None:
    feed(store, pipeline_run(JOB, [dataset(NS, "a"), dataset(NS, "old")], [dataset(NS, "b")], start=0))
    feed(store, pipeline_run(JOB, [dataset(NS, "a")], [dataset(NS, "b")], start=10))
    old = edge_between(store, EdgeKind.INPUT_TO, dataset_id(NS, "old"), job_id(*JOB))
    kept = edge_between(store, EdgeKind.INPUT_TO, dataset_id(NS, "a"), job_id(*JOB))
    assert old is not None and kept is not None
    assert old["since"] == ts(0) and old["until"] == ts(11)
    assert kept["until"] is None
    upstream_now = store.expand([dataset_id(NS, "b")], Direction.UPSTREAM, [EdgeKind.INPUT_TO, EdgeKind.PRODUCES], 2)
    assert dataset_id(NS, "old") not in upstream_now.nodes
    upstream_then = store.expand(
        [dataset_id(NS, "b")], Direction.UPSTREAM, [EdgeKind.INPUT_TO, EdgeKind.PRODUCES], 2, as_of=ts(5)
    )
    assert dataset_id(NS, "old") in upstream_then.nodes
    before_anything = store.expand(
        [dataset_id(NS, "b")], Direction.UPSTREAM, [EdgeKind.INPUT_TO, EdgeKind.PRODUCES], 2, as_of=ts(-1)
    )
    assert set(before_anything.nodes) == {dataset_id(NS, "b")}


def test_a_failed_run_does_not_close_job_edges(store: GraphStore) -> None:
    feed(store, pipeline_run(JOB, [dataset(NS, "a")], [dataset(NS, "b")], start=0))
    feed(store, pipeline_run(JOB, [], [dataset(NS, "b")], start=10, final="FAIL"))
    edge = edge_between(store, EdgeKind.INPUT_TO, dataset_id(NS, "a"), job_id(*JOB))
    assert edge is not None and edge["until"] is None


def test_column_lineage_feeds_fields_with_their_transformation(store: GraphStore) -> None:
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
    feed(store, pipeline_run(JOB, [dataset(NS, "stg.customers"), dataset(NS, "stg.orders")], [out], start=0))
    total = field_id(NS, "mart.customers", "total")
    upstream = store.edges_of([total], Direction.UPSTREAM, [EdgeKind.FEEDS])
    by_source = {e.src: e.props for e in upstream}
    assert by_source[field_id(NS, "stg.orders", "amount")]["subtype"] == "AGGREGATION"
    status = by_source[field_id(NS, "stg.orders", "status")]
    assert (status["type"], status["subtype"], status["scope"]) == ("INDIRECT", "FILTER", "DATASET")
    assert status["job"] == job_id(*JOB)


def test_an_input_named_only_in_column_lineage_is_connected_and_marked_derived(store: GraphStore) -> None:
    # dbt-ol leaves seeds out of `inputs` but names them in column lineage.
    out = dataset(NS, "db.main.stg_customers", c=column_lineage({"customer_id": [(NS, "db.main.raw_customers", "id")]}))
    feed(store, pipeline_run(JOB, [], [out], start=0))
    edge = edge_between(store, EdgeKind.INPUT_TO, dataset_id(NS, "db.main.raw_customers"), job_id(*JOB))
    assert edge is not None
    assert edge["declared"] is False and edge["derived_from"] == "columnLineage"


def test_a_cte_name_in_column_lineage_is_never_an_upstream_table(store: GraphStore) -> None:
    rid = new_run_id()
    inputs = [dataset(NS, "db.main.stg_orders", s=schema("order_id", "status"))]
    out = dataset(NS, "db.main.orders", c=column_lineage({"status": [(NS, "orders", "status")]}))
    feed(
        store,
        [
            run_event("COMPLETE", rid, JOB, time=1, outputs=[out]),
            run_event("START", rid, JOB, time=0, inputs=inputs, outputs=[dataset(NS, "db.main.orders")]),
        ],
    )
    assert not store.get_nodes([dataset_id(NS, "orders")])
    feeding = store.edges_of([field_id(NS, "db.main.orders", "status")], Direction.UPSTREAM, [EdgeKind.FEEDS])
    assert [(e.src, e.props.get("via")) for e in feeding] == [
        (field_id(NS, "db.main.stg_orders", "status"), "orders")
    ]
    run = store.get_nodes([run_id(rid)])[run_id(rid)]
    assert any('"name":"orders"' in ref for ref in run.props["column_refs"])


def test_symlinks_alias_one_dataset_to_another(store: GraphStore) -> None:
    links = {
        "symlinks": facet(
            "SymlinksDatasetFacet",
            identifiers=[{"namespace": "hive://metastore", "name": "sales.orders", "type": "TABLE"}],
        )
    }
    feed(store, [dataset_event("s3://bucket", "/warehouse/orders", l=links)])
    edge = edge_between(store, EdgeKind.ALIAS_OF, dataset_id("s3://bucket", "/warehouse/orders"), dataset_id("hive://metastore", "sales.orders"))
    assert edge is not None


def test_lifecycle_drop_marks_the_dataset_dropped_and_rename_links_the_old_name(store: GraphStore) -> None:
    drop = {"lifecycleStateChange": facet("LifecycleStateChangeDatasetFacet", lifecycleStateChange="DROP")}
    rename = {
        "lifecycleStateChange": facet(
            "LifecycleStateChangeDatasetFacet",
            lifecycleStateChange="RENAME",
            previousIdentifier={"namespace": NS, "name": "old_name"},
        )
    }
    feed(store, [dataset_event(NS, "gone", time=0, l=drop), dataset_event(NS, "new_name", time=0, l=rename)])
    nodes = store.get_nodes([dataset_id(NS, "gone"), dataset_id(NS, "old_name")])
    assert nodes[dataset_id(NS, "gone")].props["dropped"] is True
    assert nodes[dataset_id(NS, "old_name")].props["renamed_to"] == dataset_id(NS, "new_name")
    assert edge_between(store, EdgeKind.RENAMED_FROM, dataset_id(NS, "new_name"), dataset_id(NS, "old_name")) is not None


def test_custom_facets_are_kept_verbatim_and_deleted_facets_disappear(store: GraphStore) -> None:
    custom = {"dbt_node": {"_producer": "dbt", "_schemaURL": "https://x/y.json", "unique_id": "model.shop.orders", "meta": {"owner": "ana"}}}
    docs = {"documentation": facet("DocumentationDatasetFacet", description="Orders")}
    feed(store, [dataset_event(NS, "orders", time=0, c=custom, d=docs)])
    node = store.get_nodes([dataset_id(NS, "orders")])[dataset_id(NS, "orders")]
    assert node.props["facet:dbt_node"] == custom["dbt_node"]
    assert node.props["description"] == "Orders"
    deleted = {"dbt_node": {"_producer": "dbt", "_schemaURL": "https://x/y.json", "_deleted": True}}
    feed(store, [dataset_event(NS, "orders", time=1, c=deleted)])
    node = store.get_nodes([dataset_id(NS, "orders")])[dataset_id(NS, "orders")]
    assert "facet:dbt_node" not in node.props
    # An older write arriving late does not bring it back.
    feed(store, [dataset_event(NS, "orders", time=0.5, c=custom)])
    node = store.get_nodes([dataset_id(NS, "orders")])[dataset_id(NS, "orders")]
    assert "facet:dbt_node" not in node.props


def test_job_events_state_static_lineage_without_runs(store: GraphStore) -> None:
    view = ("warehouse", "orders_view")
    feed(store, [job_event(view, time=0, inputs=[dataset(NS, "a"), dataset(NS, "b")], outputs=[dataset(NS, "v")])])
    feed(store, [job_event(view, time=10, inputs=[dataset(NS, "a")], outputs=[dataset(NS, "v")])])
    b = edge_between(store, EdgeKind.INPUT_TO, dataset_id(NS, "b"), job_id(*view))
    a = edge_between(store, EdgeKind.INPUT_TO, dataset_id(NS, "a"), job_id(*view))
    assert b is not None and b["until"] == ts(10)
    assert a is not None and a["until"] is None


def test_a_parent_facet_links_child_runs_to_their_parent(store: GraphStore) -> None:
    parent_id, child_id = new_run_id(), new_run_id()
    parent = {
        "parent": facet(
            "ParentRunFacet",
            run={"runId": parent_id},
            job={"namespace": "airflow", "name": "daily_dag"},
        )
    }
    feed(store, [run_event("START", child_id, ("airflow", "daily_dag.load"), run_facets=parent)])
    assert edge_between(store, EdgeKind.CHILD_OF, run_id(child_id), run_id(parent_id)) is not None
    assert edge_between(store, EdgeKind.RUN_OF, run_id(parent_id), job_id("airflow", "daily_dag")) is not None


def test_expansion_stops_at_its_depth_and_node_budget(store: GraphStore) -> None:
    events = []
    for i in range(6):
        events += pipeline_run(("etl", f"step{i}"), [dataset(NS, f"t{i}")], [dataset(NS, f"t{i + 1}")], start=i)
    feed(store, events, batch=4)
    kinds = [EdgeKind.INPUT_TO, EdgeKind.PRODUCES]
    two_jobs = store.expand([dataset_id(NS, "t6")], Direction.UPSTREAM, kinds, max_depth=4)
    assert set(two_jobs.nodes) == {
        dataset_id(NS, "t6"), job_id("etl", "step5"), dataset_id(NS, "t5"), job_id("etl", "step4"), dataset_id(NS, "t4")
    }
    assert not two_jobs.truncated
    budget = store.expand([dataset_id(NS, "t6")], Direction.UPSTREAM, kinds, max_depth=50, node_limit=3)
    assert len(budget.nodes) == 3 and budget.truncated


def test_search_finds_datasets_and_jobs_by_name(store: GraphStore) -> None:
    feed(store, pipeline_run(("etl", "build_customers"), [dataset(NS, "raw.customers")], [dataset(NS, "mart.customers")], start=0))
    found = [n.props["name"] for n in store.search("customers")]
    assert set(found) == {"raw.customers", "mart.customers", "build_customers"}
    assert [n.kind for n in store.search("build", kinds=[NodeKind.JOB])] == [NodeKind.JOB]


def test_raw_events_are_kept_and_listed_newest_first(store: GraphStore) -> None:
    events = pipeline_run(JOB, [], [], start=0) + pipeline_run(JOB, [], [], start=10)
    feed(store, events)
    listed = store.events()
    assert len(listed) == 4
    assert [e.event_time for e in listed] == sorted((e.event_time for e in listed), reverse=True)
    assert len(store.events(since=ts(5))) == 2


def test_reopening_the_store_gives_back_the_same_graph(store_factory: StoreFactory) -> None:
    first = store_factory()
    events = pipeline_run(JOB, [dataset(NS, "a", s=schema("x"))], [dataset(NS, "b", c=column_lineage({"y": [(NS, "a", "x")]}))], start=0)
    events += pipeline_run(JOB, [dataset(NS, "a")], [dataset(NS, "c")], start=10)
    feed(first, events)
    before = snapshot(first)
    first.close()
    again = store_factory()
    assert snapshot(again) == before
    assert again.count()["events"] == 4


def test_column_lineage_that_a_job_stops_reporting_is_closed_by_its_next_completed_run(
    store: GraphStore,
) -> None:
    old = dataset(NS, "b", c=column_lineage({"y": [(NS, "a", "x")]}))
    new = dataset(NS, "b", c=column_lineage({"y": [(NS, "a", "z")]}))
    feed(store, pipeline_run(JOB, [dataset(NS, "a")], [old], start=0))
    feed(store, pipeline_run(JOB, [dataset(NS, "a")], [old], start=5))
    feed(store, pipeline_run(JOB, [dataset(NS, "a")], [new], start=10))
    y = field_id(NS, "b", "y")
    edges = {e.src: e.props for e in store.edges_of([y], Direction.UPSTREAM, [EdgeKind.FEEDS], include_closed=True)}
    assert edges[field_id(NS, "a", "x")]["since"] == ts(0)
    assert edges[field_id(NS, "a", "x")]["until"] == ts(11)
    assert edges[field_id(NS, "a", "z")]["until"] is None
    now = store.expand([y], Direction.UPSTREAM, [EdgeKind.FEEDS], 1)
    assert set(now.nodes) == {y, field_id(NS, "a", "z")}
    then = store.expand([y], Direction.UPSTREAM, [EdgeKind.FEEDS], 1, as_of=ts(7))
    assert set(then.nodes) == {y, field_id(NS, "a", "x")}


def test_a_run_that_reports_no_column_lineage_closes_none(store: GraphStore) -> None:
    lineage = dataset(NS, "b", c=column_lineage({"y": [(NS, "a", "x")]}))
    feed(store, pipeline_run(JOB, [dataset(NS, "a")], [lineage], start=0))
    feed(store, pipeline_run(JOB, [dataset(NS, "a")], [dataset(NS, "b")], start=10))
    [edge] = store.edges_of([field_id(NS, "b", "y")], Direction.UPSTREAM, [EdgeKind.FEEDS])
    assert edge.props["until"] is None


# Validity per output: a run that writes other outputs (another partition of the work) does
# not close the edges into datasets it did not write, nor the inputs read for them.


def valid(store: GraphStore, kind: EdgeKind, src: str, dst: str) -> object:
    """The edge's ``until`` (None: valid now); fails when there is no such edge."""
    edge = edge_between(store, kind, src, dst)
    assert edge is not None, (kind, src, dst)
    return edge["until"]


def test_a_run_writing_another_output_leaves_the_lineage_of_the_first_one_valid(store: GraphStore) -> None:
    feed(store, pipeline_run(JOB, [dataset(NS, "x")], [dataset(NS, "a")], start=0))
    feed(store, pipeline_run(JOB, [dataset(NS, "y")], [dataset(NS, "b")], start=10))
    job = job_id(*JOB)
    for name in ("x", "y"):
        assert valid(store, EdgeKind.INPUT_TO, dataset_id(NS, name), job) is None, name
    for name in ("a", "b"):
        assert valid(store, EdgeKind.PRODUCES, job, dataset_id(NS, name)) is None, name
    upstream = store.expand([dataset_id(NS, "a")], Direction.UPSTREAM, [EdgeKind.INPUT_TO, EdgeKind.PRODUCES], 2)
    assert dataset_id(NS, "x") in upstream.nodes


def test_an_input_closes_once_a_run_writes_every_output_it_was_read_for_without_it(store: GraphStore) -> None:
    job = job_id(*JOB)
    x, y = dataset_id(NS, "x"), dataset_id(NS, "y")
    both = [dataset(NS, "a"), dataset(NS, "b")]
    feed(store, pipeline_run(JOB, [dataset(NS, "x"), dataset(NS, "y")], both, start=0))
    feed(store, pipeline_run(JOB, [dataset(NS, "x")], [dataset(NS, "a")], start=10))
    # y may still feed b, which that run did not write.
    assert valid(store, EdgeKind.INPUT_TO, y, job) is None
    feed(store, pipeline_run(JOB, [dataset(NS, "x")], both, start=20))
    assert valid(store, EdgeKind.INPUT_TO, y, job) == ts(21)
    assert valid(store, EdgeKind.INPUT_TO, x, job) is None
    for name in ("a", "b"):
        assert valid(store, EdgeKind.PRODUCES, job, dataset_id(NS, name)) is None, name


def test_outputs_sent_only_on_start_count_when_the_complete_arrives_first(store: GraphStore) -> None:
    feed(store, pipeline_run(JOB, [dataset(NS, "x")], [dataset(NS, "a")], start=0))
    rid = new_run_id()
    complete = run_event("COMPLETE", rid, JOB, time=11)
    start = run_event("START", rid, JOB, time=10, inputs=[dataset(NS, "y")], outputs=[dataset(NS, "b")])
    feed(store, [complete])
    feed(store, [start])
    job = job_id(*JOB)
    assert valid(store, EdgeKind.INPUT_TO, dataset_id(NS, "x"), job) is None
    assert valid(store, EdgeKind.PRODUCES, job, dataset_id(NS, "a")) is None
    assert valid(store, EdgeKind.INPUT_TO, dataset_id(NS, "y"), job) is None


def test_a_run_that_writes_nothing_closes_the_outputs_and_what_it_did_not_read(store: GraphStore) -> None:
    feed(store, pipeline_run(JOB, [dataset(NS, "x")], [dataset(NS, "a")], start=0))
    feed(store, pipeline_run(JOB, [dataset(NS, "y")], [], start=10))
    job = job_id(*JOB)
    assert valid(store, EdgeKind.PRODUCES, job, dataset_id(NS, "a")) == ts(11)
    # x was read for a, which that run did not write: it may still feed a.
    assert valid(store, EdgeKind.INPUT_TO, dataset_id(NS, "x"), job) is None
    # y was read for nothing: the next run that does not read it closes it.
    feed(store, pipeline_run(JOB, [dataset(NS, "x")], [dataset(NS, "a")], start=20))
    assert valid(store, EdgeKind.INPUT_TO, dataset_id(NS, "y"), job) == ts(21)


def test_a_job_that_moved_to_another_output_shows_the_old_one_until_its_lineage_is_stated(
    store: GraphStore,
) -> None:
    feed(store, pipeline_run(JOB, [dataset(NS, "x")], [dataset(NS, "a")], start=0))
    feed(store, pipeline_run(JOB, [dataset(NS, "x")], [dataset(NS, "a2")], start=10))
    job = job_id(*JOB)
    # Never hide a real writer: a later run writing elsewhere does not say a is no longer written.
    assert valid(store, EdgeKind.PRODUCES, job, dataset_id(NS, "a")) is None
    feed(store, [job_event(JOB, time=20, inputs=[dataset(NS, "x")], outputs=[dataset(NS, "a2")])])
    assert valid(store, EdgeKind.PRODUCES, job, dataset_id(NS, "a")) == ts(20)
    assert valid(store, EdgeKind.PRODUCES, job, dataset_id(NS, "a2")) is None


def test_static_lineage_reads_each_input_for_the_outputs_it_states(store: GraphStore) -> None:
    view = ("warehouse", "two_views")
    feed(store, [job_event(view, time=0, inputs=[dataset(NS, "x"), dataset(NS, "y")], outputs=[dataset(NS, "a"), dataset(NS, "b")])])
    feed(store, pipeline_run(view, [dataset(NS, "x")], [dataset(NS, "a")], start=10))
    job = job_id(*view)
    assert valid(store, EdgeKind.INPUT_TO, dataset_id(NS, "y"), job) is None
    feed(store, pipeline_run(view, [dataset(NS, "x")], [dataset(NS, "a"), dataset(NS, "b")], start=20))
    assert valid(store, EdgeKind.INPUT_TO, dataset_id(NS, "y"), job) == ts(21)


def partition_stream() -> list[dict[str, object]]:
    """One job writing partitions of its work, in the order a producer sends them."""
    part = ("etl", "partitioned")
    src = [dataset(NS, f"src{i}") for i in range(3)]
    parts = [dataset(NS, f"part{i}") for i in range(3)]
    r = [new_run_id(f"partition-{i}") for i in range(7)]
    return [
        run_event("START", r[0], part, time=0, inputs=[src[0]], outputs=[parts[0]]),
        run_event("COMPLETE", r[0], part, time=1),
        # Its outputs only on START: reversed, the COMPLETE with nothing comes first.
        run_event("START", r[1], part, time=10, inputs=[src[1]], outputs=[parts[1]]),
        run_event("COMPLETE", r[1], part, time=11),
        run_event("START", r[2], part, time=20, inputs=src[:2], outputs=parts[:2]),
        run_event("COMPLETE", r[2], part, time=21, outputs=parts[:2]),
        run_event("START", r[3], part, time=30, inputs=[src[0]]),
        run_event("COMPLETE", r[3], part, time=31, outputs=[parts[0]]),
        # Writes nothing: closes the outputs, not src0 and src1 (read for outputs).
        *pipeline_run(part, [src[2]], [], start=40, seed="partition-4"),
        *pipeline_run(part, [src[0]], parts[:2], start=50, seed="partition-5"),
        *pipeline_run(part, [src[2]], [parts[2]], start=60, seed="partition-6", final="FAIL"),
        job_event(part, time=70, inputs=[src[0]], outputs=[parts[0]]),
    ]


@pytest.mark.parametrize("order", ["in_order", "reversed", "shuffled", "one_by_one"])
def test_partitions_of_work_give_the_same_graph_in_any_order_on_every_store(
    store: GraphStore, tmp_path: Path, order: str
) -> None:
    stream = partition_stream()
    expected = EmbeddedStore(tmp_path / "in-order.db")
    feed(expected, stream, batch=5)
    want = snapshot(expected)
    job = job_id("etl", "partitioned")
    untils = {(e[2], e[3]): e[4]["until"] for e in want[1] if e[1] in ("INPUT_TO", "PRODUCES")}
    assert untils == {
        (dataset_id(NS, "src0"), job): None,
        # Read for part0 and part1; run 3 wrote only part0; run 5 wrote both without it.
        (dataset_id(NS, "src1"), job): ts(51),
        # Read for nothing by run 4 (closed by run 5), then for part2 by the failed run 6:
        # valid again until the static lineage leaves it out.
        (dataset_id(NS, "src2"), job): ts(70),
        (job, dataset_id(NS, "part0")): None,
        (job, dataset_id(NS, "part1")): ts(70),
        (job, dataset_id(NS, "part2")): ts(70),
    }
    expected.close()
    other = list(stream)
    batch = 3
    if order == "reversed":
        other.reverse()
    elif order == "shuffled":
        random.Random(20261207).shuffle(other)
    elif order == "one_by_one":
        batch = 1
    feed(store, other, batch=batch)
    assert graph_diff(want, snapshot(store)) == []
