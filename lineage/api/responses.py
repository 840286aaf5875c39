"""The shapes of this service's own REST answers, for ``/openapi.json``.

Routes build their answers as plain JSON (fast, no re-validation on the way out); these
models document them, and ``tests/api/test_openapi_responses.py`` checks every answer
against the schema served, so a drift fails there. Every key listed is always present
(``None`` when it has no value), and no other key is sent.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Shape(BaseModel):
    """An answer's shape: every key required, nothing else allowed."""

    model_config = ConfigDict(extra="forbid")


class Error(Shape):
    """What went wrong, written for the person who sent the request."""

    error: str


class Detail(Shape):
    """A refused token (401) or scope (403): what to send instead."""

    detail: str


class Problem(Shape):
    """One problem in an event: where (a JSON path) and what."""

    path: str
    message: str


class InvalidEvent(Shape):
    """An event that is not valid OpenLineage (422): each problem by path."""

    error: str
    errors: list[Problem]


class EventTooLarge(Shape):
    """An event over a per-event limit (413): the limit, its setting, and where."""

    error: str
    limit: str = Field(description="The limit's name (max_inputs, max_facet_bytes, ...).")
    setting: str = Field(description="The setting that raises it (LINEAGE_MAX_INPUTS, ...).")
    errors: list[Problem]


class Rejection(Shape):
    """An event of a batch that was refused: its index in the array, and why."""

    index: int
    errors: list[Problem]


class BatchAnswer(Shape):
    """A batch's outcome: 201 all stored, 207 some refused, 422 all refused."""

    accepted: int
    rejected: list[Rejection]


class BatchPartlyStored(Shape):
    """The store failed after the first parts of a batch were stored (503): the events
    before ``notStoredFrom`` were handled, the ones from it on must be sent again."""

    error: str
    accepted: int
    rejected: list[Rejection]
    notStoredFrom: int


class EventList(Shape):
    """Stored raw events, newest first, each exactly as it was received."""

    events: list[dict[str, Any]] = Field(description="OpenLineage events, verbatim.")
    count: int


class Healthy(Shape):
    status: str = Field(description="Always `ok`.")


class Ready(Shape):
    status: str = Field(description="`ready`.")
    store: str = Field(description="The store's URL, without its credentials.")


class NotReady(Shape):
    """The store does not answer (503), or is still loading or failed to load."""

    status: str = Field(description="`unavailable`, `loading` or `failed`.")
    reason: str
    rows_loaded: int | None = Field(default=None, description="While loading: rows read.")
    rows: int | None = Field(default=None, description="While loading: rows to read.")


class PruneReport(Shape):
    """What a prune dropped (with ``dryRun``, would drop)."""

    before: float = Field(description="Epoch seconds.")
    namespace: str | None
    dryRun: bool
    events: int
    runs: int
    versions: int
    edges: int
    columnLineageReports: int


class Delivery(Shape):
    """One webhook delivery: where, what, and how it went. Times are epoch seconds."""

    id: int
    url: str
    event: str = Field(description="`incident.opened`, `incident.resolved`, ...")
    incident: str
    createdAt: float
    status: str = Field(description="`pending`, `delivered` or `failed`.")
    attempts: int
    nextAttemptAt: float | None
    lastAttemptAt: float | None
    lastStatus: int | None
    lastError: str | None
    deliveredAt: float | None


class Deliveries(Shape):
    configured: bool = Field(description="False when no webhook is configured.")
    deliveries: list[Delivery]


class GraphQLFailure(Shape):
    """A REST route over a GraphQL document that failed: its message and GraphQL code."""

    error: str
    code: str = Field(
        description="NOT_FOUND (404), INVALID_ARGUMENT or INVALID_QUERY (400), FORBIDDEN "
        "(403), UNAVAILABLE (503), TIMEOUT (504)."
    )


class ExportNode(Shape):
    """A node as flat attributes; those a node does not have are left out."""

    id: str
    kind: str
    label: str
    namespace: str | None = None
    name: str | None = None
    field: str | None = None
    version: str | None = None
    createdAt: str | None = None
    runId: str | None = None
    job: str | None = None
    state: str | None = None
    startedAt: str | None = None
    endedAt: str | None = None
    type: str | None = None
    description: str | None = None
    depth: int | None = None


class ExportEdge(Shape):
    """An edge as flat attributes; those an edge does not have are left out."""

    source: str
    target: str
    kind: str
    job: str | None = None
    transformationType: str | None = None
    transformationSubtype: str | None = None
    scope: str | None = None
    validSince: str | None = None
    validUntil: str | None = None
    via: str | None = None


class ExportGraph(Shape):
    """``format=json``: the nodes and edges exported."""

    granularity: str
    start: list[str]
    truncated: bool
    nodes: list[ExportNode]
    edges: list[ExportEdge]


def answer(model: Any, description: str) -> dict[str, Any]:
    """One entry of a route's ``responses=``: the shape of the answer, and when it is sent."""
    return {"model": model, "description": description}
