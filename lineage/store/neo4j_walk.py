"""Dataset and column walks on Neo4j: the graph as :func:`~lineage.store.traversal.walk`
reads it, inside one read transaction.

At these levels a node's identity is all a walk needs of it, and its id holds that, so a
hop is one query over the whole frontier that reads the edges' ids, keys and ``props``
(the far ends' ids are cut out of the edges' ids), answered as ONE record of parallel
lists: the driver's cost is per record (a few tens of microseconds each), and a depth of a
large walk has thousands of edges. When a hop starts from and reaches few nodes (up to
:data:`READ_AHEAD`), the same query also reads their edges, the walk's next hop: a walk
of small hops makes half the round trips, each of which costs a busy machine a few
milliseconds.

Aliases (``ALIAS_OF``, symlinked datasets) are rare: the transaction first asks the
relationship count store how many there are. None: nothing is aliased and no query asks.
A few (up to :data:`ALIAS_PREFETCH`): all of them are read once, and the walk's questions
about aliases are answered from that. More: each question is a query, as for any edge.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, Final

import orjson
from neo4j import ManagedTransaction

from lineage.graph.model import EdgeKind, NodeKind, dataset_id
from lineage.store.base import Direction, Edge, Node
from lineage.store.traversal import make_edge, make_node

#: Most ALIAS_OF relationships read whole at the start of a walk.
ALIAS_PREFETCH: Final = 10_000

#: Most nodes a hop starts from, and most far ends it reaches, for the edges of these to
#: be read with it, ahead of the walk's next hop. On the 10k-job benchmark graph 256 made
#: depth-20 walks slower than none (what a walk whose budget runs out reads ahead is
#: wasted); 32 keeps the saving of small hops.
READ_AHEAD: Final = 32

_SEP: Final = "\x1f"
_EDGE_SEP: Final = "\x1e"
_NODE_KINDS: Final = {k.value: k for k in NodeKind}
_EDGE_KINDS: Final = {k.value: k for k in EdgeKind}
_PROJECTION: Final = sorted(k.value for k in (EdgeKind.INPUT_TO, EdgeKind.PRODUCES, EdgeKind.FEEDS))
_PROJECTED: Final = frozenset(_PROJECTION)
_CURRENT: Final = "r.until IS NULL"
_AT: Final = "(r.since IS NULL OR r.since <= $as_of) AND (r.until IS NULL OR $as_of < r.until)"
# A relationship without a key or props has no such property (collect would skip it).
_RETURN: Final = (
    "RETURN collect(r.id) AS ids, collect(id) AS near, collect(coalesce(r.key, '')) AS keys, "
    "collect(coalesce(r.props, '{}')) AS props"
)
_ALIAS_COUNT: Final = "MATCH ()-[r:ALIAS_OF]->() RETURN count(r) AS n"
_ALL_ALIASES: Final = (
    "MATCH (a:Entity)-[r:ALIAS_OF]->(b:Entity) "
    "RETURN collect(r.id) AS ids, collect(a.id) AS near, collect(b.id) AS far, "
    "collect(coalesce(r.key, '')) AS keys, collect(coalesce(r.props, '{}')) AS props"
)
_NODES: Final = (
    "UNWIND $ids AS id MATCH (n:Entity {id: id}) USING INDEX SEEK n:Entity(id) "
    "RETURN collect(n.id) AS ids"
)


def _valid(types: Sequence[str], as_of: float | None) -> str:
    """The validity test of a hop over ``types`` (only the projection's edges have one)."""
    if not _PROJECTED.intersection(types):
        return ""
    test = _CURRENT if as_of is None else _AT
    if not _PROJECTED.issuperset(types):
        test = f"(NOT type(r) IN $projection OR {test})"
    return f" WHERE {test}"


def _match(direction: Direction, types: Sequence[str], as_of: float | None) -> tuple[str, str]:
    """The clauses matching the valid edges ``r`` of ``types`` one hop from ``id`` in
    ``direction`` (DOWNSTREAM or UPSTREAM), and the expression of their far ends' ids;
    ``$heads`` maps each type to the start of its edges' ids (see :func:`_heads`),
    ``$sep`` is the separator of an edge id's parts.

    Downstream, a node's edges of a type are the ones whose id starts with the type and
    the node's id (exactly those: no id holds the separators, events carrying them are
    refused): a seek in the type's unique index on ids, which never reads the node's other
    relationships (a dataset's ``HAS_FIELD``s, dozens of them). Upstream there is no such
    prefix, and the node's relationships are expanded."""
    valid = _valid(types, as_of)
    if direction is Direction.UPSTREAM:
        return f"MATCH (far)-[r:{'|'.join(types)}]->(:Entity {{id: id}}){valid}", "far.id"
    seeks = " UNION ALL ".join(
        f"MATCH ()-[r:{t}]->() USING INDEX r:{t}(id) "
        f"WHERE r.id STARTS WITH $heads.{t} + id + $sep RETURN r"
        for t in types
    )
    return f"CALL (id) {{ {seeks} }} WITH id, r{valid}", "endNode(r).id"


def _hop(direction: Direction, types: Sequence[str], as_of: float | None) -> str:
    """The edges :func:`_match` finds from the frontier ``$ids``, as parallel lists (the
    far ends are read from the edges' ids, see :func:`_far`)."""
    match, _ = _match(direction, types, as_of)
    return f"UNWIND $ids AS id {match} {_RETURN}"


def _two_hops(direction: Direction, types: Sequence[str], as_of: float | None) -> str:
    """:func:`_hop`, and the same from the far ends of its edges (``next``) if there are
    at most ``$ahead`` of them: the hop a walk takes next, read in the same round trip.
    (Past that the round trip is a small part of a hop, and a walk whose node budget runs
    out would read a large hop it never takes.)"""
    match, far = _match(direction, types, as_of)
    return (
        f"UNWIND $ids AS id {match} "
        "WITH collect(r.id) AS ids, collect(id) AS near, collect(coalesce(r.key, '')) AS keys, "
        f"collect(coalesce(r.props, '{{}}')) AS props, collect(DISTINCT {far}) AS reached "
        "WITH *, CASE WHEN size(reached) <= $ahead THEN reached ELSE [] END AS next "
        f"CALL (next) {{ UNWIND next AS id {match} "
        "RETURN collect(r.id) AS ids2, collect(id) AS near2, "
        "collect(coalesce(r.key, '')) AS keys2, "
        "collect(coalesce(r.props, '{}')) AS props2 } "
        "RETURN ids, near, keys, props, next, ids2, near2, keys2, props2"
    )


def _heads(types: Sequence[str]) -> dict[str, str]:
    return {t: t + _EDGE_SEP for t in types}


def _far(eid: str, near: str, key: str | None, way: Direction) -> str:
    """The far end of the edge ``eid`` (``kind, src, dst, key`` joined by the edge
    separator) whose near end is ``near``: what is left once the known parts are cut off,
    exact whatever the ids hold."""
    head = eid.index(_EDGE_SEP) + 1
    tail = len(eid) - len(key or "") - 1
    if way is Direction.UPSTREAM:
        return eid[head : tail - len(near) - 1]
    return eid[head + len(near) + 1 : tail]


def _identity(nid: str) -> Node | None:
    """The light node of a dataset, job or field: what its id holds."""
    parts = nid.split(_SEP)
    kind = _NODE_KINDS.get(parts[0])
    if kind is None:
        return None
    props: dict[str, Any]
    if kind is NodeKind.FIELD and len(parts) == 4:
        props = {"dataset": dataset_id(parts[1], parts[2]), "path": parts[3]}
    elif (kind is NodeKind.DATASET or kind is NodeKind.JOB) and len(parts) == 3:
        props = {"namespace": parts[1], "name": parts[2]}
    else:
        props = {}
    return make_node(nid, kind, props)


class IdentityView:
    """A :class:`~lineage.store.traversal.LightGraph` for DATASET and COLUMN walks, in
    the read transaction ``tx``; ``alias_prefetch``: most aliases read whole."""

    def __init__(self, tx: ManagedTransaction, alias_prefetch: int = ALIAS_PREFETCH) -> None:
        self._tx = tx
        self._known: dict[str, Node] = {}
        self._aliases: dict[str, list[Edge]] | None = None  # None: ask the server
        # The edges read ahead, by way, types and time: node id -> its edges that way.
        self._ahead: dict[tuple[Direction, tuple[str, ...], float | None], dict[str, list[Edge]]]
        self._ahead = {}
        (count,) = tx.run(_ALIAS_COUNT).single(strict=True)
        self._no_aliases = count == 0
        if 0 < count <= alias_prefetch:
            self._aliases = {}
            eids, sources, targets, keys, props = tx.run(_ALL_ALIASES).single(strict=True)
            for edge in self._decode(eids, sources, targets, keys, props, None):
                self._aliases.setdefault(edge.src, []).append(edge)
                self._aliases.setdefault(edge.dst, []).append(edge)

    def nodes(self, ids: Sequence[str]) -> dict[str, Node]:
        known = self._known
        missing = [i for i in ids if i not in known]
        if missing:
            (found,) = self._tx.run(_NODES, ids=missing).single(strict=True)
            self._learn(found)
        return {i: known[i] for i in ids if i in known}

    def edges(
        self,
        ids: Sequence[str],
        direction: Direction,
        kinds: Collection[EdgeKind],
        as_of: float | None,
    ) -> list[Edge]:
        if not ids or not kinds:
            return []
        if set(kinds) == {EdgeKind.ALIAS_OF}:
            if self._no_aliases:
                return []
            if self._aliases is not None:
                return self._local_aliases(ids, direction)
        ways = (
            [Direction.DOWNSTREAM, Direction.UPSTREAM]
            if direction is Direction.BOTH
            else [Direction(direction)]
        )
        types = sorted({EdgeKind(k).value for k in kinds})
        found: dict[str, Edge] = {}
        for way in ways:
            if _PROJECTED.issuperset(types):
                edges = self._walked(ids, way, types, as_of)
            else:
                eids, near, keys, props = self._run(_hop(way, types, as_of), ids, types, as_of)
                edges = self._hop_edges(eids, near, keys, props, way)
            for edge in edges:
                found.setdefault(edge.id, edge)
        return list(found.values())

    def _walked(
        self, ids: Sequence[str], way: Direction, types: list[str], as_of: float | None
    ) -> list[Edge]:
        """The edges from ``ids``: those read ahead by an earlier hop, and for the other
        ids a query that, if they are few, also reads the hop after (the walk's next
        frontier is the far ends of these edges, less the nodes it has seen)."""
        ahead = self._ahead.setdefault((way, tuple(types), as_of), {})
        edges: list[Edge] = []
        missing = []
        for nid in ids:
            known = ahead.get(nid)
            if known is None:
                missing.append(nid)
            else:
                edges.extend(known)
        if not missing:
            return edges
        if len(missing) > READ_AHEAD:  # a large hop: its far ends would be read for nothing
            eids, near, keys, props = self._run(_hop(way, types, as_of), missing, types, as_of)
            return edges + self._hop_edges(eids, near, keys, props, way)
        row = self._run(_two_hops(way, types, as_of), missing, types, as_of)
        eids, near, keys, props, after, eids2, near2, keys2, props2 = row
        edges.extend(self._hop_edges(eids, near, keys, props, way))
        fresh = {nid for nid in after if nid not in ahead}
        for nid in fresh:
            ahead[nid] = []
        up = way is Direction.UPSTREAM
        for edge in self._hop_edges(eids2, near2, keys2, props2, way):
            here = edge.dst if up else edge.src
            if here in fresh:
                ahead[here].append(edge)
        return edges

    def _run(self, query: str, ids: Sequence[str], types: list[str], as_of: float | None) -> Any:
        return self._tx.run(
            query,
            ids=list(ids),
            projection=_PROJECTION,
            as_of=as_of,
            heads=_heads(types),
            sep=_EDGE_SEP,
            ahead=READ_AHEAD,
        ).single(strict=True)

    def _hop_edges(
        self,
        eids: list[str],
        near: list[str],
        keys: list[str | None],
        props: list[str],
        way: Direction,
    ) -> list[Edge]:
        far = [_far(e, n, k, way) for e, n, k in zip(eids, near, keys, strict=True)]
        return self._decode(eids, near, far, keys, props, way)

    def _local_aliases(self, ids: Sequence[str], direction: Direction) -> list[Edge]:
        assert self._aliases is not None
        found: dict[str, Edge] = {}
        for nid in ids:
            for edge in self._aliases.get(nid, ()):
                if (
                    direction is Direction.BOTH
                    or (direction is Direction.DOWNSTREAM and edge.src == nid)
                    or (direction is Direction.UPSTREAM and edge.dst == nid)
                ):
                    found.setdefault(edge.id, edge)
        return list(found.values())

    def _decode(
        self,
        eids: list[str],
        near: list[str],
        far: list[str],
        keys: list[str | None],
        props: list[str],
        way: Direction | None,
    ) -> list[Edge]:
        """Edges from parallel lists; ``way``: which of near and far is the source (None:
        ``near`` is)."""
        self._learn(far)
        self._learn(near)
        kinds = _EDGE_KINDS
        loads = orjson.loads
        sources, targets = (far, near) if way is Direction.UPSTREAM else (near, far)
        edges = []
        for eid, src, dst, key, blob in zip(eids, sources, targets, keys, props, strict=True):
            values = loads(blob)
            if key:
                values.setdefault("key", key)
            edges.append(make_edge(eid, kinds[eid.partition(_EDGE_SEP)[0]], src, dst, values))
        return edges

    def _learn(self, ids: Sequence[str]) -> None:
        known = self._known
        for nid in ids:
            if nid not in known:
                node = _identity(nid)
                if node is not None:
                    known[nid] = node
