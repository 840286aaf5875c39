"""Triage: from a symptom back to the exact upstream versions and runs, suspects ranked.

The walk is at RUN granularity: from the version of the incident's dataset current when
the incident opened (for a job: the run whose failure opened the incident, else its latest
run by then), through the runs that wrote each version read, back to raw sources. Every
version and run on the way is searched for evidence, and every node with evidence becomes
a suspect. A run the walk starts from that is a parent (a dbt invocation, an Airflow DAG
run) adds the child runs that failed before it ended: their failures, error messages, the
checks they failed and their code changes are its likely causes. Suspects are scored
transparently:

    score = strength x proximity x recency x precedence

- strength: how strongly the evidence points at a cause (noisy-or over the items:
  1 - prod(1 - s_i)); a breaking schema change is 1.0, a failed assertion 0.9, ...
- proximity: 1 / (1 + 0.1 x datasets between the subject and the suspect);
- recency: exp(-|t - t0| / 3 days), t the evidence's time, t0 the incident's start;
- precedence: 0.5 when another suspect with evidence seen no later explains this one: one
  further upstream on its own path, a failed child run (for its parent's own failure), a
  failed run whose output it read (for a sibling child). A downstream failure after an
  upstream change is more likely a symptom than a cause. And when the walk starts from a
  failed run, 0.5 for every other suspect first seen only after that run failed: a run's
  own failure ranks above what was observed later.

``why`` on each suspect spells the factors out.

The blast radius is what the trouble hurts: the datasets downstream of the top suspect
when it lies upstream of the subject. Otherwise (no suspect, or only the subject's own
run and its failed children) it is the subject's own downstream: the columns fed by a
field, the datasets (models and endpoints included) and jobs fed by the subject and by
its failed children's jobs, and the job of a parent run its failure failed.
"""

from __future__ import annotations

import itertools
import math
import statistics
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from lineage.analysis.diff import code_of
from lineage.analysis.errors import InvalidArgument, NotFound, check_deadline
from lineage.analysis.incidents import evidence as incident_evidence
from lineage.analysis.incidents import incidents_on, is_active
from lineage.analysis.lineage import Granularity, lineage, runs_of
from lineage.analysis.refs import NodeRef, describe, kind_of, resolve
from lineage.analysis.versions import flat_schema, versions_at, versions_of
from lineage.graph.incidents import breaking_changes
from lineage.graph.model import EdgeKind, NodeKind, dataset_id, split_id
from lineage.store.base import Direction, GraphStore, Node

DEFAULT_TRIAGE_DEPTH: Final = 30
DEFAULT_WINDOW: Final = 14 * 86_400.0
RECENCY_SCALE: Final = 3 * 86_400.0
MAX_CODE_CHECKS: Final = 50
BLAST_DEPTH: Final = 20


class EvidenceKind(StrEnum):
    FAILED_ASSERTION = "FAILED_ASSERTION"
    METRIC_ANOMALY = "METRIC_ANOMALY"
    SCHEMA_CHANGE = "SCHEMA_CHANGE"
    RUN_FAILURE = "RUN_FAILURE"
    CODE_CHANGE = "CODE_CHANGE"
    STALE_INPUT = "STALE_INPUT"
    OPEN_INCIDENT = "OPEN_INCIDENT"


@dataclass(frozen=True, slots=True)
class Evidence:
    kind: EvidenceKind
    detail: str
    observed_at: float | None
    strength: float


@dataclass(slots=True)
class Suspect:
    node: str
    score: float
    evidence: list[Evidence]
    #: From the subject to the suspect (subject first): against the data flow, or from a
    #: parent run to its failed child.
    path: list[str]
    distance: int
    why: str = ""


@dataclass(slots=True)
class TriageReport:
    subject: Node
    incident: Node | None
    scope: str
    started_at: float
    since: float
    suspects: list[Suspect] = field(default_factory=list)
    raw_sources: list[str] = field(default_factory=list)
    #: What the trouble hurts downstream (see the module's docstring), nearest first.
    blast_radius: list[str] = field(default_factory=list)
    truncated: bool = False
    #: Every node the answer names, by id.
    nodes: dict[str, Node] = field(default_factory=dict)


#: (cause, effect, why): a suspect that explains another when seen no later than it.
_Link = tuple[str, str, str]


def triage(
    store: GraphStore,
    *,
    incident: str | None = None,
    start: NodeRef | str | None = None,
    since: float | None = None,
    max_depth: int = DEFAULT_TRIAGE_DEPTH,
    node_budget: int = 2_000,
    deadline: float | None = None,
) -> TriageReport:
    """Rank the likely causes of an incident (or of trouble on ``start`` since ``since``).

    Give ``incident`` (an incident id), or ``start`` and ``since``. The incident's start
    is when it opened; with ``start`` it is ``since``. Evidence counts from ``since``
    (for an incident: 14 days before it opened) to the start plus an hour.

    Every incident gets an answer: when its node is not in the graph, or had no version
    or run to walk upstream from, ``scope`` says so and the report names no suspect.

    Raises :class:`NotFound` for an unknown incident, for an unknown ``start`` and for one
    with no version or run by ``since``; :class:`InvalidArgument` when neither or both of
    ``incident`` and ``start`` are given, or ``start`` comes without ``since``.

    >>> report = triage(store, incident=incident_id)  # doctest: +SKIP
    >>> report.suspects[0].evidence[0].detail  # doctest: +SKIP
    "run 01a2… of job 'jaffle_shop_sqlite.customer_revenue' … failed: no such table: …"
    """
    if (incident is None) == (start is None):
        raise InvalidArgument("give an incident, or a node and since")
    inc: Node | None = None
    known = True
    if incident is not None:
        inc = store.get_nodes([incident]).get(incident)
        if inc is None or inc.kind is not NodeKind.INCIDENT:
            raise NotFound(f"no incident {incident!r}")
        subject, known = _subject_of(store, inc)
        t0 = float(inc.props.get("opened_at") or time.time())
        window_start = since if since is not None else t0 - DEFAULT_WINDOW
        as_of: float | None = t0
    else:
        assert start is not None
        if since is None:
            raise InvalidArgument("since is required when triaging a node")
        subject = resolve(store, start)
        t0 = window_start = since
        as_of = None
    report = TriageReport(subject, inc, "whole datasets", t0, window_start)
    report.nodes[subject.id] = subject
    if inc is not None:
        report.nodes[inc.id] = inc
    if not known:
        report.scope = f"nothing to walk from: {describe(subject.id)} is not in the graph"
        report.blast_radius = _subject_downstream(store, report, subject, None, (), deadline)
        return report

    cone = _column_cone(store, subject, as_of, max_depth, deadline)
    if cone is not None:
        report.scope = (
            f"column lineage of {describe(subject.id)} ({len(cone.fields) - 1} upstream fields)"
        )
    elif subject.kind is NodeKind.FIELD:
        report.scope = f"whole datasets ({describe(subject.id)} has no upstream column lineage)"

    try:
        first = _walk_start(store, subject, as_of, inc)
    except (NotFound, InvalidArgument) as exc:
        if inc is None:
            raise
        report.scope = f"nothing to walk from: {exc}"
        report.blast_radius = _subject_downstream(store, report, subject, None, (), deadline)
        return report
    start_id = first.id
    graph = lineage(
        store,
        start_id,
        Direction.UPSTREAM,
        max_depth,
        # The start may be up to a second younger than the incident (see _walk_start).
        max(as_of, _time_of(first)) if as_of is not None else None,
        Granularity.RUN,
        node_budget=node_budget,
        deadline=deadline,
    )
    report.truncated = graph.truncated
    report.nodes.update(graph.nodes)
    upstream = _upstream_map(graph.edges)
    paths = _paths_from(graph.starts[0] if graph.starts else start_id, upstream)
    head = [subject.id] if subject.id != start_id else []

    # An incident's evidence comes before it (and its first hour); a node's, since ``since``.
    window = (window_start, t0 + 3_600.0 if inc is not None else time.time())
    own_dataset = _dataset_of(subject)
    versions = [n for n in graph.nodes.values() if n.kind is NodeKind.DATASET_VERSION]
    runs = [n for n in graph.nodes.values() if n.kind is NodeKind.RUN]
    datasets = sorted({str(v.props.get("dataset")) for v in versions if v.props.get("dataset")})
    history = versions_of(store, datasets) if datasets else {}
    reads = _reads(graph.edges)
    found: dict[str, list[Evidence]] = {}

    for version in versions:
        check_deadline(deadline)
        dataset = str(version.props.get("dataset"))
        if dataset == own_dataset or (cone is not None and dataset not in cone.datasets):
            continue
        columns = cone.fields_of(dataset) if cone is not None else None
        items = found.setdefault(version.id, [])
        older = [v for v in history.get(dataset, []) if _created(v) < _created(version)]
        items.extend(_schema_evidence(version, older, columns))
        items.extend(_metric_evidence(store, version, older, graph.edges, columns))
        readers = [
            graph.nodes[e.target] for e in reads.get(version.id, []) if e.target in graph.nodes
        ]
        items.extend(_stale_evidence(version, history.get(dataset, []), readers))

    incident_ids = sorted(
        {str(v.props.get("dataset")) for v in versions}
        | {str(r.props.get("job")) for r in runs}
        | (set(cone.fields) if cone is not None else set())
    )
    on = incidents_on(store, [i for i in incident_ids if i and i != "None"])
    where_open: dict[str, list[tuple[Evidence, str | None]]] = {}
    for target, incidents in on.items():
        for other in incidents:
            if inc is not None and other.id == inc.id:
                continue
            where_open.setdefault(target, []).extend(_incident_evidence(other, window))

    newest: dict[str, Node] = {}
    for version in versions:
        dataset = str(version.props.get("dataset"))
        if version.id in found and _created(version) >= _created(newest.get(dataset, version)):
            newest[dataset] = version
    for dataset, version in newest.items():
        targets = [dataset, *(cone.fields_of(dataset) if cone is not None else ())]
        for target in targets:
            found[version.id].extend(e for e, _ in where_open.get(target, []))

    checked = 0
    for run in runs:
        check_deadline(deadline)
        job = str(run.props.get("job"))
        items = found.setdefault(run.id, [])
        items.extend(_run_evidence(store, run, window))
        # The run's own failure is told above, in its own words; other failures of its job
        # are told by their incidents.
        items.extend(
            e
            for e, failed in where_open.get(job, [])
            if e.kind is EvidenceKind.RUN_FAILURE and failed != run.id
        )
        if checked < MAX_CODE_CHECKS:
            checked += 1
            items.extend(_code_evidence(store, run))

    for nid, items in found.items():
        items = _dedup([e for e in items if _in_window(e, window)])
        if not items or nid not in paths:
            continue
        path = head + paths[nid]
        distance = sum(
            1
            for p in path
            if report.nodes.get(p) and report.nodes[p].kind is NodeKind.DATASET_VERSION
        )
        report.suspects.append(Suspect(nid, 0.0, items, path, distance))

    links: list[_Link] = []
    children = _failed_children(store, first) if first.kind is NodeKind.RUN else []
    children = [c for c in children if c.id not in paths]
    if children:
        evidence_of, between = _children_evidence(store, children, window)
        links.extend(between)
        for child in children:
            check_deadline(deadline)
            items = evidence_of[child.id]
            if checked < MAX_CODE_CHECKS:
                checked += 1
                items.extend(_code_evidence(store, child))
            items = _dedup([e for e in items if _in_window(e, window)])
            if not items:
                continue
            report.nodes[child.id] = child
            report.suspects.append(Suspect(child.id, 0.0, items, [*head, start_id, child.id], 0))
            links.append((child.id, start_id, "a failed child run came first"))
    anchor = None
    if first.kind is NodeKind.RUN and first.props.get("state") == "FAIL":
        anchor = (start_id, _ended(first))
    _score(report.suspects, t0, set(paths), links, anchor)
    report.suspects.sort(key=lambda s: (-s.score, s.distance, s.node))

    report.raw_sources = _raw_sources(versions, upstream)
    report.nodes.update(store.get_nodes(report.raw_sources))
    own = {start_id, *(c.id for c in children)}
    if report.suspects and report.suspects[0].node not in own:
        report.blast_radius = _blast_radius(store, report, report.suspects[0].node, deadline)
    else:
        kept = [c for c in children if any(s.node == c.id for s in report.suspects)]
        report.blast_radius = _subject_downstream(store, report, subject, first, kept, deadline)
    return report


def _subject_of(store: GraphStore, incident: Node) -> tuple[Node, bool]:
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


# -- the walk ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Cone:
    fields: frozenset[str]
    datasets: frozenset[str]

    def fields_of(self, dataset: str) -> list[str]:
        return sorted(f for f in self.fields if _field_dataset(f) == dataset)


def _column_cone(
    store: GraphStore, subject: Node, as_of: float | None, depth: int, deadline: float | None
) -> _Cone | None:
    """The fields upstream of a field subject, or None (not a field, or no column lineage)."""
    if subject.kind is not NodeKind.FIELD:
        return None
    graph = lineage(
        store, subject.id, Direction.UPSTREAM, depth, as_of, Granularity.COLUMN, deadline=deadline
    )
    fields = frozenset(n for n, node in graph.nodes.items() if node.kind is NodeKind.FIELD)
    if len(fields) <= 1:
        return None
    return _Cone(fields, frozenset(d for f in fields if (d := _field_dataset(f))))


def _walk_start(
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
        runs = [r for r in runs_of(store, subject.id) if as_of is None or _started(r) <= as_of + 1]
        if not runs:
            raise NotFound(f"{describe(subject.id)} has no run to start triage from")
        return runs[0]
    dataset = _dataset_of(subject)
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


def _failed_children(store: GraphStore, run: Node) -> list[Node]:
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
        and (ended is None or _ended(child) <= float(ended))
    ]
    return sorted(failed, key=lambda c: (_ended(c), c.id))


def _failed_parent(store: GraphStore, run: Node) -> Node | None:
    """The run ``run`` is part of, when that run failed too."""
    edges = store.edges_of([run.id], Direction.DOWNSTREAM, [EdgeKind.CHILD_OF])
    parents = store.get_nodes(sorted({e.dst for e in edges} - {run.id}))
    failed = [p for p in parents.values() if p.props.get("state") == "FAIL"]
    return min(failed, key=lambda p: p.id) if failed else None


def _upstream_map(edges: Iterable[Any]) -> dict[str, list[str]]:
    """Node -> the nodes that feed it (LineageEdge points the way data flows)."""
    up: dict[str, list[str]] = {}
    for e in edges:
        up.setdefault(e.target, []).append(e.source)
    for feeders in up.values():
        feeders.sort()
    return up


def _paths_from(start: str, upstream: Mapping[str, list[str]]) -> dict[str, list[str]]:
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


def _reads(edges: Iterable[Any]) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for e in edges:
        if e.kind == EdgeKind.READ.value:
            found.setdefault(e.source, []).append(e)
    return found


# -- evidence ---------------------------------------------------------------------------


def _schema_evidence(
    version: Node, older: Sequence[Node], columns: list[str] | None
) -> list[Evidence]:
    if version.props.get("schema") is None:
        return []
    observed = bool(version.props.get("observed"))
    before = [
        v
        for v in older
        if v.props.get("schema") is not None and bool(v.props.get("observed")) == observed
    ]
    if not before:
        return []
    previous = before[-1]
    old, new = flat_schema(previous.props["schema"]), flat_schema(version.props["schema"])
    if columns is not None:
        names = {c.split("\x1f")[-1] for c in columns}
        old = {p: t for p, t in old.items() if p in names}
        new = {p: t for p, t in new.items() if p in names or p not in old}
    changes = breaking_changes(old, new)
    name = _name(version)
    if changes:
        return [
            Evidence(
                EvidenceKind.SCHEMA_CHANGE, f"{name}: " + "; ".join(changes), _created(version), 1.0
            )
        ]
    added = [p for p in new if p not in old]
    if added and columns is None:
        return [
            Evidence(
                EvidenceKind.SCHEMA_CHANGE,
                f"{name}: fields added: {', '.join(added)}",
                _created(version),
                0.2,
            )
        ]
    return []


def _metrics(version: Node, edges: Iterable[Any]) -> Mapping[str, Any] | None:
    metrics = version.props.get("metrics")
    if isinstance(metrics, Mapping):
        return metrics
    for e in edges:
        if e.kind == EdgeKind.READ.value and e.source == version.id:
            facet = e.props.get("facet:dataQualityMetrics")
            if isinstance(facet, Mapping):
                return facet
    return None


def _metric_evidence(
    store: GraphStore,
    version: Node,
    older: Sequence[Node],
    edges: Sequence[Any],
    columns: list[str] | None,
) -> list[Evidence]:
    now = _metrics(version, edges)
    if now is None or not older:
        return []
    past_edges = store.edges_of([v.id for v in older], Direction.UPSTREAM, [EdgeKind.READ])
    past = [m for v in older if (m := _metrics(v, past_edges)) is not None]
    if not past:
        return []
    found: list[Evidence] = []
    name, at = _name(version), _created(version)
    rows_now = now.get("rowCount")
    rows_then: list[float] = [
        float(r) for p in past if isinstance(r := p.get("rowCount"), int | float)
    ]
    if isinstance(rows_now, int | float) and rows_then:
        usual = statistics.median(rows_then)
        change = abs(rows_now - usual) / max(usual, 1)
        if change >= 0.5:
            found.append(
                Evidence(
                    EvidenceKind.METRIC_ANOMALY,
                    f"{name}: row count {rows_now} against a usual {usual:g}",
                    at,
                    min(0.9, 0.4 + change / 4),
                )
            )
    wanted = {c.split("\x1f")[-1] for c in columns} if columns is not None else None
    for column, metrics in sorted((now.get("columnMetrics") or {}).items()):
        if (wanted is not None and column not in wanted) or not isinstance(metrics, Mapping):
            continue
        for metric, label in (("nullCount", "null count"), ("distinctCount", "distinct count")):
            value = metrics.get(metric)
            then = [
                p["columnMetrics"][column][metric]
                for p in past
                if isinstance(p.get("columnMetrics"), Mapping)
                and isinstance(p["columnMetrics"].get(column), Mapping)
                and isinstance(p["columnMetrics"][column].get(metric), int | float)
            ]
            if not isinstance(value, int | float) or not then:
                continue
            usual = statistics.median(then)
            jump = abs(value - usual) / max(usual, 1)
            if jump >= 1.0 and abs(value - usual) >= 10:
                found.append(
                    Evidence(
                        EvidenceKind.METRIC_ANOMALY,
                        f"{name}: {label} of {column} {value:g} against a usual {usual:g}",
                        at,
                        min(0.95, 0.5 + jump / 20),
                    )
                )
    return found


def _stale_evidence(
    version: Node, every: Sequence[Node], readers: Sequence[Node]
) -> list[Evidence]:
    """A version read much later than the dataset usually gets a new one."""
    created = [_created(v) for v in every if not v.props.get("observed")]
    if len(created) < 3 or version.props.get("observed"):
        return []
    gaps = [b - a for a, b in itertools.pairwise(created) if b > a]
    if not gaps:
        return []
    usual = statistics.median(gaps)
    for run in sorted(readers, key=_started):
        age = _started(run) - _created(version)
        if age > 2 * usual and age > 600:
            return [
                Evidence(
                    EvidenceKind.STALE_INPUT,
                    f"{_name(version)} was {_duration(age)} old when run "
                    f"{run.props.get('runId')} read it; a new version usually comes every "
                    f"{_duration(usual)}",
                    _started(run),
                    0.6,
                )
            ]
    return []


def _failure_evidence(run: Node) -> Evidence | None:
    """``run`` failed, in its producer's words when it sent an error message."""
    if run.props.get("state") != "FAIL":
        return None
    message = run.props.get("error_message")
    return Evidence(
        EvidenceKind.RUN_FAILURE,
        f"run {run.props.get('runId')} of {describe(str(run.props.get('job')))} failed"
        + (f": {message}" if message else ""),
        _ended(run),
        0.7,
    )


def _run_evidence(store: GraphStore, run: Node, window: tuple[float, float]) -> list[Evidence]:
    found = []
    job = str(run.props.get("job"))
    label = describe(job)
    failure = _failure_evidence(run)
    if failure is not None:
        found.append(failure)
    failed = [
        r
        for r in runs_of(store, job)
        if r.id != run.id
        and r.props.get("state") in ("FAIL", "ABORT")
        and window[0] <= _ended(r) <= window[1]
    ]
    if failed:
        latest = max(failed, key=_ended)
        found.append(
            Evidence(
                EvidenceKind.RUN_FAILURE,
                f"{len(failed)} other run(s) of {label} failed or were aborted, latest {latest.props.get('runId')}",
                _ended(latest),
                0.6,
            )
        )
    return found


def _children_evidence(
    store: GraphStore, children: Sequence[Node], window: tuple[float, float]
) -> tuple[dict[str, list[Evidence]], list[_Link]]:
    """What each failed child run shows (its failure, the checks it failed), and which
    of them read what another one wrote (three store calls)."""
    found: dict[str, list[Evidence]] = {}
    for child in children:
        failure = _failure_evidence(child)
        found[child.id] = [failure] if failure is not None else []
    edges = store.edges_of(list(found), Direction.DOWNSTREAM, [EdgeKind.READ, EdgeKind.WROTE])
    writers: dict[str, set[str]] = {}
    readers: dict[str, set[str]] = {}
    for e in edges:
        into = writers if e.kind is EdgeKind.WROTE else readers
        into.setdefault(e.dst, set()).add(e.src)
    links = sorted(
        {
            (writer, reader, "a failed run whose output it read came first")
            for version, by in readers.items()
            for reader in by
            for writer in writers.get(version, ())
            if writer != reader
        }
    )
    datasets = sorted({d for v in (*writers, *readers) if (d := _version_dataset(v))})
    for incidents in incidents_on(store, datasets).values():
        for other in incidents:
            kind = str(other.props.get("kind"))
            if kind not in _STRENGTH_OF_INCIDENT or kind == "RUN_FAILURE":
                continue
            evidence_kind, strength = _STRENGTH_OF_INCIDENT[kind]
            for entry in incident_evidence(other):
                at, run = entry.get("at"), entry.get("run")
                if run in found and isinstance(at, int | float) and window[0] <= at <= window[1]:
                    found[str(run)].append(
                        Evidence(evidence_kind, str(entry.get("detail")), float(at), strength)
                    )
    return found, links


def _code_evidence(store: GraphStore, run: Node) -> list[Evidence]:
    job = str(run.props.get("job"))
    earlier = [r for r in runs_of(store, job) if _started(r) < _started(run)]
    if not earlier:
        return []
    sql_now, source_now = code_of(store, run)
    sql_then, source_then = code_of(store, earlier[0])
    changes = []
    if sql_now != sql_then and sql_now is not None and sql_then is not None:
        changes.append("SQL changed")
    if source_now != source_then and source_now is not None and source_then is not None:
        changes.append(f"source moved from {source_then} to {source_now}")
    if not changes:
        return []
    return [
        Evidence(
            EvidenceKind.CODE_CHANGE,
            f"{describe(job)}: "
            + "; ".join(changes)
            + f" since run {earlier[0].props.get('runId')}",
            _started(run),
            0.6,
        )
    ]


_STRENGTH_OF_INCIDENT: Final = {
    "QUALITY": (EvidenceKind.FAILED_ASSERTION, 0.9),
    "DRIFT": (EvidenceKind.OPEN_INCIDENT, 0.5),
    "RUN_FAILURE": (EvidenceKind.RUN_FAILURE, 0.7),
    "SCHEMA_CHANGE": (EvidenceKind.SCHEMA_CHANGE, 1.0),
    "MANUAL": (EvidenceKind.OPEN_INCIDENT, 0.5),
}


def _incident_evidence(
    incident: Node, window: tuple[float, float]
) -> list[tuple[Evidence, str | None]]:
    """What ``incident`` says, each item with the run that reported it (if any)."""
    kind, strength = _STRENGTH_OF_INCIDENT.get(
        str(incident.props.get("kind")), (EvidenceKind.OPEN_INCIDENT, 0.5)
    )
    found: list[tuple[Evidence, str | None]] = []
    for entry in incident_evidence(incident):
        at = entry.get("at")
        if (
            isinstance(at, int | float)
            and window[0] <= at <= window[1]
            and entry.get("check") != "schema"
        ):
            run = entry.get("run")
            found.append(
                (
                    Evidence(kind, str(entry.get("detail")), float(at), strength),
                    str(run) if run else None,
                )
            )
            break
    if is_active(incident):
        found.append(
            (
                Evidence(
                    EvidenceKind.OPEN_INCIDENT,
                    f"{incident.props.get('status')} incident: {incident.props.get('title')}",
                    float(incident.props.get("opened_at") or 0.0),
                    0.5,
                ),
                None,
            )
        )
    return found


def _dedup(items: Iterable[Evidence]) -> list[Evidence]:
    seen: dict[tuple[EvidenceKind, str], Evidence] = {}
    for e in items:
        key = (e.kind, e.detail)
        if key not in seen or e.strength > seen[key].strength:
            seen[key] = e
    return sorted(seen.values(), key=lambda e: (-e.strength, e.kind.value, e.detail))


def _in_window(e: Evidence, window: tuple[float, float]) -> bool:
    return e.observed_at is None or window[0] <= e.observed_at <= window[1]


# -- ranking ------------------------------------------------------------------------------


def _score(
    suspects: list[Suspect],
    t0: float,
    walked: Collection[str],
    links: Sequence[_Link],
    anchor: tuple[str, float] | None,
) -> None:
    """Score every suspect in place. ``walked``: the nodes of the walk upstream, whose
    paths say what is upstream of what; ``links``: other ways one suspect explains
    another; ``anchor``: the failed run the walk started from, and when it failed."""
    by_node = {s.node: s for s in suspects}
    causes: dict[str, list[tuple[str, str]]] = {}
    for cause, effect, why in links:
        causes.setdefault(effect, []).append((cause, why))
    for s in suspects:
        strength = _strength(s)
        proximity = 1 / (1 + 0.1 * s.distance)
        times = [e.observed_at for e in s.evidence if e.observed_at is not None]
        closest = min((abs(t - t0) for t in times), default=RECENCY_SCALE)
        recency = math.exp(-closest / RECENCY_SCALE)
        first = _first_seen(s)
        reason: str | None = None
        # A suspect whose own path runs through ``s`` is upstream of it.
        if s.node in walked and any(
            o.node in walked and s.node in o.path[:-1] and _came_first(o, s) for o in suspects
        ):
            reason = "an upstream suspect came first"
        for cause, why in causes.get(s.node, ()):
            if reason is None and _came_first(by_node.get(cause), s):
                reason = why
        if reason is None and anchor is not None and s.node != anchor[0] and first > anchor[1]:
            reason = "first seen after the run failed"
        precedence = 0.5 if reason else 1.0
        s.score = round(strength * proximity * recency * precedence, 4)
        s.why = (
            f"strength {strength:.2f} x proximity {proximity:.2f} ({s.distance} datasets away)"
            f" x recency {recency:.2f}" + (f" x 0.5 ({reason})" if reason else "")
        )


def _came_first(other: Suspect | None, s: Suspect) -> bool:
    """Whether ``other``, strong enough to explain ``s``, was seen no later than it."""
    return (
        other is not None
        and other is not s
        and _first_seen(other) <= _first_seen(s)
        and _strength(other) >= 0.5
    )


def _first_seen(s: Suspect) -> float:
    return min((e.observed_at for e in s.evidence if e.observed_at is not None), default=math.inf)


def _strength(s: Suspect) -> float:
    return 1 - math.prod(1 - e.strength for e in s.evidence)


# -- around the answer --------------------------------------------------------------------


def _raw_sources(versions: Sequence[Node], upstream: Mapping[str, list[str]]) -> list[str]:
    """The datasets where the walk ends: versions no run in the walk wrote, or written by
    runs that read nothing."""
    raw = set()
    for v in versions:
        writers = upstream.get(v.id, [])
        if not writers or all(not upstream.get(w) for w in writers):
            raw.add(str(v.props.get("dataset")))
    return sorted(raw)


def _blast_radius(
    store: GraphStore, report: TriageReport, suspect: str, deadline: float | None
) -> list[str]:
    """The datasets downstream of ``suspect`` (of its dataset, or of a run's job)."""
    node = report.nodes.get(suspect)
    if node is None:
        return []
    start = _dataset_of(node) or (str(node.props.get("job")) if node.kind is NodeKind.RUN else None)
    if start is None:
        return []
    depths = _downstream(store, report, start, Granularity.DATASET, deadline)
    return sorted(
        (n for n in depths if report.nodes[n].kind is NodeKind.DATASET),
        key=lambda n: (depths[n], n),
    )


_BLAST_ORDER: Final = {NodeKind.FIELD: 0, NodeKind.DATASET: 1, NodeKind.JOB: 2}


def _subject_downstream(
    store: GraphStore,
    report: TriageReport,
    subject: Node,
    run: Node | None,
    children: Sequence[Node],
    deadline: float | None,
) -> list[str]:
    """What the subject feeds: the columns fed by a field; the datasets and jobs fed by
    the subject (a field's or version's dataset, a run's job) and by the jobs of its
    failed ``children``; and the job of the failed run that ``run`` is part of. Nearest
    first; the subject and those jobs themselves left out."""
    walks: list[tuple[str, Granularity]] = []
    left_out = {subject.id}
    if subject.kind is NodeKind.FIELD:
        walks.append((subject.id, Granularity.COLUMN))
    owner = _dataset_of(subject)
    if owner is None and subject.kind in (NodeKind.JOB, NodeKind.RUN):
        owner = subject.id if subject.kind is NodeKind.JOB else str(subject.props.get("job"))
    for start in [owner, *(str(c.props.get("job")) for c in children)]:
        if start and start != "None":
            walks.append((start, Granularity.DATASET))
            left_out.add(start)
    depths: dict[str, int] = {}
    for start, granularity in walks:
        for nid, depth in _downstream(store, report, start, granularity, deadline).items():
            depths[nid] = min(depth, depths.get(nid, depth))
    parent = _failed_parent(store, run) if run is not None and run.kind is NodeKind.RUN else None
    job = str(parent.props.get("job") or "") if parent is not None else ""
    if job and job not in depths:
        job_node = store.get_nodes([job]).get(job)
        if job_node is not None:
            report.nodes[job] = job_node
            depths[job] = 1
    return sorted(
        (n for n in depths if n not in left_out),
        key=lambda n: (depths[n], _BLAST_ORDER.get(report.nodes[n].kind, 3), n),
    )


def _downstream(
    store: GraphStore,
    report: TriageReport,
    start: str,
    granularity: Granularity,
    deadline: float | None,
) -> dict[str, int]:
    """Fields, datasets and jobs downstream of ``start`` now, with their depth (none when
    ``start`` is not in the graph)."""
    try:
        graph = lineage(
            store,
            start,
            Direction.DOWNSTREAM,
            BLAST_DEPTH,
            None,
            granularity,
            node_budget=2_000,
            deadline=deadline,
        )
    except (NotFound, InvalidArgument):
        return {}
    report.nodes.update(graph.nodes)
    report.truncated = report.truncated or graph.truncated
    return {
        nid: graph.depths.get(nid, 0)
        for nid, node in graph.nodes.items()
        if nid != start and nid not in graph.starts and node.kind in _BLAST_ORDER
    }


# -- small helpers --------------------------------------------------------------------------


def _dataset_of(node: Node) -> str | None:
    if node.kind is NodeKind.DATASET:
        return node.id
    if node.kind in (NodeKind.DATASET_VERSION, NodeKind.FIELD):
        value = node.props.get("dataset")
        return str(value) if value else _field_dataset(node.id)
    return None


def _field_dataset(fid: str) -> str | None:
    try:
        kind, parts = split_id(fid)
    except ValueError:
        return None
    return dataset_id(parts[0], parts[1]) if kind is NodeKind.FIELD and len(parts) >= 2 else None


def _name(version: Node) -> str:
    """``raw.orders version 42``: the dataset's name (its namespace is on the node)."""
    dataset = str(version.props.get("dataset") or "")
    try:
        _, parts = split_id(dataset)
        label = parts[1]
    except (ValueError, IndexError):
        label = describe(version.id)
    return f"{label} version {version.props.get('version')}"


def _version_dataset(vid: str) -> str | None:
    try:
        kind, parts = split_id(vid)
    except ValueError:
        return None
    if kind is not NodeKind.DATASET_VERSION or len(parts) < 2:
        return None
    return dataset_id(parts[0], parts[1])


def _time_of(node: Node) -> float:
    """When a run started or a version was created."""
    return _started(node) if node.kind is NodeKind.RUN else _created(node)


def _created(version: Node) -> float:
    return float(version.props.get("created_at") or 0.0)


def _started(run: Node) -> float:
    return float(run.props.get("started_at") or run.props.get("first_seen") or 0.0)


def _ended(run: Node) -> float:
    return float(run.props.get("ended_at") or run.props.get("last_seen") or 0.0)


def _duration(seconds: float) -> str:
    if seconds >= 86_400:
        return f"{seconds / 86_400:.1f} days"
    if seconds >= 3_600:
        return f"{seconds / 3_600:.1f} hours"
    return f"{seconds / 60:.0f} minutes"
