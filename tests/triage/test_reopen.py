"""Reopening an incident over GraphQL: a resolved one opens again, on both kinds of incident
(recomputed from check outcomes, and opened by hand), and only a resolved one reopens."""

# ruff: noqa: UP031

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lineage.store import GraphStore
from tests.graphql.conftest import GraphQL, open_client
from tests.triage.scenario import ML, WH, build

REOPEN = "mutation($id: ID!) { reopenIncident(id: $id) { status resolvedAt resolution } }"
RESOLVE = 'mutation($id: ID!) { resolveIncident(id: $id, reason: "fixed") { status } }'
CHURN_HEALTH = '{ dataset(namespace: "%s", name: "churn") { health } }' % ML


@pytest.fixture
def gql(store: GraphStore) -> Iterator[GraphQL]:
    build(store, staging_type_change=True)
    yield from open_client(store)


def test_a_resolved_incident_reopens_and_the_node_fails_again(gql: GraphQL) -> None:
    [drift] = gql.data("{ incidents(kind: DRIFT) { nodes { id status } } }")["incidents"]["nodes"]
    [error] = gql.errors(REOPEN, id=drift["id"])
    assert error["extensions"]["code"] == "INVALID_ARGUMENT" and "resolved" in error["message"]
    assert gql.data(RESOLVE, id=drift["id"])["resolveIncident"]["status"] == "RESOLVED"
    assert gql.data(CHURN_HEALTH)["dataset"]["health"] == "OK"
    reopened = gql.data(REOPEN, id=drift["id"])["reopenIncident"]
    assert reopened == {"status": "OPEN", "resolvedAt": None, "resolution": None}
    assert gql.data(CHURN_HEALTH)["dataset"]["health"] == "FAILING"
    # It can be acknowledged and resolved again like any open incident.
    assert gql.data(RESOLVE, id=drift["id"])["resolveIncident"]["status"] == "RESOLVED"


def test_an_incident_opened_by_hand_reopens(gql: GraphQL) -> None:
    opened = gql.data(
        'mutation { openIncident(node: {namespace: "%s", name: "features"}, title: "Spend looks low") { id } }'
        % WH
    )["openIncident"]
    gql.data(RESOLVE, id=opened["id"])
    reopened = gql.data(REOPEN, id=opened["id"])["reopenIncident"]
    assert reopened == {"status": "OPEN", "resolvedAt": None, "resolution": None}
