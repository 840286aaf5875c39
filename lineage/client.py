"""A Python client for a running lineage server: typed questions over its GraphQL API.

>>> from lineage.client import Client
>>> with Client("http://127.0.0.1:8000", token=None) as lineage:  # doctest: +SKIP
...     graph = lineage.upstream("postgres://db:5432", "shop.orders", depth=4)
...     [n["name"] for n in graph["nodes"] if n["kind"] == "DATASET"]
...     report = lineage.impact("postgres://db:5432", "shop.orders",
...                             changes=[{"kind": "DROP_FIELD", "field": "status"}])
...     report["breaking"]
...     for incident in lineage.incidents(status="OPEN"):
...         print(incident["shortId"], incident["title"])

Every method sends one of the documents in :mod:`lineage.api.documents` (the ones the
command line and the REST routes send), so the answers have the shapes documented in the
GraphQL schema (``schema/schema.graphql``). Errors the server reports raise
:class:`LineageError` with its code (``NOT_FOUND``, ``INVALID_ARGUMENT``, ...); a server
that cannot be reached raises :class:`Unreachable`, a refused token :class:`Unauthorized`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, TypedDict, cast

import httpx
import stamina

from lineage.api.documents import (
    ACKNOWLEDGE_INCIDENT,
    IMPACT_QUERY,
    INCIDENTS_QUERY,
    LINEAGE_QUERY,
    REOPEN_INCIDENT,
    RESOLVE_INCIDENT,
    TRIAGE_QUERY,
)


class LineageError(Exception):
    """The server answered with an error; ``code`` says which kind (``NOT_FOUND``, ...)."""

    def __init__(self, message: str, code: str = "ERROR", errors: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.errors = list(errors)


class Unreachable(LineageError):
    """No answer from the server (down, wrong URL, network)."""


class Unauthorized(LineageError):
    """The server refused the token (or needs one)."""


#: How long a request keeps being tried while the server is unreachable or answers 503/429
#: (loading its store, its Neo4j down, too busy): ``LINEAGE_RETRY_SECONDS``, default 60.
RETRY_SECONDS_DEFAULT = 60.0
#: The longest wait between two tries, whatever ``Retry-After`` asks.
RETRY_WAIT_MAX = 30.0


class _TryAgain(Exception):
    """The server answered that it cannot take the request now (503 or 429)."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"the server answered {response.status_code}")
        self.response = response


def retry_seconds() -> float:
    """``LINEAGE_RETRY_SECONDS`` (0: try once)."""
    value = os.environ.get("LINEAGE_RETRY_SECONDS", "")
    try:
        return max(0.0, float(value)) if value.strip() else RETRY_SECONDS_DEFAULT
    except ValueError as exc:
        raise ValueError(
            f"LINEAGE_RETRY_SECONDS must be a number of seconds, not {value!r}"
        ) from exc


def _backoff(idempotent: bool) -> Callable[[BaseException], bool | float]:
    def hook(exc: BaseException) -> bool | float:
        if isinstance(exc, _TryAgain):
            wait = exc.response.headers.get("Retry-After", "")
            return min(float(wait), RETRY_WAIT_MAX) if wait.isdigit() else True
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
            return True  # nothing reached the server
        # The request may have reached the server: sent again only when that changes nothing.
        return idempotent and isinstance(exc, httpx.TransportError)

    return hook


def send(
    http: httpx.Client,
    method: str,
    path: str,
    *,
    idempotent: bool,
    within: float | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """``http.request(method, path, **kwargs)``, tried again while the server cannot be
    reached or answers 503/429 (waiting what its ``Retry-After`` says, at most 30 s), for
    ``within`` seconds (default: :func:`retry_seconds`). A request that may have reached
    the server before the connection failed is sent again only if ``idempotent`` (ingest
    is: an event stored twice is stored once). Out of time, the last answer is returned or
    the last connection error raised."""
    budget = retry_seconds() if within is None else within
    try:
        for attempt in stamina.retry_context(
            on=_backoff(idempotent),
            attempts=None if budget > 0 else 1,
            timeout=budget or None,
            wait_initial=0.5,
            wait_max=RETRY_WAIT_MAX,
        ):
            with attempt:
                response = http.request(method, path, **kwargs)
                if response.status_code in (429, 503):
                    raise _TryAgain(response)
                return response
    except _TryAgain as exc:
        return exc.response
    raise AssertionError("unreachable: stamina either returns or raises")  # pragma: no cover


class LineageNode(TypedDict, total=False):
    id: str
    kind: str
    namespace: str
    name: str
    datasetType: str | None
    jobType: str | None
    path: str
    dataset: dict[str, str]


class LineageEdge(TypedDict):
    kind: str
    source: dict[str, str]
    target: dict[str, str]
    transformation: dict[str, str | None] | None


class LineageGraph(TypedDict):
    """What feeds a node or what it feeds: nodes, edges, and where the walk started."""

    truncated: bool
    start: list[dict[str, str]]
    nodes: list[LineageNode]
    edges: list[LineageEdge]


class Incident(TypedDict, total=False):
    id: str
    shortId: str
    incidentKind: str
    title: str
    severity: str
    status: str
    openedAt: str | None
    resolvedAt: str | None
    resolution: str | None
    subject: dict[str, Any] | None


class ImpactReport(TypedDict):
    """What a schema change would break downstream, per change, nearest first."""

    dataset: dict[str, str]
    breaking: bool
    truncated: bool
    maxDepth: int
    summary: dict[str, int]
    owners: list[dict[str, Any]]
    changes: list[dict[str, Any]]


class TriageReport(TypedDict):
    """Likely causes of an incident, ranked, with the raw sources and the blast radius."""

    scope: str
    truncated: bool
    startedAt: str | None
    since: str | None
    subject: dict[str, Any]
    incident: dict[str, Any] | None
    suspects: list[dict[str, Any]]
    rawSources: list[dict[str, Any]]
    blastRadius: list[dict[str, Any]]


def _iso(value: datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()


class Client:
    """A lineage server at ``url`` (``http://127.0.0.1:8000``), with a bearer ``token`` if
    it asks for one. Use it as a context manager, or call :meth:`close`."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        timeout: float = 120.0,
        retry_seconds: float | None = None,
    ) -> None:
        """``retry_seconds``: how long a request keeps being tried while the server cannot
        be reached or answers 503/429 (default: ``LINEAGE_RETRY_SECONDS``, else 60)."""
        self.url = url.rstrip("/")
        self.retry_seconds = retry_seconds
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- any document -------------------------------------------------------------------

    def post(self, document: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The whole GraphQL answer (``data`` and ``errors``) to ``document``.

        Raises Unreachable when the server does not answer, Unauthorized when it refuses
        the token, LineageError when the answer is not GraphQL.
        """
        url = self.url + "/graphql"
        try:
            response = send(
                self._http,
                "POST",
                "/graphql",
                # A mutation that may have reached the server is not sent twice.
                idempotent=not document.lstrip().startswith("mutation"),
                within=self.retry_seconds,
                json={"query": document, "variables": dict(variables or {})},
            )
        except httpx.HTTPError as exc:
            raise Unreachable(f"cannot reach {url}: {exc}", "UNAVAILABLE") from exc
        if response.status_code in (401, 403):
            raise Unauthorized(f"the server refused the token: {response.text}", "FORBIDDEN")
        try:
            body = response.json()
        except ValueError as exc:
            raise LineageError(
                f"the server answered {response.status_code}: {response.text}"
            ) from exc
        if not isinstance(body, dict):
            raise LineageError(f"the server answered {response.status_code}: {response.text}")
        return cast(dict[str, Any], body)

    def query(self, document: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The ``data`` of the answer to ``document``; raises LineageError on any error."""
        body = self.post(document, variables)
        errors = body.get("errors") or []
        if errors or body.get("data") is None:
            first: dict[str, Any] = errors[0] if errors else {"message": "no data in the answer"}
            code = str((first.get("extensions") or {}).get("code", "ERROR"))
            raise LineageError(str(first.get("message")), code, errors)
        return cast(dict[str, Any], body["data"])

    # -- lineage --------------------------------------------------------------------------

    def _lineage(
        self,
        direction: str,
        namespace: str,
        name: str,
        *,
        field: str | None,
        job: bool,
        depth: int,
        as_of: datetime | str | None,
        columns: bool,
    ) -> LineageGraph:
        start: dict[str, Any] = {
            "kind": "JOB" if job else "DATASET",
            "namespace": namespace,
            "name": name,
        }
        if field:
            start.update(kind="FIELD", field=field)
        variables = {
            "start": start,
            "direction": direction,
            "depth": depth,
            "asOf": _iso(as_of),
            "granularity": "COLUMN" if field or columns else "DATASET",
        }
        return cast(LineageGraph, self.query(LINEAGE_QUERY, variables)["lineage"])

    def upstream(
        self,
        namespace: str,
        name: str,
        *,
        field: str | None = None,
        job: bool = False,
        depth: int = 10,
        as_of: datetime | str | None = None,
        columns: bool = False,
    ) -> LineageGraph:
        """What feeds a dataset (a ``field`` of it, or a ``job``), ``depth`` edges back,
        as the graph stood at ``as_of`` (None: now). ``columns``: column lineage of all
        its fields."""
        return self._lineage(
            "UPSTREAM",
            namespace,
            name,
            field=field,
            job=job,
            depth=depth,
            as_of=as_of,
            columns=columns,
        )

    def downstream(
        self,
        namespace: str,
        name: str,
        *,
        field: str | None = None,
        job: bool = False,
        depth: int = 10,
        as_of: datetime | str | None = None,
        columns: bool = False,
    ) -> LineageGraph:
        """What a dataset (a ``field`` of it, or a ``job``) feeds, ``depth`` edges on."""
        return self._lineage(
            "DOWNSTREAM",
            namespace,
            name,
            field=field,
            job=job,
            depth=depth,
            as_of=as_of,
            columns=columns,
        )

    # -- impact ---------------------------------------------------------------------------

    def impact(
        self,
        namespace: str,
        name: str,
        *,
        changes: Sequence[Mapping[str, Any]] | None = None,
        proposed_schema: Sequence[Mapping[str, Any]] | None = None,
        depth: int = 10,
    ) -> ImpactReport:
        """What a schema change would break downstream: ``changes`` (each ``kind``
        DROP_FIELD, RENAME_FIELD, CHANGE_TYPE, ..., ``field``, ``newName``, ``newType``) or
        a ``proposed_schema`` (fields with ``name`` and ``type``) to compare with the
        current one."""
        variables = {
            "dataset": {"namespace": namespace, "name": name},
            "changes": [dict(c) for c in changes] if changes is not None else None,
            "schema": [dict(f) for f in proposed_schema] if proposed_schema is not None else None,
            "depth": depth,
        }
        return cast(ImpactReport, self.query(IMPACT_QUERY, variables)["impact"])

    # -- incidents and triage -------------------------------------------------------------

    def incidents(self, *, status: str | None = None, kind: str | None = None) -> list[Incident]:
        """Incidents, newest first (up to 500), by ``status`` (OPEN, ACKNOWLEDGED,
        RESOLVED) and ``kind`` (DRIFT, QUALITY, RUN_FAILURE, SCHEMA_CHANGE, MANUAL)."""
        variables = {
            "status": status.upper() if status else None,
            "kind": kind.upper() if kind else None,
        }
        found = self.query(INCIDENTS_QUERY, variables)["incidents"]["nodes"]
        return cast(list[Incident], found)

    def acknowledge(self, incident: str) -> Incident:
        """Say someone is on it. ``incident``: its id or short id (``INC-42``)."""
        data = self.query(ACKNOWLEDGE_INCIDENT, {"id": incident})
        return cast(Incident, data["acknowledgeIncident"])

    def resolve(self, incident: str, reason: str) -> Incident:
        """Close it, saying why."""
        data = self.query(RESOLVE_INCIDENT, {"id": incident, "reason": reason})
        return cast(Incident, data["resolveIncident"])

    def reopen(self, incident: str) -> Incident:
        """Open a resolved incident again."""
        return cast(Incident, self.query(REOPEN_INCIDENT, {"id": incident})["reopenIncident"])

    def triage(
        self,
        incident: str | None = None,
        *,
        namespace: str | None = None,
        name: str | None = None,
        field: str | None = None,
        since: datetime | str | None = None,
        depth: int = 30,
    ) -> TriageReport:
        """The likely causes of an ``incident`` (id or ``INC-42``), or of trouble on a
        dataset (``namespace``, ``name``, maybe ``field``) ``since`` a time."""
        node: dict[str, Any] | None = None
        if namespace is not None or name is not None:
            node = {"namespace": namespace, "name": name}
            if field:
                node["field"] = field
        variables = {"incident": incident, "node": node, "since": _iso(since), "depth": depth}
        return cast(TriageReport, self.query(TRIAGE_QUERY, variables)["triage"])


__all__ = [
    "Client",
    "ImpactReport",
    "Incident",
    "LineageError",
    "LineageGraph",
    "TriageReport",
    "Unauthorized",
    "Unreachable",
]
