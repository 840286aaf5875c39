"""The embedded store: a SQLite file (WAL) as the durable truth, the graph held in memory.

Zero setup: ``sqlite:///path/to/lineage.db``. Every write is one SQLite transaction that
holds the raw events and every node and edge they changed, committed before the caller
gets an answer; reopening the file rebuilds the in-memory graph and its indexes.
"""

from __future__ import annotations

import gc
import logging
import sqlite3
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from hashlib import blake2b, sha256
from pathlib import Path
from typing import Any, Final

import orjson

from lineage.graph.mapping import FACET_PREFIX
from lineage.graph.merge import (
    Adjacency,
    Changes,
    MemoryState,
    Merger,
    add_member,
    members,
    remove_member,
)
from lineage.graph.merge import EdgeRec as _EdgeRec
from lineage.graph.merge import NodeRec as _NodeRec
from lineage.graph.merge import Report as _Report
from lineage.graph.model import (
    PROJECTION_EDGES,
    EdgeKind,
    LedgerEntry,
    Merge,
    NodeKind,
    Prop,
    edge_id,
)
from lineage.graph.props import CHANGED, TIME_ONLY, UNCHANGED, apply_prop
from lineage.store.base import (
    DecisionConflict,
    Direction,
    Edge,
    IngestItem,
    LedgerAsk,
    Node,
    StoredEvent,
    StoreError,
    StoreUnavailable,
    Subgraph,
    entry_before,
)
from lineage.store.memory_view import LightCache, MemoryView
from lineage.store.owner import WriterLock
from lineage.store.prune import PruneReport, prune_embedded
from lineage.store.search import (
    SEARCHED_PROPS,
    Hit,
    fts5_phrase,
    hit,
    match_rank,
    read_whole,
    searchable,
)
from lineage.store.shared import WRITE_LIMIT, Sharing
from lineage.store.snapshot import Snapshots
from lineage.store.traversal import Level, Traversal, walk


def _add_event_digests(db: sqlite3.Connection) -> None:
    """Stores made before events were kept once gain the digest column; their rows keep
    none (and so never collide), new rows are unique by it."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(events)")}
    if "digest" not in columns:
        db.execute("ALTER TABLE events ADD COLUMN digest BLOB")
    db.execute("CREATE UNIQUE INDEX IF NOT EXISTS events_by_digest ON events(digest)")


#: The text a search looks inside, one row per node that has any (lowercased in Python, as
#: the search text is), and its trigram index: any three or more characters of it are
#: found without reading every row. Kept by the same transactions as the nodes.
SEARCH_SCHEMA: Final = """
CREATE TABLE {schema}.search_text (rowid INTEGER PRIMARY KEY, node TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL, namespace TEXT, name TEXT NOT NULL, space TEXT NOT NULL,
    description TEXT NOT NULL);
CREATE VIRTUAL TABLE {schema}.search_index USING fts5(name, space, description,
    content='search_text', content_rowid='rowid', tokenize='trigram case_sensitive 1');
CREATE TRIGGER {schema}.search_text_added AFTER INSERT ON search_text BEGIN
    INSERT INTO search_index (rowid, name, space, description)
    VALUES (new.rowid, new.name, new.space, new.description);
END;
CREATE TRIGGER {schema}.search_text_removed AFTER DELETE ON search_text BEGIN
    INSERT INTO search_index (search_index, rowid, name, space, description)
    VALUES ('delete', old.rowid, old.name, old.space, old.description);
END;
CREATE TRIGGER {schema}.search_text_changed AFTER UPDATE ON search_text BEGIN
    INSERT INTO search_index (search_index, rowid, name, space, description)
    VALUES ('delete', old.rowid, old.name, old.space, old.description);
    INSERT INTO search_index (rowid, name, space, description)
    VALUES (new.rowid, new.name, new.space, new.description);
END;
"""

#: A node's row of ``search_text``; a description of None leaves the stored one as it is.
SEARCH_UPSERT: Final = (
    "INSERT INTO search_text (node, kind, namespace, name, space, description) "
    "VALUES (?1, ?2, ?3, ?4, ?5, coalesce(?6, '')) ON CONFLICT (node) DO UPDATE SET "
    "kind = excluded.kind, namespace = excluded.namespace, name = excluded.name, "
    "space = excluded.space, description = coalesce(?6, description) "
    "WHERE namespace IS NOT excluded.namespace OR name IS NOT excluded.name "
    "OR space IS NOT excluded.space OR (?6 IS NOT NULL AND description IS NOT ?6)"
)


def _add_search_index(db: sqlite3.Connection) -> None:
    """Stores made before search had an index gain one, filled from the nodes they hold,
    in one transaction, when a writer opens them."""
    if _has_search_index(db):
        return
    db.executescript("BEGIN IMMEDIATE;" + SEARCH_SCHEMA.format(schema="main"))
    try:
        descriptions = {
            node: orjson.loads(value)
            for node, value in db.execute("SELECT node, value FROM cold WHERE name = 'description'")
        }
        rows = db.execute("SELECT id, kind, props FROM nodes")
        while chunk := rows.fetchmany(_LOAD_CHUNK):
            found = [
                _search_row(nid, kind, orjson.loads(props), descriptions.get(nid, ""))
                for nid, kind, props in chunk
            ]
            db.executemany(SEARCH_UPSERT, [row for row in found if row is not None])
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _has_search_index(db: sqlite3.Connection) -> bool:
    found = db.execute("SELECT 1 FROM main.sqlite_master WHERE name = 'search_text'")
    return found.fetchone() is not None


def _search_row(
    nid: str, kind: str, props: Mapping[str, Any], description: Any
) -> tuple[str, str, Any, str, str, str | None] | None:
    """A node's ``search_text`` row, or None when it has nothing to find it by.
    ``description`` None keeps the stored one (a removed description is "")."""
    name, space, _ = searchable(props)
    text = None if description is None else str(description or "").lower()
    if not (name or space or text):
        return None
    return (nid, kind, props.get("namespace"), name, space, text)


#: A ledger entry's version, as ``ledger_by_version`` indexes it (the same expression,
#: so that queries can use that index): NULL for none and for a body that is not JSON (an
#: incident number's entry has none); an array or an object as a BLOB, which no text or
#: number a query binds equals (as Python's ``!=`` says of a list and its JSON's text).
_VERSION: Final = (
    "CASE WHEN json_valid(CAST(body AS TEXT)) THEN CASE "
    "WHEN json_type(CAST(body AS TEXT), '$.version') IN ('array', 'object') "
    "THEN CAST(json_extract(CAST(body AS TEXT), '$.version') AS BLOB) "
    "ELSE json_extract(CAST(body AS TEXT), '$.version') END END"
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    received_at REAL NOT NULL,
    event_time REAL NOT NULL,
    event_type TEXT,
    run_id TEXT,
    job_namespace TEXT,
    job_name TEXT,
    body BLOB NOT NULL,
    digest BLOB
);
CREATE INDEX IF NOT EXISTS events_by_time ON events(event_time);
CREATE INDEX IF NOT EXISTS events_by_run ON events(run_id);
CREATE TABLE IF NOT EXISTS nodes (id TEXT PRIMARY KEY, kind TEXT NOT NULL, props BLOB NOT NULL,
    ats BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cold (node TEXT NOT NULL, name TEXT NOT NULL, value BLOB NOT NULL,
    digest BLOB NOT NULL, PRIMARY KEY (node, name)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS reports (key TEXT PRIMARY KEY, job TEXT NOT NULL, output TEXT NOT NULL,
    since REAL NOT NULL, last_seen REAL NOT NULL, until REAL, feeds BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS edges (id TEXT PRIMARY KEY, kind TEXT NOT NULL, src TEXT NOT NULL,
    dst TEXT NOT NULL, key TEXT NOT NULL, data BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS contributions (run TEXT NOT NULL, item TEXT NOT NULL,
    PRIMARY KEY (run, item)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS unresolved (run TEXT NOT NULL, body BLOB NOT NULL,
    PRIMARY KEY (run, body)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ledger (ledger TEXT NOT NULL, key TEXT NOT NULL, at REAL NOT NULL,
    body BLOB NOT NULL, PRIMARY KEY (ledger, key)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ledger_by_time ON ledger(ledger, at, key);
""" + (f"CREATE INDEX IF NOT EXISTS ledger_by_version ON ledger(ledger, {_VERSION}, at, key);\n")


#: Large properties that neither traversal nor the merge rules need are "cold": they stay
#: on disk, and memory holds only a digest of each to tell a new value from a repeat.
#: Edges implied by a property of their source node; rebuilt from it on open, not stored.
DERIVED_EDGES: Final = frozenset({EdgeKind.HAS_FIELD, EdgeKind.VERSION_OF, EdgeKind.RUN_OF})

COLD_PROPS: Final = frozenset(
    {"schema", "metrics", "assertions", "owners", "tags", "description", "sql", "error_message"}
)


#: A ledger entry is written once: its key names its content.
_LEDGER_UPSERT: Final = "INSERT OR IGNORE INTO ledger VALUES (?, ?, ?, ?)"

#: Ledgers one query reads (two parameters each).
_LEDGER_CHUNK: Final = 400

#: The entries of each ledger ``w.name`` at or after ``w.since``, preceded by the last one
#: before it (none when ``since`` is -inf), oldest first.
_LEDGER_READ: Final = """
WITH w(name, since) AS (VALUES {values})
SELECT w.name, l.key, l.at, l.body FROM w JOIN ledger AS l
    ON l.ledger = w.name AND l.at >= w.since
UNION ALL
SELECT w.name, l.key, l.at, l.body FROM w JOIN ledger AS l
    ON l.ledger = w.name AND l.key = (
        SELECT key FROM ledger WHERE ledger = w.name AND at < w.since
        ORDER BY at DESC, key DESC LIMIT 1)
ORDER BY 1, 3, 2
"""

#: Which of the entries ``w`` the ledger holds, each looked up by its key.
_LEDGER_STORED: Final = """
WITH w(name, key) AS (VALUES {values})
SELECT w.name, w.key FROM w JOIN ledger AS l ON l.ledger = w.name AND l.key = w.key
"""
#: The entries before an ask that :meth:`EmbeddedStore.ledger_before` looks at first, latest
#: first, each with whether its version differs.
_BEFORE_RECENT: Final = (
    f"SELECT key, at, body, {_VERSION} IS NOT ? FROM ledger WHERE ledger = ? "
    "AND (at, key) < (?, ?) ORDER BY at DESC, key DESC LIMIT ?"
)
#: The latest entry before an ask under one version (NULL: under none).
_BEFORE_UNDER: Final = (
    f"SELECT key, at, body FROM ledger WHERE ledger = ? AND {_VERSION} IS ? "
    "AND (at, key) < (?, ?) ORDER BY at DESC, key DESC LIMIT 1"
)
#: The next version of a ledger after one (in SQLite's order), through the index.
_NEXT_VERSION: Final = (
    f"SELECT {_VERSION} FROM ledger WHERE ledger = ? AND {_VERSION} > ? ORDER BY {_VERSION} LIMIT 1"
)
#: The first version after none: every number is at least -infinity, and text sorts after
#: numbers (a range the index seeks to, past the entries without a version).
_FIRST_VERSION: Final = (
    f"SELECT {_VERSION} FROM ledger WHERE ledger = ? AND {_VERSION} >= -9e999 "
    f"ORDER BY {_VERSION} LIMIT 1"
)
_EARLIEST_BEFORE: Final = (
    "SELECT key, at, body FROM ledger WHERE ledger = ? AND (at, key) < (?, ?) "
    "ORDER BY at, key LIMIT 1"
)
#: How many of the latest entries before an ask are read before the versions are.
_RECENT: Final = 16

#: Nodes whose cold properties one query reads (SQLite allows 32,766 parameters).
_COLD_CHUNK: Final = 500


#: The writer's SQLite page cache, in KiB.
_CACHE_KIB: Final = 64 * 1024

#: Rows read from SQLite at a time while loading (the load's progress moves by as many).
_LOAD_CHUNK: Final = 10_000

_REPORT_COLUMNS: Final = "key, job, output, since, last_seen, until, feeds"

#: What a snapshot holds: the records, then the indexes a load builds from them (not what
#: is read from disk on first use, nor what walks made).
_RECORDS: Final = ("_nodes", "_edges", "_reports", "_unresolved")
_INDEXES: Final = (
    *("_out", "_in", "_written", "_reads", "_read_of", "_completions", "_completion_at"),
    *("_reports_of_job", "_reports_of_feed"),
)

log = logging.getLogger(__name__)

_paused_lock = threading.Lock()
_paused = 0  # loads running with the cyclic garbage collector paused
_resume = False  # whether to enable the collector again when the last one ends


@contextmanager
def _collector_paused(freeze: bool = False) -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a load. A load allocates millions of
    objects that live as long as the store (none of them garbage), and the collections
    their allocation triggers would scan all the earlier ones again and again: about
    half the time of a load. With ``freeze``, everything is then moved out of the
    collector's sight (``gc.freeze``) before it resumes; otherwise its next collection
    scans all that the load allocated once more."""
    global _paused, _resume
    with _paused_lock:
        if _paused == 0:
            _resume = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        with _paused_lock:
            _paused -= 1
            if _paused == 0 and _resume:
                gc.enable()


def _is_cold(name: str) -> bool:
    return name in COLD_PROPS or name.startswith(FACET_PREFIX)


def _digest(value: Any) -> bytes:
    return blake2b(orjson.dumps(value, option=orjson.OPT_SORT_KEYS), digest_size=16).digest()


def _derived_edge(nid: str, node: _NodeRec) -> tuple[EdgeKind, str, str] | None:
    kind = node.kind
    if kind is NodeKind.FIELD:
        return EdgeKind.HAS_FIELD, node.props["dataset"], nid
    if kind is NodeKind.DATASET_VERSION:
        return EdgeKind.VERSION_OF, nid, node.props["dataset"]
    if kind is NodeKind.RUN and node.props.get("job"):
        return EdgeKind.RUN_OF, nid, node.props["job"]
    return None


#: The kinds of node a VERSION_OF or RUN_OF edge leads to (from a version's
#: ``dataset``, a run's ``job``).
_DERIVED_TARGETS: Final = frozenset({NodeKind.DATASET, NodeKind.JOB})


def _discard_key(index: dict[str, set[str]], name: str, key: str) -> None:
    keys = index.get(name)
    if keys is not None:
        keys.discard(key)
        if not keys:
            del index[name]


class EmbeddedStore(MemoryState):
    """A :class:`~lineage.store.base.GraphStore` on one SQLite file.

    The graph in memory is the merge state the rules of :mod:`lineage.graph.merge` apply
    to; every write persists what they changed."""

    changes: _Batch

    def __init__(
        self,
        path: str | Path,
        *,
        durable: bool = True,
        read_only: bool = False,
        load: bool = True,
    ) -> None:
        """Open the store at ``path``: as its one writer (refused with :class:`StoreBusy`,
        naming the writer, while another process writes it), or ``read_only``, which
        takes no lock and sees what was committed when it opened.

        The graph is read into memory before this returns, unless ``load`` is false: then
        the file is opened (and locked) at once, and :meth:`load` must be called before
        anything else is asked of the store."""
        self.path = Path(path)
        self.read_only = read_only
        self._writer: WriterLock | None = None
        try:
            if read_only:
                if not self.path.exists():
                    raise StoreError(
                        f"there is no embedded store at {self.path}: load events into it "
                        "first (lineage ingest, lineage serve), or give another --store"
                    )
                self._db = sqlite3.connect(
                    f"{self.path.resolve().as_uri()}?mode=ro",
                    uri=True,
                    check_same_thread=False,
                    isolation_level=None,
                )
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                if str(path) != ":memory:":  # a private in-memory store has no one to share with
                    self._writer = WriterLock.acquire(self.path)
                self._db = sqlite3.connect(
                    str(self.path), check_same_thread=False, isolation_level=None
                )
                self._db.execute("PRAGMA journal_mode=WAL")
                # FULL syncs the WAL on every commit, so an acknowledged event survives a
                # crash of the machine, not only of the process.
                self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'OFF'}")
                # A batch dirties tens of megabytes of pages: with SQLite's default 2 MB
                # cache it spills them, and reads back the index pages it needs, mid-write.
                self._db.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
                self._db.executescript(SCHEMA)
                _add_event_digests(self._db)
                _add_search_index(self._db)
            self._snapshots = Snapshots(
                self.path, self._db, writer=not read_only and str(path) != ":memory:"
            )
        except (sqlite3.Error, OSError) as exc:
            if self._writer is not None:
                self._writer.release()
            raise StoreUnavailable(
                f"cannot open the embedded store at {self.path}: {exc}. "
                "Check that the directory is writable, or set LINEAGE_STORE to another "
                "sqlite:///path."
            ) from exc
        self._lock = threading.RLock()
        self._reset_memory()
        self._decisions = 0
        #: Whether the file has the search index (a read-only store may open one without).
        self._indexed = False
        self.loaded = False
        self.load_seconds = 0.0
        #: Where the last load read the graph from: "rows", "snapshot", or "snapshot and
        #: N changed rows".
        self.loaded_from = ""
        self._rows_loaded = 0
        self._rows_to_load = 0
        if load:
            self.load()

    # -- memory ----------------------------------------------------------------------

    def _reset_memory(self) -> None:
        self._reset_indexes()
        self._reset_records()
        self._light = LightCache()
        self._sharing = Sharing(WRITE_LIMIT)
        self.changes = _Batch()
        self._event_count = 0

    def load(self, *, freeze: bool = False) -> None:
        """Read the graph into memory: what opening does, unless the store was opened with
        ``load=False`` to do it later (on another thread, while a server already answers).
        Holds the store's lock throughout, so calls made meanwhile wait for it; loading a
        loaded store does nothing.

        ``freeze`` is for a process that keeps the graph until it exits (a server): every
        object then alive is moved out of the cyclic garbage collector's sight
        (``gc.freeze``), so that no collection ever scans the graph."""
        with self._lock:
            if not self.loaded:
                self._load(freeze=freeze, snapshot=str(self.path) != ":memory:")
                self.loaded = True
                self._snapshots.start(self._lock, self._snapshot_state)

    @property
    def load_progress(self) -> tuple[int, int]:
        """(node and edge rows read so far, node and edge rows in the store): readable from
        any thread while :meth:`load` runs."""
        return self._rows_loaded, self._rows_to_load

    def _load(self, freeze: bool = False, *, snapshot: bool = False) -> None:
        """Fill the (empty) memory: from the snapshot when ``snapshot`` and one is valid,
        with what changed since replayed; else rebuilt from the rows."""
        started = time.perf_counter()
        db = self._db
        # One read transaction: a reader sees one state of a file its writer changes.
        begun = not db.in_transaction
        if begun:
            db.execute("BEGIN")
        try:
            with _collector_paused(freeze):
                found = self._snapshots.read() if snapshot else None
                if found is None:
                    self._load_rows()
                    self.loaded_from = "rows"
                else:
                    self._load_snapshot(*found)
        finally:
            if begun:
                db.execute("COMMIT")
        self.load_seconds = time.perf_counter() - started

    def _load_rows(self) -> None:
        db = self._db
        self._rows_loaded = 0
        self._rows_to_load = sum(
            db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("nodes", "edges")
        )
        sharing = Sharing()
        self._read_nodes(db.execute("SELECT id, kind, props, ats FROM nodes"), sharing)
        self._read_cold(db.execute("SELECT node, name, digest FROM cold"))
        # Reports first: an edge a report holds is keyed by the string its feeds name.
        feeds = self._read_reports(db.execute(f"SELECT {_REPORT_COLUMNS} FROM reports"))
        self._read_edges(
            db.execute("SELECT id, kind, src, dst, key, data FROM edges"), sharing, feeds
        )
        del feeds, sharing
        self._read_unresolved(db.execute("SELECT run, body FROM unresolved"))
        self._index_records()
        (self._event_count,) = db.execute("SELECT count(*) FROM events").fetchone()

    def _snapshot_state(self) -> tuple[Any, ...]:
        """What a snapshot holds: the records and the indexes a load builds from them
        (not what is read from disk on first use, nor what walks made)."""
        return tuple(getattr(self, name) for name in (*_RECORDS, *_INDEXES))

    def _load_snapshot(self, state: tuple[Any, ...], seq: int) -> None:
        """The memory a snapshot of sequence ``seq`` holds, with the rows changed since
        replayed into it (:meth:`_replay`)."""
        for name, held in zip((*_RECORDS, *_INDEXES), state, strict=True):
            setattr(self, name, held)
        # The ids a write names are interned (put_node, put_edge): to be these very strings.
        intern = sys.intern
        for nid in self._nodes:
            intern(nid)
        changed = self._snapshots.changed_keys(seq)
        self._snapshots.seq = seq
        if any(changed.values()):
            self._replay(changed, self._snapshots.changed_since(seq))
            self.loaded_from = f"snapshot and {sum(map(len, changed.values()))} changed rows"
            log.info("read %s: %s", self._snapshots.file, self.loaded_from)
        else:
            self.loaded_from = "snapshot"
        self._rows_loaded = self._rows_to_load = len(self._nodes) + len(self._edges)
        (self._event_count,) = self._db.execute("SELECT count(*) FROM events").fetchone()

    def _replay(self, changed: Mapping[str, set[str]], since: Mapping[str, str]) -> None:
        """Bring the records and indexes of a snapshot up to the rows ``changed`` names
        (table -> keys; ``since``: the subqueries naming them): each changed record's
        index entries are taken out, its row read again, and the new record's entries put
        in, so that the indexes are those :meth:`_index_records` would build from the
        records, at the cost of the changes rather than of the whole graph."""
        db = self._db
        nodes, edges, reports = self._nodes, self._edges, self._reports
        # A VERSION_OF or RUN_OF edge is derived only while its target node exists:
        # the nodes whose derived edge leads to a changed node are derived again too.
        derived_in = (self._in[EdgeKind.VERSION_OF], self._in[EdgeKind.RUN_OF])
        derive = set(changed["nodes"])
        for nid in changed["nodes"]:
            for by_node in derived_in:
                derive.update(edges[eid].src for eid in members(by_node.get(nid)))
        targets_before = {
            nid
            for nid in changed["nodes"]
            if (rec := nodes.get(nid)) is not None and rec.kind in _DERIVED_TARGETS
        }
        for nid in derive:
            if (rec := nodes.get(nid)) is not None:
                self._unindex_derived(nid, rec)
        for nid in changed["nodes"]:
            if (rec := nodes.pop(nid, None)) is not None:
                self._unindex_node_entries(nid, rec)
        for nid in changed["cold"]:
            if (rec := nodes.get(nid)) is not None:
                rec.cold = None
        for eid in changed["edges"]:
            if (erec := edges.pop(eid, None)) is not None:
                self._unindex_edge_entries(eid, erec)
        for key in changed["reports"]:
            if (report := reports.pop(key, None)) is not None:
                self._unindex_report_entries(key, report)
        for run in changed["unresolved"]:
            self._unresolved.pop(run, None)

        self._read_nodes(
            db.execute(f"SELECT id, kind, props, ats FROM nodes WHERE id IN ({since['nodes']})"),
            self._sharing,
        )
        self._read_cold(
            db.execute(
                "SELECT node, name, digest FROM cold "
                f"WHERE node IN ({since['nodes']} UNION {since['cold']})"
            )
        )
        self._read_edges(
            db.execute(
                f"SELECT id, kind, src, dst, key, data FROM edges WHERE id IN ({since['edges']})"
            ),
            self._sharing,
        )
        self._read_reports(
            db.execute(f"SELECT {_REPORT_COLUMNS} FROM reports WHERE key IN ({since['reports']})")
        )
        self._read_unresolved(
            db.execute(f"SELECT run, body FROM unresolved WHERE run IN ({since['unresolved']})")
        )

        for eid in changed["edges"]:
            if (erec := edges.get(eid)) is not None:
                self._index_edge(eid, erec)
        for nid in changed["nodes"]:
            if (rec := nodes.get(nid)) is not None:
                # Its old entries are out: indexed as a write indexes it, as a rebuild does.
                self._index_node(nid, rec)
        # A target node that is new makes the derived edges of the nodes leading to it:
        # only a look at every node finds those.
        targets = {
            nid
            for nid in changed["nodes"]
            if nid not in targets_before
            and (rec := nodes.get(nid)) is not None
            and rec.kind in _DERIVED_TARGETS
        }
        if targets:
            version, run = NodeKind.DATASET_VERSION, NodeKind.RUN
            for nid, rec in nodes.items():
                node_kind = rec.kind
                if node_kind is version:
                    if rec.props.get("dataset") in targets:
                        derive.add(nid)
                elif node_kind is run and rec.props.get("job") in targets:
                    derive.add(nid)
        for nid in derive:
            if (rec := nodes.get(nid)) is not None:
                self._index_derived(nid, rec)
        for key in changed["reports"]:
            if (report := reports.get(key)) is not None:
                self._index_report(key, report)

    # A replay's index patches: each takes out, or puts in, exactly what _index_records
    # builds for one record, and leaves no empty entry behind (a rebuild makes none).

    def _unindex_edge_entries(self, eid: str, rec: _EdgeRec) -> None:
        kind = rec.kind
        remove_member(self._out[kind], rec.src, eid)
        remove_member(self._in[kind], rec.dst, eid)
        if kind is EdgeKind.READ:
            dataset: str = rec.props["dataset"]
            if self._read_of.get((rec.src, dataset)) == eid:
                del self._read_of[(rec.src, dataset)]
            reads = self._reads.get(dataset)
            if reads is not None:
                reads.pop(eid, None)
                if not reads:
                    del self._reads[dataset]

    def _index_derived(self, nid: str, rec: _NodeRec) -> None:
        derived = _derived_edge(nid, rec)
        if derived is None:
            return
        kind, src, dst = derived
        eid = edge_id(kind, src, dst)
        if eid not in self._edges and dst in self._nodes:
            erec = _EdgeRec(kind, src, dst, "", {}, None)
            self._edges[eid] = erec
            self._index_edge(eid, erec)

    def _unindex_derived(self, nid: str, rec: _NodeRec) -> None:
        derived = _derived_edge(nid, rec)
        if derived is None:
            return
        eid = edge_id(*derived)
        erec = self._edges.get(eid)
        if erec is not None and erec.kind in DERIVED_EDGES:
            del self._edges[eid]
            self._unindex_edge_entries(eid, erec)

    def _unindex_node_entries(self, nid: str, rec: _NodeRec) -> None:
        props = rec.props
        kind = rec.kind
        if kind is NodeKind.DATASET_VERSION:
            dataset: Any = props.get("dataset")
            versions = self._written.get(dataset)
            if versions is not None:
                versions[:] = [v for v in versions if v[1] != nid]
                if not versions:
                    del self._written[dataset]
        elif kind is NodeKind.RUN:
            if props.get("job") is not None:
                self._drop_completion(props["job"], nid)
        elif kind is NodeKind.JOB:
            for at in props.get("static_completions") or ():
                self._drop_completion(nid, f"static:{at!r}")

    def _drop_completion(self, job: str, key: str) -> None:
        at = self._completion_at.pop((job, key), None)
        if at is None:
            return
        entries = self._completions[job]
        entries.remove((at, key))
        if not entries:
            del self._completions[job]

    def _unindex_report_entries(self, key: str, report: _Report) -> None:
        _discard_key(self._reports_of_job, report.job, key)
        for eid in report.feeds:
            remove_member(self._reports_of_feed, eid, key)

    # Rows to records. Built in bulk rather than row by row through _index_node and
    # _index_edge (the same indexes, with sorted lists sorted once at the end): names are
    # bound to locals, and nothing is looked up twice. Ids are interned so that every
    # edge, index and property naming a node shares one string object with the node table,
    # and equal property values are one object (lineage.store.shared).

    def _read_nodes(self, cursor: sqlite3.Cursor, sharing: Sharing) -> None:
        loads = orjson.loads
        intern = sys.intern
        share = sharing.props
        nodes = self._nodes
        node_rec = _NodeRec
        node_kinds = {k.value: k for k in NodeKind}
        while rows := cursor.fetchmany(_LOAD_CHUNK):
            for nid, kind, props, ats in rows:
                props = loads(props)
                share(props)
                nodes[intern(nid)] = node_rec(node_kinds[kind], props, loads(ats))
            self._rows_loaded += len(rows)

    def _read_cold(self, cursor: sqlite3.Cursor) -> None:
        nodes = self._nodes
        intern = sys.intern
        for nid, name, digest in cursor:
            node = nodes[nid]
            if node.cold is None:
                node.cold = {}
            node.cold[intern(name)] = digest

    def _read_edges(
        self, cursor: sqlite3.Cursor, sharing: Sharing, ids: Mapping[str, str] | None = None
    ) -> None:
        """``ids``: the string objects to key edges by (those reports hold)."""
        loads = orjson.loads
        intern = sys.intern
        share = sharing.props
        same = (ids or {}).get
        edges = self._edges
        edge_rec = _EdgeRec
        edge_kinds = {k.value: k for k in EdgeKind}
        while rows := cursor.fetchmany(_LOAD_CHUNK):
            for eid, kind_name, src, dst, key, data in rows:
                props, ats = loads(data)
                share(props)
                edges[same(eid, eid)] = edge_rec(
                    edge_kinds[kind_name], intern(src), intern(dst), intern(key), props, ats
                )
            self._rows_loaded += len(rows)

    def _read_reports(self, cursor: sqlite3.Cursor) -> dict[str, str]:
        """Reads reports; the edge ids they hold, each as one string object."""
        loads = orjson.loads
        intern = sys.intern
        reports = self._reports
        ids: dict[str, str] = {}
        same = ids.setdefault
        for key, job, output, since, last_seen, until, feeds in cursor:
            held = [same(eid, eid) for eid in loads(feeds)]
            reports[key] = _Report(intern(job), intern(output), since, last_seen, until, held)
        return ids

    def _read_unresolved(self, cursor: sqlite3.Cursor) -> None:
        unresolved = self._unresolved
        for run, body in cursor:
            unresolved.setdefault(run, set()).add(body)

    def _index_records(self) -> None:
        """Builds every index (and the edges implied by node properties) from the records
        anew."""
        nodes = self._nodes
        edges = self._edges
        reports, unresolved = self._reports, self._unresolved
        self._reset_indexes()
        self._unresolved = unresolved
        out = self._out
        into = self._in
        reads = self._reads
        read_of = self._read_of
        edge_rec = _EdgeRec
        read = EdgeKind.READ

        def index(eid: str, kind: EdgeKind, src: str, dst: str) -> None:
            add_member(out[kind], src, eid)
            add_member(into[kind], dst, eid)

        for eid, rec in edges.items():
            edge_kind = rec.kind
            src = rec.src
            index(eid, edge_kind, src, rec.dst)
            if edge_kind is read:
                props = rec.props
                dataset: Any = props.get("dataset")
                read_of[(src, dataset)] = eid
                if not props.get("explicit"):
                    if (of_dataset := reads.get(dataset)) is None:
                        reads[dataset] = {eid: props["at"]}
                    else:
                        of_dataset[eid] = props["at"]

        written = self._written
        completions = self._completions
        completion_at = self._completion_at
        version_kind, run_kind, job_kind = NodeKind.DATASET_VERSION, NodeKind.RUN, NodeKind.JOB

        def complete(job: str, key: str, at: float) -> None:
            if (job, key) not in completion_at:
                completion_at[(job, key)] = at
                completions.setdefault(job, []).append((at, key))

        for nid, node in nodes.items():
            props = node.props
            kind = node.kind
            if kind is version_kind:
                if props.get("run") and "created_at" in props:
                    written.setdefault(props["dataset"], []).append((props["created_at"], nid))
            elif kind is run_kind:
                if props.get("completed_at") is not None:
                    complete(props["job"], nid, props["completed_at"])
            elif kind is job_kind:
                for at in props.get("static_completions") or ():
                    complete(nid, f"static:{at!r}", at)
            derived = _derived_edge(nid, node)
            if derived is not None:
                edge_kind, src, dst = derived
                eid = edge_id(edge_kind, src, dst)
                if eid not in edges and dst in nodes:
                    edges[eid] = edge_rec(edge_kind, src, dst, "", {}, None)
                    index(eid, edge_kind, src, dst)
        for versions in written.values():
            versions.sort()
        for entries in completions.values():
            entries.sort()
        for key, report in reports.items():
            self._index_report(key, report)

    # -- writing ---------------------------------------------------------------------

    def describe_writer(self, server: str | None) -> None:
        """Name the server that takes this store's writes, for other processes to use."""
        if self._writer is not None:
            self._writer.describe(server)

    def decisions(self) -> int:
        # One writer per file (the writer lock): no other process decides meanwhile, and
        # this process's decisions are made one at a time. The count lives as long as the
        # store is open.
        return self._decisions

    def write(self, items: Sequence[IngestItem], *, decided_at: int | None = None) -> None:
        if self.read_only:
            raise StoreError(
                f"the embedded store {self.path} was opened for reading only; "
                "write through the process that writes it"
            )
        with self._lock:
            if decided_at is not None:
                if decided_at != self._decisions:
                    raise DecisionConflict("incidents were decided meanwhile: decide again")
                self._decisions += 1
            batch = self.changes = _Batch()
            merger = Merger(self)
            try:
                for item in items:
                    for m in item.mutations:
                        if isinstance(m, LedgerEntry):
                            batch.ledger.append((m.ledger, m.key, m.at, m.body))
                        else:
                            merger.apply(m)
                merger.finish()
                self._persist(items, batch)
                # What walks made of the records this write changed is made again.
                self._light.forget(
                    self._edges, batch.nodes, batch.deleted_nodes, batch.edges, batch.deleted_edges
                )
            except sqlite3.Error as exc:
                # Memory may hold part of a batch that is not on disk: start again from disk.
                self._reset_memory()
                self._load()
                raise StoreUnavailable(f"the embedded store could not write: {exc}") from exc
            except BaseException:
                self._reset_memory()
                self._load()
                raise

    def _persist(self, items: Sequence[IngestItem], batch: _Batch) -> None:
        db = self._db
        now = time.time()
        dumps = orjson.dumps
        nodes = self._nodes
        node_rows = []
        facet_rows = []
        for nid in batch.nodes:
            rec = nodes.get(nid)
            if rec is None:
                continue
            node_rows.append((nid, rec.kind.value, dumps(rec.props), dumps(rec.times or {})))
        ats_rows = [
            (dumps(nodes[nid].times or {}), nid)
            for nid in batch.node_times - batch.nodes
            if nid in nodes
        ]
        for (nid, name), (value, digest) in batch.cold.items():
            if nid in nodes:
                facet_rows.append((nid, name, dumps(value), digest))
        search_rows = []
        described = {
            nid: value for (nid, name), (value, _) in batch.cold.items() if name == "description"
        }
        for nid in batch.searched | described.keys():
            rec = nodes.get(nid)
            if rec is not None:
                description = (described[nid] or "") if nid in described else None
                row = _search_row(nid, rec.kind.value, rec.props, description)
                if row is not None:
                    search_rows.append(row)
        edge_rows = []
        for eid in batch.edges:
            erec = self._edges.get(eid)
            if erec is not None and erec.kind not in DERIVED_EDGES:
                edge_rows.append(
                    (
                        eid,
                        erec.kind.value,
                        erec.src,
                        erec.dst,
                        erec.key,
                        dumps([erec.props, erec.times or {}]),
                    )
                )
        report_rows = []
        for key in batch.reports:
            report = self._reports[key]
            report_rows.append(
                (
                    key,
                    report.job,
                    report.output,
                    report.since,
                    report.last_seen,
                    report.until,
                    dumps(sorted(report.feeds)),
                )
            )
        db.execute("BEGIN IMMEDIATE")
        try:
            # An event is stored once however often it arrives (a producer's retry, a
            # Kafka batch read again after a consumer's crash): its digest is its identity.
            inserted = db.executemany(
                "INSERT INTO events (received_at, event_time, event_type, run_id, job_namespace,"
                " job_name, body, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (digest) DO NOTHING",
                [
                    (
                        now,
                        i.event_time,
                        i.event_type,
                        i.run_id,
                        i.job_namespace,
                        i.job_name,
                        i.body,
                        sha256(i.body).digest(),
                    )
                    for i in items
                    if i.is_event
                ],
            ).rowcount
            db.executemany("INSERT OR REPLACE INTO nodes VALUES (?, ?, ?, ?)", node_rows)
            db.executemany("UPDATE nodes SET ats = ? WHERE id = ?", ats_rows)
            db.executemany("INSERT OR REPLACE INTO cold VALUES (?, ?, ?, ?)", facet_rows)
            db.executemany("INSERT OR REPLACE INTO edges VALUES (?, ?, ?, ?, ?, ?)", edge_rows)
            db.executemany(
                "INSERT OR REPLACE INTO reports VALUES (?, ?, ?, ?, ?, ?, ?)", report_rows
            )
            db.executemany("DELETE FROM edges WHERE id = ?", [(e,) for e in batch.deleted_edges])
            for nid in batch.deleted_nodes:
                db.execute("DELETE FROM nodes WHERE id = ?", (nid,))
                db.execute("DELETE FROM cold WHERE node = ?", (nid,))
                db.execute("DELETE FROM search_text WHERE node = ?", (nid,))
            db.executemany(SEARCH_UPSERT, search_rows)
            db.executemany("INSERT OR IGNORE INTO contributions VALUES (?, ?)", batch.contributions)
            db.executemany("INSERT OR IGNORE INTO unresolved VALUES (?, ?)", batch.refs_added)
            db.executemany("DELETE FROM unresolved WHERE run = ? AND body = ?", batch.refs_resolved)
            db.executemany(_LEDGER_UPSERT, batch.ledger)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self._event_count += max(inserted, 0)

    # The merge state (lineage.graph.merge): what only this store does --------------

    def put_node(self, nid: str, rec: _NodeRec) -> None:
        nid = sys.intern(nid)
        self._sharing.props(rec.props)
        super().put_node(nid, rec)
        self.changes.searched.add(nid)
        if rec.kind is NodeKind.RUN and nid not in self._contributions:
            # A run first seen now has nothing on disk to look up later.
            self._contributions[nid] = set()

    def delete_node(self, nid: str, *, detach: bool = False) -> None:
        super().delete_node(nid, detach=detach)
        self.changes.node_times.discard(nid)

    def put_edge(self, eid: str, rec: _EdgeRec) -> None:
        intern = sys.intern
        rec.src = intern(rec.src)
        rec.dst = intern(rec.dst)
        rec.key = intern(rec.key)
        self._sharing.props(rec.props)
        super().put_edge(eid, rec)

    def merge_node_prop(self, nid: str, rec: _NodeRec, name: str, prop: Prop) -> bool:
        if name in COLD_PROPS or name.startswith(FACET_PREFIX):
            if self._apply_cold(nid, rec, name, prop, self.changes):
                self.changes.node_times.add(nid)
            return False
        props = rec.props
        outcome = apply_prop(props, rec.ats, name, prop)
        if outcome is TIME_ONLY:
            self.changes.node_times.add(nid)
        elif outcome is CHANGED:
            props[name] = self._sharing.value(props[name])
            if name in SEARCHED_PROPS:
                self.changes.searched.add(nid)
        return outcome is CHANGED

    def contributions(self, run: str) -> set[str]:
        """What a run sighted (read from disk on first use: most runs are long finished)."""
        items = self._contributions.get(run)
        if items is None:
            rows = self._db.execute("SELECT item FROM contributions WHERE run = ?", (run,))
            items = self._contributions[run] = {item for (item,) in rows}
        return items

    def _apply_cold(self, nid: str, rec: _NodeRec, name: str, prop: Prop, batch: _Batch) -> int:
        """Last-writer-wins for a property kept on disk (cold properties are all LWW)."""
        if prop.merge is not Merge.LWW:
            raise StoreError(f"cold property {name!r} must merge last-writer-wins")
        cold = rec.cold
        if cold is None:
            cold = rec.cold = {}
        value = prop.value
        held_digest = cold.get(name)
        if held_digest is None:
            digest = _digest(value)
        else:
            held_at = rec.ats.get(name, 0.0)
            if prop.at < held_at:
                return UNCHANGED
            digest = _digest(value)
            if digest == held_digest:
                if prop.at > held_at:
                    rec.ats[name] = prop.at
                    return TIME_ONLY
                return UNCHANGED
            if prop.at == held_at:
                # A tie between different values: deletion first, then the larger form.
                current = self._cold_value(nid, name, batch)
                if current is None:
                    return UNCHANGED
                if value is not None and orjson.dumps(
                    value, option=orjson.OPT_SORT_KEYS
                ) < orjson.dumps(current, option=orjson.OPT_SORT_KEYS):
                    return UNCHANGED
        cold[name] = digest
        if prop.at:
            rec.ats[name] = prop.at
        batch.cold[(nid, name)] = (value, digest)
        return CHANGED

    def _cold_value(self, nid: str, name: str, batch: _Batch | None = None) -> Any:
        if batch is not None and (nid, name) in batch.cold:
            return batch.cold[(nid, name)][0]
        row = self._db.execute(
            "SELECT value FROM cold WHERE node = ? AND name = ?", (nid, name)
        ).fetchone()
        return orjson.loads(row[0]) if row else None

    # -- reading ---------------------------------------------------------------------

    def _node(self, nid: str) -> Node | None:
        rec = self._nodes.get(nid)
        if rec is None:
            return None
        props = {k: v for k, v in rec.props.items() if v is not None}
        if rec.cold:
            self._fill_cold({nid: props})
        return Node(nid, rec.kind, props)

    def _light_node(self, nid: str, cold: dict[str, dict[str, Any]]) -> Node | None:
        """The node with its in-memory properties; one with cold ones joins ``cold``, for
        :meth:`_fill_cold` to complete in one read with the others of the same answer."""
        rec = self._nodes.get(nid)
        if rec is None:
            return None
        props = {k: v for k, v in rec.props.items() if v is not None}
        if rec.cold:
            cold[nid] = props
        return Node(nid, rec.kind, props)

    def _fill_cold(self, pending: dict[str, dict[str, Any]]) -> None:
        """Adds each node's cold properties to its ``props``, reading them from disk a few
        hundred nodes per query rather than one query per node."""
        ids = list(pending)
        loads = orjson.loads
        for start in range(0, len(ids), _COLD_CHUNK):
            chunk = ids[start : start + _COLD_CHUNK]
            marks = ",".join("?" * len(chunk))
            for nid, name, value in self._db.execute(
                f"SELECT node, name, value FROM cold WHERE node IN ({marks}) ORDER BY node, name",
                chunk,
            ):
                decoded = loads(value)
                if decoded is not None:
                    pending[nid][name] = decoded

    def _edge(self, eid: str, rec: _EdgeRec) -> Edge:
        props = dict(rec.props)
        if rec.key:
            props.setdefault("key", rec.key)
        return Edge(eid, rec.kind, rec.src, rec.dst, props)

    def get_nodes(self, ids: Iterable[str]) -> dict[str, Node]:
        with self._lock:
            found: dict[str, Node] = {}
            cold: dict[str, dict[str, Any]] = {}
            for nid in ids:
                if nid in found:
                    continue
                node = self._light_node(nid, cold)
                if node is not None:
                    found[nid] = node
            self._fill_cold(cold)
            return found

    def edges_of(
        self,
        ids: Iterable[str],
        direction: Direction,
        kinds: Collection[EdgeKind] | None = None,
        as_of: float | None = None,
        include_closed: bool = False,
    ) -> list[Edge]:
        with self._lock:
            result: dict[str, Edge] = {}
            for nid in ids:
                for eid, rec in self._neighbours(nid, direction, kinds):
                    edge = self._edge(eid, rec)
                    if include_closed or edge.valid_at(as_of):
                        result[eid] = edge
            return [result[k] for k in sorted(result)]

    def _neighbours(
        self, nid: str, direction: Direction, kinds: Collection[EdgeKind] | None
    ) -> Iterable[tuple[str, _EdgeRec]]:
        indexes: list[Adjacency] = []
        if direction in (Direction.DOWNSTREAM, Direction.BOTH):
            indexes.append(self._out)
        if direction in (Direction.UPSTREAM, Direction.BOTH):
            indexes.append(self._in)
        for index in indexes:
            for kind, by_node in index.items():
                if kinds is not None and kind not in kinds:
                    continue
                for eid in members(by_node.get(nid)):
                    yield eid, self._edges[eid]

    def expand(
        self,
        starts: Sequence[str],
        direction: Direction,
        kinds: Collection[EdgeKind],
        max_depth: int,
        as_of: float | None = None,
        node_limit: int = 10_000,
    ) -> Subgraph:
        with self._lock:
            graph = Subgraph()
            cold: dict[str, dict[str, Any]] = {}
            queue: deque[tuple[str, int]] = deque()
            for nid in starts:
                if nid in graph.nodes:
                    continue
                node = self._light_node(nid, cold)
                if node is not None and nid not in graph.nodes:
                    graph.nodes[nid] = node
                    queue.append((nid, 0))
            kind_set = frozenset(kinds)
            while queue:
                nid, depth = queue.popleft()
                if depth >= max_depth:
                    continue
                for eid, rec in self._neighbours(nid, direction, kind_set):
                    if rec.kind in PROJECTION_EDGES and not _valid(rec.props, as_of):
                        continue
                    other = rec.dst if rec.src == nid else rec.src
                    if other not in graph.nodes:
                        if len(graph.nodes) >= node_limit:
                            graph.truncated = True
                            if nid not in graph.frontier:
                                graph.frontier.append(nid)
                            continue
                        node = self._light_node(other, cold)
                        if node is None:
                            continue
                        graph.nodes[other] = node
                        queue.append((other, depth + 1))
                    graph.edges[eid] = self._edge(eid, rec)
            self._fill_cold(cold)
            return graph

    def traverse(
        self,
        starts: Sequence[str],
        level: Level,
        direction: Direction,
        depth: int,
        as_of: float | None = None,
        node_budget: int = 5_000,
        *,
        indirect: bool = True,
        check: Callable[[], None] | None = None,
    ) -> Traversal:
        """The walk over the in-memory adjacency: no cold property is read."""
        with self._lock:
            try:
                return walk(
                    MemoryView(self, self._light),
                    starts,
                    level,
                    direction,
                    depth,
                    as_of,
                    node_budget,
                    indirect=indirect,
                    check=check,
                )
            finally:
                self._light.trim()

    def search(
        self,
        text: str,
        kinds: Collection[NodeKind] | None = None,
        namespace: str | None = None,
        limit: int = 20,
    ) -> list[Node]:
        return read_whole(self, (h.node for h in self.search_hits(text, kinds, namespace, limit)))

    def search_hits(
        self,
        text: str,
        kinds: Collection[NodeKind] | None = None,
        namespace: str | None = None,
        limit: int = 20,
    ) -> list[Hit]:
        """Candidates from the trigram index (a text of one or two characters, which no
        trigram holds, reads every row of ``search_text`` instead), ranked by
        :func:`lineage.store.search.match_rank`. A store opened read-only before any
        writer gave it the index looks at every node instead, with the same answers."""
        needle = text.lower()
        wanted = sorted(set(kinds) if kinds else {NodeKind.DATASET, NodeKind.JOB})
        with self._lock:
            self._indexed = self._indexed or _has_search_index(self._db)
            if self._indexed:
                rows = self._indexed_rows(needle, wanted, namespace)
            else:
                rows = self._scanned_rows(wanted, namespace)
            scored = [
                (score, nid)
                for nid, name, space, description in rows
                if nid in self._nodes
                and (score := match_rank(needle, name, space, description)) is not None
            ]
            if not needle:  # every node matches the empty text, those with no text too
                named = {nid for _, nid in scored}
                scored += [
                    (0, nid)
                    for nid, rec in self._nodes.items()
                    if rec.kind in wanted
                    and nid not in named
                    and (namespace is None or rec.props.get("namespace") == namespace)
                ]
            scored.sort()
            nodes = self._nodes
            return [
                hit(nid, nodes[nid].kind, nodes[nid].props, rank) for rank, nid in scored[:limit]
            ]

    def _indexed_rows(
        self, needle: str, wanted: list[NodeKind], namespace: str | None
    ) -> list[tuple[str, str, str, str]]:
        """The ``search_text`` rows that may match ``needle``."""
        marks = ",".join("?" * len(wanted))
        where = f"t.kind IN ({marks}) AND (? IS NULL OR t.namespace = ?)"
        params: list[Any] = [*(k.value for k in wanted), namespace, namespace]
        if len(needle) >= 3:
            sql = (
                "SELECT t.node, t.name, t.space, t.description FROM search_index "
                "JOIN search_text AS t ON t.rowid = search_index.rowid "
                f"WHERE search_index MATCH ? AND {where}"
            )
            params.insert(0, fts5_phrase(needle))
        else:
            sql = (
                "SELECT t.node, t.name, t.space, t.description FROM search_text AS t "
                f"WHERE {where} AND (instr(t.name, ?) OR instr(t.space, ?) "
                "OR instr(t.description, ?))"
            )
            params += [needle] * 3
        return self._db.execute(sql, params).fetchall()

    def _scanned_rows(
        self, wanted: list[NodeKind], namespace: str | None
    ) -> list[tuple[str, str, str, str]]:
        """The rows ``search_text`` would hold for the nodes in memory, made from them and
        their stored descriptions: what a store without the index is searched by."""
        descriptions = dict(
            self._db.execute("SELECT node, value FROM cold WHERE name = 'description'")
        )
        rows = []
        for nid, rec in self._nodes.items():
            if rec.kind not in wanted or (
                namespace is not None and rec.props.get("namespace") != namespace
            ):
                continue
            stored = descriptions.get(nid)
            description = orjson.loads(stored) if stored is not None else ""
            row = _search_row(nid, rec.kind.value, rec.props, description)
            if row is not None:
                rows.append((nid, row[3], row[4], row[5] or ""))
        return rows

    def nodes_of_kind(self, kind: NodeKind, limit: int = 100, offset: int = 0) -> list[Node]:
        with self._lock:
            ids = sorted(nid for nid, rec in self._nodes.items() if rec.kind is kind)
            return [n for nid in ids[offset : offset + limit] if (n := self._node(nid)) is not None]

    def events(
        self,
        since: float | None = None,
        until: float | None = None,
        limit: int = 100,
        offset: int = 0,
        run_id: str | None = None,
    ) -> list[StoredEvent]:
        clauses: list[str] = []
        params: list[Any] = []
        if since is not None:
            clauses.append("event_time >= ?")
            params.append(since)
        if until is not None:
            clauses.append("event_time < ?")
            params.append(until)
        if run_id is not None:
            clauses.append("run_id = ?")
            params.append(run_id)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        sql = (
            "SELECT seq, received_at, event_time, body FROM events "
            f"{where} ORDER BY event_time DESC, seq DESC LIMIT ? OFFSET ?"
        )
        with self._lock:
            rows = self._db.execute(sql, [*params, limit, offset]).fetchall()
        return [StoredEvent(seq, received, at, body) for seq, received, at, body in rows]

    def ledger(self, since: Mapping[str, float | None]) -> dict[str, list[LedgerEntry]]:
        # A batch of events asks for a few ledgers per event: one query per few hundred
        # ledgers, rather than two per ledger.
        found: dict[str, list[LedgerEntry]] = {name: [] for name in since}
        wanted = [(name, at if at is not None else float("-inf")) for name, at in since.items()]
        with self._lock:
            for start in range(0, len(wanted), _LEDGER_CHUNK):
                chunk = wanted[start : start + _LEDGER_CHUNK]
                values = ", ".join(["(?, ?)"] * len(chunk))
                rows = self._db.execute(
                    _LEDGER_READ.format(values=values),
                    [value for pair in chunk for value in pair],
                ).fetchall()
                for name, key, t, body in rows:
                    found[name].append(LedgerEntry(name, key, t, bytes(body)))
        return found

    def ledger_stored(self, keys: Mapping[str, Collection[str]]) -> set[tuple[str, str]]:
        wanted = [(name, key) for name, named in keys.items() for key in named]
        found: set[tuple[str, str]] = set()
        with self._lock:
            for start in range(0, len(wanted), _LEDGER_CHUNK):
                chunk = wanted[start : start + _LEDGER_CHUNK]
                values = ", ".join(["(?, ?)"] * len(chunk))
                found.update(
                    self._db.execute(
                        _LEDGER_STORED.format(values=values),
                        [value for pair in chunk for value in pair],
                    )
                )
        return found

    def ledger_before(self, asks: Mapping[str, LedgerAsk]) -> dict[str, LedgerEntry | None]:
        with self._lock:
            return {name: self._entry_before(name, ask) for name, ask in asks.items()}

    def _entry_before(self, name: str, ask: LedgerAsk) -> LedgerEntry | None:
        """:func:`entry_before` through the indexes: the latest few entries first (a
        version that changed lately is found there); past them, the latest entry of each
        other version (``ledger_by_version``), so a long run of one version is not read."""
        db = self._db
        if not isinstance(ask.version, str | int | float | None):
            return entry_before(self.ledger({name: None})[name], ask)
        recent = db.execute(
            _BEFORE_RECENT, (ask.version, name, ask.at, ask.key, _RECENT)
        ).fetchall()
        for key, at, body, differs in recent:
            if differs:
                return LedgerEntry(name, key, at, bytes(body))
        if len(recent) < _RECENT:  # every entry before the ask is under its version
            if not recent:
                return None
            key, at, body, _ = recent[-1]
            return LedgerEntry(name, key, at, bytes(body))
        latest: tuple[Any, ...] | None = None
        version: Any = None  # each version in turn, in SQLite's order: NULL (none) first
        while True:
            if (version is None) != (ask.version is None) or version != ask.version:
                row = db.execute(_BEFORE_UNDER, (name, version, ask.at, ask.key)).fetchone()
                if row is not None and (latest is None or (row[1], row[0]) > latest[1::-1]):
                    latest = row
            after = db.execute(
                _FIRST_VERSION if version is None else _NEXT_VERSION,
                (name,) if version is None else (name, version),
            ).fetchone()
            if after is None:
                break
            version = after[0]
        if latest is None:
            latest = db.execute(_EARLIEST_BEFORE, (name, ask.at, ask.key)).fetchone()
        return None if latest is None else LedgerEntry(name, latest[0], latest[1], bytes(latest[2]))

    def export(self) -> tuple[list[Node], list[Edge]]:
        with self._lock:
            nodes = [n for nid in sorted(self._nodes) if (n := self._node(nid)) is not None]
            edges = [self._edge(eid, self._edges[eid]) for eid in sorted(self._edges)]
            return nodes, edges

    def count(self) -> Mapping[str, int]:
        with self._lock:
            return {
                "events": self._event_count,
                "nodes": len(self._nodes),
                "edges": len(self._edges),
            }

    def ping(self) -> None:
        try:
            with self._lock:
                self._db.execute("SELECT 1").fetchone()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"the embedded store at {self.path} is unusable: {exc}") from exc

    def prune(
        self, before: float, namespace: str | None = None, dry_run: bool = False
    ) -> PruneReport:
        return prune_embedded(self, before, namespace, dry_run)

    def snapshot(self) -> bool:
        """Write a snapshot now, as the store does every few minutes while it is written
        (a forked child writes it meanwhile); whether one was written (none is, when
        nothing changed since the last)."""
        if not self.loaded or not self._snapshots.writer:
            return False
        return self._snapshots.periodic(self._lock, self._snapshot_state)

    def close(self) -> None:
        """Close the file; a store written since its last snapshot writes one first, for
        the next open to read instead of rebuilding the graph from the rows."""
        self._snapshots.stop()
        with self._lock:
            # (A store closed already has no writer lock left.)
            if self.loaded and self._writer is not None and self._snapshots.stale():
                short = self._snapshots.short_of_memory(forked=False)
                try:
                    if short is not None:
                        log.warning("no snapshot of %s was written: %s", self.path, short)
                    else:
                        self._snapshots.write(self._snapshot_state(), self._snapshots.sequence())
                except (OSError, sqlite3.Error) as exc:
                    log.warning("no snapshot of %s was written: %s", self.path, exc)
            self._db.close()
            if self._writer is not None:
                self._writer.release()
                self._writer = None


def _valid(props: Mapping[str, Any], at: float | None) -> bool:
    until = props.get("until")
    if at is None:
        return until is None
    since = props.get("since")
    return (since is None or since <= at) and (until is None or at < until)


class _Batch(Changes):
    """What one write changed, to be persisted in one transaction."""

    __slots__ = ("cold", "ledger", "node_times", "searched")

    def __init__(self) -> None:
        super().__init__()
        self.node_times: set[str] = set()
        #: Nodes whose ``search_text`` row may have changed: new, or renamed.
        self.searched: set[str] = set()
        self.cold: dict[tuple[str, str], tuple[Any, bytes]] = {}
        self.ledger: list[tuple[str, str, float, bytes]] = []
