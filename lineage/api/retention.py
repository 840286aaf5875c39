"""Retention in the server: ``POST /api/v1/admin/prune`` (admin scope), and the automatic
prune that ``LINEAGE_RETENTION_DAYS`` turns on (at start, then every day)."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Annotated, Final

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from lineage.api.auth import require
from lineage.api.responses import Error, PruneReport, answer
from lineage.settings import Settings
from lineage.store import GraphStore, StoreError, StoreUnavailable

log = logging.getLogger("lineage.retention")

router = APIRouter(prefix="/api/v1/admin", dependencies=[Depends(require("admin"))])

#: Seconds between two automatic prunes, and before another try after a failed one.
INTERVAL: Final = 24 * 3600.0
RETRY: Final = 600.0


@router.post(
    "/prune",
    responses={
        200: answer(PruneReport, "What was dropped (with dryRun, would be)."),
        409: answer(Error, "The store refused the prune."),
        503: answer(Error, "The store is unavailable."),
    },
)
async def prune(
    request: Request,
    before: Annotated[datetime, Query(description="Drop the history before this time.")],
    namespace: Annotated[
        str | None, Query(description="Only runs of this namespace's jobs, and their versions.")
    ] = None,
    dry_run: Annotated[
        bool, Query(alias="dryRun", description="Count what would go; change nothing.")
    ] = False,
) -> JSONResponse:
    """Drop raw events, runs, superseded versions and lineage closed before ``before``
    (as ``lineage prune`` does); answers as of ``before`` or later stay the same."""
    store: GraphStore = request.app.state.store
    at = (before if before.tzinfo else before.replace(tzinfo=UTC)).timestamp()
    try:
        report = await run_in_threadpool(store.prune, at, namespace, dry_run)
    except StoreUnavailable as exc:
        return JSONResponse(
            {"error": f"the store is unavailable: {exc}"},
            status_code=503,
            headers={"Retry-After": "5"},
        )
    except StoreError as exc:
        return JSONResponse({"error": str(exc)}, status_code=409)
    return JSONResponse(report.as_json())


def prune_old(store: GraphStore, days: float) -> bool:
    """One automatic prune: everything older than ``days`` days. False when it failed."""
    before = time.time() - days * 86400
    try:
        report = store.prune(before)
    except StoreError as exc:
        log.warning("retention: the prune of history older than %s days failed: %s", days, exc)
        return False
    log.info("retention: pruned history older than %s days: %s", days, report.as_json())
    return True


async def retention_loop(app: FastAPI, interval: float = INTERVAL) -> None:
    """Prune at start, then every ``interval`` seconds, while the app runs."""
    settings: Settings = app.state.settings
    days = settings.retention_days
    if days is None:
        return
    loading = getattr(app.state, "loading", None)
    while loading is not None and not loading.ready:  # prune the graph once it is loaded
        await asyncio.sleep(0.5)
    while True:
        done = await run_in_threadpool(prune_old, app.state.store, days)
        await asyncio.sleep(interval if done else min(RETRY, interval))
