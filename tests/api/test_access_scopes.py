"""With tokens set, every route but /healthz and the explorer's page (code, no data) needs a
token with the right scope."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lineage.api.app import create_app
from lineage.settings import SCOPES, Settings

OPEN = {"/healthz", "/", "/bench.html"}
#: The scope each route needs, when it is not ``read``.
NEEDS = {
    ("POST", "/api/v1/lineage"): "ingest",
    ("POST", "/api/v1/lineage/batch"): "ingest",
    ("POST", "/api/v1/incidents"): "incidents",
    ("POST", "/api/v1/incidents/{incident}/acknowledge"): "incidents",
    ("POST", "/api/v1/incidents/{incident}/resolve"): "incidents",
    ("POST", "/api/v1/admin/prune"): "admin",
    ("POST", "/api/v1/incidents/{incident}/reopen"): "incidents",
    # Hook URLs can carry credentials.
    ("GET", "/api/v1/webhooks/deliveries"): "admin",
}


def tokens() -> list[str]:
    """One token per scope, named after it, plus ``all`` holding every scope but admin."""
    return [f"{scope}-token={scope}" for scope in sorted(SCOPES)]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    path: Path = tmp_path_factory.mktemp("scopes") / "lineage.db"
    app = create_app(Settings(store=f"sqlite:///{path}", tokens=tokens()))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def flatten(table: Iterable[Any]) -> Iterator[tuple[str, str]]:
    for route in table:
        included = getattr(route, "effective_candidates", None)
        if included is not None:  # a router included with include_router
            yield from flatten(included())
            continue
        methods = getattr(route, "methods", None)
        if methods and isinstance(getattr(route, "path", None), str):
            for method in sorted(methods):
                if method != "HEAD":
                    yield method, route.path


def routes() -> list[tuple[str, str]]:
    app = create_app(Settings(store="sqlite:///:memory:", tokens=tokens()))
    return sorted(set(flatten(app.routes)))


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


ROUTES = routes()


def test_the_route_table_holds_the_routes_people_use() -> None:
    for expected in [("GET", "/"), ("GET", "/openapi.json"), ("GET", "/docs"), ("POST", "/graphql"),
                     ("GET", "/metrics"), ("GET", "/readyz"), ("POST", "/api/v1/incidents")]:
        assert expected in ROUTES


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if r[1] not in OPEN])
def test_a_route_refuses_a_missing_token_and_a_token_without_its_scope(
    client: TestClient, method: str, path: str
) -> None:
    url = concrete(path)
    headers = {"Content-Type": "application/json"}
    missing = client.request(method, url, content=b"{}", headers=headers)
    assert missing.status_code == 401, missing.text
    needed = NEEDS.get((method, path), "read")
    for scope in sorted(SCOPES - {needed, "admin"}):
        wrong = client.request(
            method, url, content=b"{}", headers={**headers, "Authorization": f"Bearer {scope}-token"}
        )
        assert wrong.status_code == 403, (scope, wrong.text)
    allowed = client.request(
        method, url, content=b"{}", headers={**headers, "Authorization": f"Bearer {needed}-token"}
    )
    assert allowed.status_code not in (401, 403), allowed.text


def test_healthz_is_open(client: TestClient) -> None:
    assert client.get("/healthz").status_code == 200


def test_the_explorer_page_is_open_but_what_it_asks_for_is_not(client: TestClient) -> None:
    assert client.get("/").status_code == 200
    assert client.post("/graphql", json={"query": "{ __typename }"}).status_code == 401
