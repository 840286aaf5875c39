"""The hostile-input suite: generated and mutated requests against the real app.

Every answer must be a 2xx or a 4xx that names the problem (the field, path or parameter);
never a 5xx. Example counts are bounded so the suite runs in CI (LINEAGE_HOSTILE_SCALE=10
multiplies them for a deeper run; LINEAGE_HOSTILE_RAISE=1 lets a server error raise in the
test, with its traceback).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from lineage.api.app import create_app
from lineage.settings import Settings

SCALE = max(1, int(os.environ.get("LINEAGE_HOSTILE_SCALE", "1")))


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    folder: Path = tmp_path_factory.mktemp("hostile")
    return create_app(Settings(store=f"sqlite:///{folder}/lineage.db", tokens=[]))


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(
        app, raise_server_exceptions=bool(os.environ.get("LINEAGE_HOSTILE_RAISE"))
    ) as c:
        yield c


def named_problems(response: Response) -> list[str]:
    """What a 4xx answer says went wrong, one entry per problem, each naming where (a path,
    a parameter, a limit or the body). Fails when the answer names nothing."""
    return problems_in(response.status_code, response.content, response.url.path)


def problems_in(status: int, content: bytes, path: str) -> list[str]:
    """:func:`named_problems` of an answer given as its status, body and request path."""
    assert 400 <= status < 500, (status, content[:2000])
    if path.startswith("/graphql") and not content.lstrip().startswith(b"{"):
        # Strawberry's own answers to requests it cannot read (no body, a form) are text.
        assert content.strip(), f"an empty {status} answer to {path}"
        return [content.decode(errors="replace")]
    try:
        body: Any = orjson.loads(content)
    except orjson.JSONDecodeError:
        raise AssertionError(  # noqa: B904 (the decode error says nothing more)
            f"a {status} answer to {path} that is not JSON: {content[:500]!r}"
        )
    assert isinstance(body, dict), body
    named: list[str] = []
    for problem in body.get("errors") or []:
        # Ingest problems carry a path; GraphQL's carry a message (and path or locations).
        where = problem.get("path") or problem.get("locations")
        assert where or path.startswith("/graphql"), problem
        assert problem.get("message"), problem
        named.append(f"{where}: {problem['message']}")
    for rejected in body.get("rejected") or []:
        assert isinstance(rejected.get("index"), int), rejected
        assert rejected["errors"], rejected
        for problem in rejected["errors"]:
            assert problem.get("path") and problem.get("message"), problem
            named.append(f"[{rejected['index']}] {problem['path']}: {problem['message']}")
    detail = body.get("detail")
    if isinstance(detail, list):
        for problem in detail:
            assert problem.get("loc") and problem.get("msg"), problem
            named.append(f"{problem['loc']}: {problem['msg']}")
    elif isinstance(detail, str) and detail:
        named.append(detail)
    if isinstance(body.get("error"), str) and body["error"]:
        named.append(body["error"])
    assert named, f"a {status} answer to {path} that names no problem: {body}"
    return named
