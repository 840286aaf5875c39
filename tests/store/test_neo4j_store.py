"""The Neo4j store beyond the shared contract: same graph as the embedded store on any
history, write plans without Eager operators, a clear answer when Neo4j is down."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.synthetic import Warehouse
from lineage.graph.model import EdgeKind, NodeKind, dataset_id
from lineage.store import Direction, StoreUnavailable
from lineage.store.embedded import EmbeddedStore
from tests.conftest import feed, graph_diff, skip_or_fail, snapshot
from tests.graph.test_order_independence import partition_runs, runs

URL = os.environ.get("LINEAGE_TEST_NEO4J")


def neo4j_url() -> str:
    if not URL:
        skip_or_fail(
            "Neo4j tests need a running Neo4j: run `make neo4j-start` and set "
            "LINEAGE_TEST_NEO4J=neo4j://127.0.0.1:7687 (make test does both)"
        )
    assert URL is not None
    return URL


@pytest.fixture
def url() -> str:
    return neo4j_url()


def plan_operators(url: str, statement: str) -> list[str]:
    from neo4j import GraphDatabase

    database = os.environ.get("LINEAGE_NEO4J_DATABASE", "neo4j")
    with (
        GraphDatabase.driver(url, notifications_min_severity="OFF") as driver,
        driver.session(database=database) as s,
    ):
        plan = s.run("EXPLAIN " + statement).consume().plan
    assert plan is not None
    operators = []
    stack: list[Any] = [plan]
    while stack:
        step = stack.pop()
        operators.append(step["operatorType"].split("@")[0])
        stack.extend(step.get("children", []))
    return operators


def test_no_write_statement_plans_an_eager_operator(url: str) -> None:
    from lineage.store.neo4j import Neo4jStore, write_statements

    Neo4jStore(url).close()  # the schema the plans depend on is in place
    eager = {s: ops for s in write_statements() if "Eager" in (ops := plan_operators(url, s))}
    assert not eager, "\n".join(f"{s}\n  {ops}" for s, ops in eager.items())


def test_reading_a_ledger_seeks_an_index_instead_of_scanning_every_entry(url: str) -> None:
    # Ingest reads ledgers for every batch with incidents: a scan grows with the store.
    from lineage.store.neo4j import LEDGER_READS, Neo4jStore

    Neo4jStore(url).close()
    for statement in LEDGER_READS:
        operators = plan_operators(url, statement)
        assert "NodeByLabelScan" not in operators, operators
        assert "AllNodesScan" not in operators, operators


def test_finding_the_entry_before_an_ask_follows_an_index_instead_of_sorting_a_ledger(
    url: str,
) -> None:
    # A full sort reads every entry the seek finds: a partial one stops at the limit. Planned
    # from fresh statistics of a store holding a long ledger, where the difference shows.
    import orjson
    from neo4j import GraphDatabase

    from lineage.graph.model import LedgerEntry
    from lineage.store.base import IngestItem
    from lineage.store.neo4j import LEDGER_EARLIEST, LEDGER_NEXT_VERSION, LEDGER_RECENT, Neo4jStore

    store = Neo4jStore(url, reset_for_tests=True)
    entries = [
        LedgerEntry("schema\x1elong", f"k{i:05d}", float(i), orjson.dumps({"version": i // 1000}))
        for i in range(3000)
    ]
    store.write([IngestItem(b"", 0.0, None, None, None, None, entries)])
    store.close()
    with GraphDatabase.driver(url) as driver, driver.session() as s:
        s.run("CALL db.prepareForReplanning()").consume()
    for statement in (LEDGER_RECENT, LEDGER_NEXT_VERSION, LEDGER_EARLIEST):
        operators = plan_operators(url, statement)
        assert "Top" not in operators and "Sort" not in operators, operators


def test_ledger_entries_written_before_they_kept_a_version_gain_it_and_are_found(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import random
    import threading

    import orjson
    from neo4j import GraphDatabase

    from lineage.graph.model import LedgerEntry
    from lineage.store import neo4j
    from lineage.store.base import LedgerAsk, entry_before
    from tests.store.test_ledger_before import _asks, _ledger

    rng = random.Random(5)
    ledgers = {f"schema\x1eold{i}": _ledger(rng, f"schema\x1eold{i}") for i in range(4)}
    long = "schema\x1eold-long"
    ledgers[long] = [
        LedgerEntry(long, f"k{i:04d}", float(i), orjson.dumps({"version": v}))
        for i, v in enumerate(["old"] * 3 + [None] * 2 + ["new"] * 40)
    ]
    rows = [
        {"ledger": e.ledger, "key": e.key, "at": e.at, "body": e.body.decode()}
        for entries in ledgers.values()
        for e in entries
    ]
    rows.append({"ledger": "incident\x1enumber", "key": "n1", "at": 0.0, "body": ""})
    neo4j.Neo4jStore(url, reset_for_tests=True).close()
    with GraphDatabase.driver(url) as driver, driver.session() as s:
        # As stores written before kept them: no version, and no record of adding them.
        s.run(
            "UNWIND $rows AS row CREATE (l:LedgerEntry {ledger: row.ledger, key: row.key, "
            "at: row.at, body: row.body})",
            rows=rows,
        ).consume()
        s.run("MATCH (c:Counter {name: 'ledger_versions'}) DELETE c").consume()
    monkeypatch.setattr(neo4j, "_LEDGER_PAGE", 7)  # pages end inside ledgers and between them
    stores: list[neo4j.Neo4jStore] = []
    starting = [
        threading.Thread(target=lambda: stores.append(neo4j.Neo4jStore(url))) for _ in range(2)
    ]
    for thread in starting:  # two servers starting at once
        thread.start()
    for thread in starting:
        thread.join()
    assert len(stores) == 2
    with GraphDatabase.driver(url) as driver, driver.session() as s:
        missing = s.run("MATCH (l:LedgerEntry) WHERE l.version IS NULL RETURN count(l) AS n")
        assert missing.single(strict=True)["n"] == 0
        number = s.run("MATCH (l:LedgerEntry {key: 'n1'}) RETURN l.version AS v")
        assert number.single(strict=True)["v"] == "null"
    store = stores[0]
    for name, entries in ledgers.items():
        stored = sorted(entries, key=lambda e: (e.at, e.key))
        for ask in _asks(rng, entries):
            assert store.ledger_before({name: ask}) == {name: entry_before(stored, ask)}, ask
    ask = LedgerAsk(100.0, "", "new")
    assert store.ledger_before({long: ask}) == {long: ledgers[long][4]}  # the last without one
    for opened in stores:
        opened.close()


@settings(
    max_examples=int(os.environ.get("LINEAGE_NEO4J_PROPERTY_EXAMPLES", "12")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=st.lists(runs(), min_size=1, max_size=6), data=st.data())
def test_neo4j_builds_from_any_shuffled_replayed_history_the_graph_the_embedded_store_builds(
    tmp_path_factory: Any, history: list[list[dict[str, Any]]], data: st.DataObject
) -> None:
    from lineage.store.neo4j import Neo4jStore

    url = neo4j_url()
    events = [e for run in history for e in run]
    shuffled = data.draw(st.permutations(events))
    reference = EmbeddedStore(tmp_path_factory.mktemp("reference") / "a.db")
    store = Neo4jStore(url, reset_for_tests=True)
    try:
        feed(reference, events)
        feed(store, shuffled, batch=3)
        feed(store, events)  # and everything once more
        differences = graph_diff(snapshot(reference), snapshot(store))
        assert not differences, "\n".join(differences)
    finally:
        reference.close()
        store.close()


@settings(
    max_examples=int(os.environ.get("LINEAGE_NEO4J_PROPERTY_EXAMPLES", "12")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=st.lists(partition_runs(), min_size=1, max_size=6), data=st.data())
def test_neo4j_closes_the_edges_of_partitions_of_work_as_the_embedded_store_does(
    tmp_path_factory: Any, history: list[list[dict[str, Any]]], data: st.DataObject
) -> None:
    from lineage.store.neo4j import Neo4jStore

    url = neo4j_url()
    events = [e for run in history for e in run]
    shuffled = data.draw(st.permutations(events))
    batch = data.draw(st.sampled_from([1, 2, 5]))
    reference = EmbeddedStore(tmp_path_factory.mktemp("reference") / "a.db")
    store = Neo4jStore(url, reset_for_tests=True)
    try:
        feed(reference, events)
        feed(store, shuffled, batch=batch)
        differences = graph_diff(snapshot(reference), snapshot(store))
        assert not differences, "\n".join(differences)
    finally:
        reference.close()
        store.close()


@pytest.fixture
def warehouse_pair(url: str, tmp_path: Path) -> Iterator[tuple[EmbeddedStore, Any]]:
    from lineage.store.neo4j import Neo4jStore

    events = list(Warehouse(40, seed=3).events(150))
    reference = EmbeddedStore(tmp_path / "reference.db")
    store = Neo4jStore(url, reset_for_tests=True)
    feed(reference, events, batch=60)
    feed(store, events, batch=60)
    yield reference, store
    reference.close()
    store.close()


def test_a_warehouse_workload_gives_the_same_graph_and_counts(
    warehouse_pair: tuple[EmbeddedStore, Any],
) -> None:
    reference, store = warehouse_pair
    differences = graph_diff(snapshot(reference), snapshot(store))
    assert not differences, "\n".join(differences[:20])
    assert dict(store.count()) == dict(reference.count())


def test_reads_answer_as_the_embedded_store_does(warehouse_pair: tuple[EmbeddedStore, Any]) -> None:
    reference, store = warehouse_pair
    sample = [n.id for n in reference.nodes_of_kind(NodeKind.DATASET, limit=400)][::7]
    assert [n.id for n in store.nodes_of_kind(NodeKind.DATASET, limit=400)][::7] == sample
    assert store.nodes_of_kind(NodeKind.JOB, limit=5, offset=3) == reference.nodes_of_kind(
        NodeKind.JOB, limit=5, offset=3
    )
    kinds = [EdgeKind.INPUT_TO, EdgeKind.PRODUCES]
    for start in sample[-4:]:
        for direction in Direction:
            ours = store.expand([start], direction, kinds, max_depth=6)
            theirs = reference.expand([start], direction, kinds, max_depth=6)
            assert ours.nodes == theirs.nodes and ours.edges == theirs.edges
            assert not ours.truncated
        assert store.edges_of([start], Direction.BOTH) == reference.edges_of([start], Direction.BOTH)
        assert store.edges_of(
            [start], Direction.UPSTREAM, [EdgeKind.PRODUCES], as_of=1.0
        ) == reference.edges_of([start], Direction.UPSTREAM, [EdgeKind.PRODUCES], as_of=1.0)
    deepest = max(
        sample, key=lambda n: len(reference.expand([n], Direction.UPSTREAM, kinds, 20).nodes)
    )
    limited = store.expand([deepest], Direction.UPSTREAM, kinds, max_depth=20, node_limit=4)
    assert len(limited.nodes) == 4 and limited.truncated and limited.frontier
    for text in ("t_1", "mart", "job_3", "src_2"):
        assert [n.id for n in store.search(text, limit=50)] == [
            n.id for n in reference.search(text, limit=50)
        ]
    assert [(e.seq, e.event_time, e.body) for e in store.events(limit=30, offset=10)] == [
        (e.seq, e.event_time, e.body) for e in reference.events(limit=30, offset=10)
    ]
    assert store.get_nodes(["nonsense", dataset_id("nowhere", "x"), sample[0]]) == reference.get_nodes(
        ["nonsense", dataset_id("nowhere", "x"), sample[0]]
    )


def test_empty_keys_props_and_ats_are_not_stored_and_a_store_that_kept_them_reads_the_same(
    url: str, tmp_path: Path
) -> None:
    from neo4j import GraphDatabase

    from lineage.store.neo4j import Neo4jStore
    from tests.store.test_light_cache import whole
    from tests.store.test_traversal import generated_history, questions

    events = generated_history(seed=4, symlink=True)
    half = len(events) // 2
    reference = EmbeddedStore(tmp_path / "reference.db")
    store = Neo4jStore(url, reset_for_tests=True)
    feed(reference, events[:half], batch=9)
    feed(store, events[:half], batch=9)
    asked = list(questions(store))[::5]
    walks = [whole(store.traverse(**q)) for q in asked]
    with GraphDatabase.driver(url) as driver:
        kept = driver.execute_query("MATCH ()-[r:HAS_FIELD]->() RETURN keys(r) AS k LIMIT 1")
        assert kept.records and sorted(kept.records[0]["k"]) == ["id"]
        # As stores written before kept them: every key, props and ats, empty or not.
        driver.execute_query(
            "MATCH ()-[r]->() SET r.key = coalesce(r.key, ''), "
            "r.props = coalesce(r.props, '{}'), r.ats = coalesce(r.ats, '{}')"
        )
        driver.execute_query("MATCH (n:Entity) SET n.ats = coalesce(n.ats, '{}')")
    assert [whole(store.traverse(**q)) for q in asked] == walks
    differences = graph_diff(snapshot(reference), snapshot(store))
    assert not differences, "\n".join(differences[:20])
    feed(reference, events[half:], batch=9)
    feed(store, events[half:], batch=9)
    differences = graph_diff(snapshot(reference), snapshot(store))
    assert not differences, "\n".join(differences[:20])
    reference.close()
    store.close()


def test_migrating_twice_changes_nothing(url: str) -> None:
    from neo4j import GraphDatabase

    from lineage.store.neo4j import Neo4jStore, schema_statements

    store = Neo4jStore(url)
    store.migrate()
    store.close()
    with GraphDatabase.driver(url) as driver:
        constraints = driver.execute_query("SHOW CONSTRAINTS YIELD name RETURN name").records
    names = {r["name"] for r in constraints}
    assert {"entity_id", "dataset_key", "job_key", "run_key", "read_id", "event_seq"} <= names
    assert all("IF NOT EXISTS" in s for s in schema_statements())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_neo4j_refuses_writes_and_fails_ping_with_the_reason() -> None:
    from lineage.ingest import prepare
    from lineage.store.neo4j import Neo4jStore
    from tests.factories import new_run_id, run_event

    port = free_port()
    store = Neo4jStore(f"neo4j://127.0.0.1:{port}", connection_timeout=1, retry_seconds=0.5)
    try:
        with pytest.raises(StoreUnavailable, match=f"127.0.0.1:{port}"):
            store.ping()
        with pytest.raises(StoreUnavailable):
            store.write([prepare(run_event("START", new_run_id(), ("etl", "job")))])
    finally:
        store.close()
