"""Which job a job runs under, and which jobs are parts of another rather than jobs of their own.

A run's ``parent`` facet says which run started it; the mapping projects that onto jobs as a
``Job -CHILD_OF-> Job`` edge (an Airflow task under its DAG, a dbt model or test under the
dbt invocation, a statement under the model or task that ran it). Most children are jobs in
their own right and are listed as such. A child whose ``jobType`` is a statement's (SQL,
QUERY) or a dbt test's (TEST) is a *part* of its parent: listings and search leave it out,
and it is reached through its parent (GraphQL ``Job.children``) or by its own name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from lineage.graph.mapping import SUB_JOB_TYPES
from lineage.graph.model import EdgeKind, NodeKind, split_id
from lineage.store.base import Direction, Edge, GraphStore, Node


def parents(store: GraphStore, jobs: Iterable[str]) -> dict[str, str]:
    """The job each of ``jobs`` runs under (see :func:`parent_by_job`); jobs that never ran
    under another are left out. One store call.

    >>> parents(store, [job_id("airflow", "dag.task")])  # doctest: +SKIP
    {job_id("airflow", "dag.task"): job_id("airflow", "dag")}
    """
    ids = sorted(set(jobs))
    if not ids:
        return {}
    return parent_by_job(store.edges_of(ids, Direction.DOWNSTREAM, [EdgeKind.CHILD_OF]))


def parent_by_job(edges: Iterable[Edge]) -> dict[str, str]:
    """From ``Job -CHILD_OF-> Job`` edges, the parent of each job: the one seen last when
    there were several (then the larger id), so the answer does not depend on event order.
    Other edges are ignored."""
    best: dict[str, tuple[float, str]] = {}
    for edge in edges:
        if (
            edge.kind is not EdgeKind.CHILD_OF
            or edge.src == edge.dst
            or split_id(edge.src)[0] is not NodeKind.JOB
            or split_id(edge.dst)[0] is not NodeKind.JOB
        ):
            continue
        key = (float(edge.props.get("last_seen") or 0.0), edge.dst)
        if edge.src not in best or key > best[edge.src]:
            best[edge.src] = key
    return {job: parent for job, (_, parent) in best.items()}


def is_part_kind(job: Node) -> bool:
    """Whether ``job``'s jobType makes it a part of the job it runs under (SQL, QUERY, TEST)."""
    return str(job.props.get("job_type") or "").upper() in SUB_JOB_TYPES


def parts(store: GraphStore, nodes: Iterable[Node]) -> set[str]:
    """The ids of the jobs among ``nodes`` that are parts of another job: a statement or a
    dbt test whose runs ran under another job's runs. At most one store call."""
    candidates = [n.id for n in nodes if n.kind is NodeKind.JOB and is_part_kind(n)]
    return set(parents(store, candidates)) if candidates else set()


def listed(store: GraphStore, nodes: Sequence[Node]) -> list[Node]:
    """``nodes`` in the same order, without the jobs that are parts of another
    (:func:`parts`): what listings and search show."""
    hidden = parts(store, nodes)
    return [n for n in nodes if n.id not in hidden] if hidden else list(nodes)
