"""Every request body this API takes is JSON: anything else is refused with 415 up front.

OpenLineage clients send ``Content-Type: application/json`` (gzip-compressed or not, which
``Content-Encoding`` says); a body sent without a Content-Type is read as JSON too.
"""

from __future__ import annotations

from typing import Final

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

#: Methods whose body is read.
WITH_BODY: Final = frozenset({"POST", "PUT", "PATCH"})


def accepts(content_type: str) -> bool:
    """Whether a Content-Type header names JSON (``application/json``, ``...+json``)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media in ("", "application/json") or (
        media.startswith("application/") and media.endswith("+json")
    )


class JsonBodies:
    """ASGI middleware: a request with a body of another media type gets a 415 naming it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in WITH_BODY:
            header = next((v for k, v in scope["headers"] if k == b"content-type"), b"")
            content_type = header.decode("latin-1")
            if not accepts(content_type):
                body = orjson.dumps(
                    {
                        "error": f"Content-Type {content_type!r} is not accepted here; send the "
                        "body as application/json (compressed with Content-Encoding: gzip "
                        "if you like)"
                    }
                )
                await send(
                    {
                        "type": "http.response.start",
                        "status": 415,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"accept-post", b"application/json"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
