"""The embedded store's snapshot: the graph in memory, written next to the store's file at a
clean close and read back on the next open instead of the rows, but only while the file
is as it was then and the snapshot is intact; otherwise the rows are read."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson

from benchmarks.synthetic import Warehouse
from lineage.graph.model import NodeKind
from lineage.ingest import prepare
from lineage.store.embedded import EmbeddedStore


def built(path: Path, runs: int = 60) -> Path:
    store = EmbeddedStore(path)
    events = list(Warehouse(jobs=12, seed=3).events(runs))
    for start in range(0, len(events), 25):
        store.write([prepare(e) for e in events[start : start + 25]])
    store.close()
    return path


def graph(store: EmbeddedStore) -> tuple[object, ...]:
    """What a store answers, and the indexes its answers come from."""
    return (
        store.export(),
        dict(store.count()),
        store._out,
        store._in,
        store._written,
        store._reads,
        store._read_of,
        store._completions,
        store._completion_at,
        store._projection_of_job,
        store._unresolved,
        {
            k: (r.job, r.output, r.since, r.last_seen, r.until, r.feeds)
            for k, r in store._reports.items()
        },
        store._reports_of_job,
        store._reports_of_feed,
    )


def from_rows(path: Path) -> tuple[object, ...]:
    store = EmbeddedStore(path, read_only=True, load=False)
    store._load()  # the rows, never the snapshot
    assert store.load_source == "rows"
    try:
        return graph(store)
    finally:
        store.close()


def test_a_clean_close_writes_a_snapshot_that_the_next_open_reads_instead_of_the_rows(
    tmp_path: Path,
) -> None:
    db = built(tmp_path / "lineage.db")
    store = EmbeddedStore(db)
    assert store.snapshot_path.exists()
    assert store.load_source == "snapshot"
    assert graph(store) == from_rows(db)
    store.close()


def test_a_snapshot_stays_current_through_writes_and_reopens(tmp_path: Path) -> None:
    db = built(tmp_path / "lineage.db")
    more = list(Warehouse(jobs=12, seed=4).events(20))
    store = EmbeddedStore(db)
    store.write([prepare(e) for e in more])
    store.close()
    reopened = EmbeddedStore(db)
    assert reopened.load_source == "snapshot"
    assert graph(reopened) == from_rows(db)
    reopened.close()


def test_a_damaged_snapshot_is_ignored_and_the_graph_rebuilt_from_the_rows(tmp_path: Path) -> None:
    db = built(tmp_path / "lineage.db")
    expected = from_rows(db)
    snapshot = db.with_name(db.name + ".graph")
    data = bytearray(snapshot.read_bytes())
    for offset in range(len(data) // 2, len(data) // 2 + 64):
        data[offset] ^= 0xFF
    snapshot.write_bytes(bytes(data))
    store = EmbeddedStore(db)
    assert store.load_source == "rows"
    assert graph(store) == expected
    store.close()
    # The close wrote a good one again.
    again = EmbeddedStore(db)
    assert again.load_source == "snapshot"
    assert graph(again) == expected
    again.close()


def test_a_truncated_or_empty_snapshot_is_ignored(tmp_path: Path) -> None:
    db = built(tmp_path / "lineage.db")
    expected = from_rows(db)
    snapshot = db.with_name(db.name + ".graph")
    for content in (snapshot.read_bytes()[:1000], b""):
        snapshot.write_bytes(content)
        store = EmbeddedStore(db, read_only=True)
        assert store.load_source == "rows"
        assert graph(store) == expected
        store.close()


def test_a_snapshot_older_than_the_file_is_not_used(tmp_path: Path) -> None:
    db = built(tmp_path / "lineage.db")
    # Another writer changes the file after the clean close (here SQLite itself).
    with sqlite3.connect(db) as conn:
        (nid, props) = conn.execute(
            "SELECT id, props FROM nodes WHERE kind = ? LIMIT 1", (NodeKind.DATASET.value,)
        ).fetchone()
        changed = {**orjson.loads(props), "description_hint": "changed behind the store's back"}
        conn.execute("UPDATE nodes SET props = ? WHERE id = ?", (orjson.dumps(changed), nid))
    conn.close()
    store = EmbeddedStore(db)
    assert store.load_source == "rows"
    assert store._nodes[nid].props["description_hint"] == "changed behind the store's back"
    store.close()


def test_a_store_that_stopped_without_closing_is_read_from_its_rows(tmp_path: Path) -> None:
    db = built(tmp_path / "lineage.db")
    store = EmbeddedStore(db)
    assert store.load_source == "snapshot"
    store.write([prepare(e) for e in Warehouse(jobs=12, seed=5).events(5)])
    # No close: the process stops here as a crash would (the lock goes with it).
    assert store._writer is not None
    store._writer.release()
    store._writer = None
    reader = EmbeddedStore(db, read_only=True)
    assert reader.load_source == "rows"
    assert reader.export() == store.export()
    assert reader.count() == store.count()
    reader.close()
    store._db.close()
