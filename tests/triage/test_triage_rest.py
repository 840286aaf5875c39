"""Impact, incidents and triage over REST: the same answers as GraphQL, with HTTP statuses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from lineage.api.app import create_app
from lineage.settings import Settings
from lineage.store import GraphStore
from tests.triage.scenario import WH, build


@pytest.fixture
def client(store: GraphStore) -> Iterator[TestClient]:
    build(store, staging_type_change=True)
    app = create_app(Settings(tokens=["reader=read", "writer=incidents+read", "producer=ingest+read"]), store=store)
    with TestClient(app) as http:
        yield http


READER = {"Authorization": "Bearer reader"}
WRITER = {"Authorization": "Bearer writer"}


def test_incidents_then_triage_over_rest(client: TestClient) -> None:
    listed = client.get("/api/v1/incidents", params={"kind": "drift"}, headers=READER)
    assert listed.status_code == 200, listed.text
    [drift] = listed.json()["nodes"]
    report = client.get(f"/api/v1/incidents/{drift['id']}/triage", headers=READER).json()
    top = report["suspects"][0]
    assert top["node"]["version"] == "so4" and top["node"]["dataset"]["name"] == "stg.orders"
    assert top["evidence"][0]["kind"] == "SCHEMA_CHANGE"

    by_node = client.get(
        "/api/v1/triage",
        params={"namespace": "models://registry", "name": "churn", "since": "2026-11-05T12:00:00Z"},
        headers=READER,
    )
    assert by_node.status_code == 200, by_node.text
    assert by_node.json()["suspects"][0]["node"]["version"] == "so4"


def test_people_change_incidents_over_rest_with_an_incidents_token(client: TestClient) -> None:
    body = {"namespace": WH, "name": "features", "title": "spend looks low", "severity": "low"}
    assert client.post("/api/v1/incidents", json=body, headers=READER).status_code == 403
    producer = {"Authorization": "Bearer producer"}
    assert client.post("/api/v1/incidents", json=body, headers=producer).status_code == 403
    opened = client.post("/api/v1/incidents", json=body, headers=WRITER)
    assert opened.status_code == 201, opened.text
    incident = opened.json()
    assert incident["incidentKind"] == "MANUAL" and incident["severity"] == "LOW"
    ack = client.post(f"/api/v1/incidents/{incident['id']}/acknowledge", headers=WRITER)
    assert ack.json()["status"] == "ACKNOWLEDGED"
    bad = client.post(
        f"/api/v1/incidents/{incident['id']}/resolve", json={"reason": ""}, headers=WRITER
    )
    assert bad.status_code == 400 and "reason" in bad.json()["error"]
    done = client.post(
        f"/api/v1/incidents/{incident['id']}/resolve",
        json={"reason": "false alarm"},
        headers=WRITER,
    )
    assert done.json()["status"] == "RESOLVED" and done.json()["resolution"] == "false alarm"


def test_impact_over_rest(client: TestClient) -> None:
    body = {
        "dataset": {"namespace": WH, "name": "stg.orders"},
        "changes": [{"kind": "DROP_FIELD", "field": "amount"}],
    }
    answer = client.post("/api/v1/impact", json=body, headers=READER)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["breaking"] is True
    items = {(i["node"].get("path"), i["severity"]) for c in report["changes"] for i in c["items"]}
    assert ("spend", "BREAKING") in items


def test_rest_errors_carry_http_statuses(client: TestClient) -> None:
    missing = client.post(
        "/api/v1/impact",
        json={"dataset": {"namespace": WH, "name": "nope"}, "changes": [{"kind": "DROP_DATASET"}]},
        headers=READER,
    )
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"
    unknown = client.get("/api/v1/incidents/SU5DSURFTlQfbm9wZQ/triage", headers=READER)
    assert unknown.status_code == 404, unknown.text
