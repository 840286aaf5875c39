"""A web page on another site may not change anything here: a browser marks the requests
it sends for such a page (``Origin``, ``Sec-Fetch-Site``), and state-changing ones are
refused with 403 unless the ``LINEAGE_ALLOWED_ORIGINS`` setting names that origin.

The server's own pages (the explorer, GraphiQL, the API docs) send their own origin and
pass; tools that are not browsers (producers, curl, the OpenLineage clients) send neither
header and pass. Reads (GET, HEAD, OPTIONS) are never refused here.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final
from urllib.parse import urlsplit

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

#: Methods that change nothing.
SAFE: Final = frozenset({"GET", "HEAD", "OPTIONS"})


def refusal(headers: dict[bytes, bytes], allowed: Collection[str]) -> str | None:
    """Why a state-changing request with these headers is refused, or None to let it in."""
    origin = headers.get(b"origin", b"").decode("latin-1").strip().rstrip("/")
    site = headers.get(b"sec-fetch-site", b"").decode("latin-1").strip().lower()
    if "*" in allowed or (origin and origin in allowed):
        return None
    if origin:
        # Behind a proxy that rewrites Host, X-Forwarded-Host names the server; a page
        # cannot set it on a request its browser sends without asking the server first.
        hosts = {
            headers.get(name, b"").decode("latin-1").split(",")[0].strip().lower()
            for name in (b"host", b"x-forwarded-host")
        } - {""}
        if origin != "null" and urlsplit(origin).netloc.lower() in hosts:
            return None
        return f"a page at {origin!r} may not post to this server"
    if site in ("cross-site", "same-site"):
        return f"a page on another site ({site}) may not post to this server"
    return None


class SameOrigin:
    """ASGI middleware: a state-changing request from another site's page gets a 403."""

    def __init__(self, app: ASGIApp, allowed: Collection[str]) -> None:
        self.app = app
        self.allowed = frozenset(allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE:
            why = refusal(dict(scope["headers"]), self.allowed)
            if why is not None:
                body = orjson.dumps(
                    {
                        "error": f"cross-site request refused: {why}; to let a site's pages "
                        "post here, list its origin in LINEAGE_ALLOWED_ORIGINS "
                        "(e.g. LINEAGE_ALLOWED_ORIGINS=https://portal.example.com)"
                    }
                )
                await send(
                    {
                        "type": "http.response.start",
                        "status": 403,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
