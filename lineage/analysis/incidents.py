"""Reading incidents: what is open on a node, how healthy the node is, lists by filter."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any, Final

import orjson

from lineage.analysis.errors import InvalidArgument, NotFound
from lineage.graph.incidents import ACTIVE, NUMBERS, IncidentKind, IncidentStatus
from lineage.graph.model import EdgeKind, NodeKind
from lineage.store.base import Direction, GraphStore, Node

#: Incidents read for a list without a node filter; the list says when it stopped there.
SCAN_LIMIT = 50_000

#: A short incident id: ``INC-`` and the incident's number (``INC-42``), or, for incidents
#: created before they were numbered, the first hex digits of the stable digest.
SHORT_ID: Final = re.compile(r"INC-([0-9A-F]{1,16})", re.IGNORECASE)
_SHORT_DIGITS: Final = 8


def short_id(incident: Node) -> str:
    """``INC-42``: the incident's number, given when it was created, short enough to say
    and type. An incident from before numbers has ``INC-41903D87``, the first digits of its
    stable digest."""
    number = incident.props.get("number")
    if number is not None:
        return f"INC-{int(number)}"
    return "INC-" + incident.id.rsplit("\x1f", 1)[-1][:_SHORT_DIGITS].upper()


def number_of(store: GraphStore, number: int) -> str | None:
    """The id of the incident numbered ``number`` (``INC-<number>``), None when none is."""
    entries = store.ledger({NUMBERS: float(number)})[NUMBERS]
    for entry in entries:
        if entry.at == float(number):
            return entry.key
    return None


def by_short_id(store: GraphStore, text: str) -> str | None:
    """The internal id of the incident a short id names (``INC-42``, or for an incident
    from before numbers ``INC-41903D87``, or at least six of its digits); None when ``text``
    is not a short id.

    Raises NotFound when no incident has that number or those digits, InvalidArgument when
    several do.
    """
    matched = SHORT_ID.fullmatch(text.strip())
    if matched is None:
        return None
    digits = matched.group(1).lower()
    if digits.isdigit():
        found_id = number_of(store, int(digits))
        if found_id is not None and found_id in store.get_nodes([found_id]):
            return found_id
    if len(digits) < 6:
        raise NotFound(f"no incident {text.strip()}; `lineage incidents` lists them")
    found = sorted(
        n.id
        for n in store.nodes_of_kind(NodeKind.INCIDENT, limit=SCAN_LIMIT)
        if n.props.get("number") is None and n.id.rsplit("\x1f", 1)[-1].startswith(digits)
    )
    if not found:
        raise NotFound(f"no incident {text.strip()}; `lineage incidents` lists them")
    if len(found) > 1:
        longer = ", ".join("INC-" + f.rsplit("\x1f", 1)[-1].upper() for f in found[:5])
        raise InvalidArgument(
            f"{text.strip()} names {len(found)} incidents ({longer}); give more of its digits"
        )
    return found[0]


class Health(StrEnum):
    OK = "OK"
    WARNING = "WARNING"  # only acknowledged incidents
    FAILING = "FAILING"  # at least one open incident


def status_of(incident: Node, at: float | None = None) -> IncidentStatus | None:
    """Its status now, or at ``at`` (epoch seconds; None when it was not open yet)."""
    if at is not None:
        props = incident.props
        if float(props.get("opened_at") or 0.0) > at:
            return None
        resolved, acked = props.get("resolved_at"), props.get("acknowledged_at")
        if resolved is not None and float(resolved) <= at:
            return IncidentStatus.RESOLVED
        if acked is not None and float(acked) <= at:
            return IncidentStatus.ACKNOWLEDGED
        return IncidentStatus.OPEN
    try:
        return IncidentStatus(str(incident.props.get("status")))
    except ValueError:
        return IncidentStatus.OPEN


def is_active(incident: Node, at: float | None = None) -> bool:
    return status_of(incident, at) in ACTIVE


def health(incidents: Iterable[Node], at: float | None = None) -> Health:
    """FAILING while any incident is OPEN, WARNING while some are only ACKNOWLEDGED
    (now, or as things stood at ``at``)."""
    statuses = {status_of(i, at) for i in incidents}
    if IncidentStatus.OPEN in statuses:
        return Health.FAILING
    if IncidentStatus.ACKNOWLEDGED in statuses:
        return Health.WARNING
    return Health.OK


def evidence(incident: Node) -> list[dict[str, Any]]:
    """What opened the incident and was seen while it was open, oldest first."""
    entries = []
    for raw in incident.props.get("evidence") or ():
        try:
            entry = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    entries.sort(key=lambda e: (e.get("at") or 0.0, str(e.get("check"))))
    return entries


def incidents_on(store: GraphStore, ids: Sequence[str]) -> dict[str, list[Node]]:
    """Every incident on each of ``ids`` (two store calls), newest first."""
    found: dict[str, list[Node]] = {nid: [] for nid in ids}
    if not ids:
        return found
    edges = store.edges_of(ids, Direction.UPSTREAM, [EdgeKind.ON])
    nodes = store.get_nodes(sorted({e.src for e in edges}))
    for edge in edges:
        node = nodes.get(edge.src)
        if node is not None and node.kind is NodeKind.INCIDENT and edge.dst in found:
            found[edge.dst].append(node)
    for incidents in found.values():
        incidents.sort(key=_newest_first)
    return found


def find_incidents(
    store: GraphStore,
    *,
    status: IncidentStatus | None = None,
    kind: IncidentKind | None = None,
    subject: str | None = None,
) -> list[Node]:
    """Incidents matching every filter given, newest first."""
    if subject is not None:
        candidates = incidents_on(store, [subject])[subject]
    else:
        candidates = store.nodes_of_kind(NodeKind.INCIDENT, limit=SCAN_LIMIT)
    return sorted(
        (
            i
            for i in candidates
            if (status is None or status_of(i) is status)
            and (kind is None or i.props.get("kind") == kind.value)
        ),
        key=_newest_first,
    )


def _newest_first(incident: Node) -> tuple[float, str]:
    return (-float(incident.props.get("opened_at") or 0.0), incident.id)
