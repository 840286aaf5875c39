"""Incidents: something wrong with a node, from events or from a person."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from lineage.analysis.incidents import evidence as incident_evidence
from lineage.analysis.incidents import short_id, status_of
from lineage.api.graphql.types.common import (
    Info,
    Node,
    described,
    shows,
    text_field,
    time_field,
    to_object,
)
from lineage.graph.incidents import IncidentKind, IncidentStatus, Severity
from lineage.graph.model import NodeKind


@shows(NodeKind.INCIDENT)
@strawberry.type(
    description="Something wrong with a node: drift, a failed check, a failed run, a breaking "
    "schema change, or what a person reported."
)
class Incident(Node):
    @described(
        "A short id, INC- and its number (INC-42), accepted wherever an incident's id is. "
        "Incidents from before numbers were given have INC- and the first digits of their "
        "digest."
    )
    def short_id(self) -> str:
        return short_id(self.raw)

    @described("Its number, given in order of creation (None for incidents from before).")
    def number(self) -> int | None:
        number = self.raw.props.get("number")
        return int(number) if number is not None else None

    check = text_field(
        "check", "The check that failed, for a data quality incident (one per failed check)."
    )

    @described("The fields the failed check is about (a data quality incident is linked to them).")
    async def fields(self, info: Info) -> list[Node]:
        found = []
        for fid in self.raw.props.get("fields") or ():
            node = await info.context.loaders.node(str(fid))
            if node is not None:
                found.append(to_object(node))
        return found

    @strawberry.field
    def incident_kind(self) -> IncidentKind:
        return IncidentKind(str(self.raw.props.get("kind")))

    @strawberry.field
    def title(self) -> str:
        return str(self.raw.props.get("title") or "")

    @strawberry.field
    def severity(self) -> Severity:
        try:
            return Severity(str(self.raw.props.get("severity")))
        except ValueError:
            return Severity.MEDIUM

    @strawberry.field
    def status(self) -> IncidentStatus:
        return status_of(self.raw) or IncidentStatus.OPEN

    @described("Whether it was opened from events (automatic) or by a person (manual).")
    def origin(self) -> str:
        return str(self.raw.props.get("origin") or "automatic")

    opened_at = time_field("opened_at")
    acknowledged_at = time_field("acknowledged_at")
    resolved_at = time_field("resolved_at")
    resolution = text_field("resolution", "Why it was resolved.")

    @described("The dataset, field, job, model or endpoint it is on.")
    async def subject(self, info: Info) -> Node | None:
        found = await self._named(info, "subject")
        return to_object(found) if found is not None else None

    @described(
        "What opened it and what was seen while it was open, oldest first: each entry has "
        "at (epoch seconds), check, detail, run and version."
    )
    def evidence(self) -> JSON:
        return JSON(incident_evidence(self.raw))

    @described("Everything recorded about it.")
    def properties(self) -> JSON:
        return JSON(dict(self.raw.props))
