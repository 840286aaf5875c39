"""The web explorer: the built files of ``web/`` served at ``/``.

``make web`` (npm ci && npm run build) writes them into ``lineage/web/static``, which the
package ships. Without them the app still serves everything else, and ``/`` says how to
build the explorer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

#: Where the build puts the explorer (inside the package, so wheels carry it).
STATIC: Final = Path(__file__).resolve().parent.parent / "web" / "static"

MISSING: Final = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>lineage</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>lineage</h1>
<p>The web explorer is not built. Build it with <code>make web</code>
(<code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>, Node 20), then reload.</p>
<p>Everything else works: GraphQL at <a href="/graphql">/graphql</a>,
the REST API at <a href="/docs">/docs</a>.</p>
</body></html>
"""


def mount_explorer(app: FastAPI, static: Path = STATIC) -> None:
    """Serve the explorer at ``/`` (and its assets), or a page saying how to build it."""
    index = static / "index.html"
    assets = static / "assets"
    if assets.is_dir():
        app.mount("/assets", StaticFiles(directory=assets), name="explorer-assets")

    # The page and its assets are open even with tokens set: they hold the explorer's code,
    # no data, and a browser cannot send a bearer token when it navigates. The explorer asks
    # for a token and sends it with every request, each of which needs the read scope.
    @app.get("/", include_in_schema=False, response_model=None)
    async def explorer() -> FileResponse | HTMLResponse:
        if index.is_file():
            return FileResponse(index, headers={"Cache-Control": "no-cache"})
        return HTMLResponse(MISSING)

    @app.get("/bench.html", include_in_schema=False, response_model=None)
    async def bench() -> FileResponse | HTMLResponse:
        page = static / "bench.html"
        if page.is_file():
            return FileResponse(page, headers={"Cache-Control": "no-cache"})
        return HTMLResponse(MISSING)
