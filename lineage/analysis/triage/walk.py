"""The walk back from a symptom to the upstream versions and runs it may come from:
what the subject is, where the walk starts, the paths it takes, and where it ends."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lineage.analysis.errors import InvalidArgument, NotFound
from lineage.analysis.incidents import evidence as incident_evidence
from lineage.analysis.lineage import Granularity, LineageGraph, lineage, runs_of
from lineage.analysis.refs import describe, kind_of
from lineage.analysis.triage.nodes import dataset_of, ended_at, field_dataset, started_at, time_of
from lineage.analysis.versions import versions_at
from lineage.graph.model import EdgeKind, NodeKind
from lineage.store.base import Direction, GraphStore, Node


def subject_of(store: GraphStore, incident: Node) -> tuple[Node, bool]:
    """The node an incident is on (for a data quality incident about one field, that
    field), and whether the graph holds it.

    A check can name a column no schema ever listed (Great Expectations' facet, drift on a
    column): the incident is still answered, about a node that has only its id.
    """
    nid = str(incident.props.get("subject") or "")
    fields = list(incident.props.get("fields") or ())
    if len(fields) == 1:
        # A failed check on one column: that field's column lineage is what counts.
        nid = str(fields[0])
    node = store.get_nodes([nid]).get(nid) if nid else None
    if node is not None:
        return node, True
    try:
        kind = kind_of(nid)
    except InvalidArgument:
        raise NotFound(
            f"incident {incident.id!r} is on {nid!r}, which is not a node id this service issued"
        ) from None
    return Node(nid, kind, {}), False


@dataclass(frozen=True, slots=True)
class Cone:
    fields: frozenset[str]
    datasets: frozenset[str]

    def fields_of(self, dataset: str) -> list[str]:
        return sorted(f for f in self.fields if field_dataset(f) == dataset)


def column_cone(
    store: GraphStore, subject: Node, as_of: float | None, depth: int, deadline: float | None
) -> Cone | None:
    """The fields upstream of a field subject, or None (not a field, or no column lineage)."""
    if subject.kind is not NodeKind.FIELD:
        return None
    graph = lineage(
        store, subject.id, Direction.UPSTREAM, depth, as_of, Granularity.COLUMN, deadline=deadline
    )
    fields = frozenset(n for n, node in graph.nodes.items() if node.kind is NodeKind.FIELD)
    if len(fields) <= 1:
        return None
    return Cone(fields, frozenset(d for f in fields if (d := field_dataset(f))))


def walk_start(
    store: GraphStore, subject: Node, as_of: float | None, incident: Node | None
) -> Node:
    """Where the walk upstream starts: the subject's version current at ``as_of``, or for a
    job the run whose failure opened ``incident``, else the job's latest run by then (a
    second's leeway either way: a check and the version it saw share one event's time)."""
    kind = subject.kind
    if kind in (NodeKind.DATASET_VERSION, NodeKind.RUN):
        return subject
    if kind is NodeKind.JOB:
        failed = _failing_run(store, incident, subject.id) if incident is not None else None
        if failed is not None:
            return failed
        runs = [
            r for r in runs_of(store, subject.id) if as_of is None or started_at(r) <= as_of + 1
        ]
        if not runs:
            raise NotFound(f"{describe(subject.id)} has no run to start triage from")
        return runs[0]
    dataset = dataset_of(subject)
    if dataset is None:
        raise InvalidArgument(f"{describe(subject.id)} cannot be triaged")
    version = versions_at(store, [dataset], as_of + 1 if as_of is not None else None)[dataset]
    if version is None:
        raise NotFound(f"{describe(dataset)} has no version to start triage from")
    return version


def _failing_run(store: GraphStore, incident: Node, job: str) -> Node | None:
    """The run of ``job`` whose failure opened ``incident`` (its oldest evidence naming one)."""
    for entry in incident_evidence(incident):
        rid = entry.get("run")
        if isinstance(rid, str) and rid:
            run = store.get_nodes([rid]).get(rid)
            if run is not None and run.kind is NodeKind.RUN and run.props.get("job") == job:
                return run
            return None
    return None


def failed_children(store: GraphStore, run: Node) -> list[Node]:
    """The runs that name ``run`` as their parent and failed no later than it ended (one
    that failed after its parent is a consequence of the parent's failure, not a cause),
    first failed first."""
    edges = store.edges_of([run.id], Direction.UPSTREAM, [EdgeKind.CHILD_OF])
    ids = sorted({e.src for e in edges} - {run.id})
    if not ids:
        return []
    ended = run.props.get("ended_at")
    failed = [
        child
        for child in store.get_nodes(ids).values()
        if child.kind is NodeKind.RUN
        and child.props.get("state") == "FAIL"
        and (ended is None or ended_at(child) <= float(ended))
    ]
    return sorted(failed, key=lambda c: (ended_at(c), c.id))


def failed_parent(store: GraphStore, run: Node) -> Node | None:
    """The run ``run`` is part of, when that run failed too."""
    edges = store.edges_of([run.id], Direction.DOWNSTREAM, [EdgeKind.CHILD_OF])
    parents = store.get_nodes(sorted({e.dst for e in edges} - {run.id}))
    failed = [p for p in parents.values() if p.props.get("state") == "FAIL"]
    return min(failed, key=lambda p: p.id) if failed else None


def upstream_map(edges: Iterable[Any]) -> dict[str, list[str]]:
    """Node -> the nodes that feed it (LineageEdge points the way data flows)."""
    up: dict[str, list[str]] = {}
    for e in edges:
        up.setdefault(e.target, []).append(e.source)
    for feeders in up.values():
        feeders.sort()
    return up


def paths_from(start: str, upstream: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """Shortest upstream path from ``start`` to every node it reaches (start first)."""
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        nxt = []
        for nid in frontier:
            for feeder in upstream.get(nid, ()):
                if feeder not in paths:
                    paths[feeder] = [*paths[nid], feeder]
                    nxt.append(feeder)
        frontier = nxt
    return paths


def reads_of(edges: Iterable[Any]) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for e in edges:
        if e.kind == EdgeKind.READ.value:
            found.setdefault(e.source, []).append(e)
    return found


def raw_sources(versions: Sequence[Node], upstream: Mapping[str, list[str]]) -> list[str]:
    """The datasets where the walk ends: versions no run in the walk wrote, or written by
    runs that read nothing."""
    raw = set()
    for v in versions:
        writers = upstream.get(v.id, [])
        if not writers or all(not upstream.get(w) for w in writers):
            raw.add(str(v.props.get("dataset")))
    return sorted(raw)


def walk_upstream(
    store: GraphStore,
    first: Node,
    as_of: float | None,
    max_depth: int,
    node_budget: int,
    deadline: float | None,
) -> LineageGraph:
    """The versions and runs upstream of ``first``, run by run, as the graph stood at
    ``as_of`` (None: now)."""
    return lineage(
        store,
        first.id,
        Direction.UPSTREAM,
        max_depth,
        # The start may be up to a second younger than the incident (see walk_start).
        max(as_of, time_of(first)) if as_of is not None else None,
        Granularity.RUN,
        node_budget=node_budget,
        deadline=deadline,
    )
