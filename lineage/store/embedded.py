"""The embedded store: a SQLite file (WAL) as the durable truth, the graph held in memory.

Zero setup: ``sqlite:///path/to/lineage.db``. Every write is one SQLite transaction that
holds the raw events and every node and edge they changed, committed before the caller
gets an answer; reopening the file rebuilds the in-memory graph and its indexes.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from bisect import bisect_right, insort
from collections import deque
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from lineage.graph.model import (
    PROJECTION_EDGES,
    Completion,
    EdgeKind,
    Merge,
    Mutation,
    NodeKind,
    Prop,
    ReadDataset,
    Sighting,
    UnresolvedReference,
    UpsertEdge,
    UpsertNode,
    dataset_id,
    edge_id,
    field_id,
    split_id,
)
from lineage.store.base import (
    Direction,
    Edge,
    IngestItem,
    Node,
    StoredEvent,
    StoreError,
    StoreUnavailable,
    Subgraph,
)
from lineage.store.merge import apply_prop

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    received_at REAL NOT NULL,
    event_time REAL NOT NULL,
    event_type TEXT,
    run_id TEXT,
    job_namespace TEXT,
    job_name TEXT,
    body BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_time ON events(event_time);
CREATE INDEX IF NOT EXISTS events_by_run ON events(run_id);
CREATE TABLE IF NOT EXISTS nodes (id TEXT PRIMARY KEY, kind TEXT NOT NULL, data BLOB NOT NULL)
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS edges (id TEXT PRIMARY KEY, kind TEXT NOT NULL, src TEXT NOT NULL,
    dst TEXT NOT NULL, key TEXT NOT NULL, data BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pending_sightings (run TEXT NOT NULL, edge TEXT NOT NULL,
    PRIMARY KEY (run, edge)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS unresolved (run TEXT NOT NULL, body BLOB NOT NULL,
    PRIMARY KEY (run, body)) WITHOUT ROWID;
"""


class _NodeRec:
    __slots__ = ("ats", "kind", "props")

    def __init__(self, kind: NodeKind, props: dict[str, Any], ats: dict[str, float]) -> None:
        self.kind = kind
        self.props = props
        self.ats = ats


class _EdgeRec:
    __slots__ = ("ats", "dst", "key", "kind", "props", "src")

    def __init__(
        self,
        kind: EdgeKind,
        src: str,
        dst: str,
        key: str,
        props: dict[str, Any],
        ats: dict[str, float],
    ) -> None:
        self.kind = kind
        self.src = src
        self.dst = dst
        self.key = key
        self.props = props
        self.ats = ats


def _job_of(edge: _EdgeRec) -> str:
    if edge.kind is EdgeKind.INPUT_TO:
        return edge.dst
    if edge.kind is EdgeKind.PRODUCES:
        return edge.src
    return edge.key


class EmbeddedStore:
    """A :class:`~lineage.store.base.GraphStore` on one SQLite file."""

    def __init__(self, path: str | Path, *, durable: bool = True) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                str(self.path), check_same_thread=False, isolation_level=None
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            # FULL syncs the WAL on every commit, so an acknowledged event survives a crash
            # of the machine, not only of the process.
            self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'OFF'}")
            self._db.executescript(SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailable(
                f"cannot open the embedded store at {self.path}: {exc}. "
                "Check that the directory is writable, or set LINEAGE_STORE to another "
                "sqlite:///path."
            ) from exc
        self._lock = threading.RLock()
        self._reset_memory()
        self._load()

    # -- memory ----------------------------------------------------------------------

    def _reset_memory(self) -> None:
        self._nodes: dict[str, _NodeRec] = {}
        self._edges: dict[str, _EdgeRec] = {}
        self._out: dict[str, dict[EdgeKind, set[str]]] = {}
        self._in: dict[str, dict[EdgeKind, set[str]]] = {}
        self._written: dict[str, list[tuple[float, str]]] = {}  # dataset -> versions
        self._reads: dict[str, dict[str, float]] = {}  # dataset -> inferred READ edges
        self._read_of: dict[tuple[str, str], str] = {}  # (run, dataset) -> READ edge
        self._completions: dict[str, list[tuple[float, str]]] = {}  # job -> sorted
        self._completion_at: dict[tuple[str, str], float] = {}
        self._pending: dict[str, set[str]] = {}  # run -> projection edges
        self._unresolved: dict[str, set[bytes]] = {}
        self._projection_of_job: dict[str, set[str]] = {}
        self._event_count = 0

    def _load(self) -> None:
        started = time.perf_counter()
        loads = orjson.loads
        for nid, kind, data in self._db.execute("SELECT id, kind, data FROM nodes"):
            props, ats = loads(data)
            self._nodes[nid] = _NodeRec(NodeKind(kind), props, ats)
        for eid, kind, src, dst, key, data in self._db.execute(
            "SELECT id, kind, src, dst, key, data FROM edges"
        ):
            props, ats = loads(data)
            rec = _EdgeRec(EdgeKind(kind), src, dst, key, props, ats)
            self._edges[eid] = rec
            self._index_edge(eid, rec)
        for nid, node in self._nodes.items():
            self._index_node(nid, node)
        for run, eid in self._db.execute("SELECT run, edge FROM pending_sightings"):
            self._pending.setdefault(run, set()).add(eid)
        for run, body in self._db.execute("SELECT run, body FROM unresolved"):
            self._unresolved.setdefault(run, set()).add(body)
        (self._event_count,) = self._db.execute("SELECT count(*) FROM events").fetchone()
        self.load_seconds = time.perf_counter() - started

    def _index_node(self, nid: str, rec: _NodeRec) -> None:
        props = rec.props
        if rec.kind is NodeKind.DATASET_VERSION and props.get("run") and "created_at" in props:
            versions = self._written.setdefault(props["dataset"], [])
            entry = (props["created_at"], nid)
            if entry not in versions:
                versions[:] = [v for v in versions if v[1] != nid]
                insort(versions, entry)
        elif rec.kind is NodeKind.RUN and props.get("completed_at") is not None:
            self._add_completion(props["job"], nid, props["completed_at"])
        elif rec.kind is NodeKind.JOB:
            for at in props.get("static_completions") or ():
                self._add_completion(nid, f"static:{at!r}", at)

    def _index_edge(self, eid: str, rec: _EdgeRec) -> None:
        self._out.setdefault(rec.src, {}).setdefault(rec.kind, set()).add(eid)
        self._in.setdefault(rec.dst, {}).setdefault(rec.kind, set()).add(eid)
        if rec.kind is EdgeKind.READ:
            dataset = rec.props["dataset"]
            self._read_of[(rec.src, dataset)] = eid
            if not rec.props.get("explicit"):
                self._reads.setdefault(dataset, {})[eid] = rec.props["at"]
        elif rec.kind in PROJECTION_EDGES:
            self._projection_of_job.setdefault(_job_of(rec), set()).add(eid)

    def _unindex_edge(self, eid: str, rec: _EdgeRec) -> None:
        self._out[rec.src][rec.kind].discard(eid)
        self._in[rec.dst][rec.kind].discard(eid)
        if rec.kind is EdgeKind.READ:
            dataset = rec.props["dataset"]
            if self._read_of.get((rec.src, dataset)) == eid:
                del self._read_of[(rec.src, dataset)]
            self._reads.get(dataset, {}).pop(eid, None)

    def _add_completion(self, job: str, key: str, at: float) -> None:
        previous = self._completion_at.get((job, key))
        if previous == at:
            return
        entries = self._completions.setdefault(job, [])
        if previous is not None:
            entries.remove((previous, key))
        insort(entries, (at, key))
        self._completion_at[(job, key)] = at

    # -- writing ---------------------------------------------------------------------

    def write(self, items: Sequence[IngestItem]) -> None:
        with self._lock:
            batch = _Batch()
            try:
                for item in items:
                    for mutation in item.mutations:
                        self._apply(mutation, batch)
                self._resolve_references(batch)
                self._persist(items, batch)
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
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(
                "INSERT INTO events (received_at, event_time, event_type, run_id, job_namespace,"
                " job_name, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        now,
                        i.event_time,
                        i.event_type,
                        i.run_id,
                        i.job_namespace,
                        i.job_name,
                        i.body,
                    )
                    for i in items
                ],
            )
            node_rows = []
            for nid in batch.nodes:
                rec = self._nodes.get(nid)
                if rec is not None:
                    node_rows.append((nid, rec.kind.value, dumps([rec.props, rec.ats])))
            db.executemany("INSERT OR REPLACE INTO nodes VALUES (?, ?, ?)", node_rows)
            edge_rows = []
            for eid in batch.edges:
                erec = self._edges.get(eid)
                if erec is not None:
                    edge_rows.append(
                        (
                            eid,
                            erec.kind.value,
                            erec.src,
                            erec.dst,
                            erec.key,
                            dumps([erec.props, erec.ats]),
                        )
                    )
            db.executemany("INSERT OR REPLACE INTO edges VALUES (?, ?, ?, ?, ?, ?)", edge_rows)
            db.executemany("DELETE FROM edges WHERE id = ?", [(e,) for e in batch.deleted_edges])
            db.executemany("DELETE FROM nodes WHERE id = ?", [(n,) for n in batch.deleted_nodes])
            db.executemany(
                "INSERT OR IGNORE INTO pending_sightings VALUES (?, ?)", batch.pending_added
            )
            db.executemany(
                "DELETE FROM pending_sightings WHERE run = ?", [(r,) for r in batch.pending_done]
            )
            db.executemany("INSERT OR IGNORE INTO unresolved VALUES (?, ?)", batch.refs_added)
            db.executemany("DELETE FROM unresolved WHERE run = ? AND body = ?", batch.refs_resolved)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self._event_count += len(items)

    def _apply(self, m: Mutation, batch: _Batch) -> None:
        if isinstance(m, UpsertNode):
            self._upsert_node(m.id, m.kind, m.props, batch)
        elif isinstance(m, UpsertEdge):
            self._upsert_edge(m, batch)
        elif isinstance(m, Sighting):
            self._sight(m, batch)
        elif isinstance(m, ReadDataset):
            self._read(m, batch)
        elif isinstance(m, Completion):
            self._complete(m, batch)
        elif isinstance(m, UnresolvedReference):
            self._unresolved_reference(m, batch)
        else:  # pragma: no cover - the Mutation union is closed
            raise StoreError(f"unknown mutation {type(m).__name__}")

    def _upsert_node(
        self, nid: str, kind: NodeKind, props: Mapping[str, Prop], batch: _Batch
    ) -> _NodeRec:
        rec = self._nodes.get(nid)
        changed = False
        if rec is None:
            rec = _NodeRec(kind, {}, {})
            self._nodes[nid] = rec
            changed = True
        for name, prop in props.items():
            if apply_prop(rec.props, rec.ats, name, prop):
                changed = True
        if changed:
            batch.nodes.add(nid)
            batch.deleted_nodes.discard(nid)
            self._index_node(nid, rec)
            if kind is NodeKind.DATASET_VERSION and rec.props.get("run"):
                self._after_new_version(rec.props["dataset"], rec.props["created_at"], batch)
        return rec

    def _upsert_edge(self, m: UpsertEdge, batch: _Batch) -> tuple[str, _EdgeRec, bool]:
        eid = m.id
        rec = self._edges.get(eid)
        changed = False
        if rec is None:
            rec = _EdgeRec(m.kind, m.src, m.dst, m.key, {}, {})
            for name, prop in m.props.items():
                apply_prop(rec.props, rec.ats, name, prop)
            self._edges[eid] = rec
            self._index_edge(eid, rec)
            changed = True
        else:
            for name, prop in m.props.items():
                if apply_prop(rec.props, rec.ats, name, prop):
                    changed = True
        if changed:
            batch.edges.add(eid)
            batch.deleted_edges.discard(eid)
        return eid, rec, changed

    def _drop_edge(self, eid: str, batch: _Batch) -> None:
        rec = self._edges.pop(eid, None)
        if rec is None:
            return
        self._unindex_edge(eid, rec)
        batch.edges.discard(eid)
        batch.deleted_edges.add(eid)

    # Job-level projection: validity intervals ------------------------------------------

    def _sight(self, m: Sighting, batch: _Batch) -> None:
        props = dict(m.edge.props)
        props["since"] = Prop(m.at, Merge.MIN)
        props["last_seen"] = Prop(m.at, Merge.MAX)
        if m.covers is not None:
            props["covers"] = Prop(m.covers)
        edge = UpsertEdge(m.edge.kind, m.edge.src, m.edge.dst, m.edge.key, props)
        eid, rec, _ = self._upsert_edge(edge, batch)
        if m.run is not None:
            run = self._nodes.get(m.run)
            completed = run.props.get("completed_at") if run is not None else None
            if completed is not None:
                self._bump(eid, rec, completed, batch)
            elif eid not in self._pending.get(m.run, ()):
                self._pending.setdefault(m.run, set()).add(eid)
                batch.pending_added.append((m.run, eid))
            if m.covers is not None:
                self._upsert_node(
                    m.run, NodeKind.RUN, {"covers": Prop([m.covers], Merge.UNION)}, batch
                )
        self._recompute_until(eid, rec, batch)

    def _bump(self, eid: str, rec: _EdgeRec, at: float, batch: _Batch) -> None:
        if apply_prop(rec.props, rec.ats, "last_seen", Prop(at, Merge.MAX)):
            batch.edges.add(eid)

    def _complete(self, m: Completion, batch: _Batch) -> None:
        if m.run is None:
            self._upsert_node(
                m.job, NodeKind.JOB, {"static_completions": Prop([m.at], Merge.UNION)}, batch
            )
        else:
            run = self._upsert_node(
                m.run,
                NodeKind.RUN,
                {
                    "completed_at": Prop(m.at, Merge.MIN),
                    "job": Prop(m.job),
                    "covers": Prop(list(m.covers), Merge.UNION),
                },
                batch,
            )
            completed = run.props["completed_at"]
            for eid in sorted(self._pending.pop(m.run, ())):
                rec = self._edges.get(eid)
                if rec is not None:
                    self._bump(eid, rec, completed, batch)
            batch.pending_done.append(m.run)
        for eid in sorted(self._projection_of_job.get(m.job, ())):
            rec = self._edges.get(eid)
            if rec is not None:
                self._recompute_until(eid, rec, batch)

    def _recompute_until(self, eid: str, rec: _EdgeRec, batch: _Batch) -> None:
        """until = the job's earliest completion after the edge was last seen."""
        job = _job_of(rec)
        completions = self._completions.get(job, [])
        last_seen = rec.props.get("last_seen", 0.0)
        until = None
        covers = rec.props.get("covers") if rec.kind is EdgeKind.FEEDS else None
        for at, key in completions[bisect_right(completions, (last_seen, "\U0010ffff")) :]:
            if covers is None:
                until = at
                break
            run = self._nodes.get(key)
            if run is not None and covers in (run.props.get("covers") or ()):
                until = at
                break
        if "until" not in rec.props or rec.props["until"] != until:
            rec.props["until"] = until
            batch.edges.add(eid)

    # Run-level history: which version a run read -----------------------------------------

    def _read(self, m: ReadDataset, batch: _Batch) -> None:
        batch.touched_runs.add(m.run)
        props: dict[str, Prop] = dict(m.edge_props)
        props["at"] = Prop(m.at, Merge.MIN)
        props["dataset"] = Prop(m.dataset)
        if m.version is not None:
            _, _, version = m.version.rpartition("\x1f")
            self._upsert_node(
                m.version,
                NodeKind.DATASET_VERSION,
                {
                    "dataset": Prop(m.dataset),
                    "version": Prop(version),
                    "created_at": Prop(m.at, Merge.MIN),
                },
                batch,
            )
            self._upsert_edge(UpsertEdge(EdgeKind.VERSION_OF, m.version, m.dataset), batch)
            props["explicit"] = Prop(m.version, at=m.at)
        props["observed"] = Prop(m.observed, at=m.at if m.observed_known else 0.0)
        existing = self._read_of.get((m.run, m.dataset))
        if existing is None:
            merged: dict[str, Any] = {}
            merged_ats: dict[str, float] = {}
            for name, prop in props.items():
                apply_prop(merged, merged_ats, name, prop)
            target = merged.get("explicit") or self._written_at(m.dataset, m.at)
            if target is None:
                target = self._observe(m, merged["observed"], batch)
            rec = _EdgeRec(EdgeKind.READ, m.run, target, "", merged, merged_ats)
            eid = edge_id(EdgeKind.READ, m.run, target)
            self._edges[eid] = rec
            self._index_edge(eid, rec)
            batch.edges.add(eid)
            batch.deleted_edges.discard(eid)
            return
        rec = self._edges[existing]
        changed = False
        for name, prop in props.items():
            changed |= apply_prop(rec.props, rec.ats, name, prop)
        if changed:
            batch.edges.add(existing)
            if rec.props.get("explicit"):
                self._reads.get(m.dataset, {}).pop(existing, None)
            else:
                self._reads.setdefault(m.dataset, {})[existing] = rec.props["at"]
        target = rec.props.get("explicit") or self._written_at(m.dataset, rec.props["at"])
        if target is None:
            target = self._observe(m, rec.props["observed"], batch)
        if target != rec.dst:
            self._move_read(existing, target, batch)

    def _written_at(self, dataset: str, at: float) -> str | None:
        """The latest version of ``dataset`` a run wrote at or before ``at``."""
        versions = self._written.get(dataset, [])
        i = bisect_right(versions, (at, "\U0010ffff"))
        return versions[i - 1][1] if i else None

    def _observe(self, m: ReadDataset, observed: str, batch: _Batch) -> str:
        """Make sure the observed version ``observed`` exists; what ``m`` saw goes on it
        only when it is the observation ``m`` made."""
        _, _, version = observed.rpartition("\x1f")
        props: dict[str, Prop] = {
            "dataset": Prop(m.dataset),
            "version": Prop(version),
            "observed": Prop(True),
        }
        if observed == m.observed:
            props.update(m.observed_props)
        self._upsert_node(observed, NodeKind.DATASET_VERSION, props, batch)
        self._upsert_edge(UpsertEdge(EdgeKind.VERSION_OF, observed, m.dataset), batch)
        return observed

    def _move_read(self, eid: str, target: str, batch: _Batch) -> None:
        rec = self._edges[eid]
        old = rec.dst
        self._drop_edge(eid, batch)
        moved = _EdgeRec(EdgeKind.READ, rec.src, target, "", rec.props, rec.ats)
        new_id = edge_id(EdgeKind.READ, rec.src, target)
        self._edges[new_id] = moved
        self._index_edge(new_id, moved)
        batch.edges.add(new_id)
        batch.deleted_edges.discard(new_id)
        self._forget_orphan_observation(old, batch)

    def _forget_orphan_observation(self, version: str, batch: _Batch) -> None:
        """An observed version no run reads any more was only ever a placeholder."""
        rec = self._nodes.get(version)
        if rec is None or not rec.props.get("observed"):
            return
        if self._in.get(version, {}).get(EdgeKind.READ):
            return
        for eid in list(self._out.get(version, {}).get(EdgeKind.VERSION_OF, ())):
            self._drop_edge(eid, batch)
        del self._nodes[version]
        batch.nodes.discard(version)
        batch.deleted_nodes.add(version)

    def _after_new_version(self, dataset: str, created_at: float, batch: _Batch) -> None:
        """Reads at or after a newly known version may have pointed at an older one."""
        for eid, at in sorted(self._reads.get(dataset, {}).items()):
            if at < created_at or eid not in self._edges:
                continue
            target = self._written_at(dataset, at)
            if target is not None and target != self._edges[eid].dst:
                self._move_read(eid, target, batch)

    # Column lineage that names no dataset ----------------------------------------------------

    def _unresolved_reference(self, m: UnresolvedReference, batch: _Batch) -> None:
        body = orjson.dumps(
            {
                "namespace": m.namespace,
                "name": m.name,
                "field": m.field,
                "target": m.target_field,
                "job": m.job,
                "at": m.at,
                "transformations": list(m.transformations),
            },
            option=orjson.OPT_SORT_KEYS,
        )
        self._upsert_node(
            m.run,
            NodeKind.RUN,
            {"column_refs": Prop([body.decode()], Merge.UNION)},
            batch,
        )
        if body not in self._unresolved.get(m.run, set()):
            self._unresolved.setdefault(m.run, set()).add(body)
            batch.refs_added.append((m.run, body))
        batch.runs_with_refs.add(m.run)

    def _resolve_references(self, batch: _Batch) -> None:
        for run in sorted(batch.runs_with_refs | (batch.touched_runs & set(self._unresolved))):
            for body in sorted(self._unresolved.get(run, set())):
                ref = orjson.loads(body)
                candidates = sorted(
                    {
                        self._edges[e].props["dataset"]
                        for e in self._out.get(run, {}).get(EdgeKind.READ, ())
                    }
                )
                matches = []
                for dataset in candidates:
                    _, (namespace, name) = split_id(dataset)
                    if field_id(namespace, name, ref["field"]) in self._nodes:
                        matches.append((namespace, name))
                if len(matches) != 1:
                    continue
                namespace, name = matches[0]
                source = field_id(namespace, name, ref["field"])
                transformations = ref["transformations"] or [{"type": "DIRECT"}]
                primary = next(
                    (t for t in transformations if t.get("type") == "DIRECT"), transformations[0]
                )
                target = ref["target"]
                _, (t_namespace, t_name, _) = split_id(target)
                self._sight(
                    Sighting(
                        UpsertEdge(
                            EdgeKind.FEEDS,
                            source,
                            target,
                            key=ref["job"],
                            props={
                                "job": Prop(ref["job"]),
                                "type": Prop(primary.get("type", "DIRECT"), at=ref["at"]),
                                "subtype": Prop(primary.get("subtype"), at=ref["at"]),
                                "scope": Prop("FIELD", at=ref["at"]),
                                "via": Prop(ref["name"], at=ref["at"]),
                                "transformations": Prop(
                                    [
                                        orjson.dumps(t, option=orjson.OPT_SORT_KEYS).decode()
                                        for t in transformations
                                    ],
                                    Merge.UNION,
                                ),
                            },
                        ),
                        ref["job"],
                        ref["at"],
                        run,
                        covers=dataset_id(t_namespace, t_name),
                    ),
                    batch,
                )
                self._unresolved[run].discard(body)
                batch.refs_resolved.append((run, body))

    # -- reading ---------------------------------------------------------------------

    def _node(self, nid: str) -> Node | None:
        rec = self._nodes.get(nid)
        if rec is None:
            return None
        return Node(nid, rec.kind, {k: v for k, v in rec.props.items() if v is not None})

    def _edge(self, eid: str, rec: _EdgeRec) -> Edge:
        props = dict(rec.props)
        if rec.key:
            props.setdefault("key", rec.key)
        return Edge(eid, rec.kind, rec.src, rec.dst, props)

    def get_nodes(self, ids: Iterable[str]) -> dict[str, Node]:
        with self._lock:
            found: dict[str, Node] = {}
            for nid in ids:
                node = self._node(nid)
                if node is not None:
                    found[nid] = node
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
        maps = []
        if direction in (Direction.DOWNSTREAM, Direction.BOTH):
            maps.append(self._out.get(nid))
        if direction in (Direction.UPSTREAM, Direction.BOTH):
            maps.append(self._in.get(nid))
        for by_kind in maps:
            if not by_kind:
                continue
            for kind, eids in by_kind.items():
                if kinds is not None and kind not in kinds:
                    continue
                for eid in eids:
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
            queue: deque[tuple[str, int]] = deque()
            for nid in starts:
                node = self._node(nid)
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
                        node = self._node(other)
                        if node is None:
                            continue
                        graph.nodes[other] = node
                        queue.append((other, depth + 1))
                    graph.edges[eid] = self._edge(eid, rec)
            return graph

    def search(
        self,
        text: str,
        kinds: Collection[NodeKind] | None = None,
        namespace: str | None = None,
        limit: int = 20,
    ) -> list[Node]:
        needle = text.lower()
        wanted = frozenset(kinds) if kinds else frozenset({NodeKind.DATASET, NodeKind.JOB})
        scored: list[tuple[int, str]] = []
        with self._lock:
            for nid, rec in self._nodes.items():
                if rec.kind not in wanted:
                    continue
                props = rec.props
                if namespace is not None and props.get("namespace") != namespace:
                    continue
                name = str(props.get("name") or props.get("path") or "").lower()
                if name == needle:
                    score = 0
                elif name.startswith(needle) or name.rsplit(".", 1)[-1].startswith(needle):
                    score = 1
                elif needle in name:
                    score = 2
                elif needle in str(props.get("namespace") or "").lower():
                    score = 3
                elif needle in str(props.get("description") or "").lower():
                    score = 4
                else:
                    continue
                scored.append((score, nid))
            scored.sort()
            return [n for _, nid in scored[:limit] if (n := self._node(nid)) is not None]

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

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _valid(props: Mapping[str, Any], at: float | None) -> bool:
    until = props.get("until")
    if at is None:
        return until is None
    since = props.get("since")
    return (since is None or since <= at) and (until is None or at < until)


class _Batch:
    """What one write changed, to be persisted in one transaction."""

    __slots__ = (
        "deleted_edges",
        "deleted_nodes",
        "edges",
        "nodes",
        "pending_added",
        "pending_done",
        "refs_added",
        "refs_resolved",
        "runs_with_refs",
        "touched_runs",
    )

    def __init__(self) -> None:
        self.nodes: set[str] = set()
        self.edges: set[str] = set()
        self.deleted_nodes: set[str] = set()
        self.deleted_edges: set[str] = set()
        self.pending_added: list[tuple[str, str]] = []
        self.pending_done: list[str] = []
        self.refs_added: list[tuple[str, bytes]] = []
        self.refs_resolved: list[tuple[str, bytes]] = []
        self.runs_with_refs: set[str] = set()
        self.touched_runs: set[str] = set()
