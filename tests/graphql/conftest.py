"""A GraphQL client over the FastAPI app, on each store under contract."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lineage.api.app import create_app
from lineage.settings import Settings
from lineage.store import GraphStore


class GraphQL:
    """Posts queries to /graphql the way a browser or a script would."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def post(self, query: str, **variables: Any) -> dict[str, Any]:
        response = self.client.post("/graphql", json={"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def data(self, query: str, **variables: Any) -> dict[str, Any]:
        """The answer's data; fails the test on any error."""
        body = self.post(query, **variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    def errors(self, query: str, **variables: Any) -> list[dict[str, Any]]:
        """The answer's errors; fails the test when there are none."""
        body = self.post(query, **variables)
        assert body.get("errors"), body
        errors: list[dict[str, Any]] = body["errors"]
        return errors


def open_client(store: GraphStore, **settings: Any) -> Iterator[GraphQL]:
    app = create_app(Settings(tokens=[], **settings), store=store)
    with TestClient(app) as client:
        yield GraphQL(client)


@pytest.fixture
def gql(store: GraphStore) -> Iterator[GraphQL]:
    yield from open_client(store)
