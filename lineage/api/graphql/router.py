"""Mounting the schema on the FastAPI app: GraphiQL in a browser, queries over GET and POST."""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from strawberry.fastapi import GraphQLRouter

from lineage.analysis import MAX_DEPTH
from lineage.api.auth import require, token_scopes_of
from lineage.api.graphql.context import Context
from lineage.api.graphql.cost import CostLimits
from lineage.api.graphql.schema import MAX_TOKENS, schema
from lineage.settings import Settings
from lineage.store import GraphStore


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


def graphql_router(app: FastAPI) -> GraphQLRouter[Context, None]:
    """The GraphQL endpoint for ``app``; mount it with ``prefix="/graphql"``.

    Reads the store from ``app.state.store`` per request and the limits from
    ``app.state.settings``. Needs the ``read`` scope when tokens are set.
    """
    settings: Settings = app.state.settings

    async def context(request: Request) -> Context:
        scopes = token_scopes_of(request)
        return request_context(
            request.app.state.store,
            settings,
            can_write=scopes is None or bool(scopes & {"ingest", "admin"}),
        )

    return GraphQLRouter(
        schema,
        context_getter=context,
        graphql_ide="graphiql",
        dependencies=[Depends(require("read"))],
    )
