"""Optional bearer tokens with scopes. With no tokens configured, every route is open."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from fastapi import HTTPException, routing, status
from fastapi.routing import APIRoute
from starlette.requests import HTTPConnection
from starlette.routing import BaseRoute

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
        # What the request may see or write (lineage.api.visibility): the namespaces the
        # scope that let it in is limited to; admin is never limited.
        request.state.namespaces = None if "admin" in scopes else grant_of(request, digest, scope)

    check.scope = scope  # type: ignore[attr-defined]  # read by with_bearer_security
    return check


def grant_of(request: HTTPConnection, digest: str, scope: str) -> frozenset[str] | None:
    """The namespaces the token with ``digest`` holds ``scope`` for (None: all)."""
    grants: dict[str, dict[str, frozenset[str] | None]] = getattr(
        request.app.state, "token_grants", {}
    )
    held = next((g for d, g in grants.items() if hmac.compare_digest(d, digest)), {})
    return held.get(scope)


def with_bearer_security(schema: dict[str, Any], routes: Iterable[BaseRoute]) -> dict[str, Any]:
    """``schema`` (an OpenAPI document) with the bearer scheme, and on each operation that
    needs a token, that requirement and the scope it needs (all routes need one only when
    the server has tokens configured: LINEAGE_TOKENS)."""
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})["bearerAuth"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from LINEAGE_TOKENS; when none are configured, no token is "
        "needed. Scopes: ingest, read, incidents, admin (admin holds them all). read, ingest "
        "and incidents may be limited to namespaces (`read:ns1,ns2`): every answer to such a "
        "token leaves out what lies outside them (edges to it are cut, and the answer then "
        "carries `X-Lineage-Hidden: true`), and ingest refuses (403) an event naming "
        "another namespace.",
    }
    # The routes as FastAPI flattens them for OpenAPI (with what included routers add).
    flat: Iterable[Any] = (
        routing.iter_route_contexts(list(routes))
        if hasattr(routing, "iter_route_contexts")
        else routes
    )
    for route in flat:
        if not isinstance(getattr(route, "original_route", route), APIRoute):
            continue
        if not route.include_in_schema:
            continue
        scopes = [
            scope
            for dependency in route.dependant.dependencies
            if (scope := getattr(dependency.call, "scope", None)) is not None
        ]
        operations = schema.get("paths", {}).get(route.path_format, {})
        for method in route.methods or ():
            operation = operations.get(method.lower())
            if operation is None or not scopes:
                continue
            operation["security"] = [{"bearerAuth": []}]
            needs = f"Needs a token with the `{scopes[0]}` scope (or `admin`)."
            described = operation.get("description", "")
            operation["description"] = f"{described}\n\n{needs}".strip()
    return schema


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


def token_grants_of(request: HTTPConnection) -> dict[str, frozenset[str] | None] | None:
    """The scopes of the request's bearer token, each with the namespaces it is limited to
    (None for the whole answer when the server has no tokens)."""
    grants: dict[str, dict[str, frozenset[str] | None]] = getattr(
        request.app.state, "token_grants", {}
    )
    if not grants:
        return None
    kind, _, token = request.headers.get("authorization", "").partition(" ")
    if kind.lower() != "bearer" or not token.strip():
        return {}
    digest = hash_token(token.strip())
    return next((g for d, g in grants.items() if hmac.compare_digest(d, digest)), {})
