"""What changed in the lineage around a node between two times."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from lineage.analysis.errors import InvalidArgument, check_deadline
from lineage.analysis.lineage import (
    DEFAULT_DEPTH,
    DEFAULT_NODE_BUDGET,
    Granularity,
    LineageEdge,
    LineageGraph,
    latest_run,
    lineage,
)
from lineage.analysis.refs import NodeRef
from lineage.analysis.versions import flat_schema, version_at, versions_of
from lineage.events import EventValidationError, RunEvent, get_facet, parse_event
from lineage.events import facets as F
from lineage.graph.model import NodeKind, split_id
from lineage.store.base import Direction, GraphStore, Node

#: Jobs whose code is compared in one diff; past this, ``jobs_truncated`` is set.
MAX_JOBS_COMPARED: Final = 100


@dataclass(frozen=True, slots=True)
class SchemaChange:
    """How a dataset's schema differs between the versions current at the two times."""

    dataset: str
    before: Node | None  # the version current at ``since``
    after: Node | None  # the version current at ``until``
    added: tuple[str, ...]
    removed: tuple[str, ...]
    retyped: tuple[tuple[str, str | None, str | None], ...]  # (path, type then, type now)


@dataclass(frozen=True, slots=True)
class JobChange:
    """A job whose SQL or source location differs between its runs current at the two times."""

    job: str
    before: Node | None  # its latest run by ``since``
    after: Node | None  # its latest run by ``until``
    sql_before: str | None
    sql_after: str | None
    source_before: str | None
    source_after: str | None


@dataclass(slots=True)
class LineageDiff:
    """The lineage as of ``since`` against the lineage as of ``until`` (None: now).

    Nodes and edges are compared by identity (edges by kind, ends and job)."""

    since: float
    until: float | None
    before: LineageGraph
    after: LineageGraph
    added_nodes: list[str] = field(default_factory=list)
    removed_nodes: list[str] = field(default_factory=list)
    added_edges: list[LineageEdge] = field(default_factory=list)
    removed_edges: list[LineageEdge] = field(default_factory=list)
    schema_changes: list[SchemaChange] = field(default_factory=list)
    job_changes: list[JobChange] = field(default_factory=list)
    jobs_truncated: bool = False


def lineage_diff(
    store: GraphStore,
    start: NodeRef | str,
    since: float,
    until: float | None = None,
    direction: Direction = Direction.UPSTREAM,
    depth: int = DEFAULT_DEPTH,
    granularity: Granularity = Granularity.DATASET,
    node_budget: int = DEFAULT_NODE_BUDGET,
    *,
    deadline: float | None = None,
) -> LineageDiff:
    """What changed around ``start`` from ``since`` to ``until``: "what changed upstream
    since yesterday".

    Returns the edges and nodes added and removed (the lineage at ``since`` against the
    lineage at ``until``), the schema changes of every dataset in either (fields added,
    removed, or given another type, between the versions current at the two times), and
    the jobs in either whose SQL or source location changed between their latest runs by
    each time (read from the runs' stored events).

    Raises :class:`InvalidArgument` when ``until`` is before ``since``, and whatever
    :func:`lineage` raises.

    >>> diff = lineage_diff(store, mart_orders, since=yesterday)  # doctest: +SKIP
    >>> [(c.added, c.removed) for c in diff.schema_changes]  # doctest: +SKIP
    [(('discount',), ())]
    """
    if until is not None and until < since:
        raise InvalidArgument("until must not be before since")
    args: dict[str, Any] = {"granularity": granularity, "node_budget": node_budget}
    before = lineage(store, start, direction, depth, since, deadline=deadline, **args)
    after = lineage(store, start, direction, depth, until, deadline=deadline, **args)
    diff = LineageDiff(since, until, before, after)
    diff.added_nodes = sorted(set(after.nodes) - set(before.nodes))
    diff.removed_nodes = sorted(set(before.nodes) - set(after.nodes))
    old, new = _edge_keys(before.edges), _edge_keys(after.edges)
    diff.added_edges = [new[k] for k in sorted(set(new) - set(old))]
    diff.removed_edges = [old[k] for k in sorted(set(old) - set(new))]

    every = {**before.nodes, **after.nodes}
    check_deadline(deadline)
    diff.schema_changes = _schema_changes(store, _datasets_in(every.values()), since, until)
    jobs = _jobs_in(every.values(), [*before.edges, *after.edges])
    diff.jobs_truncated = len(jobs) > MAX_JOBS_COMPARED
    for job in jobs[:MAX_JOBS_COMPARED]:
        check_deadline(deadline)
        change = _job_change(store, job, since, until)
        if change is not None:
            diff.job_changes.append(change)
    return diff


def _edge_keys(edges: Iterable[LineageEdge]) -> dict[tuple[str, str, str, str], LineageEdge]:
    return {(e.kind, e.source, e.target, str(e.props.get("job") or "")): e for e in edges}


def _jobs_in(nodes: Iterable[Node], edges: Iterable[LineageEdge]) -> list[str]:
    """The jobs of a lineage: its jobs, the jobs of its runs, and the jobs behind its edges
    (column and run lineage show no job nodes)."""
    found: set[str] = set()
    for node in nodes:
        if node.kind is NodeKind.JOB:
            found.add(node.id)
        elif node.kind is NodeKind.RUN and node.props.get("job"):
            found.add(str(node.props["job"]))
    found.update(str(e.props["job"]) for e in edges if e.props.get("job"))
    return sorted(found)


def _datasets_in(nodes: Iterable[Node]) -> list[str]:
    found: set[str] = set()
    for node in nodes:
        if node.kind is NodeKind.DATASET:
            found.add(node.id)
        elif node.kind in (NodeKind.FIELD, NodeKind.DATASET_VERSION) and node.props.get("dataset"):
            found.add(str(node.props["dataset"]))
    return sorted(found)


def _schema_changes(
    store: GraphStore, datasets: list[str], since: float, until: float | None
) -> list[SchemaChange]:
    changes = []
    for dataset, versions in versions_of(store, datasets).items():
        then, now = version_at(versions, since), version_at(versions, until)
        if (then.id if then else None) == (now.id if now else None):
            continue
        old = flat_schema(then.props.get("schema")) if then is not None else {}
        new = flat_schema(now.props.get("schema")) if now is not None else {}
        added = tuple(p for p in new if p not in old)
        removed = tuple(p for p in old if p not in new)
        retyped = tuple((p, old[p], new[p]) for p in new if p in old and old[p] != new[p])
        if added or removed or retyped:
            changes.append(SchemaChange(dataset, then, now, added, removed, retyped))
    return changes


def _job_change(store: GraphStore, job: str, since: float, until: float | None) -> JobChange | None:
    then, now = latest_run(store, job, since), latest_run(store, job, until)
    if then is None or now is None or then.id == now.id:
        return None
    sql_then, source_then = code_of(store, then)
    sql_now, source_now = code_of(store, now)
    if sql_then == sql_now and source_then == source_now:
        return None
    return JobChange(job, then, now, sql_then, sql_now, source_then, source_now)


def code_of(store: GraphStore, run: Node) -> tuple[str | None, str | None]:
    """The SQL and source location a run's events reported for its job (newest wins)."""
    _, (run_uuid,) = split_id(run.id)
    sql: str | None = None
    source: str | None = None
    for stored in store.events(run_id=run_uuid, limit=100):
        try:
            event = parse_event(orjson.loads(stored.body))
        except (EventValidationError, orjson.JSONDecodeError):
            continue
        if not isinstance(event, RunEvent):
            continue
        if sql is None:
            query = get_facet(event.job.facets, "sql", F.SQLJobFacet)
            sql = query.query if query is not None else None
        if source is None:
            where = get_facet(event.job.facets, "sourceCodeLocation", F.SourceCodeLocationJobFacet)
            if where is not None:
                pinned = where.version or where.tag or where.branch
                source = f"{where.url}@{pinned}" if pinned else where.url
        if sql is not None and source is not None:
            break
    return sql, source
