"""Which version of a dataset was current at a time, and what its schema said of a field."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from lineage.graph.model import EdgeKind, NodeKind
from lineage.store.base import Direction, GraphStore, Node


def version_at(versions: Iterable[Node], at: float | None) -> Node | None:
    """The version current at ``at``: the latest one created at or before it.

    Versions a run wrote outrank versions only ever observed by readers (those stand in
    for data written outside the graph). ``at=None`` means now. Returns None when no
    version existed yet.

    >>> from lineage.store.base import Node
    >>> v1 = Node("v1", NodeKind.DATASET_VERSION, {"created_at": 10.0, "run": "r1"})
    >>> v2 = Node("v2", NodeKind.DATASET_VERSION, {"created_at": 20.0, "run": "r2"})
    >>> version_at([v1, v2], 15.0).id
    'v1'
    """
    best: tuple[bool, float, str] | None = None
    chosen: Node | None = None
    for version in versions:
        created = version.props.get("created_at")
        if created is None or (at is not None and created > at):
            continue
        key = (not version.props.get("observed"), float(created), version.id)
        if best is None or key > best:
            best, chosen = key, version
    return chosen


def versions_of(store: GraphStore, datasets: Sequence[str]) -> dict[str, list[Node]]:
    """Every version of each dataset, oldest first (two store calls whatever the count)."""
    edges = store.edges_of(datasets, Direction.UPSTREAM, [EdgeKind.VERSION_OF])
    nodes = store.get_nodes({e.src for e in edges})
    found: dict[str, list[Node]] = {d: [] for d in datasets}
    for edge in edges:
        node = nodes.get(edge.src)
        if node is not None and node.kind is NodeKind.DATASET_VERSION and edge.dst in found:
            found[edge.dst].append(node)
    for versions in found.values():
        versions.sort(key=lambda v: (v.props.get("created_at") or 0.0, v.id))
    return found


def versions_at(
    store: GraphStore, datasets: Sequence[str], at: float | None
) -> dict[str, Node | None]:
    """The version of each dataset current at ``at`` (None: now)."""
    return {d: version_at(vs, at) for d, vs in versions_of(store, datasets).items()}


def schema_field(schema: Any, path: str) -> Mapping[str, Any] | None:
    """The entry for a dotted ``path`` in a schema facet's ``fields`` list, nesting included.

    >>> schema_field([{"name": "a", "fields": [{"name": "b", "type": "INT"}]}], "a.b")
    {'name': 'b', 'type': 'INT'}
    """
    fields = schema
    found: Mapping[str, Any] | None = None
    rest = path
    while isinstance(fields, list) and rest:
        found = None
        # Field names may themselves hold dots: try the longest name first.
        for entry in fields:
            if not isinstance(entry, Mapping):
                continue
            name = entry.get("name")
            if not isinstance(name, str):
                continue
            if rest == name:
                return entry
            if rest.startswith(name + ".") and (
                found is None or len(name) > len(str(found.get("name")))
            ):
                found = entry
        if found is None:
            return None
        rest = rest[len(str(found["name"])) + 1 :]
        fields = found.get("fields")
    return None


def dataset_schema(dataset: Node) -> Any:
    """The ``fields`` of a dataset's schema facet, or None when it has none."""
    facet = dataset.props.get("facet:schema")
    return facet.get("fields") if isinstance(facet, Mapping) else None


def flat_schema(schema: Any, prefix: str = "") -> dict[str, str | None]:
    """Every column of a schema facet's ``fields`` list by dotted path, with its type.

    >>> flat_schema([{"name": "a", "type": "STRUCT", "fields": [{"name": "b"}]}])
    {'a': 'STRUCT', 'a.b': None}
    """
    flat: dict[str, str | None] = {}
    for entry in schema if isinstance(schema, list) else ():
        if isinstance(entry, Mapping) and isinstance(entry.get("name"), str):
            path = prefix + entry["name"]
            kind = entry.get("type")
            flat[path] = str(kind) if kind is not None else None
            flat.update(flat_schema(entry.get("fields"), path + "."))
    return flat
