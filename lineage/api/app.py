"""The FastAPI application: OpenLineage ingest, reads, GraphQL, metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

import lineage
from lineage.api import analysis, export, marquez, rest
from lineage.api.auth import require
from lineage.api.content import JsonBodies
from lineage.api.graphql import graphql_router
from lineage.api.group_commit import GroupCommit
from lineage.api.metrics import Metrics
from lineage.api.web import mount_explorer
from lineage.ingest import write
from lineage.settings import Settings
from lineage.store import GraphStore, open_store


def create_app(settings: Settings | None = None, store: GraphStore | None = None) -> FastAPI:
    """Build the app. The store is opened from ``settings.store`` unless one is given."""
    settings = settings or Settings()
    owns_store = store is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if owns_store:
            app.state.store.close()

    app = FastAPI(
        title="lineage",
        version=lineage.__version__,
        description="Lineage and metadata graph service: OpenLineage in, a versioned graph out.",
        lifespan=lifespan,
        # Served below, behind the read scope like every route but /healthz.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.token_scopes = settings.token_scopes()
    app.state.store = store if store is not None else open_store(settings.store, settings)
    app.state.metrics = Metrics()
    # Read at each write, so that a store or setting swapped in later is the one written.
    app.state.group_commit = GroupCommit(
        lambda items: write(
            app.state.store, items, auto_resolve=app.state.settings.incident_auto_resolve
        ),
        max_events=settings.max_events_per_transaction,
        observe=app.state.metrics.requests_per_transaction.observe,
    )
    app.add_middleware(JsonBodies)
    app.include_router(rest.router)
    app.include_router(marquez.router)
    app.include_router(export.router)
    app.include_router(analysis.router)
    app.include_router(graphql_router(app), prefix="/graphql")
    mount_explorer(app)

    @app.get("/metrics", dependencies=[Depends(require("read"))], include_in_schema=False)
    async def metrics(request: Request) -> Response:
        registry = request.app.state.metrics.registry
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/openapi.json", dependencies=[Depends(require("read"))], include_in_schema=False)
    async def openapi() -> JSONResponse:
        if app.openapi_schema is None:
            app.openapi_schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
        return JSONResponse(app.openapi_schema)

    @app.get("/docs", dependencies=[Depends(require("read"))], include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="lineage: API")

    return app
