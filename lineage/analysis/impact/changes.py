"""The change set: what a proposed schema change is.

A change drops, renames or retypes a column, adds one, or drops or renames the whole
dataset. Changes are named one by one, or derived from a proposed schema (a schema
file, a dbt manifest) by :func:`schema_changes`; :func:`checked_change` holds each against
the dataset's current schema before anything is walked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from lineage.analysis.errors import InvalidArgument
from lineage.analysis.impact.names import label_of
from lineage.analysis.versions import dataset_schema, flat_schema
from lineage.store.base import GraphStore, Node


class ChangeKind(StrEnum):
    DROP_FIELD = "DROP_FIELD"
    RENAME_FIELD = "RENAME_FIELD"
    CHANGE_TYPE = "CHANGE_TYPE"
    ADD_FIELD = "ADD_FIELD"
    DROP_DATASET = "DROP_DATASET"
    RENAME_DATASET = "RENAME_DATASET"


WHOLE: Final = frozenset({ChangeKind.DROP_DATASET, ChangeKind.RENAME_DATASET})
_ON_A_FIELD: Final = frozenset(
    {ChangeKind.DROP_FIELD, ChangeKind.RENAME_FIELD, ChangeKind.CHANGE_TYPE, ChangeKind.ADD_FIELD}
)


@dataclass(frozen=True, slots=True)
class Change:
    """One change to a dataset's schema.

    ``field`` is the dotted path of the column changed (None for DROP_DATASET and
    RENAME_DATASET); ``new_name`` the new column path (RENAME_FIELD) or dataset name
    (RENAME_DATASET, optional); ``new_type`` the new type (CHANGE_TYPE; optional for
    ADD_FIELD); ``nullable`` whether an added column may be null; ``old_type`` the type the
    current schema gives the column, filled in by :func:`impact` when known.
    """

    kind: ChangeKind
    field: str | None = None
    new_name: str | None = None
    new_type: str | None = None
    nullable: bool = True
    old_type: str | None = None

    def describe(self) -> str:
        """The change as a person would say it: ``drop column amount``."""
        kind, name = self.kind, self.field
        if kind is ChangeKind.DROP_FIELD:
            return f"drop column {name}"
        if kind is ChangeKind.RENAME_FIELD:
            return f"rename column {name} to {self.new_name}"
        if kind is ChangeKind.CHANGE_TYPE:
            before = f" from {self.old_type}" if self.old_type else ""
            return f"change the type of column {name}{before} to {self.new_type}"
        if kind is ChangeKind.ADD_FIELD:
            typed = f" {self.new_type}" if self.new_type else ""
            null = "nullable" if self.nullable else "non-nullable"
            return f"add {null} column {name}{typed}"
        if kind is ChangeKind.DROP_DATASET:
            return "drop the dataset"
        return f"rename the dataset to {self.new_name}" if self.new_name else "rename the dataset"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A column of a proposed schema. ``nullable`` defaults to true, as in SQL; a column
    named ``renamed_from`` in the current schema is renamed to ``name`` rather than dropped."""

    name: str
    type: str | None = None
    nullable: bool = True
    renamed_from: str | None = None


def schema_changes(current: Any, proposed: Sequence[FieldSpec]) -> list[Change]:
    """The changes that turn schema ``current`` into ``proposed``.

    ``current`` is a schema facet's ``fields`` list (nested ``fields`` included, named by
    dotted path). A current column missing from ``proposed`` is dropped, unless a proposed
    column says it was ``renamed_from`` it; a column in both whose types are both known
    and differ (ignoring case and spacing) changes type; a proposed column not in
    ``current`` is added. When a column is dropped, its nested columns go with it and are
    not listed again.

    >>> schema_changes([{"name": "a", "type": "INT"}, {"name": "b", "type": "INT"}],
    ...                [FieldSpec("a", "BIGINT"), FieldSpec("c", "INT", nullable=False)])
    ... # doctest: +NORMALIZE_WHITESPACE
    [Change(kind=<ChangeKind.DROP_FIELD: 'DROP_FIELD'>, field='b', new_name=None,
            new_type=None, nullable=True, old_type='INT'),
     Change(kind=<ChangeKind.CHANGE_TYPE: 'CHANGE_TYPE'>, field='a', new_name=None,
            new_type='BIGINT', nullable=True, old_type='INT'),
     Change(kind=<ChangeKind.ADD_FIELD: 'ADD_FIELD'>, field='c', new_name=None,
            new_type='INT', nullable=False, old_type=None)]
    """
    old = current if isinstance(current, dict) else flat_schema(current)
    seen: set[str] = set()
    for spec in proposed:
        if spec.name in seen:
            raise InvalidArgument(f"the proposed schema names column {spec.name!r} twice")
        seen.add(spec.name)
    renames = {s.renamed_from: s for s in proposed if s.renamed_from}
    for source in renames:
        if source not in old:
            raise InvalidArgument(
                f"column {renames[source].name!r} is renamed from {source!r}, "
                "which the current schema does not have"
            )
    new = {s.name: s for s in proposed}
    dropped: list[Change] = []
    renamed: list[Change] = []
    retyped: list[Change] = []
    added: list[Change] = []
    gone: list[str] = []
    for path, kind in old.items():
        if any(path.startswith(parent + ".") for parent in gone):
            continue
        if path in renames:
            renamed.append(
                Change(ChangeKind.RENAME_FIELD, path, new_name=renames[path].name, old_type=kind)
            )
            gone.append(path)
        elif path not in new:
            dropped.append(Change(ChangeKind.DROP_FIELD, path, old_type=kind))
            gone.append(path)
        else:
            wanted = new[path].type
            if kind and wanted and _norm_type(kind) != _norm_type(wanted):
                retyped.append(Change(ChangeKind.CHANGE_TYPE, path, new_type=wanted, old_type=kind))
    renamed_to = {s.name for s in renames.values()}
    for spec in proposed:
        if spec.name not in old and spec.name not in renamed_to:
            added.append(
                Change(ChangeKind.ADD_FIELD, spec.name, new_type=spec.type, nullable=spec.nullable)
            )
    return dropped + renamed + retyped + added


def changes_nothing(change: Change) -> bool:
    """A type change to the type the column already has (ignoring case and spacing)."""
    return (
        change.kind is ChangeKind.CHANGE_TYPE
        and bool(change.old_type)
        and bool(change.new_type)
        and _norm_type(change.old_type or "") == _norm_type(change.new_type or "")
    )


def _norm_type(kind: str) -> str:
    return " ".join(kind.upper().split())


def current_schema(store: GraphStore, dataset: Node) -> dict[str, str | None]:
    """The dataset's schema: its schema facet, else its current version's."""
    fields = dataset_schema(dataset)
    if not fields:
        version = dataset.props.get("current_version")
        if isinstance(version, str):
            found = store.get_nodes([version]).get(version)
            fields = found.props.get("schema") if found is not None else None
    return flat_schema(fields)


def checked_change(
    change: Change, dataset: Node, known: set[str], current: Mapping[str, str | None]
) -> Change:
    """``change`` with its old type filled in; InvalidArgument when it cannot apply."""
    kind, name = change.kind, change.field
    label = label_of(dataset)
    if kind in WHOLE:
        if name:
            raise InvalidArgument(f"{kind.value} changes the whole dataset and names no column")
        return change
    if not name:
        raise InvalidArgument(f"{kind.value} needs the column it changes")
    if kind is ChangeKind.ADD_FIELD:
        if name in known:
            raise InvalidArgument(f"{label} already has a column {name!r}")
        return change
    if name not in known:
        listed = ", ".join(sorted(known)[:20]) or "none known"
        raise InvalidArgument(f"{label} has no column {name!r}; its columns: {listed}")
    if kind is ChangeKind.RENAME_FIELD:
        if not change.new_name:
            raise InvalidArgument(f"renaming column {name!r} needs the new name")
        if change.new_name in known:
            raise InvalidArgument(f"{label} already has a column {change.new_name!r}")
    if kind is ChangeKind.CHANGE_TYPE and not change.new_type:
        raise InvalidArgument(f"changing the type of column {name!r} needs the new type")
    return Change(
        kind,
        name,
        change.new_name,
        change.new_type,
        change.nullable,
        change.old_type or current.get(name),
    )
