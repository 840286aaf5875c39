"""How the nodes a change reaches are named: a field's column path and dataset, and the
label a person reads in a reason."""

from __future__ import annotations

from collections.abc import Mapping

from lineage.graph.model import NodeKind, dataset_id, field_id, split_id
from lineage.store.base import Node


def path_of(fid: str) -> str:
    _, parts = split_id(fid)
    return parts[2] if len(parts) == 3 else ""


def dataset_of(fid: str) -> str:
    _, parts = split_id(fid)
    return dataset_id(parts[0], parts[1])


def alias_field(fid: str, dataset: str) -> str:
    _, (namespace, name) = split_id(dataset)
    return field_id(namespace, name, path_of(fid))


def label_of(node: Node) -> str:
    props = node.props
    if node.kind is NodeKind.FIELD:
        _, parts = split_id(node.id)
        return f"{parts[1]}.{parts[2]}" if len(parts) == 3 else str(props.get("path"))
    return str(props.get("name") or node.id)


def label(nid: str | None, nodes: Mapping[str, Node]) -> str:
    if not nid:
        return "?"
    node = nodes.get(nid)
    if node is not None:
        return label_of(node)
    _, parts = split_id(nid)
    return f"{parts[1]}.{parts[2]}" if len(parts) == 3 else parts[-1]
