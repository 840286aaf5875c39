"""The demo's drift incident triages back to the raw column that changed type, on both stores."""

from __future__ import annotations

from lineage import demo
from lineage.analysis.incidents import find_incidents
from lineage.analysis.triage import EvidenceKind, triage
from lineage.graph.incidents import IncidentKind
from lineage.graph.model import NodeKind, dataset_id
from lineage.store import GraphStore, Node


def label(node: Node) -> str:
    """A version as its dataset's name, a run as its job's name."""
    if node.kind is NodeKind.DATASET_VERSION:
        return "version of " + str(node.props["dataset"]).split("\x1f")[-1]
    if node.kind is NodeKind.RUN:
        return "run of " + str(node.props["job"]).split("\x1f")[-1]
    return str(node.props.get("name"))


def test_the_drift_on_the_endpoint_names_the_raw_type_change_first(store: GraphStore) -> None:
    demo.load_demo(store)
    endpoint = dataset_id(*demo.ENDPOINT)
    [incident] = [
        i for i in find_incidents(store, kind=IncidentKind.DRIFT) if i.props["subject"] == endpoint
    ]
    report = triage(store, incident=incident.id)
    top = report.suspects[0]
    assert top.node.startswith(f"DATASET_VERSION\x1f{demo.SHOP_DB}\x1fshop.public.orders\x1f")
    assert top.evidence[0].kind is EvidenceKind.SCHEMA_CHANGE
    assert "field amount changed type from DECIMAL(12,2) to VARCHAR" in top.evidence[0].detail
    assert [label(report.nodes[n]) for n in top.path] == [
        "churn-scorer",
        "version of churn-scorer",
        "run of deploy.churn-scorer",
        "version of churn",
        "run of train_churn",
        "version of analytics.features.churn_features",
        "run of analytics.features.acme_analytics.churn_features.build.run",
        "version of analytics.staging.stg_orders",
        "run of analytics.staging.acme_analytics.stg_orders.build.run",
        "version of analytics.raw.orders",
        "run of extract_shop_orders",
        "version of shop.public.orders",
    ]
    assert report.nodes[top.path[3]].props["version"] == "2"  # the model v2 that was deployed
    second = report.suspects[1]
    assert second.node.startswith(
        f"DATASET_VERSION\x1f{demo.WAREHOUSE}\x1fanalytics.staging.stg_orders"
    )
    assert {e.kind for e in second.evidence} >= {EvidenceKind.FAILED_ASSERTION}
    assert "an upstream suspect came first" in second.why
    assert sorted(n.split("\x1f")[-1] for n in report.raw_sources) == [
        "app/events", "customer", "shop.public.customers", "shop.public.orders",
    ]  # fmt: skip
    assert [n.split("\x1f")[-1] for n in report.blast_radius] == [
        "analytics.raw.orders",
        "analytics.staging.stg_orders",
        "analytics.features.churn_features",
        "churn",
        "customer_churn",
        "online_store_customer_churn",  # materialized from the day-2 features
        "churn-scorer",
        "churn_service",
    ]
