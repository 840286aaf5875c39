"""Whole nodes for an answer, read from the store only when something asks for them.

A traversal answers with light nodes (identity, kind, validity, state). What an answer
shows beyond that (facets, schemas, SQL, owners) is read in one ``get_nodes`` call for all
of the answer's nodes together, the first time any of them is asked for a property its
light node lacks; an answer nobody reads those of costs no such call.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from lineage.store.base import GraphStore, Node


class _Shared:
    """The whole nodes of one answer, fetched together once."""

    __slots__ = ("_ids", "_lock", "_nodes", "_store")

    def __init__(self, store: GraphStore, ids: Sequence[str]) -> None:
        self._store = store
        self._ids = list(ids)
        self._lock = threading.Lock()
        self._nodes: dict[str, Node] | None = None

    def props(self, nid: str) -> Mapping[str, Any] | None:
        with self._lock:
            if self._nodes is None:
                self._nodes = self._store.get_nodes(self._ids)
        found = self._nodes.get(nid)
        return found.props if found is not None else None


class LazyProps(Mapping[str, Any]):
    """A node's properties: the light ones at hand, the rest read with the answer's."""

    # ``_props`` holds the light properties until the whole ones are read, then those
    # (``_shared`` then None).
    __slots__ = ("_id", "_props", "_shared")

    _id: str
    _props: Mapping[str, Any]
    _shared: _Shared | None

    def __init__(self, nid: str, light: Mapping[str, Any], shared: _Shared) -> None:
        self._id = nid
        self._props = light
        self._shared = shared

    def _whole(self) -> Mapping[str, Any]:
        shared = self._shared
        if shared is not None:
            found = shared.props(self._id)
            # A node deleted since the walk keeps what the walk saw of it.
            if found is not None:
                self._props = found
            self._shared = None
        return self._props

    def __getitem__(self, key: str) -> Any:
        props = self._props
        if key in props:
            return props[key]
        return self._whole()[key]

    def __contains__(self, key: object) -> bool:
        return key in self._props or key in self._whole()

    def __iter__(self) -> Iterator[str]:
        return iter(self._whole())

    def __len__(self) -> int:
        return len(self._whole())

    def __repr__(self) -> str:
        return repr(dict(self._whole()))


#: Setters of a Node's slots, to make one per answer node without the frozen ``__init__``.
_NODE_SLOTS: Final = tuple(Node.__dict__[n].__set__ for n in ("id", "kind", "props"))
_new: Final = object.__new__


def with_details(store: GraphStore, nodes: Mapping[str, Node]) -> dict[str, Node]:
    """``nodes`` (light) as whole nodes whose heavy properties are read on first use, in
    one ``get_nodes`` call for all of them."""
    shared = _Shared(store, list(nodes))
    set_id, set_kind, set_props = _NODE_SLOTS
    new = _new
    made: dict[str, Node] = {}
    for nid, light in nodes.items():
        node = new(Node)
        set_id(node, nid)
        set_kind(node, light.kind)
        set_props(node, LazyProps(nid, light.props, shared))
        made[nid] = node
    return made
