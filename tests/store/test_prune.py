"""Retention on both stores: a prune at T drops the history before T (raw events, runs,
superseded versions, closed lineage) and leaves every answer as of T or later unchanged."""

from __future__ import annotations

from typing import Any

from lineage.analysis import Granularity, lineage
from lineage.graph.model import EdgeKind, dataset_id, field_id, job_id, run_id, version_id
from lineage.store import Direction, GraphStore
from tests.analysis.graphs import ts
from tests.conftest import StoreFactory, feed, snapshot
from tests.factories import column_lineage, dataset, new_run_id, run_event, schema

NS = "warehouse"
LOAD = ("etl", "load_a")
BUILD = ("etl", "build_b")
OTHER = ("other", "copy_x")
T = ts(100)


def run(
    job: tuple[str, str], start: float, inputs: list[Any], outputs: list[Any]
) -> tuple[str, list[dict[str, Any]]]:
    rid = new_run_id(f"{job}-{start}")
    return rid, [
        run_event("START", rid, job, time=start, inputs=inputs, outputs=outputs),
        run_event("COMPLETE", rid, job, time=start + 1, inputs=inputs, outputs=outputs),
    ]


def history() -> tuple[dict[str, str], list[dict[str, Any]]]:
    """load_a writes A at 0, 10 and 200; build_b reads A (and C, until minute 30) into B,
    with column lineage that changes at minute 30; other.copy_x runs at 5 and 150."""
    a = dataset(NS, "a", s=schema("x", "z"))
    runs: dict[str, str] = {}
    events: list[dict[str, Any]] = []
    for name, job, start, inputs, outputs in [
        ("a0", LOAD, 0, [dataset(NS, "raw")], [a]),
        ("b5", BUILD, 5, [a], [dataset(NS, "b", c=column_lineage({"y": [(NS, "a", "x")]}))]),
        ("a10", LOAD, 10, [dataset(NS, "raw")], [a]),
        (
            "b20",
            BUILD,
            20,
            [a, dataset(NS, "c")],
            [dataset(NS, "b", c=column_lineage({"y": [(NS, "a", "x")]}))],
        ),
        ("b30", BUILD, 30, [a], [dataset(NS, "b", c=column_lineage({"y": [(NS, "a", "z")]}))]),
        ("x5", OTHER, 5, [dataset("other", "x")], [dataset("other", "y")]),
        ("b150", BUILD, 150, [a], [dataset(NS, "b", c=column_lineage({"y": [(NS, "a", "z")]}))]),
        ("x150", OTHER, 150, [dataset("other", "x")], [dataset("other", "y")]),
        ("a200", LOAD, 200, [dataset(NS, "raw")], [a]),
    ]:
        runs[name], more = run(job, start, inputs, outputs)
        events += more
    return runs, events


AROUND_B = [
    (Granularity.DATASET, dataset_id(NS, "b")),
    (Granularity.COLUMN, dataset_id(NS, "b")),
    (Granularity.RUN, dataset_id(NS, "b")),
]
AROUND_Y = [
    (Granularity.DATASET, dataset_id("other", "y")),
    (Granularity.RUN, dataset_id("other", "y")),
]


def picture(
    store: GraphStore, at: float | None, questions: list[tuple[Granularity, str]] | None = None
) -> dict[str, Any]:
    """Lineage answers as of ``at``: datasets, columns and runs around B and other.y."""
    answers: dict[str, Any] = {}
    for granularity, start in questions or AROUND_B + AROUND_Y:
        graph = lineage(store, start, Direction.BOTH, depth=6, as_of=at, granularity=granularity)
        answers[f"{granularity}:{start}"] = (
            sorted(graph.starts),
            sorted(graph.nodes),
            sorted(
                (e.source, e.target, str(e.kind), e.props.get("since"), e.props.get("until"))
                for e in graph.edges
            ),
        )
    return answers


def test_prune_drops_history_before_t_and_keeps_every_answer_from_t_on(
    store_factory: StoreFactory,
) -> None:
    store = store_factory()
    runs, events = history()
    feed(store, events)
    times = [T, ts(120), ts(160), ts(250), None]
    before = {at: picture(store, at) for at in times}
    old_answer = picture(store, ts(25))
    assert dataset_id(NS, "c") in old_answer[f"DATASET:{dataset_id(NS, 'b')}"][1]
    recent_events = len(store.events(since=T, limit=1000))
    whole = snapshot(store)

    dry = store.prune(T, dry_run=True)
    assert dry.dry_run
    assert (
        dry.events == 12
        and dry.runs > 0
        and dry.versions > 0
        and dry.edges > 0
        and dry.reports == 1
    ), dry
    assert snapshot(store) == whole, "a dry run changed the graph"
    assert len(store.events(limit=1000)) == len(events)

    done = store.prune(T)
    assert (done.events, done.runs, done.versions, done.edges, done.reports) == (
        dry.events,
        dry.runs,
        dry.versions,
        dry.edges,
        dry.reports,
    )
    print("pruned:", done.as_json())

    # From T on, every answer is what it was.
    for at in times:
        assert picture(store, at) == before[at], f"the answer as of {at} changed"
    # Raw events before T are gone, the others kept.
    assert store.events(until=T, limit=1000) == []
    assert len(store.events(since=T, limit=1000)) == recent_events
    # History before T is gone: old runs, superseded versions, lineage closed by then.
    gone = [run_id(runs[r]) for r in ("a0", "b5", "b20")] + [
        version_id(NS, "a", "run:" + runs["a0"])
    ]
    assert store.get_nodes(gone) == {}
    closed = store.edges_of(
        [dataset_id(NS, "c")], Direction.DOWNSTREAM, [EdgeKind.INPUT_TO], include_closed=True
    )
    assert closed == []
    old_feeds = store.edges_of(
        [field_id(NS, "a", "x")], Direction.DOWNSTREAM, [EdgeKind.FEEDS], include_closed=True
    )
    assert old_feeds == []
    then = lineage(store, dataset_id(NS, "b"), Direction.BOTH, depth=6, as_of=ts(25))
    assert dataset_id(NS, "c") not in then.nodes
    # What is current at T stays with its provenance: A as written at 10, by its run, and
    # other.y as copied at minute 5, by its run (the next copy is after T).
    kept = store.get_nodes(
        [
            version_id(NS, "a", "run:" + runs["a10"]),
            run_id(runs["a10"]),
            run_id(runs["b30"]),
            run_id(runs["x5"]),
            job_id(*BUILD),
            dataset_id(NS, "c"),
        ]
    )
    assert len(kept) == 6

    again = store.prune(T)
    assert (again.events, again.runs, again.versions, again.edges, again.reports) == (0, 0, 0, 0, 0)
    for at in times:
        assert picture(store, at) == before[at]

    # The store still takes events and merges them as before.
    rid, more = run(BUILD, 300, [dataset(NS, "a")], [dataset(NS, "b")])
    feed(store, more)
    assert run_id(rid) in store.get_nodes([run_id(rid)])


def test_prune_of_one_namespace_leaves_the_others(store_factory: StoreFactory) -> None:
    store = store_factory()
    runs, events = history()
    feed(store, events)
    other_before = picture(store, ts(6), AROUND_Y)

    done = store.prune(T, namespace="etl")
    assert done.runs > 0 and done.events == 10, done
    assert store.get_nodes([run_id(runs["b5"])]) == {}
    assert run_id(runs["x5"]) in store.get_nodes([run_id(runs["x5"])])
    assert picture(store, ts(6), AROUND_Y) == other_before
    assert len(store.events(until=T, limit=1000)) == 2  # other.copy_x's run at minute 5


def test_prune_survives_a_reopen(store_factory: StoreFactory) -> None:
    store = store_factory()
    _, events = history()
    feed(store, events)
    store.prune(T)
    after = {at: picture(store, at) for at in (T, None)}
    whole = snapshot(store)
    store.close()
    reopened = store_factory()
    assert snapshot(reopened) == whole
    assert {at: picture(reopened, at) for at in (T, None)} == after
