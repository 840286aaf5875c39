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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from lineage.analysis.impact import Change, ChangeKind, Severity, impact
from lineage.analysis.incidents import find_incidents
from lineage.analysis.refs import NodeRef
from lineage.analysis.triage import EvidenceKind, triage
from lineage.graph.incidents import IncidentKind
from lineage.graph.model import EdgeKind, NodeKind, dataset_id, field_id, job_id
from lineage.ingest import prepare, write
from lineage.integrations import (
    DatasetRef,
    RecordingTransport,
    emit_deployment,
    report_drift,
    training_run,
)
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


# -- a model served with the feature service's online features -----------------------------

ML = "ml"
ENDPOINT = ("serving", "churn_endpoint")
FEATURES = {"order_count": "Int64", "total_spend": "Float64", "tenure_days": "Int64"}
ORDERS_SCHEMA = {
    "customer_id": "int64",
    "event_timestamp": "datetime64[ns, UTC]",
    "order_count": "int64",
    "total_spend": "float64",
    "avg_order_value": "float64",
}


def load_orders(run: str, at: str, total_spend: str) -> list[dict[str, Any]]:
    """What the warehouse job writing the source `orders` sends (tools/feast/project.py
    load-orders): the table named as Feast names it, with the schema it wrote."""
    fields = [
        {"name": n, "type": total_spend if n == "total_spend" else t}
        for n, t in ORDERS_SCHEMA.items()
    ]
    output = {
        "namespace": NS,
        "name": "orders",
        "facets": {
            "schema": {
                "_producer": "https://github.com/lineage/lineage/blob/main/tools/feast/project.py",
                "_schemaURL": "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json",
                "fields": fields,
            }
        },
    }
    return [
        {
            "eventType": state,
            "eventTime": at,
            "run": {"runId": run},
            "job": {"namespace": "warehouse", "name": "load_orders"},
            "producer": "https://github.com/lineage/lineage/blob/main/tools/feast/project.py",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "inputs": [],
            "outputs": [output],
        }
        for state in ("START", "COMPLETE")
    ]


def served_through_the_feature_service(stream: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The churn model trained on the service's version and deployed to an endpoint that
    reads it online, then drift on the endpoint (after ``stream``)."""
    (service_run,) = [
        e["run"]["runId"] for e in stream if e["job"]["name"] == "feature_service_churn_features"
    ]
    service = DatasetRef(NS, "churn_features", f"run:{service_run}", FEATURES)
    sent = RecordingTransport()
    day = datetime(2026, 12, 6, 21, 0, tzinfo=UTC)
    with training_run(
        "train_churn", [service], namespace=ML, transport=sent, started_at=day, ended_at=day
    ) as training:
        training.log_model("churn_model", "1", "sklearn", features=list(FEATURES))
    emit_deployment(
        (ML, "churn_model"),
        "1",
        ENDPOINT,
        "prod",
        transport=sent,
        deployed_at=day + timedelta(minutes=5),
        online_features=[service],
    )
    report_drift(
        ENDPOINT,
        {"order_count": 0.03, "total_spend": 0.91, "tenure_days": 0.02},
        threshold=0.2,
        transport=sent,
        observed_at=day + timedelta(hours=1),
    )
    return sent.sent


def served_stream() -> list[dict[str, Any]]:
    stream = [
        *load_orders(
            "0193a1b2-0000-7000-8000-0000000000a1", "2026-12-06T20:00:00+00:00", "float64"
        ),
        *load_orders("0193a1b2-0000-7000-8000-0000000000a2", "2026-12-06T20:10:00+00:00", "int64"),
        *events("feast_apply", "feast_views", "feast_materialize"),
    ]
    return stream + served_through_the_feature_service(stream)


def test_an_endpoint_reading_the_feature_service_online_breaks_with_a_source_column(
    store: GraphStore,
) -> None:
    feed(store, served_stream())
    report = impact(
        store,
        NodeRef(namespace=NS, name="orders"),
        [Change(ChangeKind.CHANGE_TYPE, "total_spend", new_type="string")],
    )
    (change,) = report.changes
    severity: dict[str, Severity] = {}
    for item in change.items:
        severity.setdefault(item.node.id, item.severity)
    for nid in (
        dataset_id(NS, "customer_orders"),
        dataset_id(NS, "churn_features"),
        dataset_id(ML, "churn_model"),
        dataset_id(*ENDPOINT),
        field_id(*ENDPOINT, "total_spend"),
    ):
        assert severity[nid] is Severity.BREAKING, nid
    owners = {o.name: o.severity for o in report.owners}
    assert owners["ml-features@example.com"] is Severity.BREAKING
    assert owners["ml-platform@example.com"] is Severity.BREAKING


def test_drift_on_the_endpoint_triages_through_the_feature_service_to_the_source_change(
    store: GraphStore,
) -> None:
    for event in served_stream():
        write(store, [prepare(event)])  # as the server writes them, incidents opened
    drifts = {i.props["subject"]: i.id for i in find_incidents(store, kind=IncidentKind.DRIFT)}
    # The monitor's report opens one on the endpoint, and one on the column that drifted.
    assert set(drifts) == {dataset_id(*ENDPOINT), field_id(*ENDPOINT, "total_spend")}
    for subject, incident in drifts.items():
        report = triage(store, incident=incident)
        top = report.suspects[0]
        assert report.nodes[top.node].props["dataset"] == dataset_id(NS, "orders"), subject
        assert top.evidence[0].kind is EvidenceKind.SCHEMA_CHANGE
        assert "total_spend changed type from float64 to int64" in top.evidence[0].detail
        versions = [
            report.nodes[p].props["dataset"]
            for p in top.path
            if report.nodes[p].kind is NodeKind.DATASET_VERSION
        ]
        assert versions == [
            dataset_id(*ENDPOINT),
            dataset_id(NS, "churn_features"),
            dataset_id(NS, "customer_orders"),
            dataset_id(NS, "orders"),
        ]
