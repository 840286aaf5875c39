"""The answer's shape: how surely an item is hurt (:class:`Severity`), what it is
(:class:`Category`), the way to it, and the summary and owners to notify over all items."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from lineage.analysis.impact.changes import Change
from lineage.store.base import Node


class Severity(StrEnum):
    """How surely an item is hurt by a change, most sure first."""

    BREAKING = "BREAKING"
    LIKELY = "LIKELY"
    POSSIBLE = "POSSIBLE"


RANK: Final = {Severity.BREAKING: 3, Severity.LIKELY: 2, Severity.POSSIBLE: 1}


class Category(StrEnum):
    """What an affected item is, for counting: MODEL and ENDPOINT are datasets of those
    types, DEPLOYMENT a job of that type."""

    FIELD = "FIELD"
    DATASET = "DATASET"
    MODEL = "MODEL"
    ENDPOINT = "ENDPOINT"
    JOB = "JOB"
    DEPLOYMENT = "DEPLOYMENT"


@dataclass(frozen=True, slots=True)
class Step:
    """One hop on the way from the change to an item, the way data flows.

    ``kind`` is FEEDS (column lineage: ``source`` field feeds ``target`` field in ``job``;
    ``props`` are the edge's: ``type``, ``subtype``, ``transformations``), READS (dataset
    ``source`` is read by job ``target``), PRODUCES (job ``source`` writes dataset
    ``target``), ALIAS_OF (the same data under another name), or WRITES (job ``source``
    writes the changed dataset ``target``: ADD_FIELD of a non-nullable column).
    """

    kind: str
    source: str
    target: str
    job: str | None = None
    props: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Owner:
    name: str
    type: str | None = None


@dataclass(frozen=True, slots=True)
class ImpactItem:
    """A field, dataset or job a change reaches, how surely, how far, and why.

    ``chain`` is the way from the changed column (or dataset) to the item, with the
    transformation of every column-lineage step; ``reason`` says it in words, and for a
    POSSIBLE item why the answer is uncertain.
    """

    node: Node
    category: Category
    severity: Severity
    distance: int
    reason: str
    chain: tuple[Step, ...]
    owners: tuple[Owner, ...]

    @property
    def uncertain(self) -> bool:
        return self.severity is Severity.POSSIBLE


@dataclass(frozen=True, slots=True)
class Summary:
    """Distinct items by their worst class, and by category."""

    breaking: int = 0
    likely: int = 0
    possible: int = 0
    fields: int = 0
    datasets: int = 0
    models: int = 0
    endpoints: int = 0
    jobs: int = 0
    deployments: int = 0

    @classmethod
    def of(cls, items: Iterable[ImpactItem]) -> Summary:
        worst = _worst(items)
        by_severity = {s: 0 for s in Severity}
        by_category = {c: 0 for c in Category}
        for item in worst.values():
            by_severity[item.severity] += 1
            by_category[item.category] += 1
        return cls(
            breaking=by_severity[Severity.BREAKING],
            likely=by_severity[Severity.LIKELY],
            possible=by_severity[Severity.POSSIBLE],
            fields=by_category[Category.FIELD],
            datasets=by_category[Category.DATASET],
            models=by_category[Category.MODEL],
            endpoints=by_category[Category.ENDPOINT],
            jobs=by_category[Category.JOB],
            deployments=by_category[Category.DEPLOYMENT],
        )


@dataclass(frozen=True, slots=True)
class Notify:
    """An owner to tell: the worst class among their items, and those items' node ids."""

    name: str
    type: str | None
    severity: Severity
    items: tuple[str, ...]


@dataclass(slots=True)
class ChangeImpact:
    """What one change reaches; ``items`` nearest first, then most sure first."""

    change: Change
    items: list[ImpactItem] = field(default_factory=list)
    note: str | None = None

    @property
    def breaking(self) -> bool:
        return any(i.severity is Severity.BREAKING for i in self.items)

    def by_distance(self) -> list[tuple[int, list[ImpactItem]]]:
        """The items grouped by distance, nearest first."""
        groups: dict[int, list[ImpactItem]] = {}
        for item in self.items:
            groups.setdefault(item.distance, []).append(item)
        return sorted(groups.items())

    def summary(self) -> Summary:
        return Summary.of(self.items)


@dataclass(slots=True)
class ImpactReport:
    """The answer of :func:`impact`.

    ``truncated`` is true when the node budget left out items within ``max_depth``.
    ``nodes`` holds every node the items and their chains name.
    """

    dataset: Node
    changes: list[ChangeImpact]
    summary: Summary
    owners: list[Notify]
    truncated: bool
    max_depth: int
    nodes: dict[str, Node] = field(default_factory=dict)

    @property
    def breaking(self) -> bool:
        return any(c.breaking for c in self.changes)


def _worst(items: Iterable[ImpactItem]) -> dict[str, ImpactItem]:
    worst: dict[str, ImpactItem] = {}
    for item in items:
        old = worst.get(item.node.id)
        if old is None or RANK[item.severity] > RANK[old.severity]:
            worst[item.node.id] = item
    return worst


def owners_to_notify(items: Iterable[ImpactItem]) -> list[Notify]:
    severity: dict[tuple[str, str | None], Severity] = {}
    owned: dict[tuple[str, str | None], list[str]] = {}
    for item in _worst(items).values():
        for owner in item.owners:
            key = (owner.name, owner.type)
            if key not in severity or RANK[item.severity] > RANK[severity[key]]:
                severity[key] = item.severity
            owned.setdefault(key, []).append(item.node.id)
    return sorted(
        (Notify(k[0], k[1], severity[k], tuple(sorted(owned[k]))) for k in severity),
        key=lambda n: (-RANK[n.severity], n.name, n.type or ""),
    )
