"""Incidents and triage over GraphQL: lists, health, people's actions, and the ranked report."""

# ruff: noqa: UP031

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from lineage.api.app import create_app
from lineage.settings import Settings
from lineage.store import GraphStore
from tests.graphql.conftest import GraphQL, open_client
from tests.triage.scenario import ML, WH, build

TRIAGE = """
query Triage($id: ID!) {
  triage(incident: $id) {
    scope truncated
    subject { kind ... on Dataset { name } }
    incident { incidentKind status }
    suspects {
      score distance why
      node { kind ... on DatasetVersion { version dataset { name } } ... on Run { job { name } } }
      evidence { kind detail observedAt strength }
      path { kind }
    }
    rawSources { ... on Dataset { name } }
    blastRadius { ... on Dataset { name } }
  }
}
"""

INCIDENTS = """
query Incidents($status: IncidentStatus, $kind: IncidentKind) {
  incidents(status: $status, kind: $kind, first: 10) {
    totalCount
    nodes {
      id incidentKind title severity status origin openedAt resolvedAt resolution evidence
      subject { kind ... on Dataset { name } ... on Field { path } }
    }
  }
}
"""


@pytest.fixture
def gql(store: GraphStore) -> Iterator[GraphQL]:
    build(store, staging_type_change=True)
    yield from open_client(store)


def drift_id(gql: GraphQL) -> str:
    [drift] = gql.data(INCIDENTS, kind="DRIFT")["incidents"]["nodes"]
    return str(drift["id"])


def test_incidents_are_listed_with_their_subject_and_evidence(gql: GraphQL) -> None:
    found = gql.data(INCIDENTS, status="OPEN")["incidents"]
    kinds = sorted(n["incidentKind"] for n in found["nodes"])
    # The failed column check is one incident, on the dataset, naming the field.
    assert kinds == ["DRIFT", "QUALITY", "SCHEMA_CHANGE"]
    [change] = [n for n in found["nodes"] if n["incidentKind"] == "SCHEMA_CHANGE"]
    assert change["subject"] == {"kind": "DATASET", "name": "stg.orders"}
    assert change["severity"] == "HIGH" and change["origin"] == "automatic"
    assert "amount changed type" in change["evidence"][0]["detail"]


def test_nodes_show_their_health_and_open_incidents(gql: GraphQL) -> None:
    query = (
        """
    query($ns: String!) {
      churn: dataset(namespace: $ns, name: "churn") { health openIncidents { incidentKind } }
      clean: dataset(namespace: "%s", name: "raw.events") { health openIncidents { id } }
    }
    """
        % WH
    )
    data = gql.data(query, ns=ML)
    assert data["churn"] == {"health": "FAILING", "openIncidents": [{"incidentKind": "DRIFT"}]}
    assert data["clean"] == {"health": "OK", "openIncidents": []}


def test_health_in_an_as_of_answer_is_the_health_then(gql: GraphQL) -> None:
    query = (
        """
    query($asOf: DateTime) {
      lineage(start: {namespace: "%s", name: "churn"}, depth: 0, asOf: $asOf) {
        nodes { ... on Dataset { name health openIncidents { incidentKind } } }
      }
    }
    """
        % ML
    )
    before = gql.data(query, asOf="2026-11-06T11:00:00Z")["lineage"]["nodes"]
    assert before == [{"name": "churn", "health": "OK", "openIncidents": []}]
    after = gql.data(query, asOf="2026-11-06T13:00:00Z")["lineage"]["nodes"]
    assert after == [
        {"name": "churn", "health": "FAILING", "openIncidents": [{"incidentKind": "DRIFT"}]}
    ]


def test_triage_over_graphql_ranks_the_planted_type_change_first(gql: GraphQL) -> None:
    report = gql.data(TRIAGE, id=drift_id(gql))["triage"]
    assert report["subject"] == {"kind": "DATASET", "name": "churn"}
    assert report["incident"] == {"incidentKind": "DRIFT", "status": "OPEN"}
    top = report["suspects"][0]
    assert top["node"] == {
        "kind": "DATASET_VERSION",
        "version": "so4",
        "dataset": {"name": "stg.orders"},
    }
    assert top["evidence"][0]["kind"] == "SCHEMA_CHANGE"
    assert top["evidence"][0]["strength"] == 1.0
    assert [p["kind"] for p in top["path"]] == [
        "DATASET", "DATASET_VERSION", "RUN", "DATASET_VERSION", "RUN", "DATASET_VERSION",
    ]  # fmt: skip
    assert sorted(d["name"] for d in report["rawSources"]) == ["raw.events", "raw.orders"]
    assert [d["name"] for d in report["blastRadius"]] == ["features", "churn"]


def test_people_acknowledge_and_resolve_incidents_over_graphql(gql: GraphQL) -> None:
    nid = drift_id(gql)
    ack = gql.data(
        "mutation($id: ID!) { acknowledgeIncident(id: $id) { status acknowledgedAt } }", id=nid
    )
    assert ack["acknowledgeIncident"]["status"] == "ACKNOWLEDGED"
    health = gql.data('{ dataset(namespace: "%s", name: "churn") { health } }' % ML)
    assert health["dataset"]["health"] == "WARNING"
    [error] = gql.errors(
        'mutation($id: ID!) { resolveIncident(id: $id, reason: " ") { status } }', id=nid
    )
    assert error["extensions"]["code"] == "INVALID_ARGUMENT" and "reason" in error["message"]
    done = gql.data(
        'mutation($id: ID!) { resolveIncident(id: $id, reason: "retrained on fixed data") { status resolution } }',
        id=nid,
    )
    assert done["resolveIncident"] == {
        "status": "RESOLVED",
        "resolution": "retrained on fixed data",
    }
    opened = gql.data(
        'mutation { openIncident(node: {namespace: "%s", name: "features"}, title: "Spend looks low", severity: LOW)'
        " { incidentKind severity status subject { ... on Dataset { name } } } }" % WH
    )
    assert opened["openIncident"] == {
        "incidentKind": "MANUAL", "severity": "LOW", "status": "OPEN", "subject": {"name": "features"},
    }  # fmt: skip


def test_a_read_only_token_cannot_change_incidents(store: GraphStore) -> None:
    build(store)
    app = create_app(
        Settings(tokens=["reader=read", "producer=ingest+read", "writer=incidents+read"]), store=store
    )
    with TestClient(app) as client:
        mutation = {
            "query": 'mutation { openIncident(node: {namespace: "%s", name: "features"}, title: "x") { id } }'
            % WH
        }
        body = client.post(
            "/graphql", json=mutation, headers={"Authorization": "Bearer reader"}
        ).json()
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        body = client.post(
            "/graphql", json=mutation, headers={"Authorization": "Bearer producer"}
        ).json()
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        answer = client.post("/graphql", json=mutation, headers={"Authorization": "Bearer writer"})
        assert answer.status_code == 200 and "errors" not in answer.json(), answer.text
        assert answer.json()["data"]["openIncident"]["id"]


def test_triage_errors_name_what_is_wrong(gql: GraphQL) -> None:
    [error] = gql.errors("{ triage { scope } }")
    assert error["extensions"]["code"] == "INVALID_ARGUMENT"
    [error] = gql.errors('{ triage(incident: "bm9wZQ") { scope } }')
    assert error["extensions"]["code"] in ("INVALID_ARGUMENT", "NOT_FOUND")
