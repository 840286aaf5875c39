"""The embedded store's graph in memory as :func:`~lineage.store.traversal.walk` reads it.

A walk over a large answer spends most of its time making objects: a light node for every
id it meets and an edge for every hop. :class:`LightCache` keeps the ones made, so a later
walk over the same part of the graph reuses them; the store tells it what each write
changed (:meth:`LightCache.forget`), and drops it whole when its memory is reloaded. After
a walk that left it holding more than ``limit`` objects it drops the older ones made until
half that is left (:meth:`LightCache.trim`), so its memory stays bounded whatever the
graph's size, and a walk after the trim still finds what the walks just before it made.

Nodes carry their in-memory properties only (cold ones stay on disk); edges are kept
whatever their validity, which a walk as of a time checks on the record, and a walk of
the present reads each node's edges valid now from a list kept per node (dropped when
any edge of the node changes).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from itertools import islice
from typing import Any, Final

from lineage.graph.merge import EdgeRec, Members, MemoryState
from lineage.graph.model import PROJECTION_EDGES, EdgeKind
from lineage.store.base import Direction, Edge, Node
from lineage.store.traversal import make_edge, make_node

#: Most light nodes and edges one cache holds (a few hundred bytes each).
CACHE_LIMIT: Final = 200_000


class LightCache:
    """Light nodes and edges made for walks, until a write changes them."""

    __slots__ = ("adjacent", "edges", "limit", "nodes")

    def __init__(self, limit: int = CACHE_LIMIT) -> None:
        self.limit = limit
        self.nodes: dict[str, Node] = {}
        self.edges: dict[str, Edge] = {}
        #: node -> (outgoing?, kinds) -> its edges of those kinds valid now.
        self.adjacent: dict[str, dict[tuple[bool, tuple[EdgeKind, ...]], list[Edge]]] = {}

    def forget(self, records: Mapping[str, EdgeRec], *changed: Iterable[str]) -> None:
        """Drop what ``changed`` names (node and edge ids, changed or deleted), and the
        edges valid now of both ends of each edge named (``records``: the edges now)."""
        nodes, edges, adjacent = self.nodes, self.edges, self.adjacent
        for ids in changed:
            for key in ids:
                nodes.pop(key, None)
                edge = edges.pop(key, None)
                if edge is not None:
                    adjacent.pop(edge.src, None)
                    adjacent.pop(edge.dst, None)
                rec = records.get(key)
                if rec is not None:
                    adjacent.pop(rec.src, None)
                    adjacent.pop(rec.dst, None)

    def trim(self) -> None:
        """Over ``limit``, drop the nodes and edges made first until half of it is left,
        and the lists of edges valid now of both ends of each edge dropped (so that every
        edge such a list holds is one :meth:`forget` can find). Called between walks: a
        list a walk is making holds no edge dropped meanwhile."""
        nodes, edges, adjacent = self.nodes, self.edges, self.adjacent
        held = len(nodes) + len(edges)
        if held <= self.limit:
            return
        keep = self.limit // 2
        drop_nodes = len(nodes) - keep * len(nodes) // held
        drop_edges = len(edges) - keep * len(edges) // held
        for nid in list(islice(nodes, drop_nodes)):
            del nodes[nid]
        for eid in list(islice(edges, drop_edges)):
            edge = edges.pop(eid)
            adjacent.pop(edge.src, None)
            adjacent.pop(edge.dst, None)


class MemoryView:
    """A :class:`~lineage.store.traversal.LightGraph` over an in-memory graph's records
    and adjacency, for the time of one walk (under the store's lock)."""

    __slots__ = ("_cache", "_graph")

    def __init__(self, graph: MemoryState, cache: LightCache) -> None:
        self._graph = graph
        self._cache = cache

    def nodes(self, ids: Sequence[str]) -> dict[str, Node]:
        records = self._graph._nodes
        cache = self._cache
        cached = cache.nodes
        found: dict[str, Node] = {}
        for nid in ids:
            node = cached.get(nid)
            if node is None:
                rec = records.get(nid)
                if rec is None:
                    continue
                props = {k: v for k, v in rec.props.items() if v is not None}
                node = make_node(nid, rec.kind, props)
                cached[nid] = node
            found[nid] = node
        return found

    def edges(
        self,
        ids: Sequence[str],
        direction: Direction,
        kinds: Collection[EdgeKind],
        as_of: float | None,
    ) -> list[Edge]:
        graph = self._graph
        records = graph._edges
        cache = self._cache
        cached = cache.edges
        indexes = []
        if direction in (Direction.DOWNSTREAM, Direction.BOTH):
            indexes.append(graph._out)
        if direction in (Direction.UPSTREAM, Direction.BOTH):
            indexes.append(graph._in)
        found: dict[str, Edge] = {}
        if as_of is None:  # the edges valid now, kept per node
            adjacent = cache.adjacent
            shape = tuple(kinds)
            now: list[Edge] = []
            for index in indexes:
                key = (index is graph._out, shape)
                timed = [(index[kind], kind in PROJECTION_EDGES) for kind in kinds]
                # An edge has one end in each index: one direction meets it once per
                # distinct id.
                for nid in dict.fromkeys(ids):
                    lists = adjacent.get(nid)
                    current = lists.get(key) if lists is not None else None
                    if current is None:
                        current = self._current(timed, nid)
                        if lists is None:
                            adjacent[nid] = {key: current}
                        else:
                            lists[key] = current
                    now += current
            if len(indexes) == 1:
                return now
            # Both ways: an edge between two of ``ids`` was met from each end.
            for edge in now:
                found.setdefault(edge.id, edge)
            return list(found.values())
        for index in indexes:
            timed = [(index[kind], kind in PROJECTION_EDGES) for kind in kinds]
            for nid in ids:
                for by_node, closes in timed:
                    held = by_node.get(nid)
                    if held is None:
                        continue
                    for eid in (held,) if type(held) is str else held:
                        if eid in found:
                            continue
                        rec = records[eid]
                        if closes and not _valid(rec.props, as_of):
                            continue
                        found[eid] = cached.get(eid) or self._made(eid, rec)
        return list(found.values())

    def _current(self, timed: list[tuple[dict[str, Members], bool]], nid: str) -> list[Edge]:
        """The edges of ``nid`` valid now in ``timed``: the adjacency of each kind wanted
        (and whether edges of that kind close)."""
        records = self._graph._edges
        cached = self._cache.edges
        current = []
        for by_node, closes in timed:
            held = by_node.get(nid)
            if held is None:
                continue
            for eid in (held,) if type(held) is str else held:
                rec = records[eid]
                if closes and rec.props.get("until") is not None:
                    continue
                current.append(cached.get(eid) or self._made(eid, rec))
        return current

    def _made(self, eid: str, rec: EdgeRec) -> Edge:
        """The light edge of ``rec``, made and kept (the cache had none)."""
        props = dict(rec.props)
        if rec.key:
            props.setdefault("key", rec.key)
        edge = make_edge(eid, rec.kind, rec.src, rec.dst, props)
        self._cache.edges[eid] = edge
        return edge


def _valid(props: Mapping[str, Any], as_of: float | None) -> bool:
    """A projection edge's validity at ``as_of``: ``since <= as_of < until`` (None: open)."""
    until = props.get("until")
    if as_of is None:
        return until is None
    if until is not None and as_of >= until:
        return False
    since = props.get("since")
    return since is None or since <= as_of
