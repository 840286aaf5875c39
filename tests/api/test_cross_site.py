"""A web page elsewhere cannot post to the server: bodies must say they are JSON (a page
can send text/plain, or a Blob with no type, without asking the server first), and
state-changing requests a browser marks as cross-site (Origin, Sec-Fetch-Site) are refused
with 403 unless LINEAGE_ALLOWED_ORIGINS lets that origin in. Reads are not affected."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from lineage.api.app import create_app
from lineage.settings import Settings
from tests.factories import new_run_id, run_event

EVIL = "http://evil.example"


def event() -> bytes:
    return orjson.dumps(run_event("START", new_run_id(), ("etl", "cross")))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(store=f"sqlite:///{tmp_path}/l.db"))) as c:
        yield c


def test_a_body_without_a_content_type_is_a_415(client: TestClient) -> None:
    for path in ("/api/v1/lineage", "/api/v1/lineage/batch", "/graphql"):
        response = client.post(path, content=b"[]" if "batch" in path else event())
        assert response.status_code == 415, response.text
        assert "no Content-Type" in response.json()["error"]
        assert "application/json" in response.json()["error"]


def test_a_text_plain_post_is_a_415_naming_its_type(client: TestClient) -> None:
    response = client.post(
        "/api/v1/lineage", content=event(), headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    assert "'text/plain'" in response.json()["error"]


def test_json_and_gzipped_json_are_accepted(client: TestClient) -> None:
    json = {"Content-Type": "application/json"}
    assert client.post("/api/v1/lineage", content=event(), headers=json).status_code == 201
    zipped = {**json, "Content-Encoding": "gzip"}
    assert (
        client.post("/api/v1/lineage", content=gzip.compress(event()), headers=zipped).status_code
        == 201
    )


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": EVIL},
        {"Origin": EVIL, "Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "null"},
        {"Origin": "http://testserver.evil.example"},
    ],
)
def test_a_cross_site_post_is_refused_with_403(client: TestClient, headers: dict[str, str]) -> None:
    for path, body in (
        ("/api/v1/lineage", event()),
        ("/api/v1/lineage/batch", b"[" + event() + b"]"),
        ("/graphql", b'{"query": "{ __typename }"}'),
    ):
        response = client.post(
            path, content=body, headers={**headers, "Content-Type": "application/json"}
        )
        assert response.status_code == 403, (path, headers, response.text)
        assert "LINEAGE_ALLOWED_ORIGINS" in response.json()["error"]
    assert client.app.state.store.count().get("events", 0) == 0  # type: ignore[attr-defined]


def test_a_cross_site_incident_write_with_no_body_is_refused(client: TestClient) -> None:
    response = client.post("/api/v1/incidents/x/acknowledge", headers={"Origin": EVIL})
    assert response.status_code == 403


def test_the_servers_own_pages_and_tools_may_post(client: TestClient) -> None:
    json = {"Content-Type": "application/json"}
    for extra in (
        {},
        {"Origin": "http://testserver"},
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "none"},
    ):
        response = client.post("/api/v1/lineage", content=event(), headers={**json, **extra})
        assert response.status_code == 201, (extra, response.text)


def test_behind_a_proxy_the_forwarded_host_is_the_servers(client: TestClient) -> None:
    headers = {
        "Origin": "https://lineage.example.com",
        "X-Forwarded-Host": "lineage.example.com",
        "Content-Type": "application/json",
    }
    assert client.post("/api/v1/lineage", content=event(), headers=headers).status_code == 201


def test_reads_from_another_site_are_not_refused(client: TestClient) -> None:
    response = client.get(
        "/api/v1/namespaces", headers={"Origin": EVIL, "Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 200


def test_an_allowed_origin_may_post(tmp_path: Path) -> None:
    settings = Settings(store=f"sqlite:///{tmp_path}/l.db", allowed_origins=[EVIL])
    with TestClient(create_app(settings)) as client:
        headers = {
            "Origin": EVIL,
            "Sec-Fetch-Site": "cross-site",
            "Content-Type": "application/json",
        }
        assert client.post("/api/v1/lineage", content=event(), headers=headers).status_code == 201
        other = {**headers, "Origin": "http://other.example"}
        assert client.post("/api/v1/lineage", content=event(), headers=other).status_code == 403


def test_the_allowed_origins_setting_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LINEAGE_ALLOWED_ORIGINS", f"{EVIL}, http://localhost:5173")
    assert Settings().allowed_origins == [EVIL, "http://localhost:5173"]
