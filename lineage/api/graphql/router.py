"""Mounting the schema on the FastAPI app: GraphiQL in a browser, queries over GET and POST."""

from __future__ import annotations

from typing import Final

from fastapi import Depends, FastAPI, Request
from strawberry.fastapi import GraphQLRouter

from lineage.analysis import MAX_DEPTH
from lineage.api.auth import require, token_scopes_of
from lineage.api.graphql.context import Context
from lineage.api.graphql.schema import schema
from lineage.settings import Settings

#: Seconds one GraphQL request may take before it is answered with a TIMEOUT error.
QUERY_TIMEOUT: Final = 30.0


def graphql_router(app: FastAPI) -> GraphQLRouter[Context, None]:
    """The GraphQL endpoint for ``app``; mount it with ``prefix="/graphql"``.

    Reads the store from ``app.state.store`` per request and the node budget and depth
    limit from ``app.state.settings``. Needs the ``read`` scope when tokens are set.
    """
    settings: Settings = app.state.settings

    async def context(request: Request) -> Context:
        scopes = token_scopes_of(request)
        return Context(
            request.app.state.store,
            node_budget=settings.node_budget,
            max_depth=min(settings.max_depth, MAX_DEPTH),
            timeout=QUERY_TIMEOUT,
            can_write=scopes is None or bool(scopes & {"ingest", "admin"}),
        )

    return GraphQLRouter(
        schema,
        context_getter=context,
        graphql_ide="graphiql",
        dependencies=[Depends(require("read"))],
    )
