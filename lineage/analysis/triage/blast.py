"""The blast radius: what the trouble hurts downstream, of the top suspect or of the
subject itself (see :mod:`lineage.analysis.triage`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from lineage.analysis.errors import InvalidArgument, NotFound
from lineage.analysis.lineage import Granularity, lineage
from lineage.analysis.triage.nodes import dataset_of
from lineage.analysis.triage.report import TriageReport
from lineage.analysis.triage.walk import failed_parent
from lineage.graph.model import NodeKind
from lineage.store.base import Direction, GraphStore, Node

BLAST_DEPTH: Final = 20


def blast_radius(
    store: GraphStore, report: TriageReport, suspect: str, deadline: float | None
) -> list[str]:
    """The datasets downstream of ``suspect`` (of its dataset, or of a run's job)."""
    node = report.nodes.get(suspect)
    if node is None:
        return []
    start = dataset_of(node) or (str(node.props.get("job")) if node.kind is NodeKind.RUN else None)
    if start is None:
        return []
    depths = _downstream(store, report, start, Granularity.DATASET, deadline)
    return sorted(
        (n for n in depths if report.nodes[n].kind is NodeKind.DATASET),
        key=lambda n: (depths[n], n),
    )


_BLAST_ORDER: Final = {NodeKind.FIELD: 0, NodeKind.DATASET: 1, NodeKind.JOB: 2}


def subject_downstream(
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
    owner = dataset_of(subject)
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
    parent = failed_parent(store, run) if run is not None and run.kind is NodeKind.RUN else None
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
