"""When the store cannot be reached, nothing is acknowledged and producers are told to retry."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from lineage.api.app import create_app
from lineage.settings import Settings
from lineage.store.neo4j import Neo4jStore
from tests.e2e.server import free_port
from tests.factories import new_run_id, run_event


@pytest.fixture
def client() -> Iterator[TestClient]:
    # Nothing listens on this port: Neo4j is "down".
    url = f"neo4j://127.0.0.1:{free_port()}"
    store = Neo4jStore(url, connection_timeout=1, retry_seconds=1)
    with TestClient(create_app(Settings(store=url), store=store)) as c:
        yield c
    store.close()


def test_ingest_answers_503_with_retry_after_when_neo4j_is_down(client: TestClient) -> None:
    response = client.post("/api/v1/lineage", json=run_event("START", new_run_id(), ("etl", "j")))
    assert response.status_code == 503
    # When the store is tried again: the breaker's cooldown, in whole seconds.
    assert int(response.headers["Retry-After"]) >= 1
    assert "nothing was stored" in response.json()["error"]
    batch = client.post("/api/v1/lineage/batch", json=[run_event("START", new_run_id(), ("etl", "j"))])
    assert batch.status_code == 503


def test_readiness_says_why_the_store_is_not_ready(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert "127.0.0.1" in body["reason"] or "connect" in body["reason"].lower()
