"""Snapshots of the embedded store's graph in memory, so that reopening a large store
reads one file instead of rebuilding every record and index from the SQLite rows.

A snapshot is written next to the store (``lineage.db.snapshot``) when the store closes,
and every few minutes while it is written (by a forked child, so a server keeps
answering meanwhile). SQLite triggers log the key of every node, edge, cold property,
report and unresolved reference row that changes (the ``changed`` table, numbered by an
ever-growing sequence); a snapshot carries the sequence it was taken at, and opening
replays what the log holds after it. The log is emptied up to a snapshot's sequence once
that snapshot is safely on disk.

A snapshot is used only when all of these hold, and the store is rebuilt from its rows
(with a log line saying why) otherwise:

- its header is whole and names this format and this code version (a digest of the
  modules whose objects it holds);
- its token and sequence are those the store recorded when the snapshot was written
  (a snapshot of another store, an older one, or one whose recording never committed,
  is not);
- the checksum of its body matches: nothing is unpickled before it does.
"""

from __future__ import annotations

import copyreg
import gc
import io
import logging
import os
import pickle
import sqlite3
import struct
import threading
import time
import weakref
from collections.abc import Callable
from hashlib import blake2b, sha256
from pathlib import Path
from typing import IO, Any, Final

import lineage
from lineage.graph.merge import EdgeRec, NodeRec, Report

log = logging.getLogger("lineage.store.snapshot")

#: Bumped whenever the layout of the header or of the body changes (2: records without
#: times hold none, indexes hold a key's one member as itself, adjacency is by kind first).
FORMAT: Final = 2

_MAGIC: Final = b"LNGSNAP\0"
# magic, format, code digest, token, sequence, body length, body checksum
_HEADER: Final = struct.Struct("<8sI16s16sQQ32s")

#: Bytes read at a time while checking a snapshot's sum.
_CHUNK: Final = 1 << 20

#: The modules whose objects (and their meaning) a snapshot holds: a change to any of
#: them makes older snapshots stale.
_CODE: Final = ("graph/merge.py", "graph/model.py", "store/embedded.py", "store/snapshot.py")

#: The rows whose changes the triggers log: table -> the column the log keeps.
_LOGGED: Final = {
    "nodes": "id",
    "cold": "node",
    "edges": "id",
    "reports": "key",
    "unresolved": "run",
}

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS changed (seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL,
    key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS snapshot (one INTEGER PRIMARY KEY CHECK (one = 1),
    token BLOB NOT NULL, seq INTEGER NOT NULL);
""" + "".join(
    f"CREATE TRIGGER IF NOT EXISTS {table}_{event.lower()} AFTER {event} ON {table} BEGIN "
    f"INSERT INTO changed (tbl, key) VALUES ('{table}', {row}.{column}); END;\n"
    for table, column in _LOGGED.items()
    for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))
)

#: The share of the store's node and edge rows (:data:`_SIZED`) that may have changed
#: since a snapshot for it to be read and the changes replayed; past it the store is
#: rebuilt from its rows (see :meth:`Snapshots._too_many_changes`). Measured: on a store
#: of 60-75k rows a replay of 17-24% of them took as long as a rebuild.
REPLAY_SHARE: Final = 0.2
#: Up to this many logged changes a snapshot is replayed without counting the store's
#: rows (a scan of both tables): such a replay takes well under a second.
REPLAY_ALWAYS: Final = 50_000
_SIZED: Final = ("nodes", "edges")

#: Seconds between snapshots while a store is written, and the fewest logged changes
#: that make one worth writing.
EVERY_SECONDS: Final = 600.0
EVERY_CHANGES: Final = 10_000

#: The memory a snapshot may take beyond the graph's, as a share of this process's
#: resident memory. Pickling keeps a memo of every object written: 1.75 GB at the peak
#: for a 2.7M-element graph holding 3.6 GB. A forked writer may copy every page its
#: pickling touches (reference counts), so up to all of the graph, and its memo too.
IN_PROCESS_SHARE: Final = 0.6
FORKED_SHARE: Final = 1.6


def _code_digest() -> bytes:
    root = Path(lineage.__file__).parent
    digest = blake2b(lineage.__version__.encode(), digest_size=16)
    for name in _CODE:
        digest.update((root / name).read_bytes())
    return digest.digest()


CODE: Final = _code_digest()


# -- the body ------------------------------------------------------------------------------
# Records are pickled as the arguments of a plain function: loading one is one call, and a
# report's ``feeds_since`` (kept while the store runs, none when it is read from rows) is
# not carried over.


def _node(kind: Any, props: dict[str, Any], ats: dict[str, float] | None, cold: Any) -> NodeRec:
    rec = NodeRec(kind, props, ats)
    rec.cold = cold
    return rec


def _report(
    job: str, output: str, since: float, last_seen: float, until: float | None, feeds: list[str]
) -> Report:
    return Report(job, output, since, last_seen, until, feeds)


def _reduce_node(rec: NodeRec) -> tuple[Callable[..., NodeRec], tuple[Any, ...]]:
    return _node, (rec.kind, rec.props, rec.times, rec.cold)


def _reduce_edge(rec: EdgeRec) -> tuple[type[EdgeRec], tuple[Any, ...]]:
    return EdgeRec, (rec.kind, rec.src, rec.dst, rec.key, rec.props, rec.times)


def _reduce_report(report: Report) -> tuple[Callable[..., Report], tuple[Any, ...]]:
    return _report, (
        report.job,
        report.output,
        report.since,
        report.last_seen,
        report.until,
        report.feeds,
    )


_REDUCERS: Final[dict[type, Any]] = {
    **copyreg.dispatch_table,
    NodeRec: _reduce_node,
    EdgeRec: _reduce_edge,
    Report: _reduce_report,
}


class _Hashed(io.RawIOBase):
    """A file the body is written to, frame by frame, hashing and counting what passes:
    no copy of the whole body is ever held in memory."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self.hash = sha256()
        self.length = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.hash.update(data)
        self.length += len(data)
        return self.file.write(data)


def dump(state: tuple[Any, ...], file: IO[bytes]) -> tuple[int, bytes]:
    """Writes the body of a snapshot of ``state`` (a tuple of the graph's records and
    indexes) to ``file``; its length and checksum."""
    hashed = _Hashed(file)
    pickler = pickle.Pickler(hashed, protocol=5)
    pickler.dispatch_table = _REDUCERS
    pickler.dump(state)
    return hashed.length, hashed.hash.digest()


class Snapshots:
    """The snapshot of one store file: reading it at open, writing it at close and
    every few minutes meanwhile.

    ``db`` is the store's connection; every method is called with the store's lock held,
    except the periodic thread's wait for a child it forked."""

    def __init__(self, path: Path, db: sqlite3.Connection, *, writer: bool) -> None:
        self.file = path.with_name(path.name + ".snapshot")
        self._db = db
        self.writer = writer
        #: The sequence of the valid snapshot on disk: the one the memory was read from
        #: (before replaying what changed since) or last written (None: there is none).
        self.seq: int | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        #: Scales the memory a snapshot is expected to need (see :meth:`short_of_memory`).
        self.memory_margin = 1.0
        if writer:
            db.executescript(SCHEMA)

    # -- the log -------------------------------------------------------------------

    def sequence(self) -> int:
        """The sequence of the last change logged (0: none ever)."""
        try:
            row = self._db.execute(
                "SELECT seq FROM sqlite_sequence WHERE name = 'changed'"
            ).fetchone()
        except sqlite3.OperationalError:  # no table has ever been logged to
            return 0
        return int(row[0]) if row else 0

    def _recorded(self) -> tuple[bytes, int] | None:
        try:
            row = self._db.execute("SELECT token, seq FROM snapshot").fetchone()
        except sqlite3.OperationalError:  # a store no snapshot was ever written for
            return None
        return (bytes(row[0]), int(row[1])) if row else None

    def changed_since(self, seq: int) -> dict[str, str]:
        """The SQL subqueries naming the keys of each logged table changed after ``seq``."""
        return {
            table: f"SELECT key FROM changed WHERE seq > {int(seq)} AND tbl = '{table}'"
            for table in _LOGGED
        }

    def changed_keys(self, seq: int) -> dict[str, set[str]]:
        keys: dict[str, set[str]] = {table: set() for table in _LOGGED}
        for table, key in self._db.execute(
            "SELECT DISTINCT tbl, key FROM changed WHERE seq > ?", (seq,)
        ):
            keys[table].add(key)
        return keys

    # -- reading -------------------------------------------------------------------

    def read(self) -> tuple[tuple[Any, ...], int] | None:
        """The state a valid snapshot holds and its sequence; None (and a log line saying
        why) when there is none to use."""
        if not self.file.exists():
            return None
        started = time.perf_counter()
        try:
            found = self._read()
        except (OSError, pickle.UnpicklingError, EOFError, ValueError) as exc:
            found = f"it cannot be read ({type(exc).__name__}: {exc})"
        if isinstance(found, str):
            log.warning("the snapshot %s is not used, the store is rebuilt: %s", self.file, found)
            return None
        log.info(
            "read the snapshot %s (sequence %d) in %.2f s",
            self.file,
            found[1],
            time.perf_counter() - started,
        )
        return found

    def _read(self) -> tuple[tuple[Any, ...], int] | str:
        recorded = self._recorded()
        with open(self.file, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < _HEADER.size:
                return "it is truncated (shorter than its header)"
            head = f.read(_HEADER.size)
            magic, fmt, code, token, seq, length, checksum = _HEADER.unpack(head)
            if magic != _MAGIC:
                return "it is not a snapshot of an embedded store"
            if fmt != FORMAT or code != CODE:
                return "it was written by another version of lineage"
            if recorded is None or recorded != (token, seq):
                return (
                    "it is not the one the store recorded (older, of another store, or its "
                    "writing did not complete)"
                )
            if seq > self.sequence():
                return "the store's change log is older than the snapshot"
            if too_many := self._too_many_changes(seq):
                return too_many
            if size != _HEADER.size + length:
                return f"it is truncated or padded ({size - _HEADER.size} body bytes, not {length})"
            # Read twice rather than mapped: the file's pages then never count in this
            # process's resident memory, and nothing is unpickled before the sum matches.
            summed = sha256()
            chunk = memoryview(bytearray(_CHUNK))
            while read := f.readinto(chunk):
                summed.update(chunk[:read])
            if summed.digest() != checksum:
                return "its checksum does not match its body (it is corrupt)"
            f.seek(_HEADER.size)
            state = pickle.load(f)
            if f.tell() != size:
                return "its body ends before the file does"
        if not isinstance(state, tuple):
            return "its body is not a graph"
        return state, seq

    def _too_many_changes(self, seq: int) -> str | None:
        """Why replaying what changed after ``seq`` would cost more than a rebuild (None:
        it would not). A replay holds the snapshot's graph and each changed row's old and
        new records at once, and costs more a row than reading it afresh: past
        :data:`REPLAY_SHARE` of the store's rows, rebuilding is faster and smaller."""
        # The sequence bounds the changes logged since (one a row each time it changes).
        logged = self.sequence() - seq
        if logged <= REPLAY_ALWAYS:
            return None
        db = self._db
        rows = sum(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in _SIZED)
        most = REPLAY_SHARE * rows
        if logged <= most:
            return None
        (changed,) = db.execute(
            "SELECT count(*) FROM (SELECT DISTINCT tbl, key FROM changed WHERE seq > ?)", (seq,)
        ).fetchone()
        if changed <= most:
            return None
        return (
            f"{changed} rows changed since it, of {rows} node and edge rows: replaying more "
            f"than {REPLAY_SHARE:.0%} of the store costs more than rebuilding it"
        )

    # -- writing -------------------------------------------------------------------

    def write(self, state: tuple[Any, ...], seq: int) -> None:
        """Write a snapshot of ``state``, which is the store's memory as of the logged
        change ``seq``, and record it in the store (emptying the log up to it)."""
        token = self._write_file(state, seq)
        self._record(token, seq)

    def _write_file(self, state: tuple[Any, ...], seq: int) -> bytes:
        """Writes the file (atomically: a reader sees the old one or the new one);
        the token that names it."""
        token = os.urandom(16)
        partial = self.file.with_name(f"{self.file.name}.{os.getpid()}.partial")
        try:
            with open(partial, "wb") as f:
                f.write(bytes(_HEADER.size))  # written once the body's length and sum are known
                length, checksum = dump(state, f)
                f.seek(0)
                f.write(_HEADER.pack(_MAGIC, FORMAT, CODE, token, seq, length, checksum))
                f.flush()
                os.fsync(f.fileno())
            os.replace(partial, self.file)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return token

    def _record(self, token: bytes, seq: int) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("INSERT OR REPLACE INTO snapshot VALUES (1, ?, ?)", (token, seq))
            db.execute("DELETE FROM changed WHERE seq <= ?", (seq,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self.seq = seq

    def short_of_memory(self, *, forked: bool) -> str | None:
        """Why writing a snapshot now could exhaust the machine's memory (None: it
        cannot, or this is not Linux and there is no telling). A snapshot is not worth
        the process: the store is rebuilt or replayed without it."""
        try:
            resident = _kilobytes("/proc/self/status", "VmRSS:")
            available = _kilobytes("/proc/meminfo", "MemAvailable:")
        except (OSError, ValueError):
            return None
        needed = resident * (FORKED_SHARE if forked else IN_PROCESS_SHARE) * self.memory_margin
        if available >= needed:
            return None
        return (
            f"writing it may take {needed / 1024:.0f} MB more memory "
            f"({'a forked writer' if forked else 'pickling'} of a graph holding "
            f"{resident / 1024:.0f} MB) and {available / 1024:.0f} MB are available"
        )

    def stale(self) -> bool:
        """Whether a snapshot is worth writing at close: there is no valid one, or at least
        :data:`EVERY_CHANGES` rows changed since it. Fewer are replayed by the next open
        (a command that writes a few events to a large store then closes at once)."""
        return self.seq is None or self.sequence() - self.seq >= EVERY_CHANGES

    # -- every few minutes ----------------------------------------------------------

    def start(
        self,
        lock: threading.RLock,
        capture: Callable[[], tuple[Any, ...]],
        every: float = EVERY_SECONDS,
        changes: int = EVERY_CHANGES,
    ) -> None:
        """Write a snapshot every ``every`` seconds while at least ``changes`` changes
        were logged since the last, on a thread of its own, until :meth:`stop`."""
        if not self.writer or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._every,
            args=(lock, weakref.WeakMethod(capture), every, changes),
            name="lineage-store-snapshot",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join()

    def _every(
        self,
        lock: threading.RLock,
        captures: weakref.WeakMethod[Callable[[], tuple[Any, ...]]],
        every: float,
        changes: int,
    ) -> None:
        # The store is referred to weakly: one dropped without being closed ends this.
        while not self._stop.wait(every):
            capture = captures()
            if capture is None:
                return
            try:
                self.periodic(lock, capture, changes)
            except Exception:
                log.exception("writing the snapshot %s failed; the store is unchanged", self.file)
            del capture

    def periodic(
        self, lock: threading.RLock, capture: Callable[[], tuple[Any, ...]], changes: int = 0
    ) -> bool:
        """Write a snapshot if at least ``changes`` changes were logged since the last:
        a forked child pickles and writes the memory as it was at the fork, while this
        process goes on answering (the store's lock is held only to fork and to record).
        Whether one was written."""
        with lock:
            seq = self.sequence()
            if seq - (self.seq or 0) < max(1, changes):
                return False
            short = self.short_of_memory(forked=hasattr(os, "fork"))
            if short is not None:
                log.warning(
                    "not writing the snapshot %s now: %s; the next open replays the "
                    "changes since the last one",
                    self.file,
                    short,
                )
                return False
            if not hasattr(os, "fork"):
                self.write(capture(), seq)
                return True
            pid = os.fork()
            if pid == 0:  # the child: write the file, tell the token, and leave at once
                code = 1
                try:
                    gc.disable()  # a collection would copy every page of the graph
                    token = self._write_file(capture(), seq)
                    with open(f"{self.file}.{os.getpid()}.token", "wb") as f:
                        f.write(token)
                    code = 0
                finally:
                    os._exit(code)
        _, status = os.waitpid(pid, 0)
        told = Path(f"{self.file}.{pid}.token")
        try:
            if os.waitstatus_to_exitcode(status) != 0 or not told.exists():
                log.warning("writing the snapshot %s failed in process %d", self.file, pid)
                return False
            token = told.read_bytes()
        finally:
            told.unlink(missing_ok=True)
        with lock:
            if self._db_closed():
                return False
            self._record(token, seq)
        log.info("wrote the snapshot %s (sequence %d)", self.file, seq)
        return True

    def _db_closed(self) -> bool:
        try:
            self._db.execute("SELECT 1")
        except sqlite3.ProgrammingError:
            return True
        return False


def _kilobytes(path: str, field: str) -> int:
    """A ``field: N kB`` line of a /proc file."""
    with open(path, encoding="ascii") as lines:
        for line in lines:
            if line.startswith(field):
                return int(line.split()[1])
    raise ValueError(f"{path} has no {field}")
