"""The FastAPI application: OpenLineage ingest, reads, GraphQL, metrics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_fastapi_instrumentator import Instrumentator

import lineage
from lineage.api import analysis, export, marquez, rest, retention, webhooks
from lineage.api.auth import require
from lineage.api.content import JsonBodies
from lineage.api.graphql import graphql_router
from lineage.api.group_commit import GroupCommit
from lineage.api.loading import StoreLoad, WhileLoading
from lineage.api.metrics import Metrics
from lineage.api.openapi import describe
from lineage.api.origins import SameOrigin
from lineage.api.outage import StoreOutageGate
from lineage.api.retention import retention_loop
from lineage.api.visibility import HiddenHeader
from lineage.api.web import STATIC, mount_explorer
from lineage.ingest import write
from lineage.ingest.incidents import watch
from lineage.ingest.migrations import migrate
from lineage.settings import Settings
from lineage.store import GraphStore, open_store


def create_app(
    settings: Settings | None = None,
    store: GraphStore | None = None,
    *,
    load_in_background: bool = False,
) -> FastAPI:
    """Build the app. The store is opened from ``settings.store`` unless one is given.

    With ``load_in_background``, the store opened from the settings is not loaded here but
    on a thread started when the app starts (its lifespan), and the app answers 503 until
    it is loaded (see :mod:`lineage.api.loading`); ``app.state.loading`` follows the load.
    """
    settings = settings or Settings()
    owns_store = store is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.loading.start()  # unless its owner started it already
        pruning = (
            asyncio.create_task(retention_loop(app)) if app.state.settings.retention_days else None
        )
        outbox = app.state.outbox
        if outbox is not None:
            outbox.start()
        yield
        if pruning is not None:
            pruning.cancel()
        if outbox is not None:
            watch(app.state.store, None)
            outbox.close()
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
    app.state.token_grants = settings.token_grants()
    if store is None:
        store = open_store(settings.store, settings, load=not load_in_background)
    app.state.store = store
    app.state.loading = StoreLoad(store)
    if owns_store:
        # Brought up to this version's shape once loaded (on the loading thread, before
        # the server says it is ready, when loaded in the background).
        opened = store
        if load_in_background:
            app.state.loading.then(
                lambda: migrate(opened, auto_resolve=settings.incident_auto_resolve)
            )
        else:
            migrate(opened, auto_resolve=settings.incident_auto_resolve)
    app.state.metrics = Metrics()
    # Incident changes are queued for the webhooks (delivered off the request path).
    app.state.outbox = webhooks.open_outbox(settings)
    if app.state.outbox is not None:
        watch(app.state.store, app.state.outbox.enqueue)
    # Read at each write, so that a store or setting swapped in later is the one written.
    app.state.group_commit = GroupCommit(
        lambda items: write(
            app.state.store, items, auto_resolve=app.state.settings.incident_auto_resolve
        ),
        max_events=settings.max_events_per_transaction,
        observe=app.state.metrics.requests_per_transaction.observe,
    )
    # Innermost: it reads what the request's view of the store left out.
    app.add_middleware(HiddenHeader)
    app.add_middleware(JsonBodies)
    app.add_middleware(StoreOutageGate)
    # A cross-site post is refused before its body is judged.
    app.add_middleware(SameOrigin, allowed=settings.allowed_origins)
    # Outermost: while the store loads, nothing else runs.
    app.add_middleware(WhileLoading, loading=app.state.loading)
    # Around everything: requests, latency and answers by route template and status
    # (lineage_http_*), 503s while loading included.
    Instrumentator(
        should_group_status_codes=False,
        excluded_handlers=["/metrics"],
        registry=app.state.metrics.registry,
    ).instrument(app, metric_namespace="lineage")
    app.include_router(rest.router)
    app.include_router(marquez.router)
    app.include_router(export.router)
    app.include_router(analysis.router)
    app.include_router(retention.router)
    app.include_router(webhooks.router)
    app.include_router(graphql_router(app), prefix="/graphql")
    mount_explorer(app)

    @app.get("/metrics", dependencies=[Depends(require("read"))], include_in_schema=False)
    async def metrics(request: Request) -> Response:
        registry = request.app.state.metrics.registry
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/openapi.json", dependencies=[Depends(require("read"))], include_in_schema=False)
    async def openapi() -> JSONResponse:
        if app.openapi_schema is None:
            app.openapi_schema = describe(app)
        return JSONResponse(app.openapi_schema)

    @app.get("/docs", dependencies=[Depends(require("read"))], include_in_schema=False)
    async def docs() -> HTMLResponse:
        # The explorer's build carries Swagger UI's files (web/vite.config.ts), so the page
        # works offline; without a build, FastAPI's defaults (a public CDN) are used.
        local = STATIC / "assets" / "swagger-ui"
        if (local / "swagger-ui-bundle.js").is_file():
            return get_swagger_ui_html(
                openapi_url="/openapi.json",
                title="lineage: API",
                swagger_js_url="/assets/swagger-ui/swagger-ui-bundle.js",
                swagger_css_url="/assets/swagger-ui/swagger-ui.css",
                swagger_favicon_url="data:,",
            )
        return get_swagger_ui_html(openapi_url="/openapi.json", title="lineage: API")

    return app
