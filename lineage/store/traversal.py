"""One bounded traversal of the lineage graph, the same walk in every store.

A store answers :meth:`GraphStore.traverse` by running :func:`walk` over a
:class:`LightGraph`: its own view of the graph that reads only what the walk needs (ids,
kinds, validity, the few properties that decide whether a node existed at a time), never
facets, schemas or SQL. The embedded store reads its in-memory adjacency; Neo4j reads
inside one read transaction. The caller fetches the heavy properties of the nodes it
shows afterwards, in one ``get_nodes`` call.

The walk is breadth first, one hop of depth at a time, over the whole frontier at once:

- DATASET: datasets and jobs over ``INPUT_TO`` / ``PRODUCES`` valid at ``as_of``; datasets
  linked by ``ALIAS_OF`` (symlinks) are one node, walked from all of its members.
- COLUMN: fields over ``FEEDS`` valid at ``as_of`` (INDIRECT ones unless ``indirect`` is
  false); the fields with the same path in aliased datasets are one node.
- RUN: runs and dataset versions over ``READ`` / ``WROTE``; with ``as_of``, only runs
  started and versions created by then.

A merged node is shown under a start among its members, else the symlink target (the
table), else its least id. The node budget counts shown nodes: at each depth the new
nodes are taken in id order until the budget is spent, and the nodes whose neighbours
were then left out are reported (``truncated_at``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, Final, NamedTuple, Protocol, TypeVar

from lineage.graph.model import EdgeKind, NodeKind, dataset_id, field_id, split_id
from lineage.store.base import Direction, Edge, Node

T = TypeVar("T")


class Level(StrEnum):
    """What a traversal walks over."""

    DATASET = "DATASET"  # datasets and jobs, over the job-level projection
    COLUMN = "COLUMN"  # fields, over column lineage
    RUN = "RUN"  # runs and the exact dataset versions they read and wrote


#: Node properties a light node may carry: identity, validity and state, never facets,
#: schemas or SQL. Stores that keep every property in one blob read only these.
LIGHT_PROPS: Final = (
    "namespace",
    "name",
    "path",
    "dataset",
    "version",
    "job",
    "runId",
    "run",
    "state",
    "created_at",
    "completed_at",
    "started_at",
    "first_seen",
)

_PROJECTION: Final = (EdgeKind.INPUT_TO, EdgeKind.PRODUCES)
_FEEDS: Final = (EdgeKind.FEEDS,)


class Hop(NamedTuple):
    """A stored edge between the nodes its ends are shown as, the way data flows:
    ``source`` feeds ``target`` (a READ points from the version to the run).

    A named tuple: an answer holds one per edge, and a frozen dataclass costs several
    times as much to make."""

    edge: Edge
    source: str
    target: str


@dataclass(slots=True)
class Traversal:
    """The bounded subgraph a traversal found, with light nodes.

    ``nodes`` maps each shown id to a light node (identity, kind, validity, state; no
    facets, schemas or SQL); ``canonical`` maps every id met, merged aliases included, to
    the id it is shown under, and ``aliases`` lists the other members of each merged node.
    ``hops`` are sorted by (source, target, kind, id); of parallel stored edges of one kind
    and job between the same shown nodes, the one with the least id is kept. ``absent``
    lists the starts that did not exist at ``as_of`` (the rest is then empty).
    """

    level: Level
    direction: Direction
    depth: int
    as_of: float | None
    starts: list[str] = field(default_factory=list)
    nodes: dict[str, Node] = field(default_factory=dict)
    hops: list[Hop] = field(default_factory=list)
    depths: dict[str, int] = field(default_factory=dict)
    truncated: bool = False
    truncated_at: list[str] = field(default_factory=list)
    canonical: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, list[str]] = field(default_factory=dict)
    absent: list[str] = field(default_factory=list)


class LightGraph(Protocol):
    """What :func:`walk` reads; a store answers it without decoding heavy properties."""

    def nodes(self, ids: Sequence[str]) -> dict[str, Node]:
        """Light nodes (see :data:`LIGHT_PROPS`) among ``ids``; missing ids left out."""

    def edges(
        self,
        ids: Sequence[str],
        direction: Direction,
        kinds: Collection[EdgeKind],
        as_of: float | None,
    ) -> list[Edge]:
        """Edges of ``kinds`` one hop from ``ids``, as ``GraphStore.edges_of`` gives them
        (projection edges valid at ``as_of``, None: currently valid)."""


def walk(
    graph: LightGraph,
    starts: Sequence[str],
    level: Level,
    direction: Direction,
    depth: int,
    as_of: float | None = None,
    node_budget: int = 5_000,
    *,
    indirect: bool = True,
    check: Callable[[], None] | None = None,
) -> Traversal:
    """The traversal from ``starts`` (see the module's docstring). ``check`` is called
    before each read of the graph; what it raises ends the walk."""
    return _Walk(graph, Level(level), as_of, node_budget, check, indirect).run(
        starts, Direction(direction), depth
    )


def run_started(run: Node) -> float | None:
    """When a run started: its START event, else the first event seen of it."""
    value = run.props.get("started_at", run.props.get("first_seen"))
    return float(value) if value is not None else None


class _Walk:
    """One breadth-first walk; holds what it has seen, nothing outlives it."""

    def __init__(
        self,
        graph: LightGraph,
        level: Level,
        as_of: float | None,
        budget: int,
        check: Callable[[], None] | None,
        indirect: bool,
    ) -> None:
        self.graph = graph
        self.level = level
        self.as_of = as_of
        self.budget = budget
        self.check = check or (lambda: None)
        self.indirect = indirect
        self.starts: set[str] = set()
        self.canonical: dict[str, str] = {}
        #: Merged nodes' members, by the id each is shown under (a node shown as itself
        #: alone has none).
        self.members: dict[str, set[str]] = {}
        self.fetched: dict[str, Node] = {}
        self.excluded: set[str] = set()
        self.alias_checked: set[str] = set()
        self.alias_of: dict[str, set[str]] = {}
        self.alias_sources: set[str] = set()

    def run(self, starts: Sequence[str], direction: Direction, depth: int) -> Traversal:
        answer = Traversal(self.level, direction, depth, self.as_of)
        self.starts = set(starts)
        self._group(set(starts))
        absent = [sid for sid in starts if sid not in self.canonical]
        if absent:
            answer.absent = absent
            return answer
        for sid in starts:
            cid = self.canonical[sid]
            if cid not in answer.nodes:
                answer.starts.append(cid)
                answer.nodes[cid] = self.fetched[cid]
                answer.depths[cid] = 0
        ways = (
            [Direction.UPSTREAM, Direction.DOWNSTREAM]
            if direction is Direction.BOTH
            else [direction]
        )
        frontier = {way: set(answer.starts) for way in ways}
        visited = {way: set(answer.starts) for way in ways}
        canonical, members, shown = self.canonical, self.members, answer.nodes
        fetched, depths = self.fetched, answer.depths
        # (kind, source, target, job) -> the hop kept, as (source, target, kind, edge id,
        # edge): the order answers list hops in, compared without a key function.
        hops: dict[tuple[str, str, str, str], tuple[str, str, str, str, Edge]] = {}
        truncated_at: set[str] = set()
        read = EdgeKind.READ
        at = 0
        while at < depth and any(frontier.values()):
            # Per way, the edges one hop on: (way, edges, whether each leads from its dst).
            found: list[tuple[Direction, list[Edge], bool]] = []
            for way in ways:
                if frontier[way]:
                    ids = self._members(frontier[way])
                    self._step(ids, way, found)
            met: set[str] = set()
            for _, edges, backward in found:
                met.update([e.src for e in edges] if backward else [e.dst for e in edges])
            self._group(met)
            candidates = sorted(
                {as_shown for m in met if (as_shown := canonical.get(m)) is not None}.difference(
                    shown
                )
            )
            room = max(self.budget - len(shown), 0)
            for cid in candidates[:room]:
                shown[cid] = fetched[cid]
                depths[cid] = at + 1
            if len(candidates) > room:
                answer.truncated = True
            nxt: dict[Direction, set[str]] = {way: set() for way in ways}
            for way, edges, backward in found:
                seen, ahead = visited[way], nxt[way]
                for edge in edges:
                    if backward:
                        here, other = edge.dst, edge.src
                    else:
                        here, other = edge.src, edge.dst
                    b = canonical.get(other)
                    if b is None:
                        continue
                    a = canonical[here]
                    if b not in shown:
                        truncated_at.add(a)
                        continue
                    if a != b:
                        # The way data flows: a run READ a version, the version fed the
                        # run; every other edge's source feeds its target.
                        kind = edge.kind
                        if backward is (kind is not read):
                            source, target = b, a
                        else:
                            source, target = a, b
                        props = edge.props
                        job = props.get("job") or props.get("key") or ""
                        key = (kind, source, target, job if job.__class__ is str else str(job))
                        kept = hops.get(key)
                        if kept is None or edge.id < kept[3]:
                            hops[key] = (source, target, kind, edge.id, edge)
                    if b not in seen:
                        seen.add(b)
                        ahead.add(b)
            frontier = nxt
            at += 1
        # Edge ids are unique: sorting never compares two edges.
        answer.hops = [_new_tuple(Hop, (e, s, t)) for s, t, _, _, e in sorted(hops.values())]
        answer.truncated_at = sorted(truncated_at)
        answer.canonical = {m: c for m, c in self.canonical.items() if c in answer.nodes}
        if members:
            answer.aliases = {
                c: sorted(group - {c})
                for c in answer.nodes
                if (group := members.get(c)) is not None and len(group) > 1
            }
        return answer

    def _members(self, shown: set[str]) -> list[str]:
        """Every id the nodes ``shown`` stand for, sorted."""
        members = self.members
        if not members:
            return sorted(shown)
        ids: list[str] = []
        for c in shown:
            group = members.get(c)
            if group is None:
                ids.append(c)
            else:
                ids.extend(group)
        ids.sort()
        return ids

    # One hop ---------------------------------------------------------------------------

    def _step(
        self, ids: list[str], way: Direction, found: list[tuple[Direction, list[Edge], bool]]
    ) -> None:
        """Adds the edges one hop from ``ids`` in ``way`` to ``found``: the way, the edges,
        and whether they lead from their ``dst`` to their ``src``."""
        graph, up = self.graph, way is Direction.UPSTREAM
        if self.level is Level.RUN:
            runs = [i for i in ids if self.fetched[i].kind is NodeKind.RUN]
            versions = [i for i in ids if self.fetched[i].kind is NodeKind.DATASET_VERSION]
            # Upstream a run's inputs were written by earlier runs; downstream its outputs
            # were read by later ones.
            from_runs = EdgeKind.READ if up else EdgeKind.WROTE
            from_versions = EdgeKind.WROTE if up else EdgeKind.READ
            if runs:
                self.check()
                edges = graph.edges(runs, Direction.DOWNSTREAM, [from_runs], None)
                found.append((way, edges, False))
            if versions:
                self.check()
                edges = graph.edges(versions, Direction.UPSTREAM, [from_versions], None)
                found.append((way, edges, True))
            return
        kinds = _PROJECTION if self.level is Level.DATASET else _FEEDS
        self.check()
        edges = graph.edges(ids, way, kinds, self.as_of)
        if not self.indirect:
            edges = [e for e in edges if e.props.get("type") != "INDIRECT"]
        found.append((way, edges, up))

    # Identity: fetching nodes, merging aliases -------------------------------------------

    def _group(self, ids: set[str]) -> None:
        """Fetch ``ids`` and their aliases, and give each the id it is shown under."""
        canonical, excluded, fetched = self.canonical, self.excluded, self.fetched
        # set.difference(dict) looks each of ``ids`` up; ``set - dict.keys()`` would walk
        # the whole dict.
        ids = ids.difference(canonical).difference(excluded)
        if not ids:
            return
        wanted = set(ids)
        if self.level is Level.DATASET:
            # A dataset's id, as ``split_id`` reads it, without its cost.
            datasets = {i for i in ids if i.startswith(_DATASET_PREFIX) or i == _DATASET}
            self._alias_closure(datasets)
            alias_of = self.alias_of
            for d in datasets:
                if d in alias_of:  # else its component is itself
                    wanted |= self._component(d)
        elif self.level is Level.COLUMN:
            owners = {i: _field_owner(i) for i in ids}
            self._alias_closure({d for d in owners.values() if d is not None})
            alias_of = self.alias_of
            for fid, owner in owners.items():
                if owner in alias_of:  # else the field is its only alias
                    wanted |= alias_fields(fid, self._component(owner))
        missing = wanted.difference(fetched)
        if missing:
            self.check()
            fetched.update(self.graph.nodes(sorted(missing)))
        keep_all = self.level is not Level.RUN or self.as_of is None
        may_alias = bool(self.alias_of) and self.level is not Level.RUN
        if keep_all and not may_alias:  # most walks: every node is shown as itself
            kept = sorted(ids & fetched.keys())
            canonical.update(zip(kept, kept, strict=True))
            excluded.update(ids.difference(kept))
            return
        members = self.members
        for nid in sorted(ids):
            if nid in canonical:
                continue
            node = fetched.get(nid)
            if node is None or not (keep_all or self._keep(node)):
                excluded.add(nid)
                continue
            if not (may_alias and self._aliased(nid)):  # most nodes: shown as themselves
                canonical[nid] = nid
                continue
            group = self._group_of(nid)
            known = sorted({canonical[m] for m in group if m in canonical})
            shown = known[0] if known else self._pick(group)
            # A node shown as itself has no entry: it is its only member.
            members.setdefault(shown, {shown}).update(group)
            for member in group:
                canonical[member] = shown

    def _keep(self, node: Node) -> bool:
        if self.level is not Level.RUN or self.as_of is None:
            return True
        if node.kind is NodeKind.RUN:
            started = run_started(node)
            return started is None or started <= self.as_of
        created = node.props.get("created_at")
        return created is None or created <= self.as_of

    def _aliased(self, nid: str) -> bool:
        """Whether ``nid`` may be merged with others (its dataset has aliases)."""
        if self.level is Level.DATASET:
            return nid in self.alias_of
        if self.level is Level.COLUMN:
            return _field_owner(nid) in self.alias_of
        return False

    def _group_of(self, nid: str) -> set[str]:
        if self.level is Level.DATASET and nid in self.alias_of:
            return {m for m in self._component(nid) if m in self.fetched}
        if self.level is Level.COLUMN:
            owner = field_dataset(nid)
            if owner is not None:
                return {f for f in alias_fields(nid, self._component(owner)) if f in self.fetched}
        return {nid}

    def _pick(self, group: set[str]) -> str:
        """A start shows its group; else the symlink target (the table), else the least id."""
        starts = sorted(group & self.starts)
        if starts:
            return starts[0]

        def is_target(nid: str) -> bool:
            owner = nid if self.level is Level.DATASET else field_dataset(nid)
            return owner not in self.alias_sources

        targets = sorted(m for m in group if is_target(m))
        return targets[0] if targets else min(group)

    def _alias_closure(self, datasets: set[str]) -> None:
        """Follow ALIAS_OF both ways from ``datasets`` until no new alias turns up."""
        pending = datasets - self.alias_checked
        while pending:
            self.check()
            self.alias_checked |= pending
            for e in self.graph.edges(sorted(pending), Direction.BOTH, [EdgeKind.ALIAS_OF], None):
                self.alias_of.setdefault(e.src, set()).add(e.dst)
                self.alias_of.setdefault(e.dst, set()).add(e.src)
                self.alias_sources.add(e.src)
            pending = {a for d in pending for a in self.alias_of.get(d, ())} - self.alias_checked

    def _component(self, dataset: str) -> set[str]:
        seen = {dataset}
        stack = [dataset]
        while stack:
            for other in self.alias_of.get(stack.pop(), ()):
                if other not in seen:
                    seen.add(other)
                    stack.append(other)
        return seen


_SEP: Final = "\x1f"
_DATASET: Final = NodeKind.DATASET.value
_DATASET_PREFIX: Final = _DATASET + _SEP
_FIELD: Final = NodeKind.FIELD.value


def _field_owner(fid: str) -> str | None:
    """:func:`field_dataset`, without building the kind: this runs for every field met."""
    parts = fid.split(_SEP)
    if len(parts) != 4 or parts[0] != _FIELD:
        return None
    return _SEP.join((_DATASET, parts[1], parts[2]))


def field_dataset(fid: str) -> str | None:
    """The id of the dataset a field id belongs to (None for any other id)."""
    kind, parts = split_id(fid)
    if kind is not NodeKind.FIELD or len(parts) != 3:
        return None
    return dataset_id(parts[0], parts[1])


def alias_fields(fid: str, datasets: Iterable[str]) -> set[str]:
    """The field with ``fid``'s path in each of ``datasets`` (``fid`` included)."""
    _, (_, _, path) = split_id(fid)
    found = {fid}
    for d in datasets:
        _, (namespace, name) = split_id(d)
        found.add(field_id(namespace, name, path))
    return found


# Making answers ----------------------------------------------------------------------------
# A walk makes a node for every id it meets and an edge for every hop it takes; the
# dataclasses' frozen __init__ costs about three times a plain one. These make the same
# frozen objects by setting their slots directly.

_new = object.__new__
#: ``Hop(edge, source, target)`` without its Python-level ``__new__``.
_new_tuple: Final = tuple.__new__
_NODE_SLOTS: Final = tuple(Node.__dict__[n].__set__ for n in ("id", "kind", "props"))
_EDGE_SLOTS: Final = tuple(Edge.__dict__[n].__set__ for n in ("id", "kind", "src", "dst", "props"))


def make_node(nid: str, kind: NodeKind, props: Mapping[str, Any]) -> Node:
    """``Node(nid, kind, props)``, made faster."""
    node = _new(Node)
    set_id, set_kind, set_props = _NODE_SLOTS
    set_id(node, nid)
    set_kind(node, kind)
    set_props(node, props)
    return node


def make_edge(eid: str, kind: EdgeKind, src: str, dst: str, props: Mapping[str, Any]) -> Edge:
    """``Edge(eid, kind, src, dst, props)``, made faster."""
    edge = _new(Edge)
    set_id, set_kind, set_src, set_dst, set_props = _EDGE_SLOTS
    set_id(edge, eid)
    set_kind(edge, kind)
    set_src(edge, src)
    set_dst(edge, dst)
    set_props(edge, props)
    return edge


def frozen_maker(cls: type[T]) -> Callable[..., T]:
    """A function making ``cls`` (a frozen dataclass with slots) from all of its fields'
    values, positionally, by setting its slots directly."""
    setters = tuple(cls.__dict__[f.name].__set__ for f in fields(cls))  # type: ignore[arg-type]
    if len(setters) == 6:  # unrolled: answers make one per hop
        s1, s2, s3, s4, s5, s6 = setters

        def make6(v1: Any, v2: Any, v3: Any, v4: Any, v5: Any, v6: Any) -> T:
            made = _new(cls)
            s1(made, v1)
            s2(made, v2)
            s3(made, v3)
            s4(made, v4)
            s5(made, v5)
            s6(made, v6)
            return made

        return make6
    count = len(setters)

    def make(*values: Any) -> T:
        if len(values) != count:
            raise TypeError(f"{cls.__name__} takes {count} values, got {len(values)}")
        made = _new(cls)
        for setter, value in zip(setters, values, strict=True):
            setter(made, value)
        return made

    return make
