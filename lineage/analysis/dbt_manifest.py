"""The schema changes between two dbt manifests, named the way dbt-ol names the datasets.

dbt-ol reports a model, seed or snapshot as the dataset ``<database>.<schema>.<alias>`` in
a namespace that comes from the adapter's connection (``duckdb://<path>``,
``postgres://host:port``, ...), which a manifest does not record: callers give it, or
look the name up in the graph.

What a manifest can tell, and so what is compared:

- a node in the base manifest and not in the new one is dropped (DROP_DATASET), unless a
  new node's ``meta.renamed_from`` names it (RENAME_DATASET); a node whose database,
  schema or alias changed is renamed;
- a column documented in the base and not in the new one is dropped, unless a new
  column's ``meta.renamed_from`` names it (RENAME_FIELD);
- a column whose ``data_type`` (set by model contracts) is given in both and differs
  changes type;
- a column documented only in the new manifest is added; it is non-nullable when the
  model's contract is enforced and the column has a ``not_null`` constraint.

Columns a model has but does not document are invisible to a manifest.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from lineage.analysis.errors import InvalidArgument
from lineage.analysis.impact import Change, ChangeKind, FieldSpec, schema_changes

#: The kinds of dbt node that become datasets dbt-ol reports.
RELATIONS: Final = frozenset({"model", "seed", "snapshot"})


@dataclass(frozen=True, slots=True)
class NodeChanges:
    """The changes to one dbt node; ``name`` is its dataset name in the base manifest."""

    unique_id: str
    resource_type: str
    name: str
    changes: tuple[Change, ...]


def load_manifest(path: str | Path) -> dict[str, Any]:
    """A ``manifest.json``; InvalidArgument, saying which file, when it is not one."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidArgument(f"cannot read {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise InvalidArgument(f"{path} is not JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), dict):
        raise InvalidArgument(
            f"{path} is not a dbt manifest (no `nodes`); dbt writes one to target/manifest.json"
        )
    return data


def dataset_name(node: Mapping[str, Any]) -> str:
    """``database.schema.alias``, as dbt-ol names a node's dataset.

    >>> dataset_name({"database": "shop", "schema": "main", "alias": "orders"})
    'shop.main.orders'
    """
    parts = (node.get("database"), node.get("schema"), node.get("alias") or node.get("name"))
    return ".".join(str(p) for p in parts if p)


def manifest_changes(base: Mapping[str, Any], new: Mapping[str, Any]) -> list[NodeChanges]:
    """What changed from manifest ``base`` to manifest ``new``, node by node (only nodes
    with changes, in ``unique_id`` order). See the module docstring for the rules."""
    old_nodes = _relations(base)
    new_nodes = _relations(new)
    renamed_from: dict[str, str] = {}
    for uid, node in new_nodes.items():
        source = _meta(node).get("renamed_from")
        if isinstance(source, str) and uid not in old_nodes:
            match = _find(old_nodes, source)
            if match is not None:
                renamed_from[match] = uid
    found: list[NodeChanges] = []
    for uid in sorted(old_nodes):
        node = old_nodes[uid]
        name = dataset_name(node)
        changes: list[Change] = []
        successor = new_nodes.get(uid) or new_nodes.get(renamed_from.get(uid, ""))
        if successor is None:
            changes.append(Change(ChangeKind.DROP_DATASET))
        else:
            new_name = dataset_name(successor)
            if new_name != name:
                changes.append(Change(ChangeKind.RENAME_DATASET, new_name=new_name))
            else:
                changes.extend(_column_changes(node, successor))
        if changes:
            found.append(NodeChanges(uid, str(node.get("resource_type")), name, tuple(changes)))
    return found


def _relations(manifest: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    nodes = manifest.get("nodes") or {}
    return {
        uid: node
        for uid, node in nodes.items()
        if isinstance(node, Mapping) and node.get("resource_type") in RELATIONS
    }


def _find(nodes: Mapping[str, Mapping[str, Any]], ref: str) -> str | None:
    """The node a ``renamed_from`` names: by unique_id, else by name."""
    if ref in nodes:
        return ref
    named = [uid for uid, n in nodes.items() if n.get("name") == ref]
    return named[0] if len(named) == 1 else None


def _meta(entry: Mapping[str, Any]) -> dict[str, Any]:
    """``meta`` merged with ``config.meta`` (dbt 1.10 moved it there)."""
    meta: dict[str, Any] = {}
    config = entry.get("config")
    for source in (entry.get("meta"), config.get("meta") if isinstance(config, Mapping) else None):
        if isinstance(source, Mapping):
            meta.update(source)
    return meta


def _enforced(node: Mapping[str, Any]) -> bool:
    for holder in (node.get("contract"), (node.get("config") or {}).get("contract")):
        if isinstance(holder, Mapping) and holder.get("enforced"):
            return True
    return False


def _column_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    before = {str(c.get("name") or key): c for key, c in (old.get("columns") or {}).items()}
    after = {str(c.get("name") or key): c for key, c in (new.get("columns") or {}).items()}
    enforced = _enforced(new)
    current = {name: _text(c.get("data_type")) for name, c in before.items()}
    proposed = []
    for name, column in after.items():
        source = _meta(column).get("renamed_from")
        not_null = any(
            isinstance(k, Mapping) and k.get("type") == "not_null"
            for k in column.get("constraints") or ()
        )
        proposed.append(
            FieldSpec(
                name,
                _text(column.get("data_type")),
                nullable=not (enforced and not_null),
                renamed_from=source if isinstance(source, str) and source in before else None,
            )
        )
    return schema_changes(current, proposed)


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
