"""Retention: drop the history before a time ``T`` and keep the graph as it stands from ``T`` on.

What goes (``namespace``: only runs of that namespace's jobs, and versions of its datasets
or written or read by those runs):

- raw events whose event time is before ``T``;
- runs whose last event is before ``T``, with their run-level edges (READ, WROTE, RUN_OF,
  CHILD_OF) and what the store kept about them for merging (sightings, references);
- dataset versions superseded before ``T``: a later version of the dataset was written
  at or before ``T`` (and observed versions seen only before ``T``);
- job-level and column-level edges (INPUT_TO, PRODUCES, FEEDS) whose validity ended at or
  before ``T``, and column lineage reports closed by then.

What stays: every dataset, job and field; every version current at or after ``T``; every
edge still valid at ``T``; and the provenance of what stays: a run that wrote or read a
version that stays stays too, with its parent runs, so that the run-level lineage of
current data is whole. Runs and versions an incident is about stay. Answers as of ``T`` or
later are the same after a prune as before it; a second prune at the same ``T`` drops
nothing.

The choice of what goes (:func:`plan`) is shared by both stores; each gathers what it holds
(:class:`Inventory`) and deletes what the plan names.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Final

import orjson

from lineage.graph.merge import members
from lineage.graph.model import EdgeKind, NodeKind, split_id
from lineage.store.base import StoreError, StoreUnavailable

if TYPE_CHECKING:
    from lineage.store.embedded import EmbeddedStore
    from lineage.store.neo4j import Neo4jStore

#: Ids one Neo4j statement deletes at a time.
_CHUNK: Final = 5_000


@dataclass(frozen=True, slots=True)
class PruneReport:
    """What a prune dropped (or, for a dry run, would drop)."""

    before: float
    namespace: str | None
    dry_run: bool
    events: int = 0
    runs: int = 0
    versions: int = 0
    edges: int = 0
    reports: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "before": self.before,
            "namespace": self.namespace,
            "dryRun": self.dry_run,
            "events": self.events,
            "runs": self.runs,
            "versions": self.versions,
            "edges": self.edges,
            "columnLineageReports": self.reports,
        }


@dataclass(slots=True)
class Inventory:
    """What a store holds that retention decides about (light: ids and times only)."""

    #: run id -> (job id or None, time of its last event or None)
    runs: dict[str, tuple[str | None, float | None]] = field(default_factory=dict)
    #: version id -> (dataset id, created_at or None, whether a run wrote it)
    versions: dict[str, tuple[str, float | None, bool]] = field(default_factory=dict)
    #: (kind, run, version) of READ and WROTE edges
    run_edges: list[tuple[str, str, str]] = field(default_factory=list)
    #: (child run, parent run)
    parents: list[tuple[str, str]] = field(default_factory=list)
    #: nodes an incident is about
    incident_targets: set[str] = field(default_factory=set)
    #: (edge id, kind, job id) of INPUT_TO, PRODUCES and FEEDS edges closed at or before T
    closed_edges: list[tuple[str, str, str]] = field(default_factory=list)
    #: (report key, job id) of column lineage reports closed at or before T
    closed_reports: list[tuple[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class Plan:
    runs: set[str]
    versions: set[str]
    edges: dict[str, str]  # edge id -> kind, of closed edges (edges of dropped nodes aside)
    reports: set[str]

    @property
    def nodes(self) -> set[str]:
        return self.runs | self.versions


def _namespace(nid: str | None) -> str | None:
    if not nid:
        return None
    try:
        _, parts = split_id(nid)
    except ValueError:
        return None
    return parts[0] if parts else None


def plan(inventory: Inventory, before: float, namespace: str | None = None) -> Plan:
    """The runs, versions, edges and reports a prune at ``before`` drops."""

    def in_scope(owner: str | None) -> bool:
        return namespace is None or _namespace(owner) == namespace

    # Who wrote or read each version (a version belongs to its dataset's namespace and
    # to those of the jobs whose runs wrote or read it).
    writers: dict[str, list[str]] = {}
    used: dict[str, list[str]] = {}
    users: dict[str, list[str]] = {}
    for kind, run, version in inventory.run_edges:
        if kind == EdgeKind.WROTE.value:
            writers.setdefault(version, []).append(run)
        used.setdefault(run, []).append(version)
        users.setdefault(version, []).append(run)

    def version_in_scope(vid: str, dataset: str) -> bool:
        return in_scope(dataset) or any(
            in_scope(inventory.runs.get(run, (None, None))[0]) for run in users.get(vid, ())
        )

    # Versions current at `before`: per dataset, the latest written at or before it.
    current: dict[str, tuple[float, str]] = {}
    for vid, (dataset, created, written) in inventory.versions.items():
        if written and created is not None and created <= before:
            best = current.get(dataset)
            if best is None or (created, vid) > best:
                current[dataset] = (created, vid)
    keep_versions: set[str] = set()
    for vid, (dataset, created, written) in inventory.versions.items():
        superseded = (
            created is not None
            and created < before
            and (not written or current.get(dataset, (0.0, vid))[1] != vid)
        )
        if (
            not superseded
            or vid in inventory.incident_targets
            or not version_in_scope(vid, dataset)
        ):
            keep_versions.add(vid)
    keep_runs: set[str] = set()
    for rid, (job, last) in inventory.runs.items():
        old = last is not None and last < before
        if not old or not in_scope(job) or rid in inventory.incident_targets:
            keep_runs.add(rid)
    # Placeholder runs (known only as a parent) go with their last child.
    children: dict[str, list[str]] = {}
    for child, parent in inventory.parents:
        children.setdefault(parent, []).append(child)
    for rid, (job, last) in inventory.runs.items():
        if last is None and rid in keep_runs and in_scope(job) and children.get(rid):
            keep_runs.discard(rid)

    # What stays keeps its provenance: writers of kept versions, versions kept runs used,
    # parents of kept runs, until nothing more is added.
    parent_of: dict[str, list[str]] = {}
    for child, parent in inventory.parents:
        parent_of.setdefault(child, []).append(parent)
    runs_todo = list(keep_runs)
    versions_todo = list(keep_versions)
    while runs_todo or versions_todo:
        while versions_todo:
            for run in writers.get(versions_todo.pop(), ()):
                if run not in keep_runs and run in inventory.runs:
                    keep_runs.add(run)
                    runs_todo.append(run)
        while runs_todo:
            run = runs_todo.pop()
            for version in used.get(run, ()):
                if version not in keep_versions and version in inventory.versions:
                    keep_versions.add(version)
                    versions_todo.append(version)
            for parent in parent_of.get(run, ()):
                if parent not in keep_runs and parent in inventory.runs:
                    keep_runs.add(parent)
                    runs_todo.append(parent)

    return Plan(
        runs=set(inventory.runs) - keep_runs,
        versions=set(inventory.versions) - keep_versions,
        edges={eid: kind for eid, kind, job in inventory.closed_edges if in_scope(job)},
        reports={key for key, job in inventory.closed_reports if in_scope(job)},
    )


def _job_of_edge(kind: EdgeKind, src: str, dst: str, key: str) -> str:
    if kind is EdgeKind.INPUT_TO:
        return dst
    if kind is EdgeKind.PRODUCES:
        return src
    return key


def _run_time(props: Mapping[str, Any]) -> float | None:
    value = props.get("last_seen", props.get("completed_at"))
    return float(value) if isinstance(value, int | float) else None


# -- the embedded store ----------------------------------------------------------------------


def prune_embedded(
    store: EmbeddedStore, before: float, namespace: str | None, dry_run: bool
) -> PruneReport:
    if store.read_only and not dry_run:
        raise StoreError(
            f"the embedded store {store.path} was opened for reading only; prune through the "
            "process that writes it, or stop it first"
        )
    with store._lock:
        inventory = Inventory()
        projection = (EdgeKind.INPUT_TO, EdgeKind.PRODUCES, EdgeKind.FEEDS)
        for nid, node in store._nodes.items():
            if node.kind is NodeKind.RUN:
                inventory.runs[nid] = (node.props.get("job"), _run_time(node.props))
            elif node.kind is NodeKind.DATASET_VERSION:
                created = node.props.get("created_at")
                inventory.versions[nid] = (
                    node.props["dataset"],
                    float(created) if isinstance(created, int | float) else None,
                    bool(node.props.get("run")),
                )
        for eid, edge in store._edges.items():
            kind = edge.kind
            if kind is EdgeKind.READ or kind is EdgeKind.WROTE:
                inventory.run_edges.append((kind.value, edge.src, edge.dst))
            elif kind is EdgeKind.CHILD_OF:
                if edge.src in inventory.runs and edge.dst in inventory.runs:
                    inventory.parents.append((edge.src, edge.dst))
            elif kind is EdgeKind.ON:
                inventory.incident_targets.add(edge.dst)
            elif kind in projection:
                until = edge.props.get("until")
                if until is not None and until <= before:
                    job = _job_of_edge(kind, edge.src, edge.dst, edge.key)
                    inventory.closed_edges.append((eid, kind.value, job))
        for key, held in store._reports.items():
            if held.until is not None and held.until <= before:
                inventory.closed_reports.append((key, held.job))
        chosen = plan(inventory, before, namespace)

        dropped_nodes = chosen.nodes
        edges = set(chosen.edges)
        for nid in dropped_nodes:
            for index in (store._out, store._in):
                for by_node in index.values():
                    edges.update(members(by_node.get(nid)))
        (events,) = store._db.execute(
            "SELECT count(*) FROM events WHERE event_time < ? AND (? IS NULL OR job_namespace = ?)",
            (before, namespace, namespace),
        ).fetchone()
        report = PruneReport(
            before,
            namespace,
            dry_run,
            events=int(events),
            runs=len(chosen.runs),
            versions=len(chosen.versions),
            edges=len(edges),
            reports=len(chosen.reports),
        )
        if dry_run or not (events or dropped_nodes or edges or chosen.reports):
            return report
        db = store._db
        gone_items = [(item,) for item in sorted(edges | chosen.reports)]
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute(
                    "DELETE FROM events WHERE event_time < ? AND (? IS NULL OR job_namespace = ?)",
                    (before, namespace, namespace),
                )
                nodes = [(nid,) for nid in sorted(dropped_nodes)]
                db.executemany("DELETE FROM nodes WHERE id = ?", nodes)
                db.executemany("DELETE FROM cold WHERE node = ?", nodes)
                db.executemany("DELETE FROM search_text WHERE node = ?", nodes)
                db.executemany("DELETE FROM edges WHERE id = ?", [(e,) for e in sorted(edges)])
                db.executemany(
                    "DELETE FROM reports WHERE key = ?", [(k,) for k in sorted(chosen.reports)]
                )
                runs = [(rid,) for rid in sorted(chosen.runs)]
                db.executemany("DELETE FROM contributions WHERE run = ?", runs)
                db.executemany("DELETE FROM unresolved WHERE run = ?", runs)
                db.executemany("DELETE FROM contributions WHERE item = ?", gone_items)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"the embedded store could not prune: {exc}") from exc
        finally:
            # Memory is rebuilt from what is on disk, whatever happened.
            store._reset_memory()
            store._load()
        return report


# -- Neo4j -----------------------------------------------------------------------------------

_RUNS: Final = "MATCH (r:Run) RETURN r.id AS id, r.job AS job, r.props AS props"
_VERSIONS: Final = (
    "MATCH (v:DatasetVersion) RETURN v.id AS id, v.dataset AS dataset, "
    "v.created_at AS created_at, v.run AS run"
)
_RUN_EDGES: Final = (
    "MATCH (r:Run)-[e:READ|WROTE]->(v:DatasetVersion) "
    "RETURN type(e) AS kind, r.id AS run, v.id AS version"
)
_PARENTS: Final = "MATCH (c:Run)-[:CHILD_OF]->(p:Run) RETURN c.id AS child, p.id AS parent"
_INCIDENT_TARGETS: Final = "MATCH (:Incident)-[:ON]->(n:Entity) RETURN DISTINCT n.id AS id"
_CLOSED_EDGES: Final = (
    "MATCH (a:Entity)-[e:INPUT_TO|PRODUCES|FEEDS]->(b:Entity) "
    "WHERE e.until IS NOT NULL AND e.until <= $before "
    "RETURN e.id AS id, type(e) AS kind, a.id AS src, b.id AS dst, e.key AS key"
)
_CLOSED_REPORTS: Final = (
    "MATCH (r:ColumnLineageReport) WHERE r.until IS NOT NULL AND r.until <= $before "
    "RETURN r.key AS key, r.job AS job"
)
_OLD_EVENTS: Final = (
    "MATCH (e:Event) WHERE e.event_time < $before "
    "AND ($namespace IS NULL OR e.job_namespace = $namespace)"
)
_EDGES_OF_NODES: Final = (
    "UNWIND $ids AS id MATCH (n:Entity {id: id}) USING INDEX SEEK n:Entity(id) "
    "MATCH (n)-[r]-() RETURN collect(DISTINCT r.id) AS ids"
)
_DELETE_EVENTS: Final = _OLD_EVENTS + " WITH e LIMIT $limit DELETE e RETURN count(*) AS n"
_DELETE_REPORTS: Final = "UNWIND $keys AS key MATCH (r:ColumnLineageReport {key: key}) DELETE r"
_DELETE_RUN_STATES: Final = "UNWIND $runs AS run MATCH (s:RunState {run: run}) DELETE s"
_FORGET_SIGHTINGS: Final = (
    "MATCH (s:RunState) WHERE any(x IN s.sighted WHERE x IN $gone) "
    "SET s.sighted = [x IN s.sighted WHERE NOT x IN $gone]"
)


def _chunks(values: Iterable[str]) -> list[list[str]]:
    ordered = sorted(values)
    return [ordered[i : i + _CHUNK] for i in range(0, len(ordered), _CHUNK)]


def prune_neo4j(
    store: Neo4jStore, before: float, namespace: str | None, dry_run: bool
) -> PruneReport:
    # The driver is loaded only for a Neo4j store. The Neo4j store's statements are imported
    # here because lineage.store.neo4j imports this module: a cycle that goes once this
    # function and its statements move into the Neo4j store.
    from neo4j import READ_ACCESS, WRITE_ACCESS, ManagedTransaction

    from lineage.store.neo4j import _COUNTER, EDGE_DELETE, LOCK, NODE_DELETE

    def gather(tx: ManagedTransaction) -> tuple[Inventory, int]:
        inventory = Inventory()
        for row in tx.run(_RUNS):
            props = orjson.loads(row["props"]) if row["props"] else {}
            inventory.runs[row["id"]] = (row["job"], _run_time(props))
        for row in tx.run(_VERSIONS):
            created = row["created_at"]
            inventory.versions[row["id"]] = (
                row["dataset"],
                float(created) if isinstance(created, int | float) else None,
                bool(row["run"]),
            )
        inventory.run_edges = [(r["kind"], r["run"], r["version"]) for r in tx.run(_RUN_EDGES)]
        inventory.parents = [(r["child"], r["parent"]) for r in tx.run(_PARENTS)]
        inventory.incident_targets = {r["id"] for r in tx.run(_INCIDENT_TARGETS)}
        for row in tx.run(_CLOSED_EDGES, before=before):
            kind = EdgeKind(row["kind"])
            job = _job_of_edge(kind, row["src"], row["dst"], row["key"] or "")
            inventory.closed_edges.append((row["id"], kind.value, job))
        inventory.closed_reports = [
            (r["key"], r["job"]) for r in tx.run(_CLOSED_REPORTS, before=before)
        ]
        record = tx.run(
            _OLD_EVENTS + " RETURN count(e) AS n", before=before, namespace=namespace
        ).single()
        return inventory, int(record["n"]) if record is not None else 0

    def edges_of(tx: ManagedTransaction, ids: Sequence[str]) -> list[str]:
        record = tx.run(_EDGES_OF_NODES, ids=list(ids)).single()
        return list(record["ids"]) if record is not None else []

    def in_write(work: Any) -> Any:
        def locked(tx: ManagedTransaction) -> Any:
            tx.run(LOCK, name=_COUNTER, n=0).consume()  # serialised with every writer
            return work(tx)

        return store._execute(WRITE_ACCESS, locked)

    with store._lock:
        inventory, events = store._execute(READ_ACCESS, gather)
        chosen = plan(inventory, before, namespace)
        dropped_nodes = chosen.nodes
        node_edges: set[str] = set()
        for chunk in _chunks(dropped_nodes):
            node_edges.update(store._execute(READ_ACCESS, partial(edges_of, ids=chunk)))
        edges = set(chosen.edges) | node_edges
        report = PruneReport(
            before,
            namespace,
            dry_run,
            events=events,
            runs=len(chosen.runs),
            versions=len(chosen.versions),
            edges=len(edges),
            reports=len(chosen.reports),
        )
        if dry_run:
            return report
        while True:
            deleted = in_write(
                lambda tx: tx.run(
                    _DELETE_EVENTS, before=before, namespace=namespace, limit=_CHUNK
                ).single()
            )
            if deleted is None or not deleted["n"]:
                break
        by_kind: dict[str, set[str]] = {}
        for eid, kind in chosen.edges.items():
            by_kind.setdefault(kind, set()).add(eid)
        for kind, ids in sorted(by_kind.items()):
            statement = EDGE_DELETE[EdgeKind(kind)]
            for chunk in _chunks(ids):
                in_write(lambda tx, s=statement, c=chunk: tx.run(s, ids=c).consume())
        for chunk in _chunks(dropped_nodes):
            in_write(lambda tx, c=chunk: tx.run(NODE_DELETE, ids=c).consume())
        for chunk in _chunks(chosen.reports):
            in_write(lambda tx, c=chunk: tx.run(_DELETE_REPORTS, keys=c).consume())
        for chunk in _chunks(chosen.runs):
            in_write(lambda tx, c=chunk: tx.run(_DELETE_RUN_STATES, runs=c).consume())
        gone = sorted(edges | chosen.reports)
        for chunk in _chunks(gone):
            in_write(lambda tx, c=chunk: tx.run(_FORGET_SIGHTINGS, gone=c).consume())
        return report
