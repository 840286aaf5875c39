"""Optional bearer tokens with scopes. With no tokens configured, every route is open."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, status
from starlette.requests import HTTPConnection

from lineage.settings import hash_token


def require(scope: str) -> Callable[[HTTPConnection], Coroutine[Any, Any, None]]:
    """A FastAPI dependency that lets a request (or a WebSocket) through only with a token
    holding ``scope``."""

    async def check(request: HTTPConnection) -> None:
        # An app that never configured tokens (one mounting just the explorer) is open.
        table: dict[str, frozenset[str]] = getattr(request.app.state, "token_scopes", {})
        if not table:
            return
        header = request.headers.get("authorization", "")
        kind, _, token = header.partition(" ")
        if kind.lower() != "bearer" or not token.strip():
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="this server requires a bearer token: send 'Authorization: Bearer <token>' "
                "(the OpenLineage client's api_key auth does this)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        digest = hash_token(token.strip())
        scopes = next((s for d, s in table.items() if hmac.compare_digest(d, digest)), None)
        if scopes is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="unknown token; check LINEAGE_TOKENS on the server",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if scope not in scopes and "admin" not in scopes:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"this token lacks the '{scope}' scope needed here "
                f"(it has: {', '.join(sorted(scopes))})",
            )

    return check


def token_scopes_of(request: HTTPConnection) -> frozenset[str] | None:
    """The scopes of the request's bearer token (None when the server has no tokens; empty
    when the token is missing or unknown)."""
    table: dict[str, frozenset[str]] = request.app.state.token_scopes
    if not table:
        return None
    kind, _, token = request.headers.get("authorization", "").partition(" ")
    if kind.lower() != "bearer" or not token.strip():
        return frozenset()
    digest = hash_token(token.strip())
    return next((s for d, s in table.items() if hmac.compare_digest(d, digest)), frozenset())
