"""Classification: the items one change reaches, each with its class, distance,
reason and owners, from the walk's answer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from lineage.analysis.impact.cache import Cache
from lineage.analysis.impact.changes import WHOLE, Change, ChangeKind
from lineage.analysis.impact.names import dataset_of, label_of, path_of
from lineage.analysis.impact.reasons import origin_of, reason_of
from lineage.analysis.impact.report import (
    RANK,
    Category,
    ChangeImpact,
    ImpactItem,
    Owner,
    Severity,
    Step,
)
from lineage.analysis.impact.walk import Arc, Key, Walk
from lineage.graph.model import NodeKind, field_id, split_id
from lineage.store.base import Node


def impact_of(
    cache: Cache, dataset: Node, change: Change, max_depth: int, budget: int
) -> tuple[ChangeImpact, bool]:
    if change.kind is ChangeKind.ADD_FIELD:
        return _added(cache, dataset, change), False
    whole = change.kind in WHOLE
    starts = _starts(cache, dataset, change, whole)
    walk = Walk(cache, whole, max_depth, budget)
    walk.collect(starts)
    reached = walk.classify(starts)
    origin = origin_of(dataset, change)
    itself = {dataset.id} | cache.aliases(dataset.id)
    items: dict[str, ImpactItem] = {}

    def offer(nid: str, severity: Severity, distance: int, way: Sequence[Arc]) -> None:
        node = cache.nodes.get(nid)
        if node is None or nid in itself or distance < 1:
            return
        old = items.get(nid)
        if old is not None and (RANK[old.severity], -old.distance) >= (
            RANK[severity],
            -distance,
        ):
            return
        chain = tuple(a.step for a in way if a.step is not None)
        reason = reason_of(node, severity, distance, chain, change, origin, dataset, cache.nodes)
        items[nid] = ImpactItem(
            node, _category(node), severity, distance, reason, chain, _owners(node, cache.nodes)
        )

    # A job whose query names a dropped or renamed column fails, whatever it does with it:
    # a join key, a filter or a grouping as surely as a copied value.
    fails_on_use = change.kind in (ChangeKind.DROP_FIELD, ChangeKind.RENAME_FIELD)
    start_keys = set(starts)
    for key, seen in reached.items():
        last = seen.way[-1].step if seen.way else None
        kind, nid = key
        # A state reached through a symlink is the same data as the one before it.
        if last is None or last.kind != "ALIAS_OF":
            if kind in ("F", "D", "J"):
                offer(nid, seen.severity, seen.distance, seen.way)
            if kind == "F":
                offer(dataset_of(nid), seen.severity, seen.distance, seen.way)
        for arc in walk.arcs.get(key, ()):
            # The job of a column-lineage step is hurt as surely as the column it writes.
            if arc.job and arc.target in reached and seen.distance + 1 <= max_depth:
                severity = _min(seen.severity, arc.cap)
                if fails_on_use and key in start_keys:
                    severity = Severity.BREAKING
                offer(arc.job, severity, seen.distance + 1, (*seen.way, arc))
    ordered = sorted(
        items.values(),
        key=lambda i: (i.distance, -RANK[i.severity], _KIND_ORDER[i.node.kind], label_of(i.node)),
    )
    return ChangeImpact(change, ordered, _note(change, ordered)), walk.truncated


_KIND_ORDER: Final = {NodeKind.JOB: 0, NodeKind.DATASET: 1, NodeKind.FIELD: 2}


def _starts(cache: Cache, dataset: Node, change: Change, whole: bool) -> list[Key]:
    """Where the walk starts: the dataset and all its fields for a change to the whole
    dataset, else the changed column and the columns nested in it."""
    if whole:
        return [("D", dataset.id)] + [("F", f) for f in cache.fields(dataset.id)]
    assert change.field is not None
    path = change.field
    _, (namespace, name) = split_id(dataset.id)
    fields = {field_id(namespace, name, path)}
    fields |= {f for f in cache.fields(dataset.id) if path_of(f).startswith(path + ".")}
    return [("F", f) for f in sorted(fields)]


def _note(change: Change, items: Sequence[ImpactItem]) -> str | None:
    note = None
    if change.kind is ChangeKind.CHANGE_TYPE and not change.old_type:
        note = "the current schema gives no type for this column, so the change cannot be checked"
    if not items:
        note = note or "nothing downstream reads it"
    return note


def _added(cache: Cache, dataset: Node, change: Change) -> ChangeImpact:
    if change.nullable:
        return ChangeImpact(change, [], "adding a nullable column breaks no reader")
    writers = cache.writers(dataset.id)
    cache.load_nodes(e.src for e in writers)
    items = []
    for e in writers:
        job = cache.nodes.get(e.src)
        if job is None:
            continue
        reason = (
            f"writes {label_of(dataset)}: every row must now carry a value for the new "
            f"non-nullable column {change.field}, and a write that does not supply one fails"
        )
        step = Step("WRITES", e.src, dataset.id, e.src, e.props)
        items.append(
            ImpactItem(
                job,
                _category(job),
                Severity.LIKELY,
                0,
                reason,
                (step,),
                _owners(job, cache.nodes),
            )
        )
    items.sort(key=lambda i: label_of(i.node))
    note = (
        "a non-nullable column added without a default must be supplied by every writer; "
        "readers are not affected"
    )
    return ChangeImpact(change, items, note)


def _category(node: Node) -> Category:
    kind = str(node.props.get("type") or "").upper()
    if node.kind is NodeKind.FIELD:
        return Category.FIELD
    if node.kind is NodeKind.JOB:
        return Category.DEPLOYMENT if kind == "DEPLOYMENT" else Category.JOB
    if kind == "MODEL":
        return Category.MODEL
    if kind == "ENDPOINT":
        return Category.ENDPOINT
    return Category.DATASET


def _owners(node: Node, nodes: Mapping[str, Node]) -> tuple[Owner, ...]:
    """Its ownership facet's owners; a field's are its dataset's."""
    holder = node
    if node.kind is NodeKind.FIELD:
        holder = nodes.get(dataset_of(node.id), node)
    found: dict[tuple[str, str | None], Owner] = {}
    for entry in holder.props.get("owners") or ():
        if isinstance(entry, Mapping) and entry.get("name"):
            kind = entry.get("type")
            owner = Owner(str(entry["name"]), str(kind) if kind is not None else None)
            found[(owner.name, owner.type)] = owner
    return tuple(found[k] for k in sorted(found, key=lambda k: (k[0], k[1] or "")))


def _min(a: Severity, b: Severity | None) -> Severity:
    return a if b is None or RANK[a] <= RANK[b] else b
