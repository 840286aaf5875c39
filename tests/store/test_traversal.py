"""GraphStore.traverse: one bounded walk per call, the same answer on both stores, exact
as-of semantics, and heavy properties only for the nodes an answer shows."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lineage.analysis.lineage import Granularity, lineage
from lineage.graph.model import EdgeKind, NodeKind, dataset_id, field_id
from lineage.store import Direction, GraphStore
from lineage.store.embedded import EmbeddedStore
from lineage.store.traversal import Level, Traversal
from tests.analysis.graphs import HIVE, S3, symlinked_file_and_table, ts
from tests.conftest import feed
from tests.factories import column_lineage, dataset, facet, pipeline_run, schema
from tests.store.test_neo4j_store import neo4j_url

NS = "postgres://gen"
TABLES = 24
COLUMNS = ("id", "amount", "status")


def generated_history(seed: int = 11, jobs: int = 30, symlink: bool = True) -> list[dict[str, Any]]:
    """A layered warehouse whose jobs change what they read over time.

    Each job writes one table from one to three tables earlier in the order, in up to three
    runs (minutes apart) that read a shrinking or shifting subset of its inputs, so edges
    open and close; some runs fail (closing nothing). Outputs carry column lineage, DIRECT
    and INDIRECT; t1 is also a file (a symlink), so aliases are merged.
    """
    rng = random.Random(seed)
    events: list[dict[str, Any]] = []
    links = {
        "symlinks": facet(
            "SymlinksDatasetFacet",
            identifiers=[{"namespace": S3, "name": "/lake/t1", "type": "FILE"}],
        )
    }
    for j in range(jobs):
        out = rng.randrange(3, TABLES)
        inputs = rng.sample(range(out), k=min(out, rng.randint(1, 3)))
        minute = float(rng.randrange(0, 40))
        for run in range(rng.randint(1, 3)):
            read = sorted(rng.sample(inputs, k=rng.randint(1, len(inputs))))
            mapping = {
                column: [
                    (NS, f"t{i}", rng.choice(COLUMNS), rng.choice(["DIRECT", "INDIRECT"]), None)
                    for i in read[: rng.randint(1, len(read))]
                ]
                for column in COLUMNS
            }
            facets: dict[str, Any] = {"s": schema(*COLUMNS), "c": column_lineage(mapping)}
            ins = [
                dataset(
                    NS, f"t{i}", s=schema(*COLUMNS), **({"l": links} if symlink and i == 1 else {})
                )
                for i in read
            ]
            events += pipeline_run(
                ("gen", f"job{j}"),
                ins,
                [dataset(NS, f"t{out}", **facets)],
                start=minute,
                seed=f"gen-{seed}-{j}-{run}",
                final="FAIL" if rng.random() < 0.15 else "COMPLETE",
            )
            minute += rng.randrange(2, 15)
    events += pipeline_run(
        ("spark", "copy_t1"),
        [dataset(S3, "/lake/t1", s=schema(*COLUMNS))],
        [dataset(S3, "/lake/t1_copy", s=schema(*COLUMNS))],
        start=3,
    )
    return sorted(events, key=lambda e: e["eventTime"])


def questions(store: GraphStore) -> Iterator[dict[str, Any]]:
    """Every combination worth comparing: levels, directions, depths, times, budgets."""
    times: list[float | None] = [None, ts(0.5), ts(9), ts(20), ts(41), ts(70)]
    for table in (1, 5, 12, 20, 23):
        for level, start in (
            (Level.DATASET, dataset_id(NS, f"t{table}")),
            (Level.COLUMN, field_id(NS, f"t{table}", "amount")),
        ):
            for direction in Direction:
                for depth, budget in ((1, 100), (4, 100), (12, 100), (12, 4)):
                    for as_of in times:
                        yield {
                            "starts": [start],
                            "level": level,
                            "direction": direction,
                            "depth": depth,
                            "as_of": as_of,
                            "node_budget": budget,
                        }
    runs = sorted(n.id for n in store.nodes_of_kind(NodeKind.RUN, limit=1000))
    for start in runs[::7]:
        for direction in Direction:
            for as_of in times:
                yield {
                    "starts": [start],
                    "level": Level.RUN,
                    "direction": direction,
                    "depth": 6,
                    "as_of": as_of,
                    "node_budget": 50,
                }


def deepest(store: GraphStore) -> str:
    """The generated table with the most upstream of it."""
    sizes = {}
    for table in range(TABLES):
        start = dataset_id(NS, f"t{table}")
        if store.get_nodes([start]):
            sizes[start] = len(store.traverse([start], Level.DATASET, Direction.UPSTREAM, 50).nodes)
    return max(sorted(sizes), key=lambda s: sizes[s])


def comparable(found: Traversal) -> dict[str, Any]:
    return {
        "starts": found.starts,
        "nodes": [(nid, node.kind) for nid, node in found.nodes.items()],
        "hops": [(h.edge.id, h.source, h.target, dict(h.edge.props)) for h in found.hops],
        "depths": found.depths,
        "truncated": found.truncated,
        "truncated_at": found.truncated_at,
        "canonical": found.canonical,
        "aliases": found.aliases,
        "absent": found.absent,
    }


@pytest.fixture
def both(tmp_path: Path) -> Iterator[tuple[GraphStore, GraphStore]]:
    from lineage.store.neo4j import Neo4jStore

    url = neo4j_url()
    embedded = EmbeddedStore(tmp_path / "lineage.db")
    neo4j = Neo4jStore(url, reset_for_tests=True)
    yield embedded, neo4j
    embedded.close()
    neo4j.close()


def test_both_stores_answer_every_traversal_alike(both: tuple[GraphStore, GraphStore]) -> None:
    embedded, neo4j = both
    events = generated_history()
    feed(embedded, events, batch=7)
    feed(neo4j, events, batch=7)
    asked = 0
    for question in questions(embedded):
        a = comparable(embedded.traverse(**question))
        b = comparable(neo4j.traverse(**question))
        assert a == b, question
        asked += 1
    assert asked > 500


def test_both_stores_answer_lineage_alike_with_whole_nodes(
    both: tuple[GraphStore, GraphStore],
) -> None:
    embedded, neo4j = both
    events = generated_history(seed=5)
    feed(embedded, events, batch=3)
    feed(neo4j, events, batch=3)
    for question in questions(embedded):
        if question["level"] is Level.RUN:
            continue
        args = {
            "start": question["starts"][0],
            "direction": question["direction"],
            "depth": question["depth"],
            "as_of": question["as_of"],
            "granularity": Granularity(question["level"].value),
            "node_budget": question["node_budget"],
        }
        a, b = lineage(embedded, **args), lineage(neo4j, **args)
        assert {k: dict(n.props) for k, n in a.nodes.items()} == {
            k: dict(n.props) for k, n in b.nodes.items()
        }, args
        assert a.edges == b.edges, args
        assert (a.truncated, a.truncated_at) == (b.truncated, b.truncated_at), args


def reachable(store: GraphStore, start: str, direction: Direction, depth: int, at: float | None):  # type: ignore[no-untyped-def]
    """Datasets and jobs within ``depth`` hops over projection edges valid at ``at``, from
    every stored edge: ``since <= at < until`` (None: ``until`` unset)."""
    _, edges = store.export()
    step: dict[str, set[str]] = {}
    for e in edges:
        if e.kind not in (EdgeKind.INPUT_TO, EdgeKind.PRODUCES):
            continue
        since, until = e.props.get("since"), e.props.get("until")
        if at is None:
            valid = until is None
        else:
            valid = (since is None or since <= at) and (until is None or at < until)
        if valid:
            a, b = (e.dst, e.src) if direction is Direction.UPSTREAM else (e.src, e.dst)
            step.setdefault(a, set()).add(b)
    seen, level = {start}, {start}
    for _ in range(depth):
        level = {n for x in level for n in step.get(x, ())} - seen
        seen |= level
    return seen


def test_as_of_follows_an_edge_from_its_since_up_to_but_not_at_its_until(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "lineage.db")
    feed(store, generated_history(seed=2, symlink=False))
    _, edges = store.export()
    bounds = sorted(
        {
            float(t)
            for e in edges
            if e.kind in (EdgeKind.INPUT_TO, EdgeKind.PRODUCES)
            for t in (e.props.get("since"), e.props.get("until"))
            if t is not None
        }
    )
    assert any(e.props.get("until") for e in edges if e.kind is EdgeKind.INPUT_TO)
    times: list[float | None] = [None]
    for t in bounds:  # at each bound, and just before it
        times += [t, t - 0.001]
    for table in range(TABLES):
        start = dataset_id(NS, f"t{table}")
        if not store.get_nodes([start]):
            continue
        for direction in (Direction.UPSTREAM, Direction.DOWNSTREAM):
            for at in times:
                found = store.traverse([start], Level.DATASET, direction, 8, at, 10_000)
                assert set(found.nodes) == reachable(store, start, direction, 8, at)
    store.close()


class CountingSessions:
    """Wraps a driver's ``session`` to count the transactions run through it."""

    def __init__(self, driver: Any) -> None:
        self.reads = 0
        self.writes = 0
        self._session = driver.session

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        session = self._session(*args, **kwargs)
        counter = self
        execute_read, execute_write = session.execute_read, session.execute_write

        def read(*a: Any, **k: Any) -> Any:
            counter.reads += 1
            return execute_read(*a, **k)

        def write(*a: Any, **k: Any) -> Any:
            counter.writes += 1
            return execute_write(*a, **k)

        session.execute_read, session.execute_write = read, write
        return session


def test_a_neo4j_traversal_is_one_read_transaction_whatever_its_depth() -> None:
    from lineage.store.neo4j import Neo4jStore

    store = Neo4jStore(neo4j_url(), reset_for_tests=True)
    try:
        feed(store, generated_history(), batch=20)
        start = deepest(store)
        column = field_id(NS, start.split("\x1f")[-1], "amount")
        counting = CountingSessions(store._driver)
        store._driver.session = counting  # type: ignore[method-assign]
        for depth in (1, 5, 20, 50):
            for level, begin in (
                (Level.DATASET, start),
                (Level.COLUMN, column),
            ):
                before = counting.reads
                found = store.traverse([begin], level, Direction.BOTH, depth)
                assert counting.reads - before == 1
                assert len(found.nodes) > 1
        # A lineage answer: the start resolved, the walk; then the shown nodes' properties,
        # once, when first asked for.
        for depth in (2, 20):
            before = counting.reads
            answer = lineage(store, start, Direction.UPSTREAM, depth)
            assert counting.reads - before == 2
            assert all(dict(node.props) for node in answer.nodes.values())
            assert counting.reads - before == 3
        assert counting.writes == 0
    finally:
        store.close()


class CountingColdReads:
    """Records which nodes the embedded store reads cold properties (facets, schemas,
    SQL) of from disk."""

    def __init__(self, store: EmbeddedStore) -> None:
        self.nodes: list[str] = []
        self._fill = store._fill_cold

        def fill(pending: dict[str, dict[str, Any]]) -> None:
            self.nodes += pending
            self._fill(pending)

        store._fill_cold = fill  # type: ignore[method-assign]


def test_the_embedded_traversal_reads_no_heavy_property(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "lineage.db")
    feed(store, generated_history())
    start = deepest(store)
    cold = CountingColdReads(store)
    found = store.traverse([start], Level.DATASET, Direction.BOTH, 20)
    assert len(found.nodes) > 3
    assert cold.nodes == []
    column = field_id(NS, start.split("\x1f")[-1], "id")
    found = store.traverse([column], Level.COLUMN, Direction.BOTH, 20)
    assert len(found.nodes) > 3
    assert cold.nodes == []
    store.close()


def test_lineage_reads_heavy_properties_once_and_only_of_the_nodes_it_shows(
    tmp_path: Path,
) -> None:
    store = EmbeddedStore(tmp_path / "lineage.db")
    feed(store, generated_history())
    start = deepest(store)
    cold = CountingColdReads(store)
    whole = lineage(store, start, Direction.UPSTREAM, 20)
    assert len(whole.nodes) > 3
    assert [n["name"] for n in (node.props for node in whole.nodes.values())]
    assert cold.nodes == [start]  # resolving the start; the walk and names read none
    cold.nodes.clear()
    # The first heavy property asked for reads those of every node of the answer, once.
    assert any("schema" in str(dict(n.props)) for n in whole.nodes.values())
    assert cold.nodes
    assert set(cold.nodes) <= set(whole.nodes)
    assert len(cold.nodes) == len(set(cold.nodes))
    assert whole.nodes == store.get_nodes(list(whole.nodes))
    cold.nodes.clear()
    cut = lineage(store, start, Direction.UPSTREAM, 20, node_budget=4)
    assert cut.truncated
    assert len(cut.nodes) == 4
    [dict(n.props) for n in cut.nodes.values()]
    assert set(cold.nodes) - {start} <= set(cut.nodes)
    store.close()


def test_lineage_over_a_symlink_is_the_same_on_both_stores(
    both: tuple[GraphStore, GraphStore],
) -> None:
    embedded, neo4j = both
    symlinked_file_and_table(embedded)
    symlinked_file_and_table(neo4j)
    for start in (dataset_id(S3, "/warehouse/orders"), dataset_id(HIVE, "sales.revenue")):
        for direction in Direction:
            a = embedded.traverse([start], Level.DATASET, direction, 6)
            b = neo4j.traverse([start], Level.DATASET, direction, 6)
            assert comparable(a) == comparable(b)
            assert a.aliases or direction is Direction.DOWNSTREAM
