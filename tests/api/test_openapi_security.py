"""The OpenAPI document says which routes need a bearer token, and with which scope."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from lineage.api.app import create_app
from lineage.settings import Settings


def openapi(tmp_path: Path) -> dict:
    settings = Settings(store=f"sqlite:///{tmp_path}/lineage.db", tokens=["secret-r=read"])
    with TestClient(create_app(settings)) as client:
        response = client.get("/openapi.json", headers={"Authorization": "Bearer secret-r"})
        assert response.status_code == 200, response.text
        return response.json()


def test_the_bearer_scheme_and_each_route_s_scope_are_described(tmp_path: Path) -> None:
    schema = openapi(tmp_path)
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    ingest = schema["paths"]["/api/v1/lineage"]["post"]
    assert ingest["security"] == [{"bearerAuth": []}]
    assert "`ingest` scope" in ingest["description"]
    events = schema["paths"]["/api/v1/events/lineage"]["get"]
    assert "`read` scope" in events["description"]
    prune = schema["paths"]["/api/v1/admin/prune"]["post"]
    assert "`admin` scope" in prune["description"]
    # The liveness probe is open and asks for nothing; readiness says which store answers.
    assert "security" not in schema["paths"]["/healthz"]["get"]
    assert schema["paths"]["/readyz"]["get"]["security"] == [{"bearerAuth": []}]
