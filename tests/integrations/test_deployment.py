"""Deployments: a DEPLOYMENT run from a model version to an ENDPOINT; as-of answers who served."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests

from lineage.ingest.transport import StoreTransport
from lineage.integrations import DatasetRef, RecordingTransport, emit_deployment
from lineage.integrations.emit import openlineage_client
from lineage.settings import hash_token
from lineage.store import GraphStore
from tests.e2e.server import Server
from tests.graphql.conftest import GraphQL, open_client
from tests.integrations._check import check_events

MODELS = "mlflow://registry"
SERVING = "kserve://prod"
ENDPOINT = (SERVING, "churn-scorer")
DAY = datetime(2026, 11, 1, tzinfo=UTC)


def deploy(transport: Any, model: str, version: str, day: int) -> str:
    return emit_deployment(
        (MODELS, model),
        version,
        ENDPOINT,
        "prod",
        url="https://churn.prod.example/v1",
        client=openlineage_client(transport=transport),
        deployed_at=DAY + timedelta(days=day, hours=9),
        duration=timedelta(minutes=2),
    )


def test_a_deployment_reads_the_model_version_and_writes_an_endpoint_version() -> None:
    sent = RecordingTransport()
    rid = deploy(sent, "churn", "2", 2)
    start, complete = sent.sent
    assert [start["eventType"], complete["eventType"]] == ["START", "COMPLETE"]
    assert complete["job"] == {
        "namespace": "deployments",
        "name": "deploy.churn-scorer",
        "facets": {"jobType": complete["job"]["facets"]["jobType"]},
    }
    assert complete["job"]["facets"]["jobType"]["jobType"] == "DEPLOYMENT"
    (model,) = complete["inputs"]
    assert (model["namespace"], model["name"], model["facets"]["version"]["datasetVersion"]) == (MODELS, "churn", "2")
    (endpoint,) = complete["outputs"]
    assert (endpoint["namespace"], endpoint["name"]) == ENDPOINT
    assert endpoint["facets"]["datasetType"]["datasetType"] == "ENDPOINT"
    assert endpoint["facets"]["version"]["datasetVersion"] == rid
    facet = {k: v for k, v in endpoint["facets"]["lineage_deployment"].items() if not k.startswith("_")}
    assert facet == {
        "environment": "prod",
        "url": "https://churn.prod.example/v1",
        "model": {"namespace": MODELS, "name": "churn", "version": "2"},
    }
    assert complete["eventTime"] == "2026-11-03T09:02:00+00:00"
    check_events(sent.sent)


def test_an_endpoint_reading_online_features_reads_them_and_takes_its_columns_from_them() -> None:
    sent = RecordingTransport()
    service = DatasetRef("churn", "churn_features", "run:0193a1b2-0000-7000-8000-000000000001", {"order_count": "Int64", "tenure_days": "Int64"})
    emit_deployment((MODELS, "churn"), "2", ENDPOINT, "prod", transport=sent, online_features=[service])
    _, complete = sent.sent
    model, online = complete["inputs"]
    assert model["name"] == "churn"
    assert (online["namespace"], online["name"], online["facets"]["version"]["datasetVersion"]) == (
        "churn",
        "churn_features",
        "run:0193a1b2-0000-7000-8000-000000000001",
    )
    (endpoint,) = complete["outputs"]
    assert [(f["name"], f["type"]) for f in endpoint["facets"]["schema"]["fields"]] == [("order_count", "Int64"), ("tenure_days", "Int64")]
    lineage = endpoint["facets"]["columnLineage"]["fields"]
    assert {column: [(i["namespace"], i["name"], i["field"]) for i in f["inputFields"]] for column, f in lineage.items()} == {
        "order_count": [("churn", "churn_features", "order_count")],
        "tenure_days": [("churn", "churn_features", "tenure_days")],
    }
    (how,) = lineage["order_count"]["inputFields"][0]["transformations"]
    assert (how["type"], how["subtype"], how["description"]) == ("DIRECT", "IDENTITY", "online feature")
    check_events(sent.sent)


def test_a_plain_deployment_reports_no_columns_for_its_endpoint() -> None:
    sent = RecordingTransport()
    deploy(sent, "churn", "1", 1)
    (endpoint,) = sent.sent[-1]["outputs"]
    assert "schema" not in endpoint["facets"] and "columnLineage" not in endpoint["facets"]


def test_a_deployment_needs_an_environment() -> None:
    with pytest.raises(ValueError, match="environment"):
        emit_deployment((MODELS, "churn"), "1", ENDPOINT, "", transport=RecordingTransport())


@pytest.fixture
def deployed(store: GraphStore) -> Iterator[tuple[GraphQL, dict[str, str]]]:
    """churn v1 on day 1, churn v2 on day 3, then a different model, churn_gbm v1, on day 5."""
    sink = StoreTransport(store)
    runs = {
        "churn:1": deploy(sink, "churn", "1", 1),
        "churn:2": deploy(sink, "churn", "2", 3),
        "churn_gbm:1": deploy(sink, "churn_gbm", "1", 5),
    }
    yield from ((gql, runs) for gql in open_client(store))


LINEAGE = """
query($at: DateTime, $granularity: Granularity!) {
  lineage(start: {kind: DATASET, namespace: "kserve://prod", name: "churn-scorer"},
          direction: UPSTREAM, depth: 2, asOf: $at, granularity: $granularity) {
    nodes {
      kind
      ... on Dataset { namespace name type }
      ... on DatasetVersion { version dataset { name } }
      ... on Run { runId }
    }
  }
}
"""


def served(gql: GraphQL, at: str, granularity: str) -> set[tuple[str, ...]]:
    nodes = gql.data(LINEAGE, at=at, granularity=granularity)["lineage"]["nodes"]
    if granularity == "DATASET":
        return {(n["name"], n["type"]) for n in nodes if n["kind"] == "DATASET" and n["type"] == "MODEL"}
    return {(n["dataset"]["name"], n["version"]) for n in nodes if n["kind"] == "DATASET_VERSION"}


@pytest.mark.parametrize(
    ("at", "model", "version", "deployment"),
    [
        ("2026-11-02T12:00:00Z", "churn", "1", "churn:1"),
        ("2026-11-03T12:00:00Z", "churn", "1", "churn:1"),
        ("2026-11-04T12:00:00Z", "churn", "2", "churn:2"),
        ("2026-11-06T12:00:00Z", "churn_gbm", "1", "churn_gbm:1"),
    ],
)
def test_which_model_served_the_endpoint_is_an_as_of_question(
    deployed: tuple[GraphQL, dict[str, str]], at: str, model: str, version: str, deployment: str
) -> None:
    gql, runs = deployed
    assert served(gql, at, "DATASET") == {(model, "MODEL")}
    assert served(gql, at, "RUN") == {("churn-scorer", runs[deployment]), (model, version)}


def test_a_new_model_on_the_endpoint_closes_the_old_models_edge(deployed: tuple[GraphQL, dict[str, str]]) -> None:
    gql, _ = deployed
    answer = gql.data(
        """{ job(namespace: "deployments", name: "deploy.churn-scorer") { inputs { name } } }"""
    )
    assert answer["job"]["inputs"] == [{"name": "churn_gbm"}]


def test_the_cli_reports_a_deployment_to_a_real_server(server: Server, tmp_path: Any) -> None:
    done = subprocess.run(
        [
            sys.executable, "-m", "lineage.cli", "emit", "deployment",
            "--model", MODELS, "churn", "--version", "4",
            "--endpoint", SERVING, "churn-scorer", "--environment", "prod",
            "--url", "https://churn.prod.example/v1",
        ],
        env={**os.environ, "OPENLINEAGE_URL": server.url},
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "deployed churn 4 to churn-scorer (prod)" in done.stdout
    events = httpx.get(server.url + "/api/v1/events/lineage").json()["events"]
    assert {e["eventType"] for e in events} == {"START", "COMPLETE"}
    assert events[0]["inputs"][0]["facets"]["version"]["datasetVersion"] == "4"


ENDPOINT_FIELD = """query($path: String!) {
  field(namespace: "kserve://prod", name: "churn-scorer", path: $path) {
    type upstream { field { path dataset { namespace name } } transformation { type subtype } }
  }
}"""


def test_the_cli_feeds_an_endpoints_columns_from_the_online_features_it_names(server: Server) -> None:
    service = "feast://churn/churn_service@run:0193a1b2-0000-7000-8000-000000000001"
    done = subprocess.run(
        [
            sys.executable, "-m", "lineage.cli", "emit", "deployment",
            "--model", MODELS, "churn", "--version", "4",
            "--endpoint", SERVING, "churn-scorer", "--environment", "prod",
            "--online-feature", f"{service}=order_count:Int64,tenure_days",
            "--online-feature", "feast://churn/risk_service=risk_score:Float32",
        ],
        env={**os.environ, "OPENLINEAGE_URL": server.url},
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    events = httpx.get(server.url + "/api/v1/events/lineage").json()["events"]
    complete = next(e for e in events if e["eventType"] == "COMPLETE")
    assert [(i["namespace"], i["name"], i["facets"].get("version", {}).get("datasetVersion")) for i in complete["inputs"]] == [
        (MODELS, "churn", "4"),
        ("feast://churn", "churn_service", "run:0193a1b2-0000-7000-8000-000000000001"),
        ("feast://churn", "risk_service", None),
    ]
    gql = GraphQL(httpx.Client(base_url=server.url))  # type: ignore[arg-type]
    fed = {}
    for path in ("order_count", "tenure_days", "risk_score"):
        field = gql.data(ENDPOINT_FIELD, path=path)["field"]
        fed[path] = (field["type"], [(u["field"]["dataset"]["name"], u["field"]["path"], u["transformation"]["subtype"]) for u in field["upstream"]])
    assert fed == {
        "order_count": ("Int64", [("churn_service", "order_count", "IDENTITY")]),
        "tenure_days": (None, [("churn_service", "tenure_days", "IDENTITY")]),
        "risk_score": ("Float32", [("risk_service", "risk_score", "IDENTITY")]),
    }


@pytest.mark.parametrize("value", ["churn_service", "feast://churn/", "/churn_service", "feast://churn/s=a,,b", "feast://churn/s="])
def test_the_cli_refuses_an_online_feature_it_cannot_read(value: str) -> None:
    done = subprocess.run(
        [
            sys.executable, "-m", "lineage.cli", "emit", "deployment",
            "--model", MODELS, "churn", "--version", "4",
            "--endpoint", SERVING, "churn-scorer", "--environment", "prod",
            "--online-feature", value,
        ],
        env={**os.environ, "OPENLINEAGE_URL": "http://127.0.0.1:9"},
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "--online-feature must look like NAMESPACE/NAME" in done.stderr


def test_the_cli_names_a_missing_option() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lineage.cli", "emit", "deployment", "--model", MODELS, "churn"],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2
    assert "--version" in done.stderr


def test_the_api_key_comes_from_openlineage_api_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = Server(
        f"sqlite:///{tmp_path}/l.db",
        tmp_path / "server.log",
        env={"LINEAGE_TOKENS": f"{hash_token('ci-key')}=ingest+read"},
    ).start()
    try:
        monkeypatch.setenv("OPENLINEAGE_URL", server.url)
        monkeypatch.delenv("OPENLINEAGE_API_KEY", raising=False)
        with pytest.raises(requests.HTTPError, match="401"):
            emit_deployment((MODELS, "churn"), "1", ENDPOINT, "prod")
        monkeypatch.setenv("OPENLINEAGE_API_KEY", "ci-key")
        rid = emit_deployment((MODELS, "churn"), "1", ENDPOINT, "prod")
        listed = httpx.get(
            server.url + "/api/v1/events/lineage", headers={"Authorization": "Bearer ci-key"}
        ).json()["events"]
        assert {e["run"]["runId"] for e in listed} == {rid}
    finally:
        server.stop()
