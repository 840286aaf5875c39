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

import time
from typing import Final

from lineage.analysis.errors import InvalidArgument, NotFound
from lineage.analysis.refs import NodeRef, describe, resolve
from lineage.analysis.triage.blast import BLAST_DEPTH, blast_radius, subject_downstream
from lineage.analysis.triage.nodes import dataset_of, ended_at
from lineage.analysis.triage.report import Evidence, EvidenceKind, Suspect, TriageReport
from lineage.analysis.triage.score import RECENCY_SCALE, rank
from lineage.analysis.triage.suspects import (
    MAX_CODE_CHECKS,
    CodeChecks,
    children_suspects,
    newest_versions_evidence,
    open_incidents,
    runs_evidence,
    suspects_of,
    versions_evidence,
)
from lineage.analysis.triage.walk import (
    Cone,
    column_cone,
    failed_children,
    paths_from,
    raw_sources,
    subject_of,
    upstream_map,
    walk_start,
    walk_upstream,
)
from lineage.graph.model import NodeKind
from lineage.store.base import GraphStore, Node

__all__ = [
    "BLAST_DEPTH",
    "DEFAULT_TRIAGE_DEPTH",
    "DEFAULT_WINDOW",
    "MAX_CODE_CHECKS",
    "RECENCY_SCALE",
    "Evidence",
    "EvidenceKind",
    "Suspect",
    "TriageReport",
    "triage",
]

DEFAULT_TRIAGE_DEPTH: Final = 30
DEFAULT_WINDOW: Final = 14 * 86_400.0


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
    report, as_of, known = _report_for(store, incident, start, since)
    subject, inc, t0 = report.subject, report.incident, report.started_at
    if not known:
        return _nothing_to_walk(
            store, report, f"{describe(subject.id)} is not in the graph", deadline
        )

    cone = column_cone(store, subject, as_of, max_depth, deadline)
    report.scope = _scope(subject, cone)
    try:
        first = walk_start(store, subject, as_of, inc)
    except (NotFound, InvalidArgument) as exc:
        if inc is None:
            raise
        return _nothing_to_walk(store, report, str(exc), deadline)
    start_id = first.id
    graph = walk_upstream(store, first, as_of, max_depth, node_budget, deadline)
    report.truncated = graph.truncated
    report.nodes.update(graph.nodes)
    upstream = upstream_map(graph.edges)
    paths = paths_from(graph.starts[0] if graph.starts else start_id, upstream)
    head = [subject.id] if subject.id != start_id else []

    # An incident's evidence comes before it (and its first hour); a node's, since ``since``.
    window = (report.since, t0 + 3_600.0 if inc is not None else time.time())
    versions = [n for n in graph.nodes.values() if n.kind is NodeKind.DATASET_VERSION]
    runs = [n for n in graph.nodes.values() if n.kind is NodeKind.RUN]
    found = versions_evidence(store, graph, versions, dataset_of(subject), cone, deadline)
    where_open = open_incidents(store, versions, runs, cone, inc, window)
    for vid, items in newest_versions_evidence(found, versions, cone, where_open).items():
        found[vid].extend(items)
    code = CodeChecks(store)
    found.update(runs_evidence(store, runs, where_open, window, code, deadline))
    report.suspects.extend(suspects_of(found, paths, head, report.nodes, window))

    children = failed_children(store, first) if first.kind is NodeKind.RUN else []
    children = [c for c in children if c.id not in paths]
    suspected, links = children_suspects(store, children, [*head, start_id], window, code, deadline)
    for child in children:
        if any(s.node == child.id for s in suspected):
            report.nodes[child.id] = child
    report.suspects.extend(suspected)
    anchor = None
    if first.kind is NodeKind.RUN and first.props.get("state") == "FAIL":
        anchor = (start_id, ended_at(first))
    rank(report.suspects, t0, set(paths), links, anchor)

    report.raw_sources = raw_sources(versions, upstream)
    report.nodes.update(store.get_nodes(report.raw_sources))
    own = {start_id, *(c.id for c in children)}
    if report.suspects and report.suspects[0].node not in own:
        report.blast_radius = blast_radius(store, report, report.suspects[0].node, deadline)
    else:
        kept = [c for c in children if any(s.node == c.id for s in report.suspects)]
        report.blast_radius = subject_downstream(store, report, subject, first, kept, deadline)
    return report


def _report_for(
    store: GraphStore, incident: str | None, start: NodeRef | str | None, since: float | None
) -> tuple[TriageReport, float | None, bool]:
    """The report to fill in for the question asked (its subject, incident, start and
    ``since``), when the walk looks at the graph (None: now), and whether the graph holds
    the subject."""
    if (incident is None) == (start is None):
        raise InvalidArgument("give an incident, or a node and since")
    inc: Node | None = None
    known = True
    if incident is not None:
        inc = store.get_nodes([incident]).get(incident)
        if inc is None or inc.kind is not NodeKind.INCIDENT:
            raise NotFound(f"no incident {incident!r}")
        subject, known = subject_of(store, inc)
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
    return report, as_of, known


def _scope(subject: Node, cone: Cone | None) -> str:
    """What the walk follows: the subject's column lineage, or whole datasets."""
    if cone is not None:
        return f"column lineage of {describe(subject.id)} ({len(cone.fields) - 1} upstream fields)"
    if subject.kind is NodeKind.FIELD:
        return f"whole datasets ({describe(subject.id)} has no upstream column lineage)"
    return "whole datasets"


def _nothing_to_walk(
    store: GraphStore, report: TriageReport, why: str, deadline: float | None
) -> TriageReport:
    """The answer when there is nothing to walk upstream from: no suspect, and what the
    subject feeds."""
    report.scope = f"nothing to walk from: {why}"
    report.blast_radius = subject_downstream(store, report, report.subject, None, (), deadline)
    return report
