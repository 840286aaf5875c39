"""Lineage around a node at dataset, column or run granularity, as of any time; and paths.

Answers are built breadth first, one hop of depth at a time, with a few store calls per
hop whatever the number of nodes on it (``edges_of`` and ``get_nodes`` over the whole
frontier), so a question costs O(depth) store calls. Every edge of an answer points the
way data flows: its ``source`` feeds its ``target``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from itertools import islice, pairwise
from typing import Any, Final

import networkx as nx

from lineage.analysis.errors import InvalidArgument, NotFound, check_deadline
from lineage.analysis.refs import NodeRef, describe, resolve
from lineage.analysis.versions import versions_at
from lineage.graph.model import EdgeKind, NodeKind, dataset_id, field_id, split_id
from lineage.store.base import Direction, Edge, GraphStore, Node


class Granularity(StrEnum):
    DATASET = "DATASET"  # datasets and jobs, over the job-level projection
    COLUMN = "COLUMN"  # fields, over column lineage
    RUN = "RUN"  # runs and the exact dataset versions they read and wrote


#: The kind of an edge that stands for a path through nodes a ``kinds`` filter hid.
FLOWS_TO: Final = "FLOWS_TO"
MAX_DEPTH: Final = 50
DEFAULT_DEPTH: Final = 10
DEFAULT_NODE_BUDGET: Final = 5_000

_PROJECTION: Final = (EdgeKind.INPUT_TO, EdgeKind.PRODUCES)


@dataclass(frozen=True, slots=True)
class LineageEdge:
    """One hop of lineage, pointing the way data flows: ``source`` feeds ``target``.

    ``kind`` is the stored edge's kind (a READ hop points from the version to the run
    that read it), or :data:`FLOWS_TO` for a hop through nodes hidden by a ``kinds``
    filter, which ``via`` lists. ``props`` are the stored edge's properties: validity
    (``since``, ``until``), and for FEEDS ``type``, ``subtype``, ``scope``, ``job``,
    ``transformations``.
    """

    id: str
    kind: str
    source: str
    target: str
    props: Mapping[str, Any] = field(default_factory=dict)
    via: tuple[str, ...] = ()


@dataclass(slots=True)
class LineageGraph:
    """The answer to a lineage question.

    ``nodes`` maps each node's id to it; aliases (datasets linked by symlinks, and their
    fields) are merged into one node, whose other ids ``aliases`` lists. ``canonical``
    maps every id seen, merged ones included, to the id it is shown under. ``truncated``
    is true when the node budget left out nodes within the depth asked for; then
    ``truncated_at`` lists the nodes whose neighbours were not all included. ``hidden``
    holds the nodes a ``kinds`` filter left out but walked through.
    """

    granularity: Granularity
    direction: Direction
    depth: int
    as_of: float | None
    starts: list[str] = field(default_factory=list)
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[LineageEdge] = field(default_factory=list)
    truncated: bool = False
    truncated_at: list[str] = field(default_factory=list)
    depths: dict[str, int] = field(default_factory=dict)
    aliases: dict[str, list[str]] = field(default_factory=dict)
    canonical: dict[str, str] = field(default_factory=dict)
    hidden: dict[str, Node] = field(default_factory=dict)

    def to_networkx(self) -> Any:
        """A ``networkx.MultiDiGraph``: node attributes ``kind``, ``props``, ``depth``;
        edges keyed by id with ``kind``, ``props`` and ``via``."""
        graph = nx.MultiDiGraph()
        for nid, node in self.nodes.items():
            graph.add_node(nid, kind=node.kind, props=node.props, depth=self.depths.get(nid))
        for edge in self.edges:
            graph.add_edge(
                edge.source,
                edge.target,
                key=edge.id,
                kind=edge.kind,
                props=edge.props,
                via=edge.via,
            )
        return graph


@dataclass(frozen=True, slots=True)
class LineagePath:
    """A path along the data flow: ``nodes[i]`` feeds ``nodes[i + 1]`` over ``edges[i]``."""

    nodes: tuple[str, ...]
    edges: tuple[LineageEdge, ...]


@dataclass(slots=True)
class Paths:
    """Up to ``limit`` shortest paths, shortest first; ``nodes`` holds every node on them.

    ``truncated`` is true when a node budget ran out while looking, so shorter or more
    paths may exist."""

    paths: list[LineagePath]
    nodes: dict[str, Node]
    truncated: bool


def lineage(
    store: GraphStore,
    start: NodeRef | str,
    direction: Direction = Direction.UPSTREAM,
    depth: int = DEFAULT_DEPTH,
    as_of: float | None = None,
    granularity: Granularity = Granularity.DATASET,
    kinds: Collection[NodeKind] | None = None,
    node_budget: int = DEFAULT_NODE_BUDGET,
    *,
    dataset_types: Collection[str] | None = None,
    indirect: bool = True,
    deadline: float | None = None,
) -> LineageGraph:
    """The lineage of ``start``: what feeds it (UPSTREAM), what it feeds (DOWNSTREAM), or
    both (the union of the two; siblings are not followed).

    Parameters
    ----------
    store : the graph.
    start : a :class:`NodeRef` or an internal node id. At DATASET granularity a dataset or
        job (a field, version or run starts from its dataset or job); at COLUMN a field,
        or a dataset for all of its fields; at RUN a run, a dataset version, a dataset
        (its version current at ``as_of``) or a job (its latest run by ``as_of``).
    depth : hops to follow, 0 to :data:`MAX_DEPTH`. A hop is one edge: dataset -> job is
        one, dataset -> job -> dataset two.
    as_of : epoch seconds. Only job-level and column edges valid then are followed, and
        at RUN granularity only runs started and versions created by then. None: now.
    granularity : DATASET (datasets and jobs over INPUT_TO / PRODUCES, symlinked datasets
        merged into one node), COLUMN (fields over FEEDS, dataset-wide INDIRECT
        dependencies included unless ``indirect`` is false; fields of symlinked datasets
        merged) or RUN (runs and the exact versions they read and wrote).
    kinds : node kinds to show; others are walked through and the hops across them
        become :data:`FLOWS_TO` edges (``kinds={DATASET}`` gives dataset -> dataset).
    dataset_types : dataset types (TABLE, MODEL, ...) to show, the same way.
    node_budget : most nodes in the answer (starts always included). When nodes within
        ``depth`` are left out the answer says so: ``truncated`` and ``truncated_at``.
    deadline : a ``time.monotonic()`` value after which :class:`Timeout` is raised.

    Returns
    -------
    LineageGraph

    Raises
    ------
    NotFound : ``start`` is not in the graph.
    InvalidArgument : depth or budget out of range, or a start that does not fit the
        granularity (a job at COLUMN granularity).

    Examples
    --------
    >>> g = lineage(store, NodeRef(namespace="pg://db", name="mart.orders"), depth=2)
    ... # doctest: +SKIP
    >>> sorted(n.props["name"] for n in g.nodes.values())  # doctest: +SKIP
    ['build_orders', 'mart.orders', 'raw.orders']
    """
    _check_range(depth, node_budget)
    node = resolve(store, start)
    starts = _starts_for(store, node, granularity, as_of)
    walk = _Walk(store, granularity, as_of, node_budget, deadline, indirect)
    walk.fetched[node.id] = node
    graph = walk.run(starts, direction, depth)
    if kinds is not None or dataset_types is not None:
        _contract(graph, _visibility(kinds, dataset_types))
    return graph


def paths(
    store: GraphStore,
    source: NodeRef | str,
    target: NodeRef | str,
    max_depth: int = DEFAULT_DEPTH,
    limit: int = 10,
    *,
    granularity: Granularity = Granularity.DATASET,
    as_of: float | None = None,
    node_budget: int = DEFAULT_NODE_BUDGET,
    deadline: float | None = None,
) -> Paths:
    """Up to ``limit`` shortest distinct paths along the data flow from ``source`` to
    ``target``, each at most ``max_depth`` hops, shortest first.

    Walks downstream from ``source`` and upstream from ``target`` half the depth each,
    then finds the k shortest simple paths (networkx) in what the two walks met.
    Paths are distinct by their sequence of nodes. Both ends must fit the granularity
    as one node: datasets or jobs at DATASET, fields at COLUMN, runs or versions at RUN.
    Swap the ends for paths the other way.

    Raises :class:`NotFound` and :class:`InvalidArgument` as :func:`lineage` does.

    >>> found = paths(store, raw_orders, revenue_model, max_depth=6)  # doctest: +SKIP
    >>> [len(p.edges) for p in found.paths]  # doctest: +SKIP
    [4, 6]
    """
    _check_range(max_depth, node_budget)
    if limit < 1:
        raise InvalidArgument("limit must be at least 1")
    ends = []
    for ref in (source, target):
        node = resolve(store, ref)
        starts = _starts_for(store, node, granularity, as_of)
        if len(starts) != 1:
            raise InvalidArgument(
                f"at {granularity.value} granularity a path starts and ends at one node, "
                f"and {describe(node.id)} stands for {len(starts)}; name one of them"
            )
        ends.append(starts[0])
    down_depth = (max_depth + 1) // 2
    down = _Walk(store, granularity, as_of, node_budget, deadline, True).run(
        [ends[0]], Direction.DOWNSTREAM, down_depth
    )
    up = _Walk(store, granularity, as_of, node_budget, deadline, True).run(
        [ends[1]], Direction.UPSTREAM, max_depth - down_depth
    )

    def shown(up_id: str) -> str:
        for member in (up_id, *up.aliases.get(up_id, ())):
            if member in down.canonical:
                return down.canonical[member]
        return up_id

    nodes = dict(down.nodes)
    for nid, node in up.nodes.items():
        nodes.setdefault(shown(nid), node)
    hops: dict[tuple[str, str], LineageEdge] = {}
    for edge in down.edges:
        _keep_first(hops, edge)
    for edge in up.edges:
        moved = LineageEdge(
            edge.id, edge.kind, shown(edge.source), shown(edge.target), edge.props, edge.via
        )
        _keep_first(hops, moved)
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from(hops)
    first, last = down.canonical[ends[0]], shown(up.canonical[ends[1]])
    found: list[LineagePath] = []
    if first == last:
        found.append(LineagePath((first,), ()))
    else:
        try:
            for hop_ids in islice(nx.shortest_simple_paths(graph, first, last), limit):
                check_deadline(deadline)
                if len(hop_ids) - 1 > max_depth:
                    break
                edges = tuple(hops[(a, b)] for a, b in pairwise(hop_ids))
                found.append(LineagePath(tuple(hop_ids), edges))
        except nx.NetworkXNoPath:
            pass
    on_paths = {nid for p in found for nid in p.nodes}
    return Paths(
        paths=found,
        nodes={nid: nodes[nid] for nid in sorted(on_paths)},
        truncated=down.truncated or up.truncated,
    )


# -- internals ------------------------------------------------------------------------


def _check_range(depth: int, node_budget: int) -> None:
    if not 0 <= depth <= MAX_DEPTH:
        raise InvalidArgument(f"depth must be between 0 and {MAX_DEPTH} (got {depth})")
    if node_budget < 1:
        raise InvalidArgument(f"the node budget must be at least 1 (got {node_budget})")


def _keep_first(hops: dict[tuple[str, str], LineageEdge], edge: LineageEdge) -> None:
    key = (edge.source, edge.target)
    if key not in hops or edge.id < hops[key].id:
        hops[key] = edge


def _starts_for(
    store: GraphStore, node: Node, granularity: Granularity, as_of: float | None
) -> list[str]:
    """The node ids a walk at ``granularity`` starts from, for a start node of any kind."""
    kind = node.kind
    if granularity is Granularity.DATASET:
        if kind in (NodeKind.DATASET, NodeKind.JOB):
            return [node.id]
        if kind in (NodeKind.FIELD, NodeKind.DATASET_VERSION) and node.props.get("dataset"):
            return [str(node.props["dataset"])]
        if kind is NodeKind.RUN and node.props.get("job"):
            return [str(node.props["job"])]
    elif granularity is Granularity.COLUMN:
        if kind is NodeKind.FIELD:
            return [node.id]
        if kind is NodeKind.DATASET:
            edges = store.edges_of([node.id], Direction.DOWNSTREAM, [EdgeKind.HAS_FIELD])
            if not edges:
                raise InvalidArgument(
                    f"{describe(node.id)} has no known fields; ask at DATASET granularity"
                )
            return sorted(e.dst for e in edges)
    else:
        if kind in (NodeKind.RUN, NodeKind.DATASET_VERSION):
            return [node.id]
        if kind is NodeKind.DATASET:
            version = versions_at(store, [node.id], as_of)[node.id]
            if version is None:
                raise NotFound(f"{describe(node.id)} had no version {_when(as_of)}")
            return [version.id]
        if kind is NodeKind.JOB:
            run = latest_run(store, node.id, as_of)
            if run is None:
                raise NotFound(f"{describe(node.id)} had no run {_when(as_of)}")
            return [run.id]
    raise InvalidArgument(
        f"{describe(node.id)} cannot start lineage at {granularity.value} granularity"
    )


def _when(as_of: float | None) -> str:
    if as_of is None:
        return "yet"
    return f"at {datetime.fromtimestamp(as_of, UTC).isoformat()}"


def run_started(run: Node) -> float | None:
    """When a run started: its START event, else the first event seen of it."""
    value = run.props.get("started_at", run.props.get("first_seen"))
    return float(value) if value is not None else None


def runs_of(store: GraphStore, job: str) -> list[Node]:
    """Every run of a job, latest first (two store calls)."""
    edges = store.edges_of([job], Direction.UPSTREAM, [EdgeKind.RUN_OF])
    runs = list(store.get_nodes(sorted({e.src for e in edges})).values())
    runs.sort(key=lambda r: (run_started(r) or 0.0, r.id), reverse=True)
    return runs


def latest_run(store: GraphStore, job: str, as_of: float | None = None) -> Node | None:
    """The job's latest run started by ``as_of`` (None: its latest run)."""
    for run in runs_of(store, job):
        started = run_started(run)
        if as_of is None or (started is not None and started <= as_of):
            return run
    return None


class _Walk:
    """One breadth-first walk; holds what it has seen, nothing outlives it."""

    def __init__(
        self,
        store: GraphStore,
        granularity: Granularity,
        as_of: float | None,
        budget: int,
        deadline: float | None,
        indirect: bool,
    ) -> None:
        self.store = store
        self.granularity = granularity
        self.as_of = as_of
        self.budget = budget
        self.deadline = deadline
        self.indirect = indirect
        self.starts: set[str] = set()
        self.canonical: dict[str, str] = {}
        self.members: dict[str, set[str]] = {}
        self.fetched: dict[str, Node] = {}
        self.excluded: set[str] = set()
        self.alias_checked: set[str] = set()
        self.alias_of: dict[str, set[str]] = {}
        self.alias_sources: set[str] = set()

    def run(self, starts: Sequence[str], direction: Direction, depth: int) -> LineageGraph:
        graph = LineageGraph(self.granularity, direction, depth, self.as_of)
        self.starts = set(starts)
        self._group(set(starts))
        for sid in starts:
            cid = self.canonical.get(sid)
            if cid is None:  # excluded by as_of
                raise NotFound(f"{describe(sid)} did not exist {_when(self.as_of)}")
            if cid not in graph.nodes:
                graph.starts.append(cid)
                graph.nodes[cid] = self.fetched[cid]
                graph.depths[cid] = 0
        ways = (
            [Direction.UPSTREAM, Direction.DOWNSTREAM]
            if direction is Direction.BOTH
            else [direction]
        )
        frontier = {way: set(graph.starts) for way in ways}
        visited = {way: set(graph.starts) for way in ways}
        edges: dict[tuple[str, str, str, str], LineageEdge] = {}
        truncated_at: set[str] = set()
        level = 0
        while level < depth and any(frontier.values()):
            check_deadline(self.deadline)
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
                    if other in self.canonical and self.canonical[other] not in graph.nodes
                }
            )
            room = max(self.budget - len(graph.nodes), 0)
            for cid in candidates[:room]:
                graph.nodes[cid] = self.fetched[cid]
                graph.depths[cid] = level + 1
            if len(candidates) > room:
                graph.truncated = True
            nxt: dict[Direction, set[str]] = {way: set() for way in ways}
            for edge, way, here, other in found:
                if other not in self.canonical:
                    continue
                a, b = self.canonical[here], self.canonical[other]
                if b not in graph.nodes:
                    truncated_at.add(a)
                    continue
                if a != b:
                    hop = self._hop(edge)
                    job = edge.props.get("job") or edge.props.get("key") or ""
                    key = (hop.kind, hop.source, hop.target, str(job))
                    if key not in edges or hop.id < edges[key].id:
                        edges[key] = hop
                if b not in visited[way]:
                    visited[way].add(b)
                    nxt[way].add(b)
            frontier = nxt
            level += 1
        graph.edges = sorted(edges.values(), key=lambda e: (e.source, e.target, e.kind, e.id))
        graph.truncated_at = sorted(truncated_at)
        graph.canonical = {m: c for m, c in self.canonical.items() if c in graph.nodes}
        graph.aliases = {
            c: sorted(self.members[c] - {c}) for c in graph.nodes if len(self.members[c]) > 1
        }
        return graph

    # One hop ---------------------------------------------------------------------------

    def _step(self, ids: list[str], way: Direction) -> Iterable[tuple[Edge, str, str]]:
        """Edges one hop from ``ids`` in ``way``, each with its near and far end."""
        store, up = self.store, way is Direction.UPSTREAM
        if self.granularity is Granularity.RUN:
            runs = [i for i in ids if self.fetched[i].kind is NodeKind.RUN]
            versions = [i for i in ids if self.fetched[i].kind is NodeKind.DATASET_VERSION]
            # Upstream a run's inputs were written by earlier runs; downstream its outputs
            # were read by later ones.
            from_runs = EdgeKind.READ if up else EdgeKind.WROTE
            from_versions = EdgeKind.WROTE if up else EdgeKind.READ
            if runs:
                for e in store.edges_of(runs, Direction.DOWNSTREAM, [from_runs]):
                    yield e, e.src, e.dst
            if versions:
                for e in store.edges_of(versions, Direction.UPSTREAM, [from_versions]):
                    yield e, e.dst, e.src
            return
        kinds = _PROJECTION if self.granularity is Granularity.DATASET else (EdgeKind.FEEDS,)
        for e in store.edges_of(ids, way, kinds, as_of=self.as_of):
            if not self.indirect and e.props.get("type") == "INDIRECT":
                continue
            yield (e, e.dst, e.src) if up else (e, e.src, e.dst)

    def _hop(self, edge: Edge) -> LineageEdge:
        """``edge`` between the nodes its ends are shown as, pointing the way data flows."""
        # A run READ a version: the data flowed from the version to the run.
        src, dst = (edge.dst, edge.src) if edge.kind is EdgeKind.READ else (edge.src, edge.dst)
        return LineageEdge(
            edge.id, edge.kind.value, self.canonical[src], self.canonical[dst], edge.props
        )

    # Identity: fetching nodes, merging aliases -------------------------------------------

    def _group(self, ids: set[str]) -> None:
        """Fetch ``ids`` and their aliases, and give each the id it is shown under."""
        ids = {i for i in ids if i not in self.canonical and i not in self.excluded}
        if not ids:
            return
        wanted = set(ids)
        if self.granularity is Granularity.DATASET:
            datasets = {i for i in ids if split_id(i)[0] is NodeKind.DATASET}
            self._alias_closure(datasets)
            for d in datasets:
                wanted |= self._component(d)
        elif self.granularity is Granularity.COLUMN:
            owners = {i: _field_dataset(i) for i in ids}
            self._alias_closure({d for d in owners.values() if d is not None})
            for fid, owner in owners.items():
                if owner is not None:
                    wanted |= _alias_fields(fid, self._component(owner))
        wanted -= set(self.fetched)
        if wanted:
            check_deadline(self.deadline)
            self.fetched.update(self.store.get_nodes(sorted(wanted)))
        for nid in sorted(ids):
            if nid in self.canonical:
                continue
            node = self.fetched.get(nid)
            if node is None or not self._keep(node):
                self.excluded.add(nid)
                continue
            group = self._group_of(nid)
            known = sorted({self.canonical[m] for m in group if m in self.canonical})
            shown = known[0] if known else self._pick(group)
            self.members.setdefault(shown, set()).update(group)
            for member in group:
                self.canonical[member] = shown

    def _keep(self, node: Node) -> bool:
        if self.granularity is not Granularity.RUN or self.as_of is None:
            return True
        if node.kind is NodeKind.RUN:
            started = run_started(node)
            return started is None or started <= self.as_of
        created = node.props.get("created_at")
        return created is None or created <= self.as_of

    def _group_of(self, nid: str) -> set[str]:
        if self.granularity is Granularity.DATASET and nid in self.alias_of:
            return {m for m in self._component(nid) if m in self.fetched}
        if self.granularity is Granularity.COLUMN:
            owner = _field_dataset(nid)
            if owner is not None:
                return {f for f in _alias_fields(nid, self._component(owner)) if f in self.fetched}
        return {nid}

    def _pick(self, group: set[str]) -> str:
        """A start shows its group; else the symlink target (the table), else the least id."""
        starts = sorted(group & self.starts)
        if starts:
            return starts[0]

        def is_target(nid: str) -> bool:
            owner = nid if self.granularity is Granularity.DATASET else _field_dataset(nid)
            return owner not in self.alias_sources

        targets = sorted(m for m in group if is_target(m))
        return targets[0] if targets else min(group)

    def _alias_closure(self, datasets: set[str]) -> None:
        """Follow ALIAS_OF both ways from ``datasets`` until no new alias turns up."""
        pending = datasets - self.alias_checked
        while pending:
            check_deadline(self.deadline)
            self.alias_checked |= pending
            for e in self.store.edges_of(sorted(pending), Direction.BOTH, [EdgeKind.ALIAS_OF]):
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


def _field_dataset(fid: str) -> str | None:
    kind, parts = split_id(fid)
    if kind is not NodeKind.FIELD or len(parts) != 3:
        return None
    return dataset_id(parts[0], parts[1])


def _alias_fields(fid: str, datasets: Iterable[str]) -> set[str]:
    """The field with ``fid``'s path in each of ``datasets`` (``fid`` included)."""
    _, (_, _, path) = split_id(fid)
    found = {fid}
    for d in datasets:
        _, (namespace, name) = split_id(d)
        found.add(field_id(namespace, name, path))
    return found


# -- kinds filter -----------------------------------------------------------------------


def _visibility(
    kinds: Collection[NodeKind] | None, dataset_types: Collection[str] | None
) -> Callable[[Node], bool]:
    wanted_types = {t.upper() for t in dataset_types} if dataset_types is not None else None

    def visible(node: Node) -> bool:
        if kinds is not None and node.kind not in kinds:
            return False
        if wanted_types is not None and node.kind is NodeKind.DATASET:
            return str(node.props.get("type") or "").upper() in wanted_types
        return True

    return visible


def _contract(graph: LineageGraph, visible: Callable[[Node], bool]) -> None:
    """Hide the nodes ``visible`` rejects; a path through them becomes a FLOWS_TO edge."""
    shown = {nid for nid, node in graph.nodes.items() if nid in graph.starts or visible(node)}
    if len(shown) == len(graph.nodes):
        return
    out: dict[str, list[str]] = {}
    into: dict[str, list[str]] = {}
    for edge in graph.edges:
        out.setdefault(edge.source, []).append(edge.target)
        into.setdefault(edge.target, []).append(edge.source)

    def through_hidden(start: str, step: Mapping[str, list[str]]) -> tuple[set[str], set[str]]:
        """Hidden nodes reachable from ``start`` over hidden nodes, and shown nodes met."""
        hidden: set[str] = set()
        met: set[str] = set()
        stack = [n for n in step.get(start, ()) if n not in shown]
        met.update(n for n in step.get(start, ()) if n in shown)
        while stack:
            nid = stack.pop()
            if nid in hidden:
                continue
            hidden.add(nid)
            for nxt in step.get(nid, ()):
                if nxt in shown:
                    met.add(nxt)
                else:
                    stack.append(nxt)
        return hidden, met

    reaching: dict[str, set[str]] = {}
    kept = [e for e in graph.edges if e.source in shown and e.target in shown]
    for source in sorted(shown):
        ahead, _ = through_hidden(source, out)
        targets = {t for h in ahead for t in out.get(h, ()) if t in shown and t != source}
        for target in sorted(targets):
            if target not in reaching:
                reaching[target] = through_hidden(target, into)[0]
            via = tuple(sorted(ahead & reaching[target]))
            kept.append(
                LineageEdge(
                    f"{FLOWS_TO}\x1e{source}\x1e{target}", FLOWS_TO, source, target, via=via
                )
            )
    graph.hidden = {nid: n for nid, n in graph.nodes.items() if nid not in shown}
    graph.nodes = {nid: n for nid, n in graph.nodes.items() if nid in shown}
    graph.edges = sorted(kept, key=lambda e: (e.source, e.target, e.kind, e.id))
