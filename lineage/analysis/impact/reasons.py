"""Why an item is hurt, in words: the change's consequence and the way to the item."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from lineage.analysis.impact.changes import WHOLE, Change, ChangeKind
from lineage.analysis.impact.names import dataset_of, label, label_of, path_of
from lineage.analysis.impact.report import Severity, Step
from lineage.analysis.impact.walk import feed_cap
from lineage.graph.model import EdgeKind, NodeKind
from lineage.store.base import Edge, Node


def origin_of(dataset: Node, change: Change) -> str:
    if change.kind in WHOLE:
        return label_of(dataset)
    return f"{label_of(dataset)}.{change.field}"


def _consequence(change: Change, origin: str) -> str:
    kind = change.kind
    if kind is ChangeKind.DROP_FIELD:
        return f"{origin} is dropped"
    if kind is ChangeKind.RENAME_FIELD:
        return f"{origin} is renamed to {change.new_name}"
    if kind is ChangeKind.CHANGE_TYPE:
        before = f" from {change.old_type}" if change.old_type else ""
        return f"{origin} changes type{before} to {change.new_type}"
    if kind is ChangeKind.DROP_DATASET:
        return f"{origin} is dropped"
    return f"{origin} is renamed" + (f" to {change.new_name}" if change.new_name else "")


def _how(step: Step) -> str:
    """``DIRECT/AGGREGATION``: the step's DIRECT transformation if it has one."""
    found: list[Mapping[str, Any]] = []
    for raw in step.props.get("transformations") or ():
        try:
            value = orjson.loads(raw) if isinstance(raw, str | bytes) else raw
        except orjson.JSONDecodeError:
            continue
        if isinstance(value, Mapping):
            found.append(value)
    found.sort(key=lambda t: t.get("type") != "DIRECT")
    best = found[0] if found else step.props
    if not best.get("type"):
        return "how unknown"
    kind = str(best.get("type"))
    subtype = best.get("subtype")
    return f"{kind}/{subtype}" if subtype else kind


def reason_of(
    node: Node,
    severity: Severity,
    distance: int,
    chain: Sequence[Step],
    change: Change,
    origin: str,
    dataset: Node,
    nodes: Mapping[str, Node],
) -> str:
    """Why ``node``, reached at ``severity`` and ``distance`` by ``chain``, is hurt when
    ``change`` reaches it from ``origin`` (the changed column or dataset)."""
    consequence = _consequence(change, origin)
    if change.kind in WHOLE:
        return _whole_reason(node, distance, chain, origin, consequence, nodes)
    if severity is Severity.POSSIBLE:
        return _uncertain_reason(node, chain, origin, nodes)
    feeds = [s for s in chain if s.kind == "FEEDS"]
    if not feeds:
        return consequence
    if severity is Severity.BREAKING:
        return _breaking_reason(node, feeds, origin, consequence, nodes)
    return _likely_reason(node, feeds, origin, consequence, nodes)


def _whole_reason(
    node: Node,
    distance: int,
    chain: Sequence[Step],
    origin: str,
    consequence: str,
    nodes: Mapping[str, Node],
) -> str:
    """The dataset is dropped or renamed: its readers fail, what they write goes stale."""
    if distance == 1 and node.kind is NodeKind.JOB:
        return f"reads {origin}, which is gone under that name: it fails ({consequence})"
    if distance == 1:
        writer = next((s.job for s in chain if s.job), None)
        return f"written by {label(writer, nodes)}, which reads {origin} ({consequence})"
    if node.kind is NodeKind.JOB:
        read = chain[-1].source if chain else None
        if chain and chain[-1].kind == "FEEDS":
            read = dataset_of(chain[-1].source)
        return f"reads {label(read, nodes)}, which is no longer written once {consequence}"
    return f"downstream of {origin}: no longer written once {consequence}"


def _uncertain_reason(
    node: Node, chain: Sequence[Step], origin: str, nodes: Mapping[str, Node]
) -> str:
    """A POSSIBLE item: the read whose column use is unknown, or known only in part."""
    blind = next((s for s in chain if s.kind == "READS"), None)
    if blind is None:
        return f"may depend on {origin}: uncertain"
    reader, read = label(blind.target, nodes), label(blind.source, nodes)
    gap = blind.props.get("column_usage_gap")
    if gap:
        why = (
            f"{reader} reads {read} and its column use is known only in part ({gap}), "
            f"so whether it uses {origin} is unknown"
        )
    else:
        why = (
            f"{reader} reads {read} but reported no column lineage for it (a SELECT *, "
            f"or a producer that does not send column lineage), so whether it uses "
            f"{origin} is unknown"
        )
    if node.kind is NodeKind.JOB and node.id == blind.target:
        return why
    return f"downstream of {reader}: {why}"


def _subject(node: Node, last: Step) -> str:
    """``its column total `` for a dataset, whose column the way ends at; else nothing."""
    if node.kind is NodeKind.DATASET:
        return f"its column {path_of(last.target)} "
    return ""


def _breaking_reason(
    node: Node,
    feeds: Sequence[Step],
    origin: str,
    consequence: str,
    nodes: Mapping[str, Node],
) -> str:
    """A BREAKING item: it takes its value directly from the changed column (a job: its
    query names the column)."""
    last = feeds[-1]
    if node.kind is NodeKind.JOB:
        if len(feeds) == 1 and _feed_cap_of(last) is not Severity.BREAKING:
            return (
                f"its query uses {origin} ({_how(last)}) for "
                f"{label(last.target, nodes)}: it fails once {consequence}"
            )
        if len(feeds) == 1:
            return (
                f"reads {origin} directly ({_how(last)}) into "
                f"{label(last.target, nodes)}: {consequence}"
            )
        return (
            f"reads {label(last.source, nodes)}, which takes its value directly from "
            f"{origin}: {consequence}"
        )
    subject = _subject(node, last)
    if len(feeds) == 1:
        return (
            f"{subject}takes its value directly from {origin} ({_how(last)} in "
            f"{label(last.job, nodes)}): {consequence}"
        )
    hops = " -> ".join(_how(s) for s in feeds)
    return (
        f"{subject}takes its value directly from {origin}, {len(feeds)} steps away "
        f"({hops}): {consequence}"
    )


def _likely_reason(
    node: Node,
    feeds: Sequence[Step],
    origin: str,
    consequence: str,
    nodes: Mapping[str, Node],
) -> str:
    """A LIKELY item: an INDIRECT step (a join key, a filter, a grouping) on the way."""
    last = feeds[-1]
    indirect = next((s for s in feeds if _feed_cap_of(s) is Severity.LIKELY), last)
    where = f" in {label(indirect.job, nodes)}" if indirect.job else ""
    used = origin if indirect is feeds[0] else f"{label(indirect.source, nodes)} (fed by {origin})"
    if node.kind is NodeKind.JOB and indirect is not last:
        return (
            f"reads {label(last.source, nodes)}, which depends on {origin} indirectly "
            f"({_how(indirect)}{where}): its rows or values may change when {consequence}"
        )
    verb = "uses" if node.kind is NodeKind.JOB else f"{_subject(node, last)}depends on"
    return (
        f"{verb} {used} indirectly ({_how(indirect)}{where}: a join key, filter or grouping): "
        f"its rows or values may change when {consequence}"
    )


def _feed_cap_of(step: Step) -> Severity:
    return feed_cap(Edge("", EdgeKind.FEEDS, step.source, step.target, step.props))
