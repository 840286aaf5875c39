"""Mounting the schema on the FastAPI app: GraphiQL in a browser, queries over GET and POST."""

from __future__ import annotations

import orjson
from cross_web import HTTPException as GraphQLHTTPException
from fastapi import Depends, FastAPI, Request, WebSocket
from fastapi.responses import JSONResponse
from fastapi.routing import APIWebSocketRoute
from strawberry.fastapi import GraphQLRouter

from lineage.analysis import MAX_DEPTH
from lineage.api.auth import require, token_grants_of
from lineage.api.graphql.context import Context
from lineage.api.graphql.cost import CostLimits
from lineage.api.graphql.schema import MAX_TOKENS, schema
from lineage.api.visibility import namespaces_of, store_for
from lineage.api.web import STATIC
from lineage.events import nesting_problem
from lineage.settings import Settings
from lineage.store import GraphStore

#: What a WebSocket upgrade on /graphql is told: this server answers over HTTP only.
NO_SUBSCRIPTIONS = (
    "this server serves no GraphQL subscriptions (WebSocket); send queries and "
    "mutations as HTTP POST (or GET) to /graphql"
)


def request_context(store: GraphStore, settings: Settings, *, can_write: bool) -> Context:
    """The context of one request, held to the server's GraphQL limits."""
    return Context(
        store,
        node_budget=settings.node_budget,
        max_depth=min(settings.max_depth, MAX_DEPTH),
        timeout=settings.graphql_timeout,
        can_write=can_write,
        cost_limits=CostLimits(
            max_cost=settings.graphql_max_cost,
            default_list=settings.graphql_default_list_size,
            max_spreads=settings.graphql_max_fragment_spreads,
            max_fields=MAX_TOKENS,
        ),
        max_items=settings.graphql_max_items,
    )


class _Router(GraphQLRouter[Context, None]):
    @property
    def graphql_ide_html(self) -> str:
        # The explorer's build bundles GraphiQL (web/graphiql.html), so the IDE works offline;
        # without a build, strawberry's page (its scripts from a public CDN) is served.
        page = STATIC / "graphiql.html"
        if page.is_file():
            return page.read_text(encoding="utf-8")
        return super().graphql_ide_html

    def decode_json(self, data: str | bytes) -> object:
        # orjson refuses JSON nested past 1024 levels (a JSONDecodeError, answered 400);
        # variables nested less deep, but past any real query's, are refused here by path.
        decoded = orjson.loads(data)
        problem = nesting_problem(decoded)
        if problem is not None:
            raise GraphQLHTTPException(400, f"the request body at {problem}")
        return decoded


def graphql_router(app: FastAPI) -> GraphQLRouter[Context, None]:
    """The GraphQL endpoint for ``app``; mount it with ``prefix="/graphql"``.

    Reads the store from ``app.state.store`` per request and the limits from
    ``app.state.settings``. Needs the ``read`` scope when tokens are set.
    """
    settings: Settings = app.state.settings

    async def context(request: Request) -> Context:
        grants = token_grants_of(request)
        # A token limited to namespaces changes incidents only where its incidents scope
        # reaches every namespace its read scope shows.
        seen = namespaces_of(request)
        changes = grants.get("incidents", frozenset()) if grants is not None else None
        can_write = (
            grants is None
            or "admin" in grants
            or (
                "incidents" in grants
                and (changes is None or (seen is not None and seen <= changes))
            )
        )
        return request_context(store_for(request), settings, can_write=can_write)

    router = _Router(
        schema,
        context_getter=context,
        graphql_ide="graphiql",
        dependencies=[Depends(require("read"))],
        subscription_protocols=(),
    )
    # No subscriptions: an upgrade is answered with why, not handed to the GraphQL view.
    router.routes[:] = [r for r in router.routes if not isinstance(r, APIWebSocketRoute)]

    @router.websocket("")
    async def no_subscriptions(websocket: WebSocket) -> None:
        await refuse_websocket(websocket)

    return router


async def refuse_websocket(websocket: WebSocket) -> None:
    """Answer an upgrade with a 400 saying why; where the server cannot answer an upgrade
    over HTTP, accept it and close with a policy-violation code and the reason."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(JSONResponse({"error": NO_SUBSCRIPTIONS}, 400))
        return
    await websocket.accept()
    await websocket.close(code=1008, reason=NO_SUBSCRIPTIONS)
