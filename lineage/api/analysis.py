"""Impact, incidents and triage over REST, for scripts and CI jobs that do not speak GraphQL.

Each route runs the same GraphQL document the command line sends (``lineage.api.documents``)
and answers with its data, so REST, GraphQL and the CLI give one shape. GraphQL error codes
become HTTP statuses: NOT_FOUND 404, INVALID_ARGUMENT and INVALID_QUERY 400, FORBIDDEN 403,
UNAVAILABLE 503, TIMEOUT 504.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse

from lineage.api.answers import answer_schema
from lineage.api.auth import require
from lineage.api.documents import IMPACT_QUERY, INCIDENTS_QUERY, TRIAGE_QUERY
from lineage.api.graphql.router import request_context
from lineage.api.graphql.schema import schema
from lineage.api.responses import GraphQLFailure, answer
from lineage.api.visibility import store_for
from lineage.settings import Settings

#: The errors a route over a GraphQL document answers.
FAILURES: Final[dict[int | str, dict[str, Any]]] = {
    400: answer(GraphQLFailure, "An argument is not valid (INVALID_ARGUMENT, INVALID_QUERY)."),
    403: answer(GraphQLFailure, "Not allowed (FORBIDDEN)."),
    404: answer(GraphQLFailure, "No such dataset, node or incident (NOT_FOUND)."),
    503: answer(GraphQLFailure, "The store is unavailable (UNAVAILABLE)."),
    504: answer(GraphQLFailure, "The answer took too long (TIMEOUT)."),
}

router = APIRouter(prefix="/api/v1", responses=FAILURES)

STATUS_OF: Final = {
    "NOT_FOUND": 404,
    "INVALID_ARGUMENT": 400,
    "INVALID_QUERY": 400,
    "FORBIDDEN": 403,
    "UNAVAILABLE": 503,
    "TIMEOUT": 504,
}

INCIDENT_FIELDS: Final = """
  id shortId number check incidentKind title severity status origin openedAt acknowledgedAt
  resolvedAt resolution evidence fields { id ... on Field { path } }
  subject { id kind ... on Dataset { namespace name } ... on Job { namespace name }
            ... on Field { path dataset { namespace name } } }
"""
OPEN: Final = (
    "mutation($node: NodeRef!, $title: String!, $severity: Severity!, $kind: IncidentKind!) {"
    " openIncident(node: $node, title: $title, severity: $severity, kind: $kind) {"
    + INCIDENT_FIELDS
    + "} }"
)
ACKNOWLEDGE: Final = "mutation($id: ID!) { acknowledgeIncident(id: $id) {" + INCIDENT_FIELDS + "} }"
REOPEN: Final = "mutation($id: ID!) { reopenIncident(id: $id) {" + INCIDENT_FIELDS + "} }"
RESOLVE: Final = (
    "mutation($id: ID!, $reason: String!) { resolveIncident(id: $id, reason: $reason) {"
    + INCIDENT_FIELDS
    + "} }"
)


def _answers(
    document: str, field: str, description: str, status: int = 200
) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route answering ``data[field]`` of ``document``."""
    shape = answer_schema(schema._schema, document, field)
    return {
        status: {"description": description, "content": {"application/json": {"schema": shape}}}
    }


async def _answer(
    request: Request, document: str, variables: dict[str, Any], field: str, status: int = 200
) -> JSONResponse:
    settings: Settings = request.app.state.settings
    # The route's own scope check (ingest for changes) has already let the caller in.
    context = request_context(store_for(request), settings, can_write=True)
    result = await schema.execute(document, variable_values=variables, context_value=context)
    if result.errors:
        error = result.errors[0]
        code = str((error.extensions or {}).get("code", "INVALID_ARGUMENT"))
        return JSONResponse(
            {"error": error.message, "code": code}, status_code=STATUS_OF.get(code, 500)
        )
    assert result.data is not None
    return JSONResponse(result.data[field], status_code=status)


@router.post(
    "/impact",
    dependencies=[Depends(require("read"))],
    responses=_answers(IMPACT_QUERY, "impact", "What the change breaks, by severity."),
)
async def impact(
    request: Request,
    body: Annotated[
        dict[str, Any],
        Body(
            examples=[
                {
                    "dataset": {"namespace": "postgres://db:5432", "name": "shop.orders"},
                    "changes": [{"kind": "DROP_FIELD", "field": "status"}],
                }
            ]
        ),
    ],
) -> JSONResponse:
    """What a schema change would break downstream: ``dataset``, and ``changes`` (kind,
    field, newName, newType, nullable) or ``proposedSchema`` (fields), ``maxDepth``."""
    variables = {
        "dataset": body.get("dataset"),
        "changes": body.get("changes"),
        "schema": body.get("proposedSchema"),
        "depth": body.get("maxDepth", 10),
    }
    return await _answer(request, IMPACT_QUERY, variables, "impact")


@router.get(
    "/incidents",
    dependencies=[Depends(require("read"))],
    responses=_answers(INCIDENTS_QUERY, "incidents", "The incidents, newest first."),
)
async def incidents(
    request: Request,
    status: Annotated[str | None, Query(description="OPEN, ACKNOWLEDGED or RESOLVED")] = None,
    kind: Annotated[str | None, Query(description="DRIFT, QUALITY, RUN_FAILURE, ...")] = None,
) -> JSONResponse:
    """Incidents, newest first (up to 500)."""
    variables = {
        "status": status.upper() if status else None,
        "kind": kind.upper() if kind else None,
    }
    return await _answer(request, INCIDENTS_QUERY, variables, "incidents")


@router.post(
    "/incidents",
    status_code=201,
    dependencies=[Depends(require("incidents"))],
    responses=_answers(OPEN, "openIncident", "The incident opened.", 201),
)
async def open_incident(request: Request, body: Annotated[dict[str, Any], Body()]) -> JSONResponse:
    """Open an incident by hand: ``namespace``, ``name`` (and ``field``) of the node,
    ``title``, optional ``severity`` and ``kind``."""
    node = {k: body[k] for k in ("namespace", "name", "field", "runId") if body.get(k)}
    variables = {
        "node": node,
        "title": body.get("title"),
        "severity": str(body.get("severity") or "MEDIUM").upper(),
        "kind": str(body.get("kind") or "MANUAL").upper(),
    }
    return await _answer(request, OPEN, variables, "openIncident", status=201)


@router.post(
    "/incidents/{incident}/acknowledge",
    dependencies=[Depends(require("incidents"))],
    responses=_answers(ACKNOWLEDGE, "acknowledgeIncident", "The incident, acknowledged."),
)
async def acknowledge(request: Request, incident: str) -> JSONResponse:
    """Say someone is on it."""
    return await _answer(request, ACKNOWLEDGE, {"id": incident}, "acknowledgeIncident")


@router.post(
    "/incidents/{incident}/resolve",
    dependencies=[Depends(require("incidents"))],
    responses=_answers(RESOLVE, "resolveIncident", "The incident, resolved."),
)
async def resolve(
    request: Request, incident: str, body: Annotated[dict[str, Any], Body()]
) -> JSONResponse:
    """Close it: ``reason`` says why."""
    variables = {"id": incident, "reason": body.get("reason")}
    return await _answer(request, RESOLVE, variables, "resolveIncident")


@router.post(
    "/incidents/{incident}/reopen",
    dependencies=[Depends(require("incidents"))],
    responses=_answers(REOPEN, "reopenIncident", "The incident, open again."),
)
async def reopen(request: Request, incident: str) -> JSONResponse:
    """Open a resolved incident again (400 while a later one of the same check is open)."""
    return await _answer(request, REOPEN, {"id": incident}, "reopenIncident")


@router.get(
    "/incidents/{incident}/triage",
    dependencies=[Depends(require("read"))],
    responses=_answers(TRIAGE_QUERY, "triage", "The likely causes, ranked."),
)
async def triage_incident(
    request: Request, incident: str, max_depth: Annotated[int, Query(alias="maxDepth")] = 30
) -> JSONResponse:
    """The likely causes of an incident, ranked, with evidence, paths and blast radius."""
    variables = {"incident": incident, "node": None, "since": None, "depth": max_depth}
    return await _answer(request, TRIAGE_QUERY, variables, "triage")


@router.get(
    "/triage",
    dependencies=[Depends(require("read"))],
    responses=_answers(TRIAGE_QUERY, "triage", "The likely causes, ranked."),
)
async def triage_node(
    request: Request,
    namespace: str,
    name: str,
    since: Annotated[str, Query(description="ISO 8601: when the trouble began")],
    field: str | None = None,
    max_depth: Annotated[int, Query(alias="maxDepth")] = 30,
) -> JSONResponse:
    """The likely causes of trouble on a dataset (or field, or job) since a time."""
    node: dict[str, Any] = {"namespace": namespace, "name": name}
    if field:
        node["field"] = field
    variables = {"incident": None, "node": node, "since": since, "depth": max_depth}
    return await _answer(request, TRIAGE_QUERY, variables, "triage")
