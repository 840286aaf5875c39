"""Reading the nodes the walk meets: the dataset a node belongs to, when a run or a
version happened, and a version's name as a person reads it."""

from __future__ import annotations

from lineage.analysis.refs import describe
from lineage.graph.model import NodeKind, dataset_id, split_id
from lineage.store.base import Node


def dataset_of(node: Node) -> str | None:
    if node.kind is NodeKind.DATASET:
        return node.id
    if node.kind in (NodeKind.DATASET_VERSION, NodeKind.FIELD):
        value = node.props.get("dataset")
        return str(value) if value else field_dataset(node.id)
    return None


def field_dataset(fid: str) -> str | None:
    try:
        kind, parts = split_id(fid)
    except ValueError:
        return None
    return dataset_id(parts[0], parts[1]) if kind is NodeKind.FIELD and len(parts) >= 2 else None


def version_name(version: Node) -> str:
    """``raw.orders version 42``: the dataset's name (its namespace is on the node)."""
    dataset = str(version.props.get("dataset") or "")
    try:
        _, parts = split_id(dataset)
        label = parts[1]
    except (ValueError, IndexError):
        label = describe(version.id)
    return f"{label} version {version.props.get('version')}"


def version_dataset(vid: str) -> str | None:
    try:
        kind, parts = split_id(vid)
    except ValueError:
        return None
    if kind is not NodeKind.DATASET_VERSION or len(parts) < 2:
        return None
    return dataset_id(parts[0], parts[1])


def time_of(node: Node) -> float:
    """When a run started or a version was created."""
    return started_at(node) if node.kind is NodeKind.RUN else created_at(node)


def created_at(version: Node) -> float:
    return float(version.props.get("created_at") or 0.0)


def started_at(run: Node) -> float:
    return float(run.props.get("started_at") or run.props.get("first_seen") or 0.0)


def ended_at(run: Node) -> float:
    return float(run.props.get("ended_at") or run.props.get("last_seen") or 0.0)


def duration(seconds: float) -> str:
    if seconds >= 86_400:
        return f"{seconds / 86_400:.1f} days"
    if seconds >= 3_600:
        return f"{seconds / 3_600:.1f} hours"
    return f"{seconds / 60:.0f} minutes"
