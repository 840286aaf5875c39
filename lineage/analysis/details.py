"""Whole nodes for an answer, read from the store only when something asks for them.

A traversal answers with light nodes (identity, kind, validity, state). What an answer
shows beyond that (facets, schemas, SQL, owners) is read in one ``get_nodes`` call for all
of the answer's nodes together, the first time any of them is asked for a property its
light node lacks; an answer nobody reads those of costs no such call.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from lineage.store.base import GraphStore, Node
from lineage.store.traversal import make_node


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

    __slots__ = ("_full", "_id", "_light", "_shared")

    def __init__(self, nid: str, light: Mapping[str, Any], shared: _Shared) -> None:
        self._id = nid
        self._light = light
        self._shared = shared
        self._full: Mapping[str, Any] | None = None

    def _whole(self) -> Mapping[str, Any]:
        if self._full is None:
            found = self._shared.props(self._id)
            # A node deleted since the walk keeps what the walk saw of it.
            self._full = found if found is not None else self._light
        return self._full

    def __getitem__(self, key: str) -> Any:
        if self._full is None and key in self._light:
            return self._light[key]
        return self._whole()[key]

    def __contains__(self, key: object) -> bool:
        return (self._full is None and key in self._light) or key in self._whole()

    def __iter__(self) -> Iterator[str]:
        return iter(self._whole())

    def __len__(self) -> int:
        return len(self._whole())

    def __repr__(self) -> str:
        return repr(dict(self._whole()))


def with_details(store: GraphStore, nodes: Mapping[str, Node]) -> dict[str, Node]:
    """``nodes`` (light) as whole nodes whose heavy properties are read on first use, in
    one ``get_nodes`` call for all of them."""
    shared = _Shared(store, list(nodes))
    return {
        nid: make_node(nid, n.kind, LazyProps(nid, n.props, shared)) for nid, n in nodes.items()
    }
