"""Every request body this API takes is JSON: anything else is refused with 415 up front.

OpenLineage clients send ``Content-Type: application/json`` (gzip-compressed or not, which
``Content-Encoding`` says). A body without a Content-Type is refused too: a web page
elsewhere can send one (a Blob with no type) without asking the server first. A request
with no body (an incident's acknowledge) needs none.
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
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class JsonBodies:
    """ASGI middleware: a request with a body of another media type gets a 415 naming it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in WITH_BODY:
            headers = dict(scope["headers"])
            content_type = headers.get(b"content-type", b"").decode("latin-1")
            if not accepts(content_type) and (content_type or _has_body(headers)):
                what = (
                    f"Content-Type {content_type!r}"
                    if content_type
                    else "a body with no Content-Type"
                )
                body = orjson.dumps(
                    {
                        "error": f"{what} is not accepted here; send the body as "
                        "application/json (compressed with Content-Encoding: gzip if you like)"
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


def _has_body(headers: dict[bytes, bytes]) -> bool:
    return headers.get(b"content-length", b"0") != b"0" or b"transfer-encoding" in headers
