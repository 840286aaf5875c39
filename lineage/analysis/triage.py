"""Triage: from a symptom back to the exact upstream versions and runs, suspects ranked.

The walk is at RUN granularity: from the version of the incident's dataset current when
the incident opened (or the latest run of its job), through the runs that wrote each
version read, back to raw sources. Every version and run on the way is searched for
evidence, and every node with evidence becomes a suspect, scored transparently:

    score = strength x proximity x recency x precedence

- strength: how strongly the evidence points at a cause (noisy-or over the items:
  1 - prod(1 - s_i)); a breaking schema change is 1.0, a failed assertion 0.9, ...
- proximity: 1 / (1 + 0.1 x datasets between the subject and the suspect);
- recency: exp(-|t - t0| / 3 days), t the evidence's time, t0 the incident's start;
- precedence: 0.5 when a suspect further upstream on its own path has evidence seen no
  later than its own: a downstream failure after an upstream change is more likely a
  symptom than a cause.

``why`` on each suspect spells the factors out.
"""

from __future__ import annotations

import itertools
import math
import statistics
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from lineage.analysis.errors import InvalidArgument, NotFound, check_deadline
from lineage.analysis.incidents import evidence as incident_evidence
from lineage.analysis.incidents import incidents_on, is_active
from lineage.analysis.lineage import Granularity, lineage, runs_of
from lineage.analysis.refs import NodeRef, describe, resolve
from lineage.analysis.versions import flat_schema, versions_at, versions_of
from lineage.graph.model import EdgeKind, NodeKind, dataset_id, split_id
from lineage.incidents import breaking_changes
from lineage.store.base import Direction, GraphStore, Node

DEFAULT_TRIAGE_DEPTH: Final = 30
DEFAULT_WINDOW: Final = 14 * 86_400.0
RECENCY_SCALE: Final = 3 * 86_400.0
MAX_CODE_CHECKS: Final = 50


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
    #: From the subject to the suspect, against the data flow (subject first).
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
    blast_radius: list[str] = field(default_factory=list)
    truncated: bool = False
    #: Every node the answer names, by id.
    nodes: dict[str, Node] = field(default_factory=dict)


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

    Raises :class:`NotFound` for an unknown incident or node, :class:`InvalidArgument`
    when neither or both are given, or ``start`` comes without ``since``.
    """
    if (incident is None) == (start is None):
        raise InvalidArgument("give an incident, or a node and since")
    inc: Node | None = None
    if incident is not None:
        inc = store.get_nodes([incident]).get(incident)
        if inc is None or inc.kind is not NodeKind.INCIDENT:
            raise NotFound(f"no incident {incident!r}")
        subject = resolve(store, str(inc.props.get("subject")))
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

    cone = _column_cone(store, subject, as_of, max_depth, deadline)
    if cone is not None:
        report.scope = (
            f"column lineage of {describe(subject.id)} ({len(cone.fields) - 1} upstream fields)"
        )
    elif subject.kind is NodeKind.FIELD:
        report.scope = f"whole datasets ({describe(subject.id)} has no upstream column lineage)"

    start_id = _walk_start(store, subject, as_of)
    graph = lineage(
        store,
        start_id,
        Direction.UPSTREAM,
        max_depth,
        as_of,
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
    where_open: dict[str, list[Evidence]] = {}
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
            found[version.id].extend(where_open.get(target, []))

    checked = 0
    for run in runs:
        check_deadline(deadline)
        job = str(run.props.get("job"))
        items = found.setdefault(run.id, [])
        items.extend(_run_evidence(store, run, window))
        items.extend(e for e in where_open.get(job, []) if e.kind is EvidenceKind.RUN_FAILURE)
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
    _score(report.suspects, t0)
    report.suspects.sort(key=lambda s: (-s.score, s.distance, s.node))

    report.raw_sources = _raw_sources(versions, upstream)
    report.nodes.update(store.get_nodes(report.raw_sources))
    if report.suspects:
        report.blast_radius = _blast_radius(store, report, report.suspects[0].node, deadline)
    return report


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


def _walk_start(store: GraphStore, subject: Node, as_of: float | None) -> str:
    kind = subject.kind
    if kind in (NodeKind.DATASET_VERSION, NodeKind.RUN):
        return subject.id
    if kind is NodeKind.JOB:
        runs = [r for r in runs_of(store, subject.id) if as_of is None or _started(r) <= as_of + 1]
        if not runs:
            raise NotFound(f"{describe(subject.id)} has no run to start triage from")
        return runs[0].id
    dataset = _dataset_of(subject)
    if dataset is None:
        raise InvalidArgument(f"{describe(subject.id)} cannot be triaged")
    version = versions_at(store, [dataset], as_of + 1 if as_of is not None else None)[dataset]
    if version is None:
        raise NotFound(f"{describe(dataset)} has no version to start triage from")
    return version.id


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


def _run_evidence(store: GraphStore, run: Node, window: tuple[float, float]) -> list[Evidence]:
    found = []
    job = str(run.props.get("job"))
    label = describe(job)
    if run.props.get("state") == "FAIL":
        message = run.props.get("error_message")
        found.append(
            Evidence(
                EvidenceKind.RUN_FAILURE,
                f"run {run.props.get('runId')} of {label} failed"
                + (f": {message}" if message else ""),
                _ended(run),
                0.7,
            )
        )
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


def _code_evidence(store: GraphStore, run: Node) -> list[Evidence]:
    from lineage.analysis.diff import code_of

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


def _incident_evidence(incident: Node, window: tuple[float, float]) -> list[Evidence]:
    kind, strength = _STRENGTH_OF_INCIDENT.get(
        str(incident.props.get("kind")), (EvidenceKind.OPEN_INCIDENT, 0.5)
    )
    found = []
    for entry in incident_evidence(incident):
        at = entry.get("at")
        if (
            isinstance(at, int | float)
            and window[0] <= at <= window[1]
            and entry.get("check") != "schema"
        ):
            found.append(Evidence(kind, str(entry.get("detail")), float(at), strength))
            break
    if is_active(incident):
        found.append(
            Evidence(
                EvidenceKind.OPEN_INCIDENT,
                f"{incident.props.get('status')} incident: {incident.props.get('title')}",
                float(incident.props.get("opened_at") or 0.0),
                0.5,
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


def _score(suspects: list[Suspect], t0: float) -> None:
    for s in suspects:
        strength = 1 - math.prod(1 - e.strength for e in s.evidence)
        proximity = 1 / (1 + 0.1 * s.distance)
        times = [e.observed_at for e in s.evidence if e.observed_at is not None]
        closest = min((abs(t - t0) for t in times), default=RECENCY_SCALE)
        recency = math.exp(-closest / RECENCY_SCALE)
        first = _first_seen(s)
        # A suspect whose own path runs through ``s`` is upstream of it.
        explained = any(
            other is not s
            and s.node in other.path[:-1]
            and _first_seen(other) <= first
            and _strength(other) >= 0.5
            for other in suspects
        )
        precedence = 0.5 if explained else 1.0
        s.score = round(strength * proximity * recency * precedence, 4)
        s.why = (
            f"strength {strength:.2f} x proximity {proximity:.2f} ({s.distance} datasets away)"
            f" x recency {recency:.2f}"
            + (" x 0.5 (an upstream suspect came first)" if explained else "")
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
    node = report.nodes.get(suspect)
    if node is None:
        return []
    start = _dataset_of(node) or (str(node.props.get("job")) if node.kind is NodeKind.RUN else None)
    if start is None:
        return []
    graph = lineage(
        store,
        start,
        Direction.DOWNSTREAM,
        20,
        None,
        Granularity.DATASET,
        node_budget=2_000,
        deadline=deadline,
    )
    report.nodes.update(graph.nodes)
    report.truncated = report.truncated or graph.truncated
    return sorted(
        (n for n, v in graph.nodes.items() if v.kind is NodeKind.DATASET and n != start),
        key=lambda n: (graph.depths.get(n, 0), n),
    )


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
