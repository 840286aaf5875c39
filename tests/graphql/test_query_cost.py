"""A query's cost is bounded as a whole, not only by its depth: before it runs (an estimate
over every nested list and expanded fragment) and while it runs (every field counts against
the answer's budget and the time limit), and the server stays responsive meanwhile."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from lineage.api.documents import IMPACT_QUERY, INCIDENTS_QUERY, TRIAGE_QUERY
from lineage.api.graphql.cost import CostLimits, estimate
from lineage.api.graphql.schema import schema
from lineage.store import GraphStore
from lineage.store.embedded import EmbeddedStore
from tests.conftest import feed
from tests.e2e.server import Server
from tests.factories import dataset, pipeline_run
from tests.graphql.conftest import open_client
from tests.graphql.test_errors_and_limits import CountingStore


def cyclic(store: GraphStore) -> None:
    """Three jobs that each read and write the same three datasets: every hop fans out."""
    datasets = [dataset("ns", name) for name in "abc"]
    events: list[dict[str, Any]] = []
    for i in range(3):
        events += pipeline_run(("etl", f"j{i}"), datasets, datasets, start=i * 10)
    feed(store, events)


def nested(levels: int) -> str:
    inner = "producedBy { inputs { " * levels + "name" + " } }" * levels
    return '{ dataset(namespace: "ns", name: "a") { ' + inner + " } }"


def doubling(fragments: int) -> str:
    """Each fragment spreads the next twice: 2**fragments fields once expanded."""
    parts = ["{ dataset(namespace: \"ns\", name: \"a\") { ...f0 } }"]
    for i in range(fragments - 1):
        parts.append(f"fragment f{i} on Dataset {{ ...f{i + 1} ...f{i + 1} }}")
    parts.append(f"fragment f{fragments - 1} on Dataset {{ name }}")
    return "\n".join(parts)


def test_nested_lists_over_the_cost_limit_are_refused_before_anything_is_read(
    store: GraphStore,
) -> None:
    cyclic(store)
    counting = CountingStore(store)
    for gql in open_client(counting):  # type: ignore[arg-type]
        counting.calls = 0
        started = time.monotonic()
        [error] = gql.errors(nested(7))
        assert time.monotonic() - started < 5
        assert error["extensions"]["code"] == "INVALID_QUERY"
        assert "LINEAGE_GRAPHQL_MAX_COST" in error["message"]
        assert "smaller pages" in error["message"]
        assert counting.calls == 0


def test_fragments_that_double_are_refused_without_expanding_them(store: GraphStore) -> None:
    cyclic(store)
    for gql in open_client(store):
        started = time.monotonic()
        [error] = gql.errors(doubling(41))
        assert time.monotonic() - started < 5
        assert error["extensions"]["code"] == "INVALID_QUERY"
        assert "LINEAGE_GRAPHQL_MAX_FRAGMENT_SPREADS" in error["message"]


def test_a_page_size_counts_in_the_estimate(store: GraphStore) -> None:
    cyclic(store)
    query = '{ search(query: "a", first: %d) { nodes { id ... on Dataset { producedBy { name } } } } }'
    for gql in open_client(store, graphql_max_cost=5_000):
        assert gql.data(query % 10)["search"]["nodes"]
        [error] = gql.errors(query % 500)
        assert "LINEAGE_GRAPHQL_MAX_COST" in error["message"]


def test_every_nested_list_counts_against_the_answer_budget(store: GraphStore) -> None:
    cyclic(store)
    for gql in open_client(store, graphql_max_cost=10**30, graphql_max_items=200):
        body = gql.post(nested(4))
        assert body["data"] is None
        [error] = body["errors"]
        assert error["extensions"]["code"] == "INVALID_QUERY"
        assert "LINEAGE_GRAPHQL_MAX_ITEMS" in error["message"]
        # Within the budget the same shape is answered.
        assert gql.data(nested(1))["dataset"]["producedBy"]


def test_the_queries_the_cli_and_rest_routes_send_are_within_the_default_limits() -> None:
    from graphql import parse

    from lineage.settings import Settings

    settings = Settings()
    limits = CostLimits(
        max_cost=settings.graphql_max_cost,
        default_list=settings.graphql_default_list_size,
        max_spreads=settings.graphql_max_fragment_spreads,
        max_fields=5_000,
    )
    for document in (IMPACT_QUERY, INCIDENTS_QUERY, TRIAGE_QUERY):
        assert estimate(schema._schema, parse(document), {}, limits) <= settings.graphql_max_cost


def test_the_server_answers_healthz_while_a_heavy_query_runs_and_stops_it_in_time(
    tmp_path: Path,
) -> None:
    db = tmp_path / "lineage.db"
    store = EmbeddedStore(db)
    cyclic(store)
    store.close()
    # Limits raised so that only the time limit stops the query.
    env = {
        "LINEAGE_GRAPHQL_MAX_COST": str(10**30),
        "LINEAGE_GRAPHQL_MAX_ITEMS": str(10**12),
        "LINEAGE_GRAPHQL_TIMEOUT": "3",
    }
    server = Server(f"sqlite:///{db}", tmp_path / "server.log", env=env).start()
    answer: dict[str, Any] = {}

    def heavy() -> None:
        started = time.monotonic()
        response = httpx.post(server.url + "/graphql", json={"query": nested(7)}, timeout=60)
        answer["seconds"] = time.monotonic() - started
        answer["body"] = response.json()

    try:
        worker = threading.Thread(target=heavy)
        worker.start()
        time.sleep(0.5)
        slowest = 0.0
        while worker.is_alive():
            started = time.monotonic()
            assert httpx.get(server.url + "/healthz", timeout=5).status_code == 200
            slowest = max(slowest, time.monotonic() - started)
            time.sleep(0.2)
        worker.join()
    finally:
        server.stop()
    assert slowest < 3.0  # a worker thread shares the GIL; before, /healthz waited for the query
    assert answer["seconds"] < 20
    [error] = answer["body"]["errors"]
    assert error["extensions"]["code"] == "TIMEOUT"
    assert "LINEAGE_GRAPHQL_TIMEOUT" in error["message"]


@pytest.mark.parametrize("levels", [1, 2])
def test_small_nested_queries_are_still_answered(store: GraphStore, levels: int) -> None:
    cyclic(store)
    for gql in open_client(store):
        assert gql.data(nested(levels))["dataset"]["producedBy"]
