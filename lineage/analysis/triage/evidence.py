"""Evidence, one kind at a time: what a version, a run or an incident shows that may
explain the trouble (a schema change, a metric anomaly, stale input, a failed run,
a code change, a failed check or another open incident), each with its strength."""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from lineage.analysis.diff import code_of
from lineage.analysis.incidents import evidence as incident_evidence
from lineage.analysis.incidents import incidents_on, is_active
from lineage.analysis.lineage import runs_of
from lineage.analysis.refs import describe
from lineage.analysis.triage.nodes import (
    created_at,
    duration,
    ended_at,
    started_at,
    version_dataset,
    version_name,
)
from lineage.analysis.triage.report import Evidence, EvidenceKind, Link
from lineage.analysis.versions import flat_schema
from lineage.graph.incidents import breaking_changes
from lineage.graph.model import EdgeKind
from lineage.store.base import Direction, GraphStore, Node


def schema_evidence(
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
    name = version_name(version)
    if changes:
        return [
            Evidence(
                EvidenceKind.SCHEMA_CHANGE,
                f"{name}: " + "; ".join(changes),
                created_at(version),
                1.0,
            )
        ]
    added = [p for p in new if p not in old]
    if added and columns is None:
        return [
            Evidence(
                EvidenceKind.SCHEMA_CHANGE,
                f"{name}: fields added: {', '.join(added)}",
                created_at(version),
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


def metric_evidence(
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
    name, at = version_name(version), created_at(version)
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


def stale_evidence(version: Node, every: Sequence[Node], readers: Sequence[Node]) -> list[Evidence]:
    """A version read much later than the dataset usually gets a new one."""
    created = [created_at(v) for v in every if not v.props.get("observed")]
    if len(created) < 3 or version.props.get("observed"):
        return []
    gaps = [b - a for a, b in itertools.pairwise(created) if b > a]
    if not gaps:
        return []
    usual = statistics.median(gaps)
    for run in sorted(readers, key=started_at):
        age = started_at(run) - created_at(version)
        if age > 2 * usual and age > 600:
            return [
                Evidence(
                    EvidenceKind.STALE_INPUT,
                    f"{version_name(version)} was {duration(age)} old when run "
                    f"{run.props.get('runId')} read it; a new version usually comes every "
                    f"{duration(usual)}",
                    started_at(run),
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
        ended_at(run),
        0.7,
    )


def run_evidence(store: GraphStore, run: Node, window: tuple[float, float]) -> list[Evidence]:
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
        and window[0] <= ended_at(r) <= window[1]
    ]
    if failed:
        latest = max(failed, key=ended_at)
        found.append(
            Evidence(
                EvidenceKind.RUN_FAILURE,
                f"{len(failed)} other run(s) of {label} failed or were aborted, latest {latest.props.get('runId')}",
                ended_at(latest),
                0.6,
            )
        )
    return found


def children_evidence(
    store: GraphStore, children: Sequence[Node], window: tuple[float, float]
) -> tuple[dict[str, list[Evidence]], list[Link]]:
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
    datasets = sorted({d for v in (*writers, *readers) if (d := version_dataset(v))})
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


def code_evidence(store: GraphStore, run: Node) -> list[Evidence]:
    job = str(run.props.get("job"))
    earlier = [r for r in runs_of(store, job) if started_at(r) < started_at(run)]
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
            started_at(run),
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


def evidence_of_incident(
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


def dedup(items: Iterable[Evidence]) -> list[Evidence]:
    seen: dict[tuple[EvidenceKind, str], Evidence] = {}
    for e in items:
        key = (e.kind, e.detail)
        if key not in seen or e.strength > seen[key].strength:
            seen[key] = e
    return sorted(seen.values(), key=lambda e: (-e.strength, e.kind.value, e.detail))


def in_window(e: Evidence, window: tuple[float, float]) -> bool:
    return e.observed_at is None or window[0] <= e.observed_at <= window[1]
