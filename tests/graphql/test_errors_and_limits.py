"""What users see when a question cannot be answered, and what bounds a question's cost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lineage.api.app import create_app
from lineage.settings import Settings
from lineage.store import GraphStore
from tests.analysis import graphs
from tests.analysis.graphs import NS
from tests.graphql.conftest import GraphQL, open_client


def test_an_unknown_dataset_is_a_not_found_error_naming_it(store: GraphStore, gql: GraphQL) -> None:
    graphs.chain(store)
    body = gql.post('query($ns: String!) { dataset(namespace: $ns, name: "mart.order") { name } }', ns=NS)
    assert body["data"] == {"dataset": None}
    [error] = body["errors"]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["message"].startswith("no dataset 'mart.order' in namespace 'postgres://warehouse:5432'")
    assert "'mart.orders'" in error["message"]  # a close match, to fix a typo
    assert error["path"] == ["dataset"]


def test_lineage_from_an_unknown_dataset_is_a_not_found_error(store: GraphStore, gql: GraphQL) -> None:
    graphs.chain(store)
    [error] = gql.errors('{ lineage(start: {namespace: "nowhere", name: "nothing"}) { truncated } }')
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert "no dataset 'nothing' in namespace 'nowhere'" in error["message"]


def test_unknown_jobs_runs_and_ids_are_not_found_too(store: GraphStore, gql: GraphQL) -> None:
    graphs.chain(store)
    for query in (
        '{ job(namespace: "etl", name: "nope") { name } }',
        '{ run(runId: "8b0f4a3e-4c1d-4a59-9a7e-000000000000") { state } }',
        '{ node(id: "REFUQVNFVB94H3k") { id } }',  # a well-formed id of a dataset that is not there
    ):
        [error] = gql.errors(query)
        assert error["extensions"]["code"] == "NOT_FOUND", query


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ('{ lineage(start: {namespace: "pg", name: "mart.orders"}, depth: 51) { truncated } }', "between 0 and 50"),
        ('{ lineage(start: {kind: JOB, namespace: "etl"}) { truncated } }', "needs namespace and name"),
        ('{ node(id: "not an id") { id } }', "not a node id this service issued"),
        ('{ search(query: "o", after: "bogus") { totalCount } }', "not a cursor from this list"),
        ('{ search(query: "o", first: 100000) { totalCount } }', "first must be between 0 and 500"),
        ('{ lineage(start: {kind: JOB, namespace: "etl", name: "build_mart"}, granularity: COLUMN) { truncated } }', "cannot start lineage at COLUMN"),
    ],
)
def test_bad_arguments_are_invalid_argument_errors_that_say_what_to_fix(
    store: GraphStore, gql: GraphQL, query: str, says: str
) -> None:
    graphs.chain(store)
    [error] = gql.errors(query)
    assert error["extensions"]["code"] == "INVALID_ARGUMENT"
    assert says in error["message"]


def test_a_query_nested_too_deep_is_refused_before_it_runs(store: GraphStore, gql: GraphQL) -> None:
    graphs.chain(store)
    nested = "currentVersion { dataset { " * 8 + "name" + " } }" * 8
    errors = gql.errors(f'query($ns: String!) {{ dataset(namespace: $ns, name: "mart.orders") {{ {nested} }} }}', ns=NS)
    assert errors[0]["extensions"]["code"] == "INVALID_QUERY"
    assert "exceeds maximum operation depth" in errors[0]["message"]


def test_a_huge_query_document_is_refused(store: GraphStore, gql: GraphQL) -> None:
    fields = " ".join(f"a{i}: __typename" for i in range(3000))
    [error] = gql.errors("{ " + fields + " }")
    assert error["extensions"]["code"] == "INVALID_QUERY"


def test_too_many_aliases_are_refused(store: GraphStore, gql: GraphQL) -> None:
    many = " ".join(f'l{i}: lineage(start: {{namespace: "x", name: "y"}}) {{ truncated }}' for i in range(21))
    [error] = gql.errors("{ " + many + " }")
    assert error["extensions"]["code"] == "INVALID_QUERY"


def test_a_malformed_query_is_an_invalid_query_error(gql: GraphQL) -> None:
    [error] = gql.errors("{ dataset(namespace: 1) { nope } ")
    assert error["extensions"]["code"] == "INVALID_QUERY"


def test_a_query_over_its_time_is_a_timeout_error(store: GraphStore) -> None:
    graphs.chain(store)
    for gql in open_client(store, graphql_timeout=1e-9):
        [error] = gql.errors(
            'query($ns: String!) { lineage(start: {namespace: $ns, name: "mart.orders"}) { truncated } }', ns=NS
        )
        assert error["extensions"]["code"] == "TIMEOUT"


class CountingStore:
    """Delegates to a store and counts the calls made to it."""

    def __init__(self, inner: GraphStore) -> None:
        self.inner = inner
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if not callable(attr):
            return attr

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return attr(*args, **kwargs)

        return counted


def test_store_calls_grow_with_the_query_not_with_the_nodes_in_the_answer(store: GraphStore) -> None:
    graphs.fan_out(store, 3, "small_")
    graphs.fan_out(store, 60, "big_")
    query = """query($ns: String!, $name: String!) {
      lineage(start: {namespace: $ns, name: $name}, direction: DOWNSTREAM, depth: 2) {
        nodes {
          ... on Dataset { name fields { name type } producedBy { name } consumedBy { name }
                           currentVersion { version writtenBy { runId job { name } } } }
          ... on Job { latestRun { runId } outputs { name } }
        }
        edges { source { id } target { id } job { name } }
      }
    }"""
    counting = CountingStore(store)
    calls = {}
    for gql in open_client(counting):  # type: ignore[arg-type]
        for prefix, width in (("small_", 3), ("big_", 60)):
            counting.calls = 0
            nodes = gql.data(query, ns=NS, name=f"{prefix}src")["lineage"]["nodes"]
            assert len(nodes) == width + 2
            calls[prefix] = counting.calls
    assert calls["small_"] == calls["big_"]
    assert calls["big_"] < 20


def test_graphiql_is_served_to_browsers(gql: GraphQL) -> None:
    page = gql.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


def test_graphql_needs_the_read_scope_when_tokens_are_set(tmp_path: Path) -> None:
    settings = Settings(store=f"sqlite:///{tmp_path}/l.db", tokens=["reader=read", "writer=ingest"])
    with TestClient(create_app(settings)) as client:
        query = {"query": "{ search(query: \"x\") { totalCount } }"}
        assert client.post("/graphql", json=query).status_code == 401
        assert client.post("/graphql", json=query, headers={"Authorization": "Bearer writer"}).status_code == 403
        answer = client.post("/graphql", json=query, headers={"Authorization": "Bearer reader"})
        assert answer.status_code == 200 and answer.json()["data"]["search"]["totalCount"] == 0
