"""What Feast 0.67's own OpenLineage emitter sent for the churn project (tests/feast_repo),
replayed: tests/events/data/captured/feast_*.jsonl (tools/feast/capture.sh; what each stream
holds: tests/events/data/captured/README.md). The same graph whatever the order the events
arrive in; the kinds, owners and column lineage that Feast's facets imply
(lineage/graph/feast.py); and a re-apply that resends part of the project does not close
the rest.
"""

from __future__ import annotations

import copy
import random
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from lineage.graph.model import EdgeKind, NodeKind, dataset_id, field_id, job_id
from lineage.store import Direction, GraphStore
from lineage.store.embedded import EmbeddedStore
from tests.conftest import feed, graph_diff, snapshot
from tests.graphql.conftest import open_client

CAPTURED = Path(__file__).resolve().parent.parent / "events" / "data" / "captured"
NS = "churn"
STREAMS = ("feast_apply", "feast_views", "feast_materialize", "feast_materialize_failure")


def events(*names: str) -> list[dict[str, Any]]:
    return [
        orjson.loads(line)
        for name in names
        for line in (CAPTURED / f"{name}.jsonl").read_bytes().splitlines()
        if line
    ]


def live_feeds(store: GraphStore) -> set[tuple[str, str, str]]:
    fields = [n.id for n in store.nodes_of_kind(NodeKind.FIELD, limit=500)]
    return {
        (e.src, e.dst, str(e.props.get("job")))
        for e in store.edges_of(fields, Direction.DOWNSTREAM, [EdgeKind.FEEDS])
        if e.props.get("until") is None
    }


@pytest.mark.parametrize("order", ["reversed", "shuffled"])
def test_the_graph_does_not_depend_on_the_order_events_arrive_in(
    store: GraphStore, tmp_path: Path, order: str
) -> None:
    stream = events(*STREAMS)
    expected = EmbeddedStore(tmp_path / "in-order.db")
    feed(expected, stream)
    want = snapshot(expected)
    expected.close()
    other = (
        list(reversed(stream))
        if order == "reversed"
        else random.Random(16).sample(stream, len(stream))
    )
    feed(store, other, batch=3)
    assert graph_diff(want, snapshot(store)) == []


def test_feast_facets_give_kinds_owners_and_column_lineage(store: GraphStore) -> None:
    feed(store, events(*STREAMS))
    kinds = {
        n.props["name"]: n.props.get("type")
        for n in store.nodes_of_kind(NodeKind.DATASET, limit=100)
    }
    assert kinds == {
        "orders": "FILE",
        "customers": "FILE",
        "customer": "ENTITY",
        "customer_orders": "FEATURE_VIEW",
        "customer_profile": "FEATURE_VIEW",
        "churn_features": "FEATURE_SERVICE",
        "online_store_customer_orders": "TABLE",
        "online_store_customer_profile": "TABLE",
    }
    entity = store.get_nodes([dataset_id(NS, "customer")])[dataset_id(NS, "customer")]
    assert entity.props["owners"] == [{"name": "crm-team@example.com", "type": "FEAST"}]
    assert entity.props["tags"] == [{"key": "domain", "value": "customers", "source": "FEAST"}]
    feeds = live_feeds(store)
    view = job_id(NS, "feature_view_customer_orders")
    assert (
        field_id(NS, "orders", "total_spend"),
        field_id(NS, "customer_orders", "total_spend"),
        view,
    ) in feeds
    # feast apply's one job for all views names two sources: no column lineage from it.
    assert not {f for f in feeds if f[2] == job_id(NS, "feast_feature_views_churn")}


def test_without_the_views_own_definitions_a_view_has_no_column_lineage(store: GraphStore) -> None:
    feed(store, events("feast_apply", "feast_materialize"))
    feeds = live_feeds(store)
    assert {f[2] for f in feeds} == {
        job_id(NS, "feature_service_churn_features"),
        job_id(NS, "materialize_churn"),
    }
    # Impact analysis counts such a reader as using any column (POSSIBLE).
    readers = store.edges_of([dataset_id(NS, "orders")], Direction.DOWNSTREAM, [EdgeKind.INPUT_TO])
    assert {e.dst for e in readers} == {
        job_id(NS, "feast_feature_views_churn"),
        job_id(NS, "materialize_churn"),
    }


def test_a_reapply_of_one_view_does_not_close_the_others(store: GraphStore) -> None:
    apply = events("feast_apply")
    feed(store, apply)
    # `feast apply` after a change to customer_orders alone: Feast sends the all-views job
    # with that view (and its source) only.
    (views_job,) = [
        copy.deepcopy(e) for e in apply if e["job"]["name"] == "feast_feature_views_churn"
    ]
    views_job["run"]["runId"] = "0193a1b2-0000-7000-8000-000000000016"
    views_job["eventTime"] = "2030-01-01T00:00:00+00:00"
    views_job["inputs"] = [i for i in views_job["inputs"] if i["name"] in ("orders", "customer")]
    views_job["outputs"] = [o for o in views_job["outputs"] if o["name"] == "customer_orders"]
    feed(store, [views_job])
    job = job_id(NS, "feast_feature_views_churn")
    produced = store.edges_of([job], Direction.DOWNSTREAM, [EdgeKind.PRODUCES])
    assert {e.dst: e.props.get("until") for e in produced} == {
        dataset_id(NS, "customer_orders"): None,
        dataset_id(NS, "customer_profile"): None,
    }


FEATURE_VIEW = """
query($namespace: String!, $name: String!) {
  dataset(namespace: $namespace, name: $name) {
    type
    owners { name type }
    tags { key value }
    lastMaterialized
    fields { path }
  }
}
"""


def test_a_feature_view_in_graphql_has_its_features_owner_and_freshness(store: GraphStore) -> None:
    stream = events(*STREAMS)
    feed(store, stream)
    (complete,) = [
        e
        for e in stream
        if e["job"]["name"] == "materialize_churn" and e["eventType"] == "COMPLETE"
    ]
    for gql in open_client(store):
        view = gql.data(FEATURE_VIEW, namespace=NS, name="customer_orders")["dataset"]
        source = gql.data(FEATURE_VIEW, namespace=NS, name="orders")["dataset"]
    assert view["type"] == "FEATURE_VIEW"
    assert view["owners"] == [{"name": "ml-features@example.com", "type": "FEAST"}]
    assert view["tags"] == [{"key": "team", "value": "ml"}, {"key": "tier", "value": "gold"}]
    assert [f["path"] for f in view["fields"]] == ["order_count", "total_spend", "avg_order_value"]
    assert datetime.fromisoformat(view["lastMaterialized"]) == datetime.fromisoformat(
        complete["eventTime"]
    )
    # A source is not materialized; its columns are those the views take from it.
    assert source["type"] == "FILE" and source["lastMaterialized"] is None
    assert {f["path"] for f in source["fields"]} == {
        "order_count",
        "total_spend",
        "avg_order_value",
        "event_timestamp",
    }


def test_a_source_whose_columns_are_renamed_feeds_the_features_they_become(
    store: GraphStore,
) -> None:
    # Feast's field_mapping renames a source column to the feature's name: {"spend": "total_spend"}.
    (view,) = [
        copy.deepcopy(e)
        for e in events("feast_views")
        if e["job"]["name"] == "feature_view_customer_orders"
    ]
    (orders,) = [i for i in view["inputs"] if i["name"] == "orders"]
    orders["facets"]["feast_dataSource"]["field_mapping"] = {"spend": "total_spend"}
    feed(store, [view])
    feeds = live_feeds(store)
    job = job_id(NS, "feature_view_customer_orders")
    assert (
        field_id(NS, "orders", "spend"),
        field_id(NS, "customer_orders", "total_spend"),
        job,
    ) in feeds
    assert (
        field_id(NS, "orders", "order_count"),
        field_id(NS, "customer_orders", "order_count"),
        job,
    ) in feeds
    assert not {f for f in feeds if f[0] == field_id(NS, "orders", "total_spend")}
