"""SQL that a child run ran, read into the column lineage of its parent's job.

Some producers send a job's SQL only on child runs whose events name no dataset: dbt-ol in
structured-logs mode sends each statement of a model as a `<model>.sql.N` child of the
model's run, and Airflow's SQL operators, on connections that carry no OpenLineage database
information (SQLite), send `<task>.query.N` children and no dataset at all. The tables such
SQL reads and writes are named only by the SQL, and the namespace they live in only by the
parent run's own datasets, which may arrive in an earlier or a later write.

So this step, like incidents, reads the store before a write: for every run a batch
touches, it gathers the SQL its children ran (from the batch and from the store) and the
run's datasets (likewise), and adds the column lineage that
:func:`lineage.graph.mapping.sql_lineage_mutations` derives from them. Whichever of the
parent's and the children's events arrives last triggers it, and the mutations are
idempotent, so the graph is the same whatever the order. A run that names no dataset in
any event gets its SQL's tables in its job's namespace once it has ended (Airflow on
SQLite); before that, its SQL waits.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Final

from lineage.events import LineageEvent, RunEvent, get_facet
from lineage.events import facets as F
from lineage.graph.mapping import sql_lineage_mutations
from lineage.graph.model import (
    TERMINAL_STATES,
    EdgeKind,
    EnsureFields,
    Mutation,
    ReadDataset,
    UpsertEdge,
    UpsertNode,
    dataset_id,
    job_id,
    run_id,
    split_id,
)
from lineage.store.base import Direction, GraphStore, IngestItem

#: Serialises the read-then-write of this step within one process, so that a parent's and
#: its child's events written at the same moment cannot each miss the other.
LOCK: Final = threading.Lock()


@dataclass(frozen=True, slots=True)
class SqlRan:
    """A child run ran ``query`` and its event named no dataset."""

    parent_run: str
    parent_job: str
    query: str
    dialect: str | None
    at: float


def sql_ran(event: LineageEvent) -> tuple[SqlRan, ...]:
    """What :func:`with_child_sql` needs of one event: its SQL, when it is a child run's
    event that names no dataset."""
    if not isinstance(event, RunEvent) or event.inputs or event.outputs:
        return ()
    sql = get_facet(event.job.facets, "sql", F.SQLJobFacet)
    parent = get_facet(event.run.facets, "parent", F.ParentRunFacet)
    if sql is None or parent is None or not sql.query.strip():
        return ()
    return (
        SqlRan(
            parent_run=run_id(str(parent.run.runId).lower()),
            parent_job=job_id(parent.job.namespace, parent.job.name),
            query=sql.query,
            dialect=sql.dialect,
            at=event.eventTime.timestamp(),
        ),
    )


@dataclass
class _Parent:
    job: str | None = None
    ended: bool = False
    inputs: set[tuple[str, str]] = field(default_factory=set)
    outputs: set[tuple[str, str]] = field(default_factory=set)
    sql: set[tuple[str, str | None, float]] = field(default_factory=set)


def with_child_sql(store: GraphStore, items: Sequence[IngestItem]) -> list[IngestItem]:
    """``items`` with the column lineage their runs' children's SQL implies."""
    parents: dict[str, _Parent] = {}
    children = _Children()
    for item in items:
        for ran in item.sql_ran:
            parents.setdefault(ran.parent_run, _Parent()).job = ran.parent_job
        for m in item.mutations:
            if isinstance(m, UpsertEdge) and m.kind is EdgeKind.CHILD_OF:
                parents.setdefault(m.dst, _Parent())
                children.seen(m.src, m.dst, item.event_time)
        for ran in item.sql_ran:
            if item.run_id is not None:
                children.ran(run_id(item.run_id), ran.query, ran.dialect)
        if item.run_id is not None:
            parents.setdefault(run_id(item.run_id), _Parent())
    if not parents:
        return list(items)
    children.load(store, parents)
    for child, (query, dialect) in children.sql.items():
        parent = parents.get(children.parent.get(child, ""))
        if parent is not None:
            parent.sql |= {(query, dialect, at) for at in children.times.get(child, ())}
    wanted = {run: p for run, p in parents.items() if p.sql}
    if not wanted:
        return list(items)
    fields = _batch_facts(items, wanted)
    _stored_facts(store, wanted, fields)
    extra: list[Mutation] = []
    for run, parent in sorted(wanted.items()):
        if parent.job is None or not (parent.inputs or parent.outputs or parent.ended):
            continue  # its datasets, or its end, will come: its SQL waits for them
        fallback = split_id(parent.job)[1][0]
        inputs = [(ns, n, _sorted(fields.get((ns, n)))) for ns, n in sorted(parent.inputs)]
        outputs = [(ns, n, _sorted(fields.get((ns, n)))) for ns, n in sorted(parent.outputs)]
        for query, dialect, at in sorted(parent.sql, key=lambda s: (s[2], s[0])):
            extra += sql_lineage_mutations(
                run, parent.job, at, query, dialect, inputs, outputs, fallback
            )
    if not extra:
        return list(items)
    # They ride with the batch's last item: the batch is one transaction.
    out = list(items)
    out[-1] = replace(out[-1], mutations=[*out[-1].mutations, *extra])
    return out


def _sorted(columns: list[str] | None) -> list[str] | None:
    return sorted(columns) if columns else None


@dataclass
class _Children:
    """The child runs of the parents a batch touches: each one's parent, its SQL, and the
    times of its events (stored and in the batch), each a time its SQL ran at."""

    parent: dict[str, str] = field(default_factory=dict)
    sql: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    times: dict[str, set[float]] = field(default_factory=dict)

    def seen(self, child: str, parent: str, at: float) -> None:
        self.parent[child] = parent
        self.times.setdefault(child, set()).add(at)

    def ran(self, child: str, query: str, dialect: str | None) -> None:
        self.sql[child] = (query, dialect)

    def load(self, store: GraphStore, parents: Mapping[str, object]) -> None:
        stored = store.edges_of(sorted(parents), Direction.UPSTREAM, [EdgeKind.CHILD_OF])
        runs = store.get_nodes(sorted({e.src for e in stored}))
        for edge in stored:
            child = runs.get(edge.src)
            if child is None:
                continue
            self.parent[edge.src] = edge.dst
            if child.props.get("sql") and edge.src not in self.sql:
                dialect = child.props.get("sql_dialect")
                self.sql[edge.src] = (str(child.props["sql"]), str(dialect) if dialect else None)
            for key in ("first_seen", "last_seen"):
                at = child.props.get(key)
                if isinstance(at, int | float):
                    self.times.setdefault(edge.src, set()).add(float(at))


def _batch_facts(
    items: Sequence[IngestItem], parents: dict[str, _Parent]
) -> dict[tuple[str, str], list[str]]:
    """What the batch says of ``parents``: their datasets, jobs and ends; and the top-level
    columns of every dataset it names."""
    fields: dict[tuple[str, str], list[str]] = {}
    for item in items:
        for m in item.mutations:
            if isinstance(m, EnsureFields):
                _, (ns, name) = split_id(m.dataset)
                known = fields.setdefault((ns, name), [])
                known += [
                    p
                    for i, p in enumerate(m.paths)
                    if (p == m.names[i] if m.names else "." not in p) and p not in known
                ]
                continue
            parent = parents.get(_run_of(m) or "")
            if parent is None:
                continue
            if _from_sql(m):
                continue  # what this step itself derived is not the run's own word
            if isinstance(m, ReadDataset):
                _, (ns, name) = split_id(m.dataset)
                parent.inputs.add((ns, name))
            elif isinstance(m, UpsertEdge) and m.kind is EdgeKind.WROTE:
                _, (ns, name, _version) = split_id(m.dst)
                parent.outputs.add((ns, name))
            elif isinstance(m, UpsertEdge) and m.kind is EdgeKind.RUN_OF:
                parent.job = m.dst
            elif (
                isinstance(m, UpsertNode)
                and "state" in m.props
                and str(m.props["state"].value) in TERMINAL_STATES
            ):
                parent.ended = True
    return fields


def _from_sql(m: Mutation) -> bool:
    props = (
        m.edge_props if isinstance(m, ReadDataset) else m.props if isinstance(m, UpsertEdge) else {}
    )
    derived = props.get("derived_from")
    return derived is not None and derived.value == "sql"


def _run_of(m: Mutation) -> str | None:
    if isinstance(m, ReadDataset):
        return m.run
    if isinstance(m, UpsertEdge) and m.kind in (EdgeKind.WROTE, EdgeKind.RUN_OF):
        return m.src
    if isinstance(m, UpsertNode):
        return m.id
    return None


def _stored_facts(
    store: GraphStore, parents: dict[str, _Parent], fields: dict[tuple[str, str], list[str]]
) -> None:
    """What the store knows of ``parents``: their datasets, jobs and ends, and the
    top-level columns of those datasets."""
    for run, node in store.get_nodes(sorted(parents)).items():
        parent = parents[run]
        if parent.job is None and node.props.get("job"):
            parent.job = str(node.props["job"])
        if str(node.props.get("state")) in TERMINAL_STATES:
            parent.ended = True
    for edge in store.edges_of(
        sorted(parents), Direction.DOWNSTREAM, [EdgeKind.READ, EdgeKind.WROTE]
    ):
        if edge.props.get("derived_from") == "sql":
            continue
        parent = parents[edge.src]
        _, (ns, name, _version) = split_id(edge.dst)
        (parent.inputs if edge.kind == EdgeKind.READ else parent.outputs).add((ns, name))
    datasets = sorted(
        {dataset_id(ns, n) for p in parents.values() for ns, n in (*p.inputs, *p.outputs)}
    )
    edges = store.edges_of(datasets, Direction.DOWNSTREAM, [EdgeKind.HAS_FIELD]) if datasets else []
    for edge in edges:
        _, (ns, name, path) = split_id(edge.dst)
        if "." not in path:
            known = fields.setdefault((ns, name), [])
            if path not in known:
                known.append(path)
