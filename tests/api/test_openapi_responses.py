"""Every REST operation in /openapi.json answers as its schema there says: each route is
called on a store built from real producer streams (dbt-ol, Great Expectations, Airflow),
for its answers and its errors, and each body is validated against the schema declared for
that status and media type (components resolved). A route whose answer drifts from its
documented shape fails here, on both stores."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import orjson
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from jsonschema import Draft202012Validator

from lineage.api.app import create_app
from lineage.settings import Settings
from lineage.store import GraphStore

CAPTURED = Path(__file__).resolve().parents[1] / "events" / "data" / "captured"
STREAMS = (
    "dbt_classic_dev.jsonl",
    "dbt_classic_dev_failures.jsonl",
    "great_expectations_failing.jsonl",
    "airflow_sqlite_sql_failure.jsonl",
)
MAX_INPUTS = 50


def events(name: str) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in (CAPTURED / name).read_bytes().splitlines() if line]


class Checked:
    """A client that validates every answer against /openapi.json, and notes which
    operations it called."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.doc: dict[str, Any] = client.get("/openapi.json").json()
        self.called: dict[tuple[str, str], set[int]] = {}
        # Fixed paths before templated ones: /namespaces/{namespace} is not /namespaces.
        self.templates = sorted(self.doc["paths"], key=lambda p: (p.count("{"), -p.count("/"), p))

    def operation_of(self, path: str) -> str:
        for template in self.templates:
            pattern = re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template))
            if re.fullmatch(pattern, path):
                return template
        raise AssertionError(f"{path} is not described in /openapi.json")

    def call(self, method: str, url: str, expect: int, **kwargs: Any) -> Response:
        response = self.client.request(method, url, **kwargs)
        assert response.status_code == expect, (method, url, response.text[:2000])
        raw_path = urlsplit(str(response.request.url)).path
        template = self.operation_of(raw_path)
        operation = self.doc["paths"][template][method.lower()]
        self.called.setdefault((method.lower(), template), set()).add(expect)
        documented = operation["responses"].get(str(expect))
        assert documented is not None, f"{method} {template} answered {expect}, not documented"
        content = documented.get("content") or {}
        media = response.headers.get("content-type", "").split(";")[0].strip()
        if not response.content:
            assert not content or expect != 200, (method, template, expect)
            return response
        assert media in content, f"{method} {template} {expect}: {media} not in {list(content)}"
        schema = content[media]["schema"]
        body: Any = response.json() if media.endswith("json") else response.text
        validator = Draft202012Validator({**schema, "components": self.doc["components"]})
        problems = [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}"[:500]
            for e in validator.iter_errors(body)
        ]
        assert not problems, f"{method} {url} {expect} drifts from its schema:\n" + "\n".join(
            problems[:10]
        )
        return response

    def get(self, url: str, expect: int = 200, **kwargs: Any) -> Any:
        return self.call("GET", url, expect, **kwargs)

    def post(self, url: str, expect: int = 200, **kwargs: Any) -> Any:
        return self.call("POST", url, expect, **kwargs)


@pytest.fixture
def api(store: GraphStore) -> Iterator[Checked]:
    settings = Settings(tokens=[], max_inputs=MAX_INPUTS, max_depth=20)
    with TestClient(create_app(settings, store=store)) as client:
        yield Checked(client)


def enc(text: str) -> str:
    return quote(text, safe="")


def test_every_route_answers_as_its_openapi_schema_says(api: Checked) -> None:
    stream = [e for name in STREAMS for e in events(name)]
    # Ingest: a batch of real events, one event, and what they refuse.
    api.post("/api/v1/lineage/batch", 201, json=stream)
    api.post("/api/v1/lineage", 201, json=stream[0])
    api.post("/api/v1/lineage", 422, json={"eventType": "START"})
    api.post("/api/v1/lineage", 422, json=[stream[0]])
    api.post("/api/v1/lineage", 400, content=b"{not json", headers=_json)
    wide = {**stream[0], "inputs": [{"namespace": "n", "name": f"t{i}"} for i in range(51)]}
    api.post("/api/v1/lineage", 413, json=wide)
    api.post("/api/v1/lineage", 415, content=b"x", headers={"content-type": "text/plain"})
    api.post("/api/v1/lineage/batch", 207, json=[stream[1], {"eventType": "START"}])
    api.post("/api/v1/lineage/batch", 422, json=[{"eventType": "START"}])
    api.post("/api/v1/lineage/batch", 422, json={"not": "an array"})
    api.post("/api/v1/lineage/batch", 400, content=b"", headers=_json)
    api.post("/api/v1/lineage/batch", 415, content=b"x", headers={"content-type": "text/csv"})
    events_page = api.get("/api/v1/events/lineage", params={"limit": 5}).json()
    assert events_page["count"] == 5
    api.get("/api/v1/events/lineage", 422, params={"limit": 0})
    api.get("/healthz")
    api.get("/readyz")

    # Marquez's reads.
    namespaces = [n["name"] for n in api.get("/api/v1/namespaces").json()["namespaces"]]
    assert namespaces
    for namespace in namespaces:
        api.get(f"/api/v1/namespaces/{enc(namespace)}")
        datasets = api.get(f"/api/v1/namespaces/{enc(namespace)}/datasets").json()
        for found in datasets["datasets"][:3]:
            base = f"/api/v1/namespaces/{enc(namespace)}/datasets/{enc(found['name'])}"
            api.get(base)
            versions = api.get(f"{base}/versions").json()["versions"]
            for version in versions[:2]:
                api.get(f"{base}/versions/{enc(version['version'])}")
            api.get(f"/api/v1/lineage?nodeId={enc('dataset:' + namespace + ':' + found['name'])}")
            api.get(
                "/api/v1/column-lineage",
                params={"nodeId": f"dataset:{namespace}:{found['name']}", "withDownstream": True},
            )
        jobs = api.get(f"/api/v1/namespaces/{enc(namespace)}/jobs").json()["jobs"]
        for job in jobs[:3]:
            base = f"/api/v1/namespaces/{enc(namespace)}/jobs/{enc(job['name'])}"
            api.get(base)
            runs = api.get(f"{base}/runs").json()["runs"]
            for run in runs[:2]:
                api.get(f"/api/v1/jobs/runs/{run['id']}")
    api.get("/api/v1/namespaces/nowhere", 404)
    api.get("/api/v1/namespaces/nowhere/datasets", 404)
    api.get(f"/api/v1/namespaces/{enc(namespaces[0])}/datasets/nothing", 404)
    api.get(f"/api/v1/namespaces/{enc(namespaces[0])}/datasets/nothing/versions", 404)
    api.get(f"/api/v1/namespaces/{enc(namespaces[0])}/datasets/nothing/versions/v", 404)
    api.get("/api/v1/namespaces/nowhere/jobs", 404)
    api.get(f"/api/v1/namespaces/{enc(namespaces[0])}/jobs/nothing", 404)
    api.get(f"/api/v1/namespaces/{enc(namespaces[0])}/jobs/nothing/runs", 404)
    api.get("/api/v1/jobs/runs/00000000-0000-0000-0000-000000000000", 404)
    api.get("/api/v1/search", params={"q": "orders"})
    api.get("/api/v1/search", params={"q": "o%", "sort": "UPDATE_AT", "filter": "JOB"})
    api.get("/api/v1/search", 400, params={"q": "orders", "filter": "TABLE"})
    api.get("/api/v1/search", 422)
    api.get("/api/v1/lineage", 404, params={"nodeId": "dataset:nowhere:nothing"})
    api.get("/api/v1/lineage", 400, params={"nodeId": "nothing"})
    api.get("/api/v1/column-lineage", 404, params={"nodeId": "dataset:nowhere:nothing"})

    # Exports.
    api.get("/api/v1/export")
    api.get("/api/v1/export", params={"format": "csv", "granularity": "COLUMN"})
    api.get("/api/v1/export", 404, params={"start": "dataset:nowhere:nothing"})
    api.get("/api/v1/export", 400, params={"depth": 30})

    # Analysis over GraphQL: impact, incidents, triage.
    dataset = next(
        d
        for ns in namespaces
        for d in api.get(f"/api/v1/namespaces/{enc(ns)}/datasets").json()["datasets"]
        if d["fields"]
    )
    ref = {"namespace": dataset["namespace"], "name": dataset["name"]}
    change = {"kind": "DROP_FIELD", "field": dataset["fields"][0]["name"]}
    api.post("/api/v1/impact", json={"dataset": ref, "changes": [change]})
    api.post("/api/v1/impact", 400, json={"dataset": ref})
    unknown = {"namespace": "nowhere", "name": "nothing"}
    api.post("/api/v1/impact", 404, json={"dataset": unknown, "changes": [change]})
    listed = api.get("/api/v1/incidents").json()
    assert listed["totalCount"] > 0, "the streams hold failed checks and runs"
    api.get("/api/v1/incidents", params={"status": "open", "kind": "quality"})
    api.get("/api/v1/incidents", 400, params={"status": "bogus"})
    opened = api.post(
        "/api/v1/incidents", 201, json={**ref, "title": "numbers look off", "severity": "high"}
    ).json()
    api.post("/api/v1/incidents", 404, json={"namespace": "a", "name": "b", "title": "t"})
    incident = opened["shortId"]
    api.post(f"/api/v1/incidents/{incident}/acknowledge")
    api.post(f"/api/v1/incidents/{incident}/resolve", json={"reason": "a late load"})
    api.post(f"/api/v1/incidents/{incident}/resolve", 400, json={})
    api.post(f"/api/v1/incidents/{incident}/reopen")
    api.post("/api/v1/incidents/INC-999999/acknowledge", 404)
    for found in listed["nodes"][:3]:
        api.get(f"/api/v1/incidents/{found['shortId']}/triage", params={"maxDepth": 20})
    api.get("/api/v1/incidents/INC-999999/triage", 404, params={"maxDepth": 20})
    api.get(f"/api/v1/incidents/{incident}/triage", 400, params={"maxDepth": 21})
    api.get("/api/v1/triage", params={**ref, "since": "2020-01-01T00:00:00Z", "maxDepth": 20})
    api.get("/api/v1/triage", 422, params=ref)

    # Administration.
    api.post("/api/v1/admin/prune", params={"before": "2000-01-01T00:00:00Z", "dryRun": True})
    api.post("/api/v1/admin/prune", 422)
    api.get("/api/v1/webhooks/deliveries")

    described = {
        (method, path)
        for path, operations in api.doc["paths"].items()
        for method in operations
        if not path.startswith("/graphql")
    }
    assert described - set(api.called) == set(), "operations this test did not call"


_json = {"content-type": "application/json"}
