"""GraphiQL at /graphql and the OpenAPI UI at /docs work with no way out to the internet:
their scripts and styles come from the server (the explorer's build), not a public CDN."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.e2e.server import Server

pytestmark = pytest.mark.e2e


def offline(page: Any) -> list[str]:
    """Abort every request that is not to the local server; returns the ones tried."""
    tried: list[str] = []

    def route(request_route: Any) -> None:
        host = urlparse(request_route.request.url).hostname
        if host in ("127.0.0.1", "localhost") or request_route.request.url.startswith("data:"):
            request_route.continue_()
        else:
            tried.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    return tried


def test_graphiql_runs_a_query_offline(served: Server, page: Any, tmp_path: Path) -> None:
    tried = offline(page)
    page.goto(served.url + "/graphql", wait_until="networkidle")
    expect(page.locator(".graphiql-query-editor")).to_contain_text("query Search")
    # The schema is fetched (introspection, from this server) before the query runs.
    expect(page.get_by_role("button", name="Show Documentation Explorer")).to_be_enabled()
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name=re.compile("Execute query", re.I)).click()
    response = page.locator(".graphiql-response")
    expect(response).to_contain_text('"search"', timeout=15000)
    page.screenshot(path=str(tmp_path / "graphiql.png"))
    print(f"screenshot: {tmp_path / 'graphiql.png'}")
    assert tried == []


def test_openapi_docs_render_offline(served: Server, page: Any, tmp_path: Path) -> None:
    tried = offline(page)
    page.goto(served.url + "/docs", wait_until="networkidle")
    operations = page.locator(".swagger-ui .opblock")
    operations.first.wait_for()
    assert operations.count() > 5
    expect(page.locator(".swagger-ui")).to_contain_text("/api/v1/lineage")
    page.screenshot(path=str(tmp_path / "docs.png"))
    print(f"screenshot: {tmp_path / 'docs.png'}")
    assert tried == []
