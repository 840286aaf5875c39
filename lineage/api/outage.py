"""Answers 503 at once while the store's circuit breaker is open.

Routes that need the store (``/api/``, ``/graphql``) are refused before any work, with a
``Retry-After`` saying when the store is tried again; ``/healthz``, ``/readyz``, the
explorer's files and the docs are served as usual. Once the cooldown is over requests go
through again, and the first one to reach the store probes it.
"""

from __future__ import annotations

from typing import Final

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from lineage.store.breaker import CircuitBreaker

#: Path prefixes whose answers come from the store.
STORE_PATHS: Final = ("/api/", "/graphql")


def breaker_of(store: object) -> CircuitBreaker | None:
    """The store's breaker, for stores that have one (those behind a network)."""
    breaker = getattr(store, "breaker", None)
    return breaker if isinstance(breaker, CircuitBreaker) else None


class StoreOutageGate:
    """ASGI middleware: 503 + ``Retry-After`` for store routes while the breaker is open."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(STORE_PATHS):
            await self.app(scope, receive, send)
            return
        breaker = breaker_of(scope["app"].state.store)
        wait = breaker.retry_after() if breaker is not None else None
        if breaker is None or wait is None or wait <= 0:
            await self.app(scope, receive, send)
            return
        outage = breaker.outage(wait)
        # Nothing was done: a producer may send the same request again.
        done = "" if scope["method"] in ("GET", "HEAD") else ", nothing was stored"
        body = orjson.dumps({"error": f"the store is unavailable{done}: {outage}"})
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", outage.retry_after_header.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
