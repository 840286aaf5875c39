"""Incidents and triage over GraphQL: the list, people's actions on them, and triage reports."""

from __future__ import annotations

from datetime import datetime
from functools import partial

import strawberry
from graphql import GraphQLError

from lineage.analysis import InvalidArgument, NotFound, resolve
from lineage.analysis.incidents import by_short_id, find_incidents
from lineage.analysis.triage import (
    DEFAULT_TRIAGE_DEPTH,
    Evidence,
    EvidenceKind,
    Suspect,
    TriageReport,
    triage,
)
from lineage.api.graphql.ids import decode_id
from lineage.api.graphql.types import (
    Connection,
    Incident,
    Info,
    Node,
    NodeRefInput,
    described,
    epoch,
    one,
    paginate,
    timestamp,
    to_object,
)
from lineage.graph.incidents import IncidentKind, IncidentStatus, Severity
from lineage.graph.model import NodeKind
from lineage.ingest.incidents import open_incident, set_status

strawberry.enum(EvidenceKind, description="What points at a suspect.")


@strawberry.type(description="One thing that points at a suspect.")
class EvidenceType:
    kind: EvidenceKind
    detail: str
    observed_at: datetime | None
    strength: float = strawberry.field(description="How strongly it points at a cause, 0 to 1.")


@strawberry.type(name="Suspect", description="A likely cause, with its score and why.")
class SuspectType:
    node: Node
    score: float = strawberry.field(
        description="strength x proximity x recency x precedence; see `why`."
    )
    evidence: list[EvidenceType]
    path: list[Node] = strawberry.field(
        description="From the incident's node to the suspect: against the data flow, or "
        "from a parent run (a dbt invocation, a DAG run) to its failed child run."
    )
    distance: int = strawberry.field(description="Dataset versions between subject and suspect.")
    why: str = strawberry.field(description="The score's factors in words.")


@strawberry.type(description="Ranked likely causes of an incident, the sources, and the damage.")
class TriageReportType:
    subject: Node
    incident: Incident | None
    scope: str = strawberry.field(
        description="Whole datasets, or the column lineage cone of the field the incident is on."
    )
    started_at: datetime | None = strawberry.field(description="When the trouble started.")
    since: datetime | None = strawberry.field(description="Evidence counts from this time.")
    suspects: list[SuspectType]
    raw_sources: list[Node] = strawberry.field(description="Where the walk upstream ended.")
    blast_radius: list[Node] = strawberry.field(
        description="What the trouble hurts, nearest first: the datasets downstream of the "
        "top suspect when it is upstream of the subject; otherwise what the subject feeds "
        "(columns, datasets, models, endpoints and jobs, those its failed child runs feed, "
        "and the job of a parent run that failed with it)."
    )
    truncated: bool


def _evidence(e: Evidence) -> EvidenceType:
    return EvidenceType(
        kind=e.kind, detail=e.detail, observed_at=timestamp(e.observed_at), strength=e.strength
    )


def _report(report: TriageReport) -> TriageReportType:
    nodes = report.nodes

    def obj(nid: str) -> Node:
        return to_object(nodes[nid])

    def suspect(s: Suspect) -> SuspectType:
        return SuspectType(
            node=obj(s.node),
            score=s.score,
            evidence=[_evidence(e) for e in s.evidence],
            path=[obj(n) for n in s.path if n in nodes],
            distance=s.distance,
            why=s.why,
        )

    return TriageReportType(
        subject=obj(report.subject.id),
        incident=one(report.incident, Incident),
        scope=report.scope,
        started_at=timestamp(report.started_at),
        since=timestamp(report.since),
        suspects=[suspect(s) for s in report.suspects],
        raw_sources=[obj(n) for n in report.raw_sources if n in nodes],
        blast_radius=[obj(n) for n in report.blast_radius if n in nodes],
        truncated=report.truncated,
    )


async def _incident_id(info: Info, id: strawberry.ID) -> str:
    """The internal id of an incident given by its API id or its short id (INC-...)."""
    store = info.context.store
    short = await info.context.offload(lambda: by_short_id(store, str(id)))
    if short is not None:
        return short
    nid = decode_id(str(id))
    if not nid.startswith(NodeKind.INCIDENT.value):
        raise InvalidArgument(f"{id!r} is not the id of an incident")
    return nid


async def resolve_incidents(
    info: Info,
    status: IncidentStatus | None = None,
    kind: IncidentKind | None = None,
    node: NodeRefInput | None = None,
    first: int | None = None,
    after: str | None = None,
) -> Connection[Incident]:
    store = info.context.store

    def answer() -> list[Incident]:
        subject = resolve(store, node.to_ref()).id if node is not None else None
        found = find_incidents(store, status=status, kind=kind, subject=subject)
        return [i for n in found if (i := one(n, Incident)) is not None]

    return paginate(await info.context.offload(answer), first, after)


async def resolve_triage(
    info: Info,
    incident: strawberry.ID | None = None,
    node: NodeRefInput | None = None,
    since: datetime | None = None,
    max_depth: int = DEFAULT_TRIAGE_DEPTH,
) -> TriageReportType:
    context = info.context
    if not 1 <= max_depth <= context.max_depth:
        raise InvalidArgument(f"maxDepth must be between 1 and {context.max_depth}")
    run = partial(
        triage,
        context.store,
        incident=await _incident_id(info, incident) if incident is not None else None,
        start=node.to_ref() if node is not None else None,
        since=epoch(since),
        max_depth=max_depth,
        node_budget=context.node_budget,
        deadline=context.deadline,
    )
    return _report(await context.offload(run))


incidents_field: Connection[Incident] = strawberry.field(
    resolver=resolve_incidents,
    description="Incidents, newest first, filtered by status, kind and the node they are on.",
)
triage_field: TriageReportType = strawberry.field(
    resolver=resolve_triage,
    description="The likely causes of an incident (`incident`), or of trouble on a node "
    "since a time (`node` and `since`): suspects ranked with their evidence and path, the "
    "raw sources reached, and the blast radius of the top suspect.",
)


def _check_writer(info: Info) -> None:
    if not info.context.can_write:
        raise GraphQLError(
            "changing incidents needs a token with the 'incidents' or 'admin' scope",
            extensions={"code": "FORBIDDEN"},
        )


async def _stored(info: Info, nid: str) -> Incident:
    store = info.context.store
    found = (await info.context.offload(lambda: store.get_nodes([nid]))).get(nid)
    incident = one(found, Incident)
    if incident is None:
        raise NotFound(f"no incident {nid!r}")
    return incident


@strawberry.type
class Mutation:
    @described("Open an incident by hand on any node (MANUAL unless another kind is given).")
    async def open_incident(
        self,
        info: Info,
        node: NodeRefInput,
        title: str,
        severity: Severity = Severity.MEDIUM,
        kind: IncidentKind = IncidentKind.MANUAL,
    ) -> Incident:
        _check_writer(info)
        store = info.context.store
        if not title.strip():
            raise InvalidArgument("title must not be empty")

        def work() -> str:
            subject = resolve(store, node.to_ref())
            return open_incident(store, subject.id, title, severity=severity, kind=kind)

        return await _stored(info, await info.context.offload(work))

    @described("Say someone is on it: the node shows WARNING instead of FAILING.")
    async def acknowledge_incident(self, info: Info, id: strawberry.ID) -> Incident:
        _check_writer(info)
        nid = await _incident_id(info, id)
        await _stored(info, nid)
        store = info.context.store
        await info.context.offload(lambda: set_status(store, nid, IncidentStatus.ACKNOWLEDGED))
        return await _stored(info, nid)

    @described("Close it, saying why.")
    async def resolve_incident(self, info: Info, id: strawberry.ID, reason: str) -> Incident:
        _check_writer(info)
        nid = await _incident_id(info, id)
        if not reason.strip():
            raise InvalidArgument("reason must say why the incident is resolved")
        await _stored(info, nid)
        store = info.context.store
        await info.context.offload(lambda: set_status(store, nid, IncidentStatus.RESOLVED, reason))
        return await _stored(info, nid)

    @described(
        "Open a resolved incident again: its checks count as failing until they pass again. "
        "Refused while a later incident of the same check is open."
    )
    async def reopen_incident(self, info: Info, id: strawberry.ID) -> Incident:
        _check_writer(info)
        nid = await _incident_id(info, id)
        await _stored(info, nid)
        store = info.context.store

        def work() -> None:
            try:
                set_status(store, nid, IncidentStatus.OPEN)
            except ValueError as exc:
                raise InvalidArgument(str(exc)) from exc

        await info.context.offload(work)
        return await _stored(info, nid)


__all__ = ["Mutation", "TriageReportType", "incidents_field", "triage_field"]
