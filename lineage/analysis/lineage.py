"""Lineage around a node at dataset, column or run granularity, as of any time; and paths.

The walk itself is the store's (``GraphStore.traverse``, :mod:`lineage.store.traversal`):
one call returns the bounded subgraph with light nodes, and one ``get_nodes`` call then
fetches the properties of the nodes the answer shows. Every edge of an answer points the
way data flows: its ``source`` feeds its ``target``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from itertools import islice, pairwise
from typing import Any, Final

import networkx as nx

from lineage.analysis.details import with_details
from lineage.analysis.errors import InvalidArgument, NotFound, check_deadline
from lineage.analysis.refs import NodeRef, describe, resolve
from lineage.analysis.versions import versions_at
from lineage.graph.model import EdgeKind, NodeKind
from lineage.store.base import Direction, GraphStore, Node
from lineage.store.traversal import Level, Traversal, frozen_maker
from lineage.store.traversal import run_started as run_started


class Granularity(StrEnum):
    DATASET = "DATASET"  # datasets and jobs, over the job-level projection
    COLUMN = "COLUMN"  # fields, over column lineage
    RUN = "RUN"  # runs and the exact dataset versions they read and wrote


#: The kind of an edge that stands for a path through nodes a ``kinds`` filter hid.
FLOWS_TO: Final = "FLOWS_TO"
MAX_DEPTH: Final = 50
DEFAULT_DEPTH: Final = 10
DEFAULT_NODE_BUDGET: Final = 5_000


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

    Nodes carry their identity, kind, validity and state at hand; their other properties
    (facets, schemas, SQL) are read for all of ``nodes`` and ``hidden`` in one store call,
    the first time one of them is asked for (:mod:`lineage.analysis.details`).
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


#: ``LineageEdge(...)`` with every field given, without the frozen __init__'s cost (an
#: answer makes one per hop).
_lineage_edge: Final[Callable[..., LineageEdge]] = frozen_maker(LineageEdge)
#: Each edge kind's name (``EdgeKind.value`` is a property, slow once per hop).
_KIND_NAMES: Final = {kind: kind.value for kind in EdgeKind}


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
    found = _traverse(
        store, starts, granularity, direction, depth, as_of, node_budget, deadline, indirect
    )
    graph = _graph_of(found, granularity)
    # Every node of the answer (hidden ones too: FLOWS_TO edges name them) gets the rest of
    # its properties from one read, made when the first of them is asked for.
    graph.nodes = with_details(store, graph.nodes)
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
    down = _graph_of(
        _traverse(
            store,
            [ends[0]],
            granularity,
            Direction.DOWNSTREAM,
            down_depth,
            as_of,
            node_budget,
            deadline,
            True,
        ),
        granularity,
    )
    up = _graph_of(
        _traverse(
            store,
            [ends[1]],
            granularity,
            Direction.UPSTREAM,
            max_depth - down_depth,
            as_of,
            node_budget,
            deadline,
            True,
        ),
        granularity,
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
    on_paths = sorted({nid for p in found for nid in p.nodes})
    check_deadline(deadline)
    full = store.get_nodes(on_paths)
    return Paths(
        paths=found,
        nodes={nid: full.get(nid, nodes[nid]) for nid in on_paths},
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


def _traverse(
    store: GraphStore,
    starts: Sequence[str],
    granularity: Granularity,
    direction: Direction,
    depth: int,
    as_of: float | None,
    budget: int,
    deadline: float | None,
    indirect: bool,
) -> Traversal:
    """The store's bounded traversal; NotFound for a start that did not exist at ``as_of``."""
    found = store.traverse(
        starts,
        Level(granularity.value),
        direction,
        depth,
        as_of,
        budget,
        indirect=indirect,
        check=lambda: check_deadline(deadline),
    )
    if found.absent:
        raise NotFound(f"{describe(found.absent[0])} did not exist {_when(as_of)}")
    return found


def _graph_of(found: Traversal, granularity: Granularity) -> LineageGraph:
    """The answer a traversal gives, with its light nodes."""
    return LineageGraph(
        granularity,
        found.direction,
        found.depth,
        found.as_of,
        starts=list(found.starts),
        nodes=dict(found.nodes),
        edges=[
            _lineage_edge(edge.id, _KIND_NAMES[edge.kind], source, target, edge.props, ())
            for edge, source, target in found.hops
        ],
        truncated=found.truncated,
        truncated_at=list(found.truncated_at),
        depths=dict(found.depths),
        aliases=dict(found.aliases),
        canonical=dict(found.canonical),
    )


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
