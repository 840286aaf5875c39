"""The webhook delivery log over REST: what was sent to whom, and how it went."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from lineage.api.auth import require
from lineage.api.responses import Deliveries, answer
from lineage.settings import Settings
from lineage.webhooks import Outbox, WebhookConfigError, default_outbox, load_hooks

router = APIRouter(prefix="/api/v1/webhooks")


def open_outbox(settings: Settings) -> Outbox | None:
    """The outbox ``settings`` configure, None without webhooks. Raises WebhookConfigError."""
    hooks = load_hooks(settings.webhooks)
    if not hooks:
        return None
    return Outbox(
        settings.webhook_outbox or default_outbox(settings.store),
        hooks,
        secret=settings.webhook_secret,
    )


@router.get(
    "/deliveries",
    dependencies=[Depends(require("admin"))],
    responses={200: answer(Deliveries, "A page of the delivery log.")},
)
async def deliveries(
    request: Request,
    status: Annotated[
        str | None, Query(description="pending, delivered or failed (default: all)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> JSONResponse:
    """Webhook deliveries, newest first: url, event, incident, status, attempts, last error.
    Needs the admin scope (hook URLs can carry credentials)."""
    outbox: Outbox | None = request.app.state.outbox
    if outbox is None:
        return JSONResponse({"configured": False, "deliveries": []})
    found = outbox.deliveries(status=status.lower() if status else None, limit=limit, offset=offset)
    return JSONResponse({"configured": True, "deliveries": found})


__all__ = ["WebhookConfigError", "open_outbox", "router"]
