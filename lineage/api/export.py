"""``GET /api/v1/export``: a lineage subgraph, or the whole graph, as a file to download."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from lineage.analysis import DEFAULT_DEPTH, MAX_DEPTH, AnalysisError, Granularity, NotFound
from lineage.analysis.export import (
    DEFAULT_EXPORT_LIMIT,
    MAX_EXPORT_LIMIT,
    MEDIA_TYPES,
    SUFFIXES,
    ExportGraph,
    Format,
    export_graph,
    parse_public_id,
    render,
)
from lineage.api import responses as shapes
from lineage.api.auth import require
from lineage.api.responses import Error, answer
from lineage.api.visibility import store_for
from lineage.settings import Settings
from lineage.store import Direction, GraphStore, StoreUnavailable

router = APIRouter(prefix="/api/v1", dependencies=[Depends(require("read"))], tags=["export"])

#: Seconds choosing the nodes of one export may take (writing them is streamed after).
EXPORT_TIMEOUT: Final = 120.0


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


@router.get(
    "/export",
    responses={
        200: {
            **answer(shapes.ExportGraph, "The file, streamed; its type follows format."),
            "content": {
                media.split(";")[0]: {"schema": {"type": "string"}}
                for fmt, media in MEDIA_TYPES.items()
                if fmt is not Format.JSON
            },
        },
        400: answer(Error, "A depth over the server's limit, or a start this cannot begin from."),
        404: answer(Error, "No such start node."),
        503: answer(Error, "The store is unavailable."),
        504: answer(Error, "Choosing the nodes took too long."),
    },
)
async def export(
    request: Request,
    start: Annotated[
        str | None,
        Query(
            description="Where to start: dataset:<namespace>:<name>, job:<namespace>:<name>, "
            "datasetField:<namespace>:<name>:<field> or run:<runId>. Leave it out for the "
            "whole graph."
        ),
    ] = None,
    direction: Direction = Direction.BOTH,
    depth: Annotated[int, Query(ge=0, le=MAX_DEPTH, description="Edges to follow.")] = (
        DEFAULT_DEPTH
    ),
    granularity: Granularity = Granularity.DATASET,
    as_of: Annotated[
        datetime | None, Query(alias="asOf", description="The graph as it stood then.")
    ] = None,
    format: Format = Format.JSON,
    limit: Annotated[
        int | None,
        Query(ge=1, le=MAX_EXPORT_LIMIT, description="Most nodes in the file (default: all)."),
    ] = DEFAULT_EXPORT_LIMIT,
) -> Response:
    """The lineage around ``start`` (or every node at ``granularity``) as JSON (nodes and
    edges), CSV (one row per edge), GraphML, DOT or Mermaid, streamed as it is written.

    ``X-Lineage-Truncated: true`` when ``limit`` left nodes out. 404 for an unknown start,
    400 for a start this granularity cannot begin from.
    """
    store: GraphStore = store_for(request)
    settings: Settings = request.app.state.settings
    if depth > settings.max_depth:
        return _error(
            400,
            f"depth must be at most {settings.max_depth} (got {depth}); "
            "the server's limit is the LINEAGE_MAX_DEPTH setting",
        )
    at = None
    if as_of is not None:
        at = (as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)).timestamp()
    deadline = time.monotonic() + EXPORT_TIMEOUT

    def choose() -> ExportGraph:
        begin = parse_public_id(store, start) if start else None
        return export_graph(
            store, begin, direction, depth, granularity, at, limit, deadline=deadline
        )

    try:
        graph = await run_in_threadpool(choose)
    except NotFound as exc:
        return _error(404, str(exc))
    except AnalysisError as exc:
        return _error(504 if exc.code == "TIMEOUT" else 400, str(exc))
    except StoreUnavailable as exc:
        response = _error(503, f"the store is unavailable: {exc}")
        response.headers["Retry-After"] = "5"
        return response

    def chunks() -> Iterator[bytes]:
        for chunk in render(graph, format):
            yield chunk.encode()

    return StreamingResponse(
        chunks(),
        media_type=MEDIA_TYPES[format],
        headers={
            "Content-Disposition": f'attachment; filename="lineage.{SUFFIXES[format]}"',
            "X-Lineage-Truncated": "true" if graph.truncated else "false",
        },
    )
