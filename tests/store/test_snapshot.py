"""Reopening an embedded store reads a snapshot of its memory instead of rebuilding it
from the rows, and gives the same graph as a rebuild would.

What changed after the snapshot (written by a process killed before it could close, by a
prune, by a migration) is replayed from the change log; a snapshot that is corrupt,
truncated, of another code version, or not the one the store recorded is not used: the
store is rebuilt from its rows, and a log line says why."""

from __future__ import annotations

import logging
import os
import pickle
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from benchmarks.synthetic import Warehouse
from lineage.graph.model import (
    DeleteNode,
    EdgeKind,
    Mutation,
    NodeKind,
    Prop,
    UpsertEdge,
    UpsertNode,
    dataset_id,
    edge_id,
    node_id,
)
from lineage.ingest import prepare
from lineage.ingest.migrations import old_quality_incidents
from lineage.store import Direction
from lineage.store import snapshot as snapshot_module
from lineage.store.base import IngestItem
from lineage.store.embedded import EmbeddedStore
from lineage.store.snapshot import _HEADER
from lineage.store.traversal import Level
from tests.conftest import REPO, feed, snapshot
from tests.factories import dataset, pipeline_run
from tests.incidents.test_migration import write_old_store

NS = "pg://db"


def _items(runs: int, seed: int = 7, skip: int = 0) -> list[Any]:
    """Warehouse traffic (with column lineage, schemas, failed runs): ``runs`` runs after
    the first ``skip``."""
    events = list(Warehouse(12, seed=seed).events(skip + runs))
    return [prepare(e) for e in events[2 * skip :]]


def _write(store: EmbeddedStore, items: list[Any], batch: int = 40) -> None:
    for i in range(0, len(items), batch):
        store.write(items[i : i + batch])


def _memory(store: EmbeddedStore) -> dict[str, Any]:
    """Everything a load builds, as plain comparable values (an empty index entry left
    behind by a deletion counts as none). Adjacency and the reports of each FEEDS edge are
    compared in the form they are held in: one member as itself, more as a set."""
    return {
        "nodes": {
            nid: (rec.kind, rec.props, rec.times, rec.cold) for nid, rec in store._nodes.items()
        },
        "edges": {
            eid: (rec.kind, rec.src, rec.dst, rec.key, rec.props, rec.times)
            for eid, rec in store._edges.items()
        },
        "out": store._out,
        "in": store._in,
        "written": {k: v for k, v in store._written.items() if v},
        "reads": {k: v for k, v in store._reads.items() if v},
        "read_of": store._read_of,
        "completions": {k: v for k, v in store._completions.items() if v},
        "completion_at": store._completion_at,
        "reports": {
            key: (r.job, r.output, r.since, r.last_seen, r.until, sorted(r.feeds))
            for key, r in store._reports.items()
        },
        "reports_of_job": {k: v for k, v in store._reports_of_job.items() if v},
        "reports_of_feed": store._reports_of_feed,
        "unresolved": {k: v for k, v in store._unresolved.items() if v},
        "count": dict(store.count()),
    }


def _answers(store: EmbeddedStore) -> list[Any]:
    """What readers are told: the whole graph, walks from every dataset, a search."""
    datasets = sorted(n.id for n in store.nodes_of_kind(NodeKind.DATASET, limit=10_000))
    walks = []
    for start in datasets[:20]:
        for level in (Level.DATASET, Level.RUN):
            walk = store.traverse([start], level, Direction.BOTH, 5)
            walks.append((sorted(walk.nodes), walk.hops))
    found = [n.id for n in store.search("orders", limit=50)]
    return [snapshot(store), walks, found]


def _rebuilt(path: Path) -> EmbeddedStore:
    """The store at ``path`` rebuilt from its rows (its snapshot set aside meanwhile)."""
    aside = path.with_name("aside")
    shutil.copytree(path.parent, aside)
    (aside / (path.name + ".snapshot")).unlink(missing_ok=True)
    (aside / (path.name + ".lock")).unlink(missing_ok=True)
    store = EmbeddedStore(aside / path.name, read_only=True)
    assert store.loaded_from == "rows"
    return store


def _same_as_rebuilt(store: EmbeddedStore) -> None:
    rebuilt = _rebuilt(store.path)
    try:
        assert _memory(store) == _memory(rebuilt)
        assert _answers(store) == _answers(rebuilt)
    finally:
        rebuilt.close()
        shutil.rmtree(rebuilt.path.parent)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """A store with some history, closed (so with a snapshot)."""
    store = EmbeddedStore(tmp_path / "store" / "l.db")
    _write(store, _items(150))
    feed(store, pipeline_run(("etl", "mart"), [dataset(NS, "raw")], [dataset(NS, "mart")], start=0))
    store.close()
    assert (tmp_path / "store" / "l.db.snapshot").exists()
    return tmp_path / "store" / "l.db"


def _reopens_from_snapshot(path: Path) -> None:
    """Reopens from the snapshot (and the rows changed since, when the last close found
    too few changes to write one)."""
    store = EmbeddedStore(path)
    try:
        assert store.loaded_from.startswith("snapshot"), store.loaded_from
        _same_as_rebuilt(store)
    finally:
        store.close()


def test_reopening_reads_the_snapshot_and_gives_what_a_rebuild_gives(path: Path) -> None:
    _reopens_from_snapshot(path)


def test_a_store_reopened_from_its_snapshot_goes_on_taking_writes_like_a_rebuilt_one(
    path: Path,
) -> None:
    store = EmbeddedStore(path)
    _write(store, _items(60, skip=150))
    store.close()
    _reopens_from_snapshot(path)


def test_a_close_writes_a_snapshot_only_after_enough_changes(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = EmbeddedStore(path)
    _write(store, _items(5, skip=150))
    store.close()  # a few changes: the next open replays them
    store = EmbeddedStore(path)
    assert store.loaded_from.startswith("snapshot and "), store.loaded_from
    monkeypatch.setattr(snapshot_module, "EVERY_CHANGES", 1)
    _write(store, _items(5, skip=155))
    store.close()  # enough (here: any) changes: a new snapshot
    _reopens_from_snapshot(path)
    store = EmbeddedStore(path)
    try:
        assert store.loaded_from == "snapshot"
    finally:
        store.close()


def _killed_after(path: Path, work: str) -> None:
    """Runs ``work`` in a process that opens the store (from its snapshot), and is then
    killed (SIGKILL: no close, no snapshot)."""
    code = textwrap.dedent(
        f"""
        import os, signal, sys
        sys.path.insert(0, {str(REPO)!r})
        from benchmarks.synthetic import Warehouse
        from lineage.ingest import prepare
        from lineage.ingest.migrations import migrate
        from lineage.store.embedded import EmbeddedStore
        store = EmbeddedStore({str(path)!r})
        assert store.loaded_from == "snapshot", store.loaded_from
        """
    )
    code += textwrap.dedent(work) + "\nos.kill(os.getpid(), signal.SIGKILL)\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == -signal.SIGKILL, done.stderr


def _replayed(path: Path) -> EmbeddedStore:
    """The store reopened from its snapshot and the rows changed since, checked against a
    rebuild."""
    store = EmbeddedStore(path)
    try:
        assert store.loaded_from.startswith("snapshot and "), store.loaded_from
        _same_as_rebuilt(store)
    except BaseException:
        store.close()
        raise
    return store


@pytest.mark.parametrize("periodic", [False, True], ids=["after-close", "after-periodic"])
def test_writes_of_a_process_killed_after_the_snapshot_are_replayed(
    path: Path, periodic: bool
) -> None:
    _killed_after(
        path,
        f"""
        items = [prepare(e) for e in list(Warehouse(12, seed=7).events(230))[300:]]
        store.write(items[:60])
        if {periodic}:
            assert store.snapshot()
        store.write(items[60:])
        """,
    )
    store = _replayed(path)
    try:
        assert store.count()["events"] == 2 * 230 + 2
    finally:
        store.close()


def test_a_snapshot_written_every_few_minutes_leaves_the_store_answering(path: Path) -> None:
    store = EmbeddedStore(path)
    try:
        assert not store.snapshot()  # nothing changed since the one read
        _write(store, _items(30, skip=150))
        assert store.snapshot()
        remaining = store._db.execute("SELECT count(*) FROM changed").fetchone()[0]
        assert remaining == 0  # the log is emptied up to the snapshot
        _write(store, _items(30, skip=180))
    finally:
        store.close()
    _reopens_from_snapshot(path)


def _reopened_with_log(path: Path, caplog: pytest.LogCaptureFixture) -> tuple[EmbeddedStore, str]:
    with caplog.at_level(logging.INFO, logger="lineage.store"):
        store = EmbeddedStore(path)
    return store, caplog.text


def _rebuilt_saying(path: Path, caplog: pytest.LogCaptureFixture, why: str) -> None:
    store, said = _reopened_with_log(path, caplog)
    try:
        assert store.loaded_from == "rows"
        assert "is not used, the store is rebuilt" in said
        assert why in said
        _same_as_rebuilt(store)
    finally:
        store.close()
    # Closing wrote a good one again.
    store = EmbeddedStore(path)
    assert store.loaded_from == "snapshot"
    store.close()


def test_a_corrupt_snapshot_is_rebuilt(path: Path, caplog: pytest.LogCaptureFixture) -> None:
    file = path.with_name(path.name + ".snapshot")
    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    file.write_bytes(data)
    _rebuilt_saying(path, caplog, "checksum does not match")


def test_a_truncated_snapshot_is_rebuilt(path: Path, caplog: pytest.LogCaptureFixture) -> None:
    file = path.with_name(path.name + ".snapshot")
    data = file.read_bytes()
    file.write_bytes(data[: len(data) - 1000])
    _rebuilt_saying(path, caplog, "truncated")


def test_a_snapshot_shorter_than_its_header_is_rebuilt(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    file = path.with_name(path.name + ".snapshot")
    file.write_bytes(file.read_bytes()[:20])
    _rebuilt_saying(path, caplog, "truncated")


def test_a_snapshot_of_another_code_version_is_rebuilt(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    file = path.with_name(path.name + ".snapshot")
    data = bytearray(file.read_bytes())
    data[12] ^= 0xFF  # the first byte of the code digest
    file.write_bytes(data)
    _rebuilt_saying(path, caplog, "another version of lineage")


def test_an_older_snapshot_is_rebuilt_not_replayed(
    path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshot_module, "EVERY_CHANGES", 1)
    file = path.with_name(path.name + ".snapshot")
    older = file.read_bytes()
    store = EmbeddedStore(path)
    _write(store, _items(40, skip=150))
    store.close()  # a newer snapshot, and the log emptied up to it
    file.write_bytes(older)
    _rebuilt_saying(path, caplog, "not the one the store recorded")


def test_a_snapshot_of_a_store_made_again_at_the_same_path_is_not_used(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("l.db", "l.db-wal", "l.db-shm"):
        path.with_name(name).unlink(missing_ok=True)
    store = EmbeddedStore(path)  # a new, empty store beside the old snapshot
    try:
        assert store.loaded_from == "rows"
        assert store.count() == {"events": 0, "nodes": 0, "edges": 0}
    finally:
        store.close()


def test_a_body_failing_its_checksum_is_never_unpickled(path: Path, tmp_path: Path) -> None:
    file = path.with_name(path.name + ".snapshot")
    witness = tmp_path / "unpickled"

    class Trap:
        def __reduce__(self) -> tuple[Any, ...]:
            return (os.system, (f"touch {witness}",))

    head = file.read_bytes()[: _HEADER.size]
    body = pickle.dumps(Trap(), protocol=5)
    magic, fmt, code, token, seq, _, checksum = _HEADER.unpack(head)
    file.write_bytes(_HEADER.pack(magic, fmt, code, token, seq, len(body), checksum) + body)
    store = EmbeddedStore(path)
    try:
        assert store.loaded_from == "rows"
        assert not witness.exists()
    finally:
        store.close()


def test_a_prune_after_the_snapshot_is_replayed(path: Path) -> None:
    before = EmbeddedStore(path, read_only=True)
    runs = len(before.nodes_of_kind(NodeKind.RUN, limit=10_000))
    before.close()
    _killed_after(path, "assert store.prune(before=1e12).runs > 0")
    store = _replayed(path)
    try:
        assert len(store.nodes_of_kind(NodeKind.RUN, limit=10_000)) < runs
    finally:
        store.close()


def test_a_replay_patches_the_indexes_to_what_a_rebuild_builds(tmp_path: Path) -> None:
    """After the snapshot: runs it holds as started complete (indexed properties change),
    new runs add jobs, datasets, versions and reads, and a prune deletes the oldest runs.
    The replayed memory, indexes included, is the one a rebuild from the rows gives."""
    path = tmp_path / "store" / "l.db"
    items = [prepare(e) for e in Warehouse(12, seed=7).events(200)]
    store = EmbeddedStore(path)
    _write(store, [i for n, i in enumerate(items[:300]) if n < 200 or i.event_type == "START"])
    store.close()
    _killed_after(
        path,
        """
        items = [prepare(e) for e in Warehouse(12, seed=7).events(200)]
        store.write([i for i in items[200:300] if i.event_type != "START"])
        store.write(items[300:])
        assert store.prune(before=items[100].event_time).runs > 0
        """,
    )
    _replayed(path).close()


def test_a_replay_derives_the_edges_to_a_node_that_comes_back(path: Path, tmp_path: Path) -> None:
    """A job's row deleted after the snapshot takes its runs' RUN_OF edges with it; written
    again after the next snapshot, it brings them back: each replay gives the memory a
    rebuild from the rows gives."""
    saved = tmp_path / "job.pickle"
    _killed_after(
        path,
        f"""
        import pickle
        from lineage.graph.model import NodeKind
        db = store._db
        job = next(
            r.props["job"] for r in store._nodes.values()
            if r.kind is NodeKind.RUN and r.props.get("job")
        )
        rows = (
            db.execute("SELECT * FROM nodes WHERE id = ?", (job,)).fetchall(),
            db.execute("SELECT * FROM cold WHERE node = ?", (job,)).fetchall(),
        )
        pickle.dump(rows, open({str(saved)!r}, "wb"))
        db.execute("DELETE FROM cold WHERE node = ?", (job,))
        db.execute("DELETE FROM nodes WHERE id = ?", (job,))
        """,
    )
    store = _replayed(path)
    try:
        assert store.snapshot()
    finally:
        store.close()
    _killed_after(
        path,
        f"""
        import pickle
        nodes, cold = pickle.load(open({str(saved)!r}, "rb"))
        store._db.executemany("INSERT INTO nodes VALUES (?, ?, ?, ?)", nodes)
        store._db.executemany("INSERT INTO cold VALUES (?, ?, ?, ?)", cold)
        """,
    )
    _replayed(path).close()


def test_a_migration_after_the_snapshot_is_replayed(tmp_path: Path) -> None:
    path = tmp_path / "old" / "l.db"
    store = EmbeddedStore(path)
    write_old_store(store)
    store.close()
    _killed_after(path, "assert migrate(store) > 0")
    store = _replayed(path)
    try:
        assert old_quality_incidents(store) == []
    finally:
        store.close()


def test_no_snapshot_is_written_when_the_machine_is_short_of_memory(
    path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshot_module, "EVERY_CHANGES", 1)  # a close would write one
    # A margin no machine has: writing one would need a million times the graph's memory.
    store = EmbeddedStore(path)
    store._snapshots.memory_margin = 1e6
    with caplog.at_level(logging.WARNING, logger="lineage.store"):
        _write(store, _items(30, skip=150))
        assert not store.snapshot()
        store.close()
    assert "not writing the snapshot" in caplog.text
    assert "no snapshot of" in caplog.text and "MB are available" in caplog.text
    store = _replayed(path)  # the older snapshot and every change since
    store.close()
    assert store._snapshots.short_of_memory(forked=True) is None  # this machine has room


def test_a_store_changed_mostly_since_its_snapshot_is_rebuilt_not_replayed(
    path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Reading the snapshot and then replaying most of the store would hold the old graph
    # and the new one at once: a 100k-job store ran out of memory so.
    monkeypatch.setattr(snapshot_module, "REPLAY_ALWAYS", 0)  # count even a small store
    store = EmbeddedStore(path)
    store._snapshots.memory_margin = 1e6  # no snapshot at close
    _write(store, _items(150, skip=150))
    store.close()
    store, said = _reopened_with_log(path, caplog)
    try:
        assert store.loaded_from == "rows", store.loaded_from
        assert "is not used, the store is rebuilt" in said
        assert "replaying more than 20% of the store costs more than rebuilding it" in said
        _same_as_rebuilt(store)
        store._snapshots.memory_margin = 1e6
    finally:
        store.close()
    # The same changes, under a larger share, are replayed from that snapshot.
    monkeypatch.setattr(snapshot_module, "REPLAY_SHARE", 1.0)
    store = _replayed(path)
    store.close()


def _apply(store: EmbeddedStore, *mutations: Mutation) -> None:
    store.write([IngestItem(b"", 0.0, None, None, None, None, mutations)])


def test_an_index_holds_one_member_as_itself_and_more_as_a_set_as_a_rebuild_does(
    tmp_path: Path,
) -> None:
    """A node's edges of one kind: the one edge id as itself, a set once a second comes,
    the one left as itself again once the other goes (in a write, and in a replay)."""
    path = tmp_path / "store" / "l.db"
    target = dataset_id(NS, "orders")
    first, second = (node_id(NodeKind.INCIDENT, name) for name in ("i1", "i2"))
    on = [edge_id(EdgeKind.ON, incident, target) for incident in (first, second)]
    store = EmbeddedStore(path)
    try:
        _apply(store, UpsertNode(target, NodeKind.DATASET, {"name": Prop("orders")}))
        _apply(store, UpsertNode(first, NodeKind.INCIDENT), UpsertEdge(EdgeKind.ON, first, target))
        assert store._in[EdgeKind.ON][target] == on[0]
        assert store._out[EdgeKind.ON][first] == on[0]
        _apply(
            store, UpsertNode(second, NodeKind.INCIDENT), UpsertEdge(EdgeKind.ON, second, target)
        )
        assert store._in[EdgeKind.ON][target] == set(on)
        _same_as_rebuilt(store)
    finally:
        store.close()
    assert path.with_name("l.db.snapshot").exists()
    store = EmbeddedStore(path)
    try:
        _apply(store, DeleteNode(first))
        assert store._in[EdgeKind.ON][target] == on[1]
        assert first not in store._out[EdgeKind.ON]
        assert [e.id for e in store.edges_of([target], Direction.UPSTREAM)] == [on[1]]
        _same_as_rebuilt(store)
    finally:
        store.close()  # too few changes for a snapshot: the next open replays the deletion
    _reopens_from_snapshot(path)


def test_equal_property_values_are_one_object_however_the_store_is_read(path: Path) -> None:
    """Column lineage edges repeat a few values (scope, origin, transformations, their
    job): each is held once, the job as the very string the job node is keyed by."""
    for store in (EmbeddedStore(path), _rebuilt(path)):
        try:
            feeds = [r.props for r in store._edges.values() if r.kind is EdgeKind.FEEDS]
            jobs = {nid: nid for nid in store._nodes}
            assert len(feeds) > 100
            for name in ("scope", "origin", "transformations"):
                values = [p[name] for p in feeds]
                assert len({id(v) for v in values}) == len({repr(v) for v in values}), name
            assert all(p["job"] is jobs[p["job"]] for p in feeds)
        finally:
            store.close()
