"""Finding nodes by what people remember of them: part of a name, namespace or description."""

from __future__ import annotations

from collections.abc import Collection
from typing import Final, NamedTuple

from lineage.analysis.errors import InvalidArgument
from lineage.analysis.jobs import listed
from lineage.graph.model import NodeKind, split_id
from lineage.store.base import GraphStore, Node
from lineage.store.search import Hit, match_rank, read_whole, searchable

#: What a search looks at unless told otherwise: datasets, jobs and field names.
DEFAULT_KINDS: Final = (NodeKind.DATASET, NodeKind.JOB, NodeKind.FIELD)
#: The most matches one search ranks; more means the query should be narrower.
SEARCH_LIMIT: Final = 10_000

_KIND_ORDER: Final = {kind: i for i, kind in enumerate(DEFAULT_KINDS)}


def rank(node: Node, text: str) -> int | None:
    """How well ``node`` matches ``text``, lower is better, None for no match.

    0: the whole name; 1: a prefix of the name or of its last dotted part; 2: inside the
    name; 3: inside the namespace; 4: inside the description.

    >>> rank(Node("x", NodeKind.DATASET, {"name": "shop.orders"}), "ord")
    1
    """
    name, _, description = searchable(node.props)
    return match_rank(text.lower(), name, namespace_of(node).lower(), description)


def namespace_of(node: Node) -> str:
    """A node's namespace; a field's is its dataset's."""
    namespace = node.props.get("namespace")
    if namespace is None and node.kind is NodeKind.FIELD:
        _, parts = split_id(node.id)
        return parts[0] if parts else ""
    return str(namespace or "")


class Found(NamedTuple):
    """One page of a search's matches, whole nodes, and how many matches there are in all
    (at most :data:`SEARCH_LIMIT`)."""

    nodes: list[Node]
    total: int


def search(
    store: GraphStore,
    text: str,
    kinds: Collection[NodeKind] | None = None,
    namespace: str | None = None,
    limit: int = SEARCH_LIMIT,
) -> list[Node]:
    """Nodes matching ``text``, best first (see :func:`rank`), then datasets before jobs
    before fields, shorter names first.

    ``kinds`` defaults to datasets, jobs and fields; ``namespace`` keeps only nodes in
    that namespace (a field's namespace is its dataset's). Jobs that are parts of another
    (statements, dbt tests: :func:`lineage.analysis.jobs.listed`) are left out: they are
    found under their parent job.

    >>> [n.props["name"] for n in search(store, "orders")]  # doctest: +SKIP
    ['orders', 'raw_orders', 'build_orders', 'order_id']
    """
    return read_whole(store, _ranked(store, text, kinds, namespace, limit))


def search_page(
    store: GraphStore,
    text: str,
    kinds: Collection[NodeKind] | None = None,
    namespace: str | None = None,
    offset: int = 0,
    count: int = 20,
) -> Found:
    """``count`` of :func:`search`'s matches from ``offset`` on, and their total; only the
    nodes of the page are read whole (the others are ranked by their names).

    >>> search_page(store, "orders", count=2).total  # doctest: +SKIP
    4
    """
    ranked = _ranked(store, text, kinds, namespace, SEARCH_LIMIT)
    return Found(
        read_whole(store, ranked[max(offset, 0) : max(offset, 0) + max(count, 0)]), len(ranked)
    )


def _ranked(
    store: GraphStore,
    text: str,
    kinds: Collection[NodeKind] | None,
    namespace: str | None,
    limit: int,
) -> list[Node]:
    """:func:`search`'s matches in its order, as the store's hits (light nodes)."""
    if limit < 1:
        raise InvalidArgument("a search returns at least one match; ask for a limit of 1 or more")
    wanted = list(dict.fromkeys(kinds)) if kinds else list(DEFAULT_KINDS)
    # Parts of jobs are left out after the store ranks: ask it for enough to fill ``limit``.
    asked = max(limit, SEARCH_LIMIT) if NodeKind.JOB in wanted else limit
    found: dict[str, Hit] = {}
    # Fields carry no namespace of their own, so the store cannot filter them by it.
    if namespace is not None and NodeKind.FIELD in wanted:
        others = [k for k in wanted if k is not NodeKind.FIELD]
        if others:
            found.update((h.node.id, h) for h in store.search_hits(text, others, namespace, asked))
        for hit in store.search_hits(text, [NodeKind.FIELD], None, limit):
            if namespace_of(hit.node) == namespace:
                found[hit.node.id] = hit
    else:
        found.update((h.node.id, h) for h in store.search_hits(text, wanted, namespace, asked))
    needle = text.lower()
    scored = []
    for node in listed(store, [h.node for h in found.values()]):
        name, _, _ = searchable(node.props)
        # The store matched the node, in its description when not by name or namespace.
        score = match_rank(needle, name, namespace_of(node).lower(), "")
        score = found[node.id].rank if score is None else score
        name = str(node.props.get("name") or node.props.get("path") or "")
        scored.append((score, _KIND_ORDER.get(node.kind, 9), len(name), node.id, node))
    scored.sort(key=lambda s: s[:4])
    return [s[4] for s in scored[:limit]]
