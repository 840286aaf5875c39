"""Every bad input is answered with a 4xx that names the problem, never a 500."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketDenialResponse

from lineage.api.app import create_app
from lineage.settings import Settings
from tests.factories import new_run_id, run_event


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(store=f"sqlite:///{tmp_path}/lineage.db", tokens=[]))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def deep_event(depth: int) -> bytes:
    """An event whose custom facet nests ``depth`` objects (written out by hand: JSON
    encoders refuse such depths)."""
    event = run_event("START", new_run_id(), ("etl", "deep"))
    event["run"]["facets"]["custom"] = {"_producer": "p", "_schemaURL": "s", "deep": "HERE"}
    return orjson.dumps(event).replace(b'"HERE"', b'{"x":' * depth + b"{}" + b"}" * depth)


@pytest.mark.parametrize("depth", [300, 600, 1018])
def test_an_event_nested_too_deep_is_refused_naming_the_nesting(client: TestClient, depth: int) -> None:
    body = deep_event(depth)
    response = client.post("/api/v1/lineage", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    [problem] = response.json()["errors"]
    assert problem["path"].startswith("run.facets.custom.deep")
    assert "nested more than 128 levels deep" in problem["message"]


def test_a_batch_reports_the_event_nested_too_deep_by_index(client: TestClient) -> None:
    good = run_event("START", new_run_id(), ("etl", "fine"))
    response = client.post(
        "/api/v1/lineage/batch",
        content=b"[" + orjson.dumps(good) + b"," + deep_event(400) + b"]",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 207, response.text
    [rejected] = response.json()["rejected"]
    assert rejected["index"] == 1
    assert "nested more than" in rejected["errors"][0]["message"]


def test_graphql_variables_nested_too_deep_are_a_400(client: TestClient) -> None:
    for depth in (500, 2000):
        body = '{"query": "query($x: JSON) { __typename }", "variables": {"x": ' + "[" * depth + "]" * depth + "}}"
        response = client.post("/graphql", content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 400, (depth, response.text)
        assert "nested" in response.text.lower() or "json" in response.text.lower()


def test_a_huge_offset_on_the_event_list_is_refused_naming_it(client: TestClient) -> None:
    for params in ({"offset": 10**30}, {"offset": 2**63}, {"limit": 10**30}):
        response = client.get("/api/v1/events/lineage", params=params)
        assert response.status_code == 422, (params, response.text)
        [detail] = response.json()["detail"]
        assert detail["loc"] == ["query", next(iter(params))]


def test_a_websocket_upgrade_on_graphql_is_told_subscriptions_are_not_served(client: TestClient) -> None:
    with (
        pytest.raises(WebSocketDenialResponse) as denied,
        client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]),
    ):
        pass
    assert denied.value.status_code == 400
    assert "no GraphQL subscriptions" in denied.value.json()["error"]


@pytest.mark.parametrize(
    "path",
    ["/api/v1/lineage", "/api/v1/lineage/batch", "/graphql", "/api/v1/impact", "/api/v1/incidents"],
)
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_a_body_that_is_not_json_is_a_415_naming_the_type_expected(
    client: TestClient, path: str, content_type: str
) -> None:
    response = client.post(path, content=b"{}", headers={"Content-Type": content_type})
    assert response.status_code == 415, response.text
    assert "application/json" in response.json()["error"]
    assert content_type in response.json()["error"]


def test_what_openlineage_clients_send_is_still_accepted(client: TestClient) -> None:
    event = orjson.dumps(run_event("START", new_run_id(), ("etl", "client")))
    plain = client.post("/api/v1/lineage", content=event, headers={"Content-Type": "application/json"})
    assert plain.status_code == 201
    charset = client.post(
        "/api/v1/lineage", content=event, headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert charset.status_code == 201
    zipped = client.post(
        "/api/v1/lineage",
        content=gzip.compress(event),
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert zipped.status_code == 201
