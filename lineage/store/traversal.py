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

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final, Protocol

from lineage.graph.model import EdgeKind, NodeKind, dataset_id, field_id, split_id
from lineage.store.base import Direction, Edge, Node


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


@dataclass(frozen=True, slots=True)
class Hop:
    """A stored edge between the nodes its ends are shown as, the way data flows:
    ``source`` feeds ``target`` (a READ points from the version to the run)."""

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
        hops: dict[tuple[str, str, str, str], Hop] = {}
        truncated_at: set[str] = set()
        at = 0
        while at < depth and any(frontier.values()):
            found: list[tuple[Edge, Direction, str, str]] = []
            for way in ways:
                ids = sorted(m for c in frontier[way] for m in self.members[c])
                if ids:
                    found.extend((e, way, a, b) for e, a, b in self._step(ids, way))
            self._group({other for _, _, _, other in found if other not in self.canonical})
            candidates = sorted(
                {
                    self.canonical[other]
                    for _, _, _, other in found
                    if other in self.canonical and self.canonical[other] not in answer.nodes
                }
            )
            room = max(self.budget - len(answer.nodes), 0)
            for cid in candidates[:room]:
                answer.nodes[cid] = self.fetched[cid]
                answer.depths[cid] = at + 1
            if len(candidates) > room:
                answer.truncated = True
            nxt: dict[Direction, set[str]] = {way: set() for way in ways}
            for edge, way, here, other in found:
                if other not in self.canonical:
                    continue
                a, b = self.canonical[here], self.canonical[other]
                if b not in answer.nodes:
                    truncated_at.add(a)
                    continue
                if a != b:
                    hop = self._hop(edge)
                    job = edge.props.get("job") or edge.props.get("key") or ""
                    key = (edge.kind.value, hop.source, hop.target, str(job))
                    if key not in hops or edge.id < hops[key].edge.id:
                        hops[key] = hop
                if b not in visited[way]:
                    visited[way].add(b)
                    nxt[way].add(b)
            frontier = nxt
            at += 1
        answer.hops = sorted(
            hops.values(), key=lambda h: (h.source, h.target, h.edge.kind.value, h.edge.id)
        )
        answer.truncated_at = sorted(truncated_at)
        answer.canonical = {m: c for m, c in self.canonical.items() if c in answer.nodes}
        answer.aliases = {
            c: sorted(self.members[c] - {c}) for c in answer.nodes if len(self.members[c]) > 1
        }
        return answer

    # One hop ---------------------------------------------------------------------------

    def _step(self, ids: list[str], way: Direction) -> Iterable[tuple[Edge, str, str]]:
        """Edges one hop from ``ids`` in ``way``, each with its near and far end."""
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
                for e in graph.edges(runs, Direction.DOWNSTREAM, [from_runs], None):
                    yield e, e.src, e.dst
            if versions:
                self.check()
                for e in graph.edges(versions, Direction.UPSTREAM, [from_versions], None):
                    yield e, e.dst, e.src
            return
        kinds = _PROJECTION if self.level is Level.DATASET else (EdgeKind.FEEDS,)
        self.check()
        for e in graph.edges(ids, way, kinds, self.as_of):
            if not self.indirect and e.props.get("type") == "INDIRECT":
                continue
            yield (e, e.dst, e.src) if up else (e, e.src, e.dst)

    def _hop(self, edge: Edge) -> Hop:
        # A run READ a version: the data flowed from the version to the run.
        src, dst = (edge.dst, edge.src) if edge.kind is EdgeKind.READ else (edge.src, edge.dst)
        return Hop(edge, self.canonical[src], self.canonical[dst])

    # Identity: fetching nodes, merging aliases -------------------------------------------

    def _group(self, ids: set[str]) -> None:
        """Fetch ``ids`` and their aliases, and give each the id it is shown under."""
        ids = {i for i in ids if i not in self.canonical and i not in self.excluded}
        if not ids:
            return
        wanted = set(ids)
        if self.level is Level.DATASET:
            datasets = {i for i in ids if _kind(i) is NodeKind.DATASET}
            self._alias_closure(datasets)
            for d in datasets:
                wanted |= self._component(d)
        elif self.level is Level.COLUMN:
            owners = {i: field_dataset(i) for i in ids}
            self._alias_closure({d for d in owners.values() if d is not None})
            for fid, owner in owners.items():
                if owner is not None:
                    wanted |= alias_fields(fid, self._component(owner))
        wanted -= set(self.fetched)
        if wanted:
            self.check()
            self.fetched.update(self.graph.nodes(sorted(wanted)))
        for nid in sorted(ids):
            if nid in self.canonical:
                continue
            node = self.fetched.get(nid)
            if node is None or not self._keep(node):
                self.excluded.add(nid)
                continue
            if not self._aliased(nid):  # most nodes: shown as themselves
                self.members[nid] = {nid}
                self.canonical[nid] = nid
                continue
            group = self._group_of(nid)
            known = sorted({self.canonical[m] for m in group if m in self.canonical})
            shown = known[0] if known else self._pick(group)
            self.members.setdefault(shown, set()).update(group)
            for member in group:
                self.canonical[member] = shown

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
            return field_dataset(nid) in self.alias_of
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


def _kind(nid: str) -> NodeKind | None:
    try:
        return split_id(nid)[0]
    except ValueError:
        return None


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
