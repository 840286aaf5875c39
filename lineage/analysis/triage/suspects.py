"""The suspects: the evidence of every version and run the walk met, and of the failed
child runs of the run it started from, gathered by node; a node with evidence in the
window is a suspect."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from lineage.analysis.errors import check_deadline
from lineage.analysis.incidents import incidents_on
from lineage.analysis.lineage import LineageGraph
from lineage.analysis.triage.evidence import (
    children_evidence,
    code_evidence,
    dedup,
    evidence_of_incident,
    in_window,
    metric_evidence,
    run_evidence,
    schema_evidence,
    stale_evidence,
)
from lineage.analysis.triage.nodes import created_at
from lineage.analysis.triage.report import Evidence, EvidenceKind, Link, Suspect
from lineage.analysis.triage.walk import Cone, reads_of
from lineage.analysis.versions import versions_of
from lineage.graph.model import NodeKind
from lineage.store.base import GraphStore, Node

MAX_CODE_CHECKS: Final = 50

#: Node id -> what the incidents on it say, each item with the run that reported it.
OpenIncidents = dict[str, list[tuple[Evidence, str | None]]]


class CodeChecks:
    """Looks for a code change in at most :data:`MAX_CODE_CHECKS` runs of one triage, the
    runs of the walk first: each look reads the runs of a job and the code of two."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.checked = 0

    def evidence(self, run: Node) -> list[Evidence]:
        if self.checked >= MAX_CODE_CHECKS:
            return []
        self.checked += 1
        return code_evidence(self.store, run)


def versions_evidence(
    store: GraphStore,
    graph: LineageGraph,
    versions: Sequence[Node],
    own_dataset: str | None,
    cone: Cone | None,
    deadline: float | None,
) -> dict[str, list[Evidence]]:
    """What each version the walk met shows against the dataset's older versions: a
    schema change, a metric anomaly, stale input. The subject's own dataset is left out,
    and with a column ``cone`` every dataset and column outside it."""
    datasets = sorted({str(v.props.get("dataset")) for v in versions if v.props.get("dataset")})
    history = versions_of(store, datasets) if datasets else {}
    reads = reads_of(graph.edges)
    found: dict[str, list[Evidence]] = {}
    for version in versions:
        check_deadline(deadline)
        dataset = str(version.props.get("dataset"))
        if dataset == own_dataset or (cone is not None and dataset not in cone.datasets):
            continue
        columns = cone.fields_of(dataset) if cone is not None else None
        items = found.setdefault(version.id, [])
        older = [v for v in history.get(dataset, []) if created_at(v) < created_at(version)]
        items.extend(schema_evidence(version, older, columns))
        items.extend(metric_evidence(store, version, older, graph.edges, columns))
        readers = [
            graph.nodes[e.target] for e in reads.get(version.id, []) if e.target in graph.nodes
        ]
        items.extend(stale_evidence(version, history.get(dataset, []), readers))
    return found


def open_incidents(
    store: GraphStore,
    versions: Sequence[Node],
    runs: Sequence[Node],
    cone: Cone | None,
    incident: Node | None,
    window: tuple[float, float],
) -> OpenIncidents:
    """What the other incidents on the datasets, jobs and cone's fields the walk met say,
    by the node they are on (``incident``, the one triaged, left out)."""
    incident_ids = sorted(
        {str(v.props.get("dataset")) for v in versions}
        | {str(r.props.get("job")) for r in runs}
        | (set(cone.fields) if cone is not None else set())
    )
    on = incidents_on(store, [i for i in incident_ids if i and i != "None"])
    where_open: OpenIncidents = {}
    for target, incidents in on.items():
        for other in incidents:
            if incident is not None and other.id == incident.id:
                continue
            where_open.setdefault(target, []).extend(evidence_of_incident(other, window))
    return where_open


def newest_versions_evidence(
    found: Mapping[str, list[Evidence]],
    versions: Sequence[Node],
    cone: Cone | None,
    where_open: OpenIncidents,
) -> dict[str, list[Evidence]]:
    """The open incidents on a dataset (and on its cone's fields), told on the newest of
    its versions with evidence in ``found``."""
    newest: dict[str, Node] = {}
    for version in versions:
        dataset = str(version.props.get("dataset"))
        if version.id in found and created_at(version) >= created_at(newest.get(dataset, version)):
            newest[dataset] = version
    told: dict[str, list[Evidence]] = {}
    for dataset, version in newest.items():
        targets = [dataset, *(cone.fields_of(dataset) if cone is not None else ())]
        items = told.setdefault(version.id, [])
        for target in targets:
            items.extend(e for e, _ in where_open.get(target, []))
    return told


def runs_evidence(
    store: GraphStore,
    runs: Sequence[Node],
    where_open: OpenIncidents,
    window: tuple[float, float],
    code: CodeChecks,
    deadline: float | None,
) -> dict[str, list[Evidence]]:
    """What each run the walk met shows: its failure and its job's other failures, the
    failures its job's incidents tell, a change of its code."""
    found: dict[str, list[Evidence]] = {}
    for run in runs:
        check_deadline(deadline)
        job = str(run.props.get("job"))
        items = found.setdefault(run.id, [])
        items.extend(run_evidence(store, run, window))
        # The run's own failure is told above, in its own words; other failures of its job
        # are told by their incidents.
        items.extend(
            e
            for e, failed in where_open.get(job, [])
            if e.kind is EvidenceKind.RUN_FAILURE and failed != run.id
        )
        items.extend(code.evidence(run))
    return found


def suspects_of(
    found: Mapping[str, list[Evidence]],
    paths: Mapping[str, list[str]],
    head: list[str],
    nodes: Mapping[str, Node],
    window: tuple[float, float],
) -> list[Suspect]:
    """A suspect for every node of the walk with evidence in ``window``, unscored; its
    path is ``head`` then the walk's path to it, its distance the versions on that path."""
    suspects = []
    for nid, items in found.items():
        items = dedup([e for e in items if in_window(e, window)])
        if not items or nid not in paths:
            continue
        path = head + paths[nid]
        distance = sum(
            1 for p in path if nodes.get(p) and nodes[p].kind is NodeKind.DATASET_VERSION
        )
        suspects.append(Suspect(nid, 0.0, items, path, distance))
    return suspects


def children_suspects(
    store: GraphStore,
    children: Sequence[Node],
    path: list[str],
    window: tuple[float, float],
    code: CodeChecks,
    deadline: float | None,
) -> tuple[list[Suspect], list[Link]]:
    """The failed child runs with evidence in ``window``, as suspects (``path`` leads to
    their parent, the run the walk starts from), and how they explain each other and
    their parent."""
    if not children:
        return [], []
    evidence_of, links = children_evidence(store, children, window)
    suspects = []
    for child in children:
        check_deadline(deadline)
        items = evidence_of[child.id]
        items.extend(code.evidence(child))
        items = dedup([e for e in items if in_window(e, window)])
        if not items:
            continue
        suspects.append(Suspect(child.id, 0.0, items, [*path, child.id], 0))
        links.append((child.id, path[-1], "a failed child run came first"))
    return suspects, links
