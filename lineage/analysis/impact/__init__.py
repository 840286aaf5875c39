"""What a schema change breaks downstream: columns, datasets, jobs, models, endpoints, owners.

A change to one dataset (a column dropped, renamed or retyped, the dataset dropped or
renamed) is followed along the data flow: column by column over column lineage (``FEEDS``)
where producers reported it, dataset by dataset over the job-level projection where they
did not. Every item reached is classified:

- BREAKING: it takes its value DIRECTly from the changed column (through DIRECT steps
  only), or the whole dataset disappears or changes name. It fails, or carries wrong data.
- LIKELY: it depends on the column INDIRECTly (a join key, a filter, a grouping) somewhere
  along the way: its rows may change, it does not fail by itself.
- POSSIBLE: a job reads an affected dataset but reported no column lineage for it (a
  ``SELECT *``, a producer without column lineage), so whether it uses the column is
  unknown; everything downstream of it inherits that uncertainty.

An item's class is that of the best way to it: the way whose weakest step is strongest
(a DIRECT step keeps BREAKING, an INDIRECT one caps at LIKELY, a read without column
lineage caps at POSSIBLE). Its distance counts the jobs between the change and it.

The store is asked a few questions per hop (batched over the whole frontier); the
classification runs on the small graph collected, with no further store calls.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

import orjson

from lineage.analysis.errors import InvalidArgument, check_deadline
from lineage.analysis.lineage import DEFAULT_DEPTH, DEFAULT_NODE_BUDGET, MAX_DEPTH
from lineage.analysis.refs import NodeRef, resolve
from lineage.analysis.versions import dataset_schema, flat_schema
from lineage.graph.model import EdgeKind, NodeKind, dataset_id, field_id, split_id
from lineage.store.base import Direction, Edge, GraphStore, Node


class Severity(StrEnum):
    """How surely an item is hurt by a change, most sure first."""

    BREAKING = "BREAKING"
    LIKELY = "LIKELY"
    POSSIBLE = "POSSIBLE"


_RANK: Final = {Severity.BREAKING: 3, Severity.LIKELY: 2, Severity.POSSIBLE: 1}


class ChangeKind(StrEnum):
    DROP_FIELD = "DROP_FIELD"
    RENAME_FIELD = "RENAME_FIELD"
    CHANGE_TYPE = "CHANGE_TYPE"
    ADD_FIELD = "ADD_FIELD"
    DROP_DATASET = "DROP_DATASET"
    RENAME_DATASET = "RENAME_DATASET"


_WHOLE: Final = frozenset({ChangeKind.DROP_DATASET, ChangeKind.RENAME_DATASET})
_ON_A_FIELD: Final = frozenset(
    {ChangeKind.DROP_FIELD, ChangeKind.RENAME_FIELD, ChangeKind.CHANGE_TYPE, ChangeKind.ADD_FIELD}
)


class Category(StrEnum):
    """What an affected item is, for counting: MODEL and ENDPOINT are datasets of those
    types, DEPLOYMENT a job of that type."""

    FIELD = "FIELD"
    DATASET = "DATASET"
    MODEL = "MODEL"
    ENDPOINT = "ENDPOINT"
    JOB = "JOB"
    DEPLOYMENT = "DEPLOYMENT"


@dataclass(frozen=True, slots=True)
class Change:
    """One change to a dataset's schema.

    ``field`` is the dotted path of the column changed (None for DROP_DATASET and
    RENAME_DATASET); ``new_name`` the new column path (RENAME_FIELD) or dataset name
    (RENAME_DATASET, optional); ``new_type`` the new type (CHANGE_TYPE; optional for
    ADD_FIELD); ``nullable`` whether an added column may be null; ``old_type`` the type the
    current schema gives the column, filled in by :func:`impact` when known.
    """

    kind: ChangeKind
    field: str | None = None
    new_name: str | None = None
    new_type: str | None = None
    nullable: bool = True
    old_type: str | None = None

    def describe(self) -> str:
        """The change as a person would say it: ``drop column amount``."""
        kind, name = self.kind, self.field
        if kind is ChangeKind.DROP_FIELD:
            return f"drop column {name}"
        if kind is ChangeKind.RENAME_FIELD:
            return f"rename column {name} to {self.new_name}"
        if kind is ChangeKind.CHANGE_TYPE:
            before = f" from {self.old_type}" if self.old_type else ""
            return f"change the type of column {name}{before} to {self.new_type}"
        if kind is ChangeKind.ADD_FIELD:
            typed = f" {self.new_type}" if self.new_type else ""
            null = "nullable" if self.nullable else "non-nullable"
            return f"add {null} column {name}{typed}"
        if kind is ChangeKind.DROP_DATASET:
            return "drop the dataset"
        return f"rename the dataset to {self.new_name}" if self.new_name else "rename the dataset"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A column of a proposed schema. ``nullable`` defaults to true, as in SQL; a column
    named ``renamed_from`` in the current schema is renamed to ``name`` rather than dropped."""

    name: str
    type: str | None = None
    nullable: bool = True
    renamed_from: str | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """One hop on the way from the change to an item, the way data flows.

    ``kind`` is FEEDS (column lineage: ``source`` field feeds ``target`` field in ``job``;
    ``props`` are the edge's: ``type``, ``subtype``, ``transformations``), READS (dataset
    ``source`` is read by job ``target``), PRODUCES (job ``source`` writes dataset
    ``target``), ALIAS_OF (the same data under another name), or WRITES (job ``source``
    writes the changed dataset ``target``: ADD_FIELD of a non-nullable column).
    """

    kind: str
    source: str
    target: str
    job: str | None = None
    props: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Owner:
    name: str
    type: str | None = None


@dataclass(frozen=True, slots=True)
class ImpactItem:
    """A field, dataset or job a change reaches, how surely, how far, and why.

    ``chain`` is the way from the changed column (or dataset) to the item, with the
    transformation of every column-lineage step; ``reason`` says it in words, and for a
    POSSIBLE item why the answer is uncertain.
    """

    node: Node
    category: Category
    severity: Severity
    distance: int
    reason: str
    chain: tuple[Step, ...]
    owners: tuple[Owner, ...]

    @property
    def uncertain(self) -> bool:
        return self.severity is Severity.POSSIBLE


@dataclass(frozen=True, slots=True)
class Summary:
    """Distinct items by their worst class, and by category."""

    breaking: int = 0
    likely: int = 0
    possible: int = 0
    fields: int = 0
    datasets: int = 0
    models: int = 0
    endpoints: int = 0
    jobs: int = 0
    deployments: int = 0

    @classmethod
    def of(cls, items: Iterable[ImpactItem]) -> Summary:
        worst = _worst(items)
        by_severity = {s: 0 for s in Severity}
        by_category = {c: 0 for c in Category}
        for item in worst.values():
            by_severity[item.severity] += 1
            by_category[item.category] += 1
        return cls(
            breaking=by_severity[Severity.BREAKING],
            likely=by_severity[Severity.LIKELY],
            possible=by_severity[Severity.POSSIBLE],
            fields=by_category[Category.FIELD],
            datasets=by_category[Category.DATASET],
            models=by_category[Category.MODEL],
            endpoints=by_category[Category.ENDPOINT],
            jobs=by_category[Category.JOB],
            deployments=by_category[Category.DEPLOYMENT],
        )


@dataclass(frozen=True, slots=True)
class Notify:
    """An owner to tell: the worst class among their items, and those items' node ids."""

    name: str
    type: str | None
    severity: Severity
    items: tuple[str, ...]


@dataclass(slots=True)
class ChangeImpact:
    """What one change reaches; ``items`` nearest first, then most sure first."""

    change: Change
    items: list[ImpactItem] = field(default_factory=list)
    note: str | None = None

    @property
    def breaking(self) -> bool:
        return any(i.severity is Severity.BREAKING for i in self.items)

    def by_distance(self) -> list[tuple[int, list[ImpactItem]]]:
        """The items grouped by distance, nearest first."""
        groups: dict[int, list[ImpactItem]] = {}
        for item in self.items:
            groups.setdefault(item.distance, []).append(item)
        return sorted(groups.items())

    def summary(self) -> Summary:
        return Summary.of(self.items)


@dataclass(slots=True)
class ImpactReport:
    """The answer of :func:`impact`.

    ``truncated`` is true when the node budget left out items within ``max_depth``.
    ``nodes`` holds every node the items and their chains name.
    """

    dataset: Node
    changes: list[ChangeImpact]
    summary: Summary
    owners: list[Notify]
    truncated: bool
    max_depth: int
    nodes: dict[str, Node] = field(default_factory=dict)

    @property
    def breaking(self) -> bool:
        return any(c.breaking for c in self.changes)


def impact(
    store: GraphStore,
    dataset: NodeRef | str,
    changes: Sequence[Change] | None = None,
    proposed_schema: Sequence[FieldSpec] | None = None,
    max_depth: int = DEFAULT_DEPTH,
    node_budget: int = DEFAULT_NODE_BUDGET,
    *,
    deadline: float | None = None,
) -> ImpactReport:
    """What ``changes`` to ``dataset`` (or replacing its schema by ``proposed_schema``)
    would hurt downstream, as the graph stands now.

    Parameters
    ----------
    store : the graph.
    dataset : a :class:`NodeRef` naming a dataset, or its internal id.
    changes : the changes, or None to derive them from ``proposed_schema`` with
        :func:`schema_changes`. Give exactly one of the two.
    max_depth : most jobs between the change and an item, 1 to :data:`MAX_DEPTH`.
    node_budget : most fields, datasets and jobs looked at per change; past it the report
        says ``truncated``.
    deadline : a ``time.monotonic()`` value after which :class:`Timeout` is raised.

    Returns
    -------
    ImpactReport : per change its items (see the module docstring for the classes), with
        a summary over all changes and the owners (ownership facets of the datasets and
        jobs reached; a field's owners are its dataset's) to notify, worst first.

    Adding a nullable column reaches nothing: no reader can depend on a column that does
    not exist yet. Adding a non-nullable one makes every job that writes the dataset
    LIKELY to fail (each write must now supply a value); its readers are not affected.

    Raises
    ------
    NotFound : no such dataset.
    InvalidArgument : not a dataset; both or neither of ``changes`` and ``proposed_schema``;
        a change naming a column the dataset does not have (or, for an added or renamed-to
        column, one it already has); a proposed schema for a dataset with no known schema;
        depth or budget out of range.

    Examples
    --------
    >>> report = impact(store, NodeRef(namespace="pg://db", name="raw.orders"),
    ...                 [Change(ChangeKind.DROP_FIELD, "amount")])  # doctest: +SKIP
    >>> [(i.node.props["name"], i.severity.value) for i in report.changes[0].items]
    ... # doctest: +SKIP
    [('build_mart', 'BREAKING'), ('mart.orders', 'BREAKING'), ('total', 'BREAKING')]
    """
    if not 1 <= max_depth <= MAX_DEPTH:
        raise InvalidArgument(f"depth must be between 1 and {MAX_DEPTH} (got {max_depth})")
    if node_budget < 1:
        raise InvalidArgument(f"the node budget must be at least 1 (got {node_budget})")
    if (changes is None) == (proposed_schema is None):
        raise InvalidArgument("give either changes or a proposed schema, not both or neither")
    node = resolve(store, dataset)
    if node.kind is not NodeKind.DATASET:
        raise InvalidArgument(f"impact starts from a dataset, not a {node.kind.value.lower()}")
    cache = _Cache(store, deadline)
    cache.nodes[node.id] = node
    current = _current_schema(cache, node)
    if changes is None:
        assert proposed_schema is not None
        if not current:
            raise InvalidArgument(
                f"{_label_of(node)} has no known schema to compare a proposed one with; "
                "name the changes instead"
            )
        changes = schema_changes(current, proposed_schema)
    known = set(current) | {_path_of(f) for f in cache.fields(node.id)}
    checked = [_checked(c, node, known, current) for c in changes]

    results: list[ChangeImpact] = []
    truncated = False
    for change in checked:
        check_deadline(deadline)
        if _changes_nothing(change):
            # A CI gate that fires on nothing gets switched off: no change reaches nothing.
            results.append(
                ChangeImpact(
                    change,
                    [],
                    f"column {change.field} is already {change.old_type}: nothing changes",
                )
            )
            continue
        result, cut = _impact_of(cache, node, change, max_depth, node_budget)
        results.append(result)
        truncated = truncated or cut
    every = [item for result in results for item in result.items]
    nodes = {node.id: node}
    for item in every:
        nodes[item.node.id] = item.node
        for step in item.chain:
            for nid in (step.source, step.target, step.job):
                if nid and nid in cache.nodes:
                    nodes[nid] = cache.nodes[nid]
    return ImpactReport(
        dataset=node,
        changes=results,
        summary=Summary.of(every),
        owners=_owners_to_notify(every),
        truncated=truncated,
        max_depth=max_depth,
        nodes=nodes,
    )


def schema_changes(current: Any, proposed: Sequence[FieldSpec]) -> list[Change]:
    """The changes that turn schema ``current`` into ``proposed``.

    ``current`` is a schema facet's ``fields`` list (nested ``fields`` included, named by
    dotted path). A current column missing from ``proposed`` is dropped, unless a proposed
    column says it was ``renamed_from`` it; a column in both whose types are both known
    and differ (ignoring case and spacing) changes type; a proposed column not in
    ``current`` is added. When a column is dropped, its nested columns go with it and are
    not listed again.

    >>> schema_changes([{"name": "a", "type": "INT"}, {"name": "b", "type": "INT"}],
    ...                [FieldSpec("a", "BIGINT"), FieldSpec("c", "INT", nullable=False)])
    ... # doctest: +NORMALIZE_WHITESPACE
    [Change(kind=<ChangeKind.DROP_FIELD: 'DROP_FIELD'>, field='b', new_name=None,
            new_type=None, nullable=True, old_type='INT'),
     Change(kind=<ChangeKind.CHANGE_TYPE: 'CHANGE_TYPE'>, field='a', new_name=None,
            new_type='BIGINT', nullable=True, old_type='INT'),
     Change(kind=<ChangeKind.ADD_FIELD: 'ADD_FIELD'>, field='c', new_name=None,
            new_type='INT', nullable=False, old_type=None)]
    """
    old = current if isinstance(current, dict) else flat_schema(current)
    seen: set[str] = set()
    for spec in proposed:
        if spec.name in seen:
            raise InvalidArgument(f"the proposed schema names column {spec.name!r} twice")
        seen.add(spec.name)
    renames = {s.renamed_from: s for s in proposed if s.renamed_from}
    for source in renames:
        if source not in old:
            raise InvalidArgument(
                f"column {renames[source].name!r} is renamed from {source!r}, "
                "which the current schema does not have"
            )
    new = {s.name: s for s in proposed}
    dropped: list[Change] = []
    renamed: list[Change] = []
    retyped: list[Change] = []
    added: list[Change] = []
    gone: list[str] = []
    for path, kind in old.items():
        if any(path.startswith(parent + ".") for parent in gone):
            continue
        if path in renames:
            renamed.append(
                Change(ChangeKind.RENAME_FIELD, path, new_name=renames[path].name, old_type=kind)
            )
            gone.append(path)
        elif path not in new:
            dropped.append(Change(ChangeKind.DROP_FIELD, path, old_type=kind))
            gone.append(path)
        else:
            wanted = new[path].type
            if kind and wanted and _norm_type(kind) != _norm_type(wanted):
                retyped.append(Change(ChangeKind.CHANGE_TYPE, path, new_type=wanted, old_type=kind))
    renamed_to = {s.name for s in renames.values()}
    for spec in proposed:
        if spec.name not in old and spec.name not in renamed_to:
            added.append(
                Change(ChangeKind.ADD_FIELD, spec.name, new_type=spec.type, nullable=spec.nullable)
            )
    return dropped + renamed + retyped + added


# -- checking changes ---------------------------------------------------------------------


def _changes_nothing(change: Change) -> bool:
    """A type change to the type the column already has (ignoring case and spacing)."""
    return (
        change.kind is ChangeKind.CHANGE_TYPE
        and bool(change.old_type)
        and bool(change.new_type)
        and _norm_type(change.old_type or "") == _norm_type(change.new_type or "")
    )


def _norm_type(kind: str) -> str:
    return " ".join(kind.upper().split())


def _current_schema(cache: _Cache, dataset: Node) -> dict[str, str | None]:
    """The dataset's schema: its schema facet, else its current version's."""
    fields = dataset_schema(dataset)
    if not fields:
        version = dataset.props.get("current_version")
        if isinstance(version, str):
            found = cache.store.get_nodes([version]).get(version)
            fields = found.props.get("schema") if found is not None else None
    return flat_schema(fields)


def _checked(
    change: Change, dataset: Node, known: set[str], current: Mapping[str, str | None]
) -> Change:
    """``change`` with its old type filled in; InvalidArgument when it cannot apply."""
    kind, name = change.kind, change.field
    label = _label_of(dataset)
    if kind in _WHOLE:
        if name:
            raise InvalidArgument(f"{kind.value} changes the whole dataset and names no column")
        return change
    if not name:
        raise InvalidArgument(f"{kind.value} needs the column it changes")
    if kind is ChangeKind.ADD_FIELD:
        if name in known:
            raise InvalidArgument(f"{label} already has a column {name!r}")
        return change
    if name not in known:
        listed = ", ".join(sorted(known)[:20]) or "none known"
        raise InvalidArgument(f"{label} has no column {name!r}; its columns: {listed}")
    if kind is ChangeKind.RENAME_FIELD:
        if not change.new_name:
            raise InvalidArgument(f"renaming column {name!r} needs the new name")
        if change.new_name in known:
            raise InvalidArgument(f"{label} already has a column {change.new_name!r}")
    if kind is ChangeKind.CHANGE_TYPE and not change.new_type:
        raise InvalidArgument(f"changing the type of column {name!r} needs the new type")
    return Change(
        kind,
        name,
        change.new_name,
        change.new_type,
        change.nullable,
        change.old_type or current.get(name),
    )


# -- reading the graph --------------------------------------------------------------------


def _path_of(fid: str) -> str:
    _, parts = split_id(fid)
    return parts[2] if len(parts) == 3 else ""


def _dataset_of(fid: str) -> str:
    _, parts = split_id(fid)
    return dataset_id(parts[0], parts[1])


def _alias_field(fid: str, dataset: str) -> str:
    _, (namespace, name) = split_id(dataset)
    return field_id(namespace, name, _path_of(fid))


class _Cache:
    """Store answers for one :func:`impact` call, fetched a frontier at a time."""

    def __init__(self, store: GraphStore, deadline: float | None) -> None:
        self.store = store
        self.deadline = deadline
        self.nodes: dict[str, Node] = {}
        self.missing: set[str] = set()
        self._feeds: dict[str, list[Edge]] = {}
        self._fields: dict[str, list[str]] = {}
        self._readers: dict[str, list[Edge]] = {}
        self._lineage_jobs: dict[str, set[str]] = {}
        self._writes: dict[str, list[Edge]] = {}
        self._writers: dict[str, list[Edge]] = {}
        self._aliases: dict[str, set[str]] = {}

    def _edges(self, ids: Iterable[str], direction: Direction, kind: EdgeKind) -> list[Edge]:
        check_deadline(self.deadline)
        return self.store.edges_of(sorted(set(ids)), direction, [kind])

    def load_nodes(self, ids: Iterable[str]) -> None:
        wanted = {i for i in ids if i not in self.nodes and i not in self.missing}
        if wanted:
            check_deadline(self.deadline)
            found = self.store.get_nodes(sorted(wanted))
            self.nodes.update(found)
            self.missing |= wanted - set(found)

    def load_feeds(self, fields: Iterable[str]) -> None:
        wanted = {f for f in fields if f not in self._feeds}
        if not wanted:
            return
        for f in wanted:
            self._feeds[f] = []
        for e in self._edges(wanted, Direction.DOWNSTREAM, EdgeKind.FEEDS):
            if e.src in wanted:
                self._feeds[e.src].append(e)

    def load_fields(self, datasets: Iterable[str]) -> None:
        wanted = {d for d in datasets if d not in self._fields}
        if not wanted:
            return
        for d in wanted:
            self._fields[d] = []
        for e in self._edges(wanted, Direction.DOWNSTREAM, EdgeKind.HAS_FIELD):
            if e.src in wanted:
                self._fields[e.src].append(e.dst)

    def load_readers(self, datasets: Iterable[str]) -> None:
        """Who reads each dataset now, and which of them reported column lineage from it."""
        wanted = {d for d in datasets if d not in self._readers}
        if not wanted:
            return
        self.load_fields(wanted)
        self.load_feeds(f for d in wanted for f in self._fields[d])
        for d in wanted:
            self._readers[d] = []
            self._lineage_jobs[d] = {
                str(e.props.get("job"))
                for f in self._fields[d]
                for e in self._feeds[f]
                if e.props.get("job")
            }
        for e in self._edges(wanted, Direction.DOWNSTREAM, EdgeKind.INPUT_TO):
            if e.src in wanted:
                self._readers[e.src].append(e)

    def load_outputs(self, jobs: Iterable[str]) -> None:
        wanted = {j for j in jobs if j not in self._writes}
        if not wanted:
            return
        for j in wanted:
            self._writes[j] = []
        for e in self._edges(wanted, Direction.DOWNSTREAM, EdgeKind.PRODUCES):
            if e.src in wanted:
                self._writes[e.src].append(e)

    def load_aliases(self, datasets: Iterable[str]) -> None:
        wanted = {d for d in datasets if d not in self._aliases}
        if not wanted:
            return
        for d in wanted:
            self._aliases[d] = set()
        for e in self._edges(wanted, Direction.BOTH, EdgeKind.ALIAS_OF):
            if e.src in wanted:
                self._aliases[e.src].add(e.dst)
            if e.dst in wanted:
                self._aliases[e.dst].add(e.src)

    def writers(self, dataset: str) -> list[Edge]:
        if dataset not in self._writers:
            self._writers[dataset] = self._edges([dataset], Direction.UPSTREAM, EdgeKind.PRODUCES)
        return self._writers[dataset]

    def fields(self, dataset: str) -> list[str]:
        self.load_fields([dataset])
        return self._fields[dataset]

    def feeds(self, fid: str) -> list[Edge]:
        return self._feeds.get(fid, [])

    def readers(self, dataset: str) -> list[Edge]:
        return self._readers.get(dataset, [])

    def lineage_jobs(self, dataset: str) -> set[str]:
        return self._lineage_jobs.get(dataset, set())

    def outputs(self, job: str) -> list[Edge]:
        return self._writes.get(job, [])

    def aliases(self, dataset: str) -> set[str]:
        return self._aliases.get(dataset, set())


# -- the walk -----------------------------------------------------------------------------

# The walk's states: a field is affected ("F"); some column of a dataset is ("A"); a whole
# dataset is, which columns unknown or all of them ("D"); a job is ("J").
_Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class _Arc:
    target: _Key
    weight: int  # 1: one more job between the change and the target; 0: the same distance
    cap: Severity | None  # the best class a way through this arc can have; None: no cap
    step: Step | None
    job: str | None = None  # the job of a column-lineage step


class _Walk:
    """Collects the part of the graph a change can reach, then classifies it."""

    def __init__(self, cache: _Cache, whole: bool, max_depth: int, budget: int) -> None:
        self.cache = cache
        self.whole = whole
        self.max_depth = max_depth
        self.budget = budget
        self.arcs: dict[_Key, list[_Arc]] = {}
        self.counted: set[str] = set()
        self.truncated = False

    # Collecting ------------------------------------------------------------------------

    def collect(self, starts: Sequence[_Key]) -> None:
        """Breadth first from ``starts``, a level of distance at a time (the states one
        arc of weight 0 away joining the level they are found on), batching store calls."""
        dist: dict[_Key, int] = {}
        for key in starts:
            dist[key] = 0
            self.counted.add(key[1])
        expanded: set[_Key] = set()
        level: list[_Key] = list(starts)
        depth = 0
        while level:
            later: list[_Key] = []
            while level:
                level = [k for k in dict.fromkeys(level) if k not in expanded]
                self._prefetch(level)
                same: list[_Key] = []
                for key in level:
                    expanded.add(key)
                    arcs = self.arcs.setdefault(key, [])
                    for arc in self._arcs_of(key):
                        here = depth + arc.weight
                        if here > self.max_depth:
                            continue
                        known = dist.get(arc.target)
                        if known is None:
                            real = arc.target[1]
                            if real not in self.counted:
                                if len(self.counted) >= self.budget:
                                    self.truncated = True
                                    continue
                                self.counted.add(real)
                        if known is None or here < known:
                            dist[arc.target] = here
                            (same if arc.weight == 0 else later).append(arc.target)
                        arcs.append(arc)
                level = same
            level = later
            depth += 1
        jobs = {a.job for arcs in self.arcs.values() for a in arcs if a.job}
        self.cache.load_nodes(
            {k[1] for k in dist} | {_dataset_of(k[1]) for k in dist if k[0] == "F"} | jobs
        )

    def _prefetch(self, keys: Sequence[_Key]) -> None:
        cache = self.cache
        fields = [k[1] for k in keys if k[0] == "F"]
        parts = [k[1] for k in keys if k[0] == "A"]
        wholes = [k[1] for k in keys if k[0] == "D"]
        jobs = [k[1] for k in keys if k[0] == "J"]
        cache.load_feeds(fields)
        cache.load_aliases([*{_dataset_of(f) for f in fields}, *wholes])
        cache.load_readers([*parts, *wholes])
        cache.load_outputs(jobs)

    def _arcs_of(self, key: _Key) -> Iterator[_Arc]:
        kind, nid = key
        cache = self.cache
        if kind == "F":
            # DIRECT steps first, so that a way is explained by them when several tie.
            for e in sorted(cache.feeds(nid), key=lambda e: (-_RANK[_feed_cap(e)], e.id)):
                cap = None if self.whole else _feed_cap(e)
                job = str(e.props.get("job") or "") or None
                yield _Arc(("F", e.dst), 1, cap, Step("FEEDS", e.src, e.dst, job, e.props), job)
            owner = _dataset_of(nid)
            for other in sorted(cache.aliases(owner)):
                alias = _alias_field(nid, other)
                yield _Arc(("F", alias), 0, None, Step("ALIAS_OF", nid, alias))
            yield _Arc(("A", owner), 0, None, None)
        elif kind == "A":
            lineage = cache.lineage_jobs(nid)
            for e in cache.readers(nid):
                # A reader whose column use is unknown, or known only in part (a name its
                # column lineage or SQL left unresolved), may use the column.
                if e.dst not in lineage or e.props.get("column_usage_gap"):
                    step = Step("READS", nid, e.dst, e.dst, e.props)
                    yield _Arc(("J", e.dst), 1, Severity.POSSIBLE, step)
        elif kind == "D":
            for e in cache.readers(nid):
                yield _Arc(("J", e.dst), 1, None, Step("READS", nid, e.dst, e.dst, e.props))
            for other in sorted(cache.aliases(nid)):
                yield _Arc(("D", other), 0, None, Step("ALIAS_OF", nid, other))
        elif kind == "J":
            for e in cache.outputs(nid):
                yield _Arc(("D", e.dst), 0, None, Step("PRODUCES", nid, e.dst, nid, e.props))

    # Classifying -----------------------------------------------------------------------

    def classify(self, starts: Sequence[_Key]) -> dict[_Key, _Reached]:
        """For every state: its best class, the distance and the way it is reached at it.

        One 0-1 breadth-first search per class, most sure first, over the arcs whose cap
        allows it: a state first reached in the search for class c has c as its best."""
        found: dict[_Key, _Reached] = {}
        for severity in Severity:
            rank = _RANK[severity]
            dist: dict[_Key, int] = {k: 0 for k in starts}
            parent: dict[_Key, tuple[_Key, _Arc]] = {}
            queue: deque[_Key] = deque(starts)
            while queue:
                key = queue.popleft()
                for arc in self.arcs.get(key, ()):
                    if arc.cap is not None and _RANK[arc.cap] < rank:
                        continue
                    here = dist[key] + arc.weight
                    if here > self.max_depth or here >= dist.get(arc.target, here + 1):
                        continue
                    dist[arc.target] = here
                    parent[arc.target] = (key, arc)
                    if arc.weight == 0:
                        queue.appendleft(arc.target)
                    else:
                        queue.append(arc.target)
            for key, d in dist.items():
                if key not in found:
                    found[key] = _Reached(severity, d, _way(key, parent))
        return found


@dataclass(frozen=True, slots=True)
class _Reached:
    severity: Severity
    distance: int
    way: tuple[_Arc, ...]


def _way(key: _Key, parent: Mapping[_Key, tuple[_Key, _Arc]]) -> tuple[_Arc, ...]:
    arcs: list[_Arc] = []
    seen = {key}
    while key in parent:
        key, arc = parent[key]
        if key in seen:
            break
        seen.add(key)
        arcs.append(arc)
    return tuple(reversed(arcs))


def _feed_cap(edge: Edge) -> Severity:
    """A DIRECT column-lineage step keeps a way BREAKING; an INDIRECT-only one caps it."""
    if edge.props.get("type") == "DIRECT":
        return Severity.BREAKING
    for raw in edge.props.get("transformations") or ():
        if '"type":"DIRECT"' in str(raw):
            return Severity.BREAKING
    return Severity.LIKELY


def _min(a: Severity, b: Severity | None) -> Severity:
    return a if b is None or _RANK[a] <= _RANK[b] else b


# -- one change ---------------------------------------------------------------------------


def _impact_of(
    cache: _Cache, dataset: Node, change: Change, max_depth: int, budget: int
) -> tuple[ChangeImpact, bool]:
    if change.kind is ChangeKind.ADD_FIELD:
        return _added(cache, dataset, change), False
    whole = change.kind in _WHOLE
    if whole:
        starts: list[_Key] = [("D", dataset.id)] + [("F", f) for f in cache.fields(dataset.id)]
    else:
        assert change.field is not None
        path = change.field
        _, (namespace, name) = split_id(dataset.id)
        fields = {field_id(namespace, name, path)}
        fields |= {f for f in cache.fields(dataset.id) if _path_of(f).startswith(path + ".")}
        starts = [("F", f) for f in sorted(fields)]
    walk = _Walk(cache, whole, max_depth, budget)
    walk.collect(starts)
    reached = walk.classify(starts)
    origin = _origin(dataset, change)
    itself = {dataset.id} | cache.aliases(dataset.id)
    items: dict[str, ImpactItem] = {}

    def offer(nid: str, severity: Severity, distance: int, way: Sequence[_Arc]) -> None:
        node = cache.nodes.get(nid)
        if node is None or nid in itself or distance < 1:
            return
        old = items.get(nid)
        if old is not None and (_RANK[old.severity], -old.distance) >= (
            _RANK[severity],
            -distance,
        ):
            return
        chain = tuple(a.step for a in way if a.step is not None)
        reason = _reason(node, severity, distance, chain, change, origin, dataset, cache.nodes)
        items[nid] = ImpactItem(
            node, _category(node), severity, distance, reason, chain, _owners(node, cache.nodes)
        )

    # A job whose query names a dropped or renamed column fails, whatever it does with it:
    # a join key, a filter or a grouping as surely as a copied value.
    fails_on_use = change.kind in (ChangeKind.DROP_FIELD, ChangeKind.RENAME_FIELD)
    start_keys = set(starts)
    for key, seen in reached.items():
        last = seen.way[-1].step if seen.way else None
        kind, nid = key
        # A state reached through a symlink is the same data as the one before it.
        if last is None or last.kind != "ALIAS_OF":
            if kind in ("F", "D", "J"):
                offer(nid, seen.severity, seen.distance, seen.way)
            if kind == "F":
                offer(_dataset_of(nid), seen.severity, seen.distance, seen.way)
        for arc in walk.arcs.get(key, ()):
            # The job of a column-lineage step is hurt as surely as the column it writes.
            if arc.job and arc.target in reached and seen.distance + 1 <= max_depth:
                severity = _min(seen.severity, arc.cap)
                if fails_on_use and key in start_keys:
                    severity = Severity.BREAKING
                offer(arc.job, severity, seen.distance + 1, (*seen.way, arc))
    ordered = sorted(
        items.values(),
        key=lambda i: (i.distance, -_RANK[i.severity], _KIND_ORDER[i.node.kind], _label_of(i.node)),
    )
    note = None
    if change.kind is ChangeKind.CHANGE_TYPE and not change.old_type:
        note = "the current schema gives no type for this column, so the change cannot be checked"
    if not ordered:
        note = note or "nothing downstream reads it"
    return ChangeImpact(change, ordered, note), walk.truncated


_KIND_ORDER: Final = {NodeKind.JOB: 0, NodeKind.DATASET: 1, NodeKind.FIELD: 2}


def _added(cache: _Cache, dataset: Node, change: Change) -> ChangeImpact:
    if change.nullable:
        return ChangeImpact(change, [], "adding a nullable column breaks no reader")
    writers = cache.writers(dataset.id)
    cache.load_nodes(e.src for e in writers)
    items = []
    for e in writers:
        job = cache.nodes.get(e.src)
        if job is None:
            continue
        reason = (
            f"writes {_label_of(dataset)}: every row must now carry a value for the new "
            f"non-nullable column {change.field}, and a write that does not supply one fails"
        )
        step = Step("WRITES", e.src, dataset.id, e.src, e.props)
        items.append(
            ImpactItem(
                job,
                _category(job),
                Severity.LIKELY,
                0,
                reason,
                (step,),
                _owners(job, cache.nodes),
            )
        )
    items.sort(key=lambda i: _label_of(i.node))
    note = (
        "a non-nullable column added without a default must be supplied by every writer; "
        "readers are not affected"
    )
    return ChangeImpact(change, items, note)


# -- describing items ---------------------------------------------------------------------


def _label_of(node: Node) -> str:
    props = node.props
    if node.kind is NodeKind.FIELD:
        _, parts = split_id(node.id)
        return f"{parts[1]}.{parts[2]}" if len(parts) == 3 else str(props.get("path"))
    return str(props.get("name") or node.id)


def _label(nid: str | None, nodes: Mapping[str, Node]) -> str:
    if not nid:
        return "?"
    node = nodes.get(nid)
    if node is not None:
        return _label_of(node)
    _, parts = split_id(nid)
    return f"{parts[1]}.{parts[2]}" if len(parts) == 3 else parts[-1]


def _origin(dataset: Node, change: Change) -> str:
    if change.kind in _WHOLE:
        return _label_of(dataset)
    return f"{_label_of(dataset)}.{change.field}"


def _consequence(change: Change, origin: str) -> str:
    kind = change.kind
    if kind is ChangeKind.DROP_FIELD:
        return f"{origin} is dropped"
    if kind is ChangeKind.RENAME_FIELD:
        return f"{origin} is renamed to {change.new_name}"
    if kind is ChangeKind.CHANGE_TYPE:
        before = f" from {change.old_type}" if change.old_type else ""
        return f"{origin} changes type{before} to {change.new_type}"
    if kind is ChangeKind.DROP_DATASET:
        return f"{origin} is dropped"
    return f"{origin} is renamed" + (f" to {change.new_name}" if change.new_name else "")


def _how(step: Step) -> str:
    """``DIRECT/AGGREGATION``: the step's DIRECT transformation if it has one."""
    found: list[Mapping[str, Any]] = []
    for raw in step.props.get("transformations") or ():
        try:
            value = orjson.loads(raw) if isinstance(raw, str | bytes) else raw
        except orjson.JSONDecodeError:
            continue
        if isinstance(value, Mapping):
            found.append(value)
    found.sort(key=lambda t: t.get("type") != "DIRECT")
    best = found[0] if found else step.props
    if not best.get("type"):
        return "how unknown"
    kind = str(best.get("type"))
    subtype = best.get("subtype")
    return f"{kind}/{subtype}" if subtype else kind


def _reason(
    node: Node,
    severity: Severity,
    distance: int,
    chain: Sequence[Step],
    change: Change,
    origin: str,
    dataset: Node,
    nodes: Mapping[str, Node],
) -> str:
    consequence = _consequence(change, origin)
    feeds = [s for s in chain if s.kind == "FEEDS"]
    if change.kind in _WHOLE:
        if distance == 1 and node.kind is NodeKind.JOB:
            return f"reads {origin}, which is gone under that name: it fails ({consequence})"
        if distance == 1:
            writer = next((s.job for s in chain if s.job), None)
            return f"written by {_label(writer, nodes)}, which reads {origin} ({consequence})"
        if node.kind is NodeKind.JOB:
            read = chain[-1].source if chain else None
            if chain and chain[-1].kind == "FEEDS":
                read = _dataset_of(chain[-1].source)
            return f"reads {_label(read, nodes)}, which is no longer written once {consequence}"
        return f"downstream of {origin}: no longer written once {consequence}"
    if severity is Severity.POSSIBLE:
        blind = next((s for s in chain if s.kind == "READS"), None)
        if blind is None:
            return f"may depend on {origin}: uncertain"
        reader, read = _label(blind.target, nodes), _label(blind.source, nodes)
        gap = blind.props.get("column_usage_gap")
        if gap:
            why = (
                f"{reader} reads {read} and its column use is known only in part ({gap}), "
                f"so whether it uses {origin} is unknown"
            )
        else:
            why = (
                f"{reader} reads {read} but reported no column lineage for it (a SELECT *, "
                f"or a producer that does not send column lineage), so whether it uses "
                f"{origin} is unknown"
            )
        if node.kind is NodeKind.JOB and node.id == blind.target:
            return why
        return f"downstream of {reader}: {why}"
    last = feeds[-1] if feeds else None
    if last is None:
        return consequence
    subject = ""
    if node.kind is NodeKind.DATASET:
        subject = f"its column {_path_of(last.target)} "
    if severity is Severity.BREAKING:
        if node.kind is NodeKind.JOB:
            if len(feeds) == 1 and _feed_cap_of(last) is not Severity.BREAKING:
                return (
                    f"its query uses {origin} ({_how(last)}) for "
                    f"{_label(last.target, nodes)}: it fails once {consequence}"
                )
            if len(feeds) == 1:
                return (
                    f"reads {origin} directly ({_how(last)}) into "
                    f"{_label(last.target, nodes)}: {consequence}"
                )
            return (
                f"reads {_label(last.source, nodes)}, which takes its value directly from "
                f"{origin}: {consequence}"
            )
        if len(feeds) == 1:
            return (
                f"{subject}takes its value directly from {origin} ({_how(last)} in "
                f"{_label(last.job, nodes)}): {consequence}"
            )
        hops = " -> ".join(_how(s) for s in feeds)
        return (
            f"{subject}takes its value directly from {origin}, {len(feeds)} steps away "
            f"({hops}): {consequence}"
        )
    indirect = next((s for s in feeds if _feed_cap_of(s) is Severity.LIKELY), last)
    where = f" in {_label(indirect.job, nodes)}" if indirect.job else ""
    used = origin if indirect is feeds[0] else f"{_label(indirect.source, nodes)} (fed by {origin})"
    if node.kind is NodeKind.JOB and indirect is not last:
        return (
            f"reads {_label(last.source, nodes)}, which depends on {origin} indirectly "
            f"({_how(indirect)}{where}): its rows or values may change when {consequence}"
        )
    verb = "uses" if node.kind is NodeKind.JOB else f"{subject}depends on"
    return (
        f"{verb} {used} indirectly ({_how(indirect)}{where}: a join key, filter or grouping): "
        f"its rows or values may change when {consequence}"
    )


def _feed_cap_of(step: Step) -> Severity:
    return _feed_cap(Edge("", EdgeKind.FEEDS, step.source, step.target, step.props))


def _category(node: Node) -> Category:
    kind = str(node.props.get("type") or "").upper()
    if node.kind is NodeKind.FIELD:
        return Category.FIELD
    if node.kind is NodeKind.JOB:
        return Category.DEPLOYMENT if kind == "DEPLOYMENT" else Category.JOB
    if kind == "MODEL":
        return Category.MODEL
    if kind == "ENDPOINT":
        return Category.ENDPOINT
    return Category.DATASET


def _owners(node: Node, nodes: Mapping[str, Node]) -> tuple[Owner, ...]:
    """Its ownership facet's owners; a field's are its dataset's."""
    holder = node
    if node.kind is NodeKind.FIELD:
        holder = nodes.get(_dataset_of(node.id), node)
    found: dict[tuple[str, str | None], Owner] = {}
    for entry in holder.props.get("owners") or ():
        if isinstance(entry, Mapping) and entry.get("name"):
            kind = entry.get("type")
            owner = Owner(str(entry["name"]), str(kind) if kind is not None else None)
            found[(owner.name, owner.type)] = owner
    return tuple(found[k] for k in sorted(found, key=lambda k: (k[0], k[1] or "")))


def _worst(items: Iterable[ImpactItem]) -> dict[str, ImpactItem]:
    worst: dict[str, ImpactItem] = {}
    for item in items:
        old = worst.get(item.node.id)
        if old is None or _RANK[item.severity] > _RANK[old.severity]:
            worst[item.node.id] = item
    return worst


def _owners_to_notify(items: Iterable[ImpactItem]) -> list[Notify]:
    severity: dict[tuple[str, str | None], Severity] = {}
    owned: dict[tuple[str, str | None], list[str]] = {}
    for item in _worst(items).values():
        for owner in item.owners:
            key = (owner.name, owner.type)
            if key not in severity or _RANK[item.severity] > _RANK[severity[key]]:
                severity[key] = item.severity
            owned.setdefault(key, []).append(item.node.id)
    return sorted(
        (Notify(k[0], k[1], severity[k], tuple(sorted(owned[k]))) for k in severity),
        key=lambda n: (-_RANK[n.severity], n.name, n.type or ""),
    )
