"""OpenLineage ingest and raw-event reads, at Marquez's paths so existing clients just work."""

from __future__ import annotations

import time
import zlib
from datetime import datetime
from typing import Annotated, Any, Final

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from lineage.api import responses as shapes
from lineage.api.auth import require
from lineage.api.group_commit import GroupCommit
from lineage.api.memory import give_back_memory
from lineage.api.metrics import Metrics
from lineage.api.responses import (
    BatchAnswer,
    BatchPartlyStored,
    Error,
    EventList,
    Healthy,
    InvalidEvent,
    NotReady,
    Ready,
    answer,
)
from lineage.api.visibility import foreign_namespace, namespaces_of, refusal, store_for
from lineage.events import EventValidationError, Problem
from lineage.events import raw as raw_bytes
from lineage.events.limits import EventTooLarge
from lineage.ingest import Rejection, prepare, prepare_many
from lineage.settings import Settings, shown_url
from lineage.store import GraphStore, IngestItem, StoreUnavailable
from lineage.store.breaker import StoreOutage

router = APIRouter()

#: Largest ``offset`` a list takes: past it no store has anything, and SQLite's integers end.
MAX_OFFSET: Final = 1_000_000_000


class BadRequest(Exception):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message


async def _read_json(request: Request) -> tuple[Any, bytes]:
    """The decoded body, and its bytes (decompressed)."""
    settings: Settings = request.app.state.settings
    limit = settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BadRequest(413, "too_large", f"request body is over the {limit}-byte limit")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadRequest(413, "too_large", f"request body is over the {limit}-byte limit")
        chunks.append(chunk)
    body = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "").lower().strip()
    if encoding in ("gzip", "x-gzip", "deflate"):
        inflater = zlib.decompressobj(
            zlib.MAX_WBITS | 32 if encoding != "deflate" else zlib.MAX_WBITS
        )
        try:
            body = inflater.decompress(body, limit + 1)
        except zlib.error as exc:
            raise BadRequest(400, "bad_encoding", f"body is not valid {encoding}: {exc}") from exc
        if len(body) > limit or inflater.unconsumed_tail:
            raise BadRequest(413, "too_large", f"decompressed body is over the {limit}-byte limit")
    elif encoding not in ("", "identity"):
        raise BadRequest(
            415, "bad_encoding", f"unsupported Content-Encoding {encoding!r}; use gzip or none"
        )
    if not body.strip():
        raise BadRequest(
            400, "not_json", "request body is empty; send one OpenLineage event as JSON"
        )
    try:
        return orjson.loads(body), body
    except orjson.JSONDecodeError as exc:
        raise BadRequest(400, "not_json", f"request body is not valid JSON: {exc}") from exc


def _refused(request: Request, events: list[Any]) -> BadRequest | None:
    """A 403 when the token's ingest scope is limited to namespaces and an event names
    another one (nothing of the request is then stored)."""
    allowed = namespaces_of(request)
    if allowed is None:
        return None
    for index, event in enumerate(events):
        outside = foreign_namespace(event, allowed)
        if outside is not None:
            where = "the event" if len(events) == 1 else f"the event at index {index}"
            return BadRequest(403, "forbidden_namespace", refusal(outside, allowed, where))
    return None


def _problem_json(problems: list[Problem]) -> list[dict[str, str]]:
    return [{"path": p.path, "message": p.message} for p in problems]


async def _write(request: Request, items: list[IngestItem]) -> None:
    metrics: Metrics = request.app.state.metrics
    started = time.perf_counter()
    group: GroupCommit = request.app.state.group_commit
    await group.submit(items)
    metrics.store_write_seconds.observe(time.perf_counter() - started)


def _error(metrics: Metrics, exc: BadRequest, count: int = 1) -> JSONResponse:
    metrics.rejected.labels(exc.reason).inc(count)
    return JSONResponse({"error": exc.message}, status_code=exc.status)


def _unavailable(metrics: Metrics, exc: StoreUnavailable, count: int) -> JSONResponse:
    metrics.rejected.labels("store_unavailable").inc(count)
    return JSONResponse(
        {"error": f"the store is unavailable, nothing was stored: {exc}"},
        status_code=503,
        headers={"Retry-After": _retry_after(exc)},
    )


def _retry_after(exc: StoreUnavailable) -> str:
    return exc.retry_after_header if isinstance(exc, StoreOutage) else "5"


@router.post(
    "/api/v1/lineage",
    status_code=201,
    dependencies=[Depends(require("ingest"))],
    response_class=Response,
    responses={
        201: {"description": "Stored (no body)."},
        400: answer(Error, "The body is empty, not JSON, or not valid gzip."),
        413: answer(shapes.EventTooLarge | Error, "The body, or the event, is over a limit."),
        415: answer(Error, "An unsupported Content-Encoding, or a body that is not JSON."),
        422: answer(InvalidEvent | Error, "Not a valid OpenLineage event (or an array)."),
        503: answer(Error, "The store is unavailable; nothing was stored."),
    },
)
async def post_event(request: Request) -> Response:
    """Store one OpenLineage event (RunEvent, DatasetEvent or JobEvent)."""
    metrics: Metrics = request.app.state.metrics
    started = time.perf_counter()
    try:
        raw, body = await _read_json(request)
    except BadRequest as exc:
        return _error(metrics, exc)
    if isinstance(raw, list):
        return _error(
            metrics,
            BadRequest(
                422,
                "invalid",
                "this endpoint takes one event; POST arrays to /api/v1/lineage/batch",
            ),
        )
    refused = _refused(request, [raw])
    if refused is not None:
        return _error(metrics, refused)
    try:
        item = prepare(raw, raw_bytes.one(body), limits=request.app.state.settings.event_limits())
    except EventTooLarge as exc:
        metrics.rejected.labels("too_large").inc()
        return JSONResponse(
            {
                "error": f"the event is over the {exc.limit} limit ({exc.setting})",
                "limit": exc.limit,
                "setting": exc.setting,
                "errors": _problem_json(exc.problems),
            },
            status_code=413,
        )
    except EventValidationError as exc:
        metrics.rejected.labels("invalid").inc()
        return JSONResponse(
            {"error": "the event is not valid OpenLineage", "errors": _problem_json(exc.problems)},
            status_code=422,
        )
    try:
        await _write(request, [item])
    except StoreUnavailable as exc:
        return _unavailable(metrics, exc, 1)
    metrics.accepted.inc()
    metrics.ingest_seconds.observe(time.perf_counter() - started)
    return Response(status_code=201)


@router.post(
    "/api/v1/lineage/batch",
    status_code=201,
    dependencies=[Depends(require("ingest"))],
    responses={
        201: answer(BatchAnswer, "Every event was stored."),
        207: answer(BatchAnswer, "Some events were stored, the others refused by index."),
        400: answer(Error, "The body is empty, not JSON, or not valid gzip."),
        413: answer(Error, "The body is over the byte limit, or the batch over its count."),
        415: answer(Error, "An unsupported Content-Encoding, or a body that is not JSON."),
        422: answer(BatchAnswer | Error, "No event was stored, or the body is not an array."),
        503: answer(
            BatchPartlyStored | Error,
            "The store is unavailable: nothing stored, or the events from notStoredFrom on.",
        ),
    },
)
async def post_batch(request: Request) -> JSONResponse:
    """Store a JSON array of events; valid ones are stored, invalid ones reported by index.

    A batch of more than ``max_events_per_transaction`` events is stored in several
    transactions, one after the other; it is answered once all of them are committed. When
    the store fails part way, the 503 answer says from which index on nothing was stored.
    """
    metrics: Metrics = request.app.state.metrics
    settings: Settings = request.app.state.settings
    started = time.perf_counter()
    try:
        raw, body = await _read_json(request)
    except BadRequest as exc:
        return _error(metrics, exc)
    if not isinstance(raw, list):
        return _error(
            metrics, BadRequest(422, "invalid", "the batch endpoint takes a JSON array of events")
        )
    if len(raw) > settings.max_batch_events:
        return _error(
            metrics,
            BadRequest(
                413,
                "too_large",
                f"a batch holds at most {settings.max_batch_events} events (got {len(raw)}); "
                "split it or raise LINEAGE_MAX_BATCH_EVENTS",
            ),
            len(raw),
        )
    refused = _refused(request, raw)
    if refused is not None:
        return _error(metrics, refused, len(raw))
    limits = settings.event_limits()
    step = settings.max_events_per_transaction
    accepted = 0
    rejected: list[Rejection] = []
    # Each event is kept as its own bytes in the body (re-encoded only if they cannot be
    # told apart); the body itself goes as soon as they are sliced out.
    bodies = raw_bytes.items(body, len(raw))
    del body
    # A large batch is prepared and written a transaction's worth at a time: readers wait
    # for one part's write at most, and memory holds one part's graph mutations. The
    # answer comes once every part is durably stored.
    for start in range(0, len(raw), step):
        part = raw[start : start + step]
        # Off the event loop: other requests are answered while a part is parsed.
        part_bodies = bodies[start : start + step] if bodies is not None else None
        items, bad = await run_in_threadpool(prepare_many, part, limits, start, part_bodies)
        raw[start : start + step] = [None] * len(part)
        if bodies is not None:
            bodies[start : start + step] = [b""] * len(part)
        del part
        rejected.extend(bad)
        if items:
            try:
                await _write(request, items)
            except StoreUnavailable as exc:
                if not accepted:
                    return _unavailable(metrics, exc, len(raw))
                return _unavailable_from(metrics, exc, start, accepted, rejected, len(raw))
        accepted += len(items)
        del items
    metrics.accepted.inc(accepted)
    if rejected:
        metrics.rejected.labels("invalid").inc(len(rejected))
    metrics.ingest_seconds.observe(time.perf_counter() - started)
    status = 201 if not rejected else (207 if accepted else 422)
    return JSONResponse(
        {"accepted": accepted, "rejected": [r.as_json() for r in rejected]},
        status_code=status,
        # Once answered, a batch of several parts leaves freed memory to hand back.
        background=BackgroundTask(give_back_memory) if len(raw) > step else None,
    )


def _unavailable_from(
    metrics: Metrics,
    exc: StoreUnavailable,
    start: int,
    accepted: int,
    rejected: list[Rejection],
    total: int,
) -> JSONResponse:
    """A store failure after the first parts of a batch were stored: which were."""
    metrics.accepted.inc(accepted)
    if rejected:
        metrics.rejected.labels("invalid").inc(len(rejected))
    metrics.rejected.labels("store_unavailable").inc(total - start)
    return JSONResponse(
        {
            "error": f"the store is unavailable: the events before index {start} were "
            f"handled ({accepted} stored, the rejected ones listed), the events from index "
            f"{start} on were not stored; send those again: {exc}",
            "accepted": accepted,
            "rejected": [r.as_json() for r in rejected],
            "notStoredFrom": start,
        },
        status_code=503,
        headers={"Retry-After": "5"},
    )


def _timestamp(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


@router.get(
    "/api/v1/events/lineage",
    dependencies=[Depends(require("read"))],
    responses={
        200: answer(EventList, "The events, newest first."),
        503: answer(Error, "The store is unavailable."),
    },
)
async def list_events(
    request: Request,
    after: Annotated[
        datetime | None, Query(description="Only events at or after this time.")
    ] = None,
    before: Annotated[datetime | None, Query(description="Only events before this time.")] = None,
    run_id: Annotated[str | None, Query(alias="runId")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Events to skip.")] = 0,
) -> Response:
    """Stored raw events, newest first (Marquez's ``/events/lineage``)."""
    store: GraphStore = store_for(request)
    stored = await run_in_threadpool(
        store.events, _timestamp(after), _timestamp(before), limit, offset, run_id
    )
    # Raw bodies are spliced in as they were received: no re-encoding, nothing dropped.
    body = b'{"events":[' + b",".join(e.body for e in stored) + b'],"count":'
    body += str(len(stored)).encode() + b"}"
    return Response(body, media_type="application/json")


@router.get("/healthz", response_model=Healthy)
async def healthz() -> dict[str, str]:
    """The process is up. Never needs a token."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    dependencies=[Depends(require("read"))],
    responses={
        200: answer(Ready, "The store answers."),
        503: answer(NotReady, "The store does not answer, or is loading or failed to load."),
    },
)
async def readyz(request: Request) -> JSONResponse:
    """The store answers."""
    store: GraphStore = request.app.state.store
    try:
        await run_in_threadpool(store.ping)
    except StoreUnavailable as exc:
        return JSONResponse(
            {"status": "unavailable", "reason": str(exc)},
            status_code=503,
            headers={"Retry-After": _retry_after(exc)},
        )
    return JSONResponse({"status": "ready", "store": shown_url(request.app.state.settings.store)})
