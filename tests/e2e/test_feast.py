"""The real `feast` CLI with Feast's own OpenLineage emitter, against a real server: the feature
store in the graph, from source files through feature views and the feature service to the
online store, and on through a training run to the model and the endpoint serving it, which
reads the feature service online.

Feast lives in its own virtualenv (tools/feast/install.sh, run by make test). The project is
tests/feast_repo (prepared by tools/feast/project.py): file sources `orders` and `customers`,
feature views `customer_orders` and `customer_profile`, feature service `churn_features`
(all of `customer_orders`, `tenure_days` of `customer_profile`), SQLite online store. The
sequence: the warehouse job `load_orders` writes `orders` (openlineage-python over HTTP), then
writes it again with `total_spend` in cents (int64, no longer double: the planted change);
`feast apply`; each view's definition through Feast's emitter (`view-lineage`); `feast
materialize`; a training run reading the feature service's version and a deployment whose
endpoint reads the feature service online (lineage.integrations); a monitor reports drift on
the endpoint; then `orders` loses `total_spend` and the next `feast materialize` fails.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from lineage.analysis.impact import Category, Change, ChangeKind, Severity, impact
from lineage.analysis.incidents import find_incidents
from lineage.analysis.lineage import Granularity, lineage
from lineage.analysis.refs import NodeRef
from lineage.analysis.triage import EvidenceKind, triage
from lineage.api.documents import INCIDENTS_QUERY, TRIAGE_QUERY
from lineage.graph.incidents import IncidentKind
from lineage.graph.model import EdgeKind, NodeKind, dataset_id, field_id, job_id, version_id
from lineage.integrations import DatasetRef, emit_deployment, report_drift, training_run
from lineage.store import Direction, GraphStore, open_store
from tests.conftest import REPO, skip_or_fail
from tests.e2e.conftest import store_url
from tests.e2e.server import Server
from tests.graphql.conftest import open_client

FEAST_VENV = Path(os.environ.get("FEAST_VENV", REPO / ".venv-feast"))
NS = "churn"
ML = "ml"
ENDPOINT = ("serving", "churn_endpoint")
FEATURES = {"order_count": "Int64", "total_spend": "Float64", "tenure_days": "Int64"}
WINDOW = ["2026-11-01T00:00:00", "2026-11-24T00:00:00"]


def ds(name: str) -> str:
    return dataset_id(NS, name)


def job(name: str) -> str:
    return job_id(NS, name)


@dataclass
class Feast:
    store: GraphStore
    events: list[dict[str, Any]]
    failure: str  # what the failing `feast materialize` printed
    drift: str  # the incident the monitor's drift report opened


def _run(command: list[str], env: dict[str, str], expect_ok: bool = True) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    output = done.stdout + done.stderr
    if expect_ok:
        assert done.returncode == 0, (
            f"{' '.join(command)} exited {done.returncode}:\n{output[-4000:]}"
        )
    else:
        assert done.returncode != 0, f"{' '.join(command)} should have failed:\n{output[-4000:]}"
    return output


@pytest.fixture(scope="module", params=["embedded", "neo4j"])
def feast(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Feast]:
    cli = FEAST_VENV / "bin" / "feast"
    if not cli.exists():
        skip_or_fail(
            f"Feast is not installed in {FEAST_VENV}: run `make feast-install` (make test does)"
        )
    folder = tmp_path_factory.mktemp("feast")
    url = store_url(request.param, folder)
    server = Server(url, folder / "server.log").start()
    project = folder / "churn"
    tool = [str(FEAST_VENV / "bin" / "python"), str(REPO / "tools" / "feast" / "project.py")]
    # Feast's emitter is configured by feature_store.yaml alone.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENLINEAGE_", "FEAST_"))}
    try:
        _run([*tool, "prepare", str(project), "--url", server.url], env)
        _run([*tool, "load-orders", str(project), "--url", server.url], env)
        _run([*tool, "load-orders", str(project), "--url", server.url, "--spend-in-cents"], env)
        _run([str(cli), "-c", str(project), "apply"], env)
        _run([*tool, "view-lineage", str(project)], env)
        _run([str(cli), "-c", str(project), "materialize", *WINDOW], env)
        sent = httpx.get(server.url + "/api/v1/events/lineage", params={"limit": 100}).json()[
            "events"
        ]
        # The feature service's version is the run of `feast apply` that defined it.
        (service_run,) = [
            e["run"]["runId"] for e in sent if e["job"]["name"] == "feature_service_churn_features"
        ]
        service = DatasetRef(NS, "churn_features", f"run:{service_run}", FEATURES)
        with training_run("train_churn", [service], namespace=ML, url=server.url) as training:
            training.log_model(
                "churn_model", "1", "sklearn", metrics={"auc": 0.87}, features=list(FEATURES)
            )
        emit_deployment(
            (ML, "churn_model"),
            "1",
            ENDPOINT,
            "prod",
            openlineage_url=server.url,
            online_features=[service],
        )
        report_drift(
            ENDPOINT,
            {"order_count": 0.03, "total_spend": 0.91, "tenure_days": 0.02},
            threshold=0.2,
            url=server.url,
        )
        _run([*tool, "drop-column", str(project), "orders", "total_spend"], env)
        failure = _run(
            [str(cli), "-c", str(project), "materialize", WINDOW[0], "2026-11-25T00:00:00"],
            env,
            expect_ok=False,
        )
        events = httpx.get(server.url + "/api/v1/events/lineage", params={"limit": 100}).json()[
            "events"
        ]
    finally:
        server.stop()
    store = open_store(url)
    (drift,) = [
        i
        for i in find_incidents(store, kind=IncidentKind.DRIFT)
        if i.props["subject"] == dataset_id(*ENDPOINT)
    ]
    yield Feast(store, events, failure, drift.id)
    store.close()


def _inputs(store: GraphStore, jid: str) -> set[str]:
    return {e.src for e in store.edges_of([jid], Direction.UPSTREAM, [EdgeKind.INPUT_TO])}


def _outputs(store: GraphStore, jid: str) -> set[str]:
    return {e.dst for e in store.edges_of([jid], Direction.DOWNSTREAM, [EdgeKind.PRODUCES])}


def test_feast_sends_what_the_captured_streams_say(feast: Feast) -> None:
    by_job: dict[str, list[str]] = {}
    for event in reversed(feast.events):  # the server lists newest first
        if event["job"]["namespace"] == NS:
            by_job.setdefault(event["job"]["name"], []).append(event["eventType"])
    assert by_job == {
        "feast_feature_views_churn": ["COMPLETE"],
        "feature_service_churn_features": ["COMPLETE"],
        "feature_view_customer_orders": ["COMPLETE"],
        "feature_view_customer_profile": ["COMPLETE"],
        "materialize_churn": ["START", "COMPLETE", "START", "FAIL"],
    }
    assert {e["producer"] for e in feast.events if e["job"]["namespace"] == NS} == {"feast"}
    assert "['total_spend'] not in index" in feast.failure


def test_source_to_feature_view_to_service_and_online_store(feast: Feast) -> None:
    store = feast.store
    orders, customers, customer = ds("orders"), ds("customers"), ds("customer")
    orders_view, profile_view = ds("customer_orders"), ds("customer_profile")
    online_orders, online_profile = (
        ds("online_store_customer_orders"),
        ds("online_store_customer_profile"),
    )
    service = ds("churn_features")
    assert (
        _inputs(store, job("feature_view_customer_orders")),
        _outputs(store, job("feature_view_customer_orders")),
    ) == (
        {orders, customer},
        {orders_view},
    )
    assert (
        _inputs(store, job("feature_view_customer_profile")),
        _outputs(store, job("feature_view_customer_profile")),
    ) == (
        {customers, customer},
        {profile_view},
    )
    # feast apply's one job for all views, as Feast sends it.
    assert _inputs(store, job("feast_feature_views_churn")) == {orders, customers, customer}
    assert _outputs(store, job("feast_feature_views_churn")) == {orders_view, profile_view}
    assert (
        _inputs(store, job("feature_service_churn_features")),
        _outputs(store, job("feature_service_churn_features")),
    ) == (
        {orders_view, profile_view},
        {service},
    )
    assert _inputs(store, job("materialize_churn")) == {
        orders_view,
        profile_view,
        orders,
        customers,
        customer,
    }
    assert _outputs(store, job("materialize_churn")) == {online_orders, online_profile}

    nodes = store.get_nodes(
        [
            orders,
            customers,
            customer,
            orders_view,
            profile_view,
            service,
            online_orders,
            online_profile,
        ]
    )
    assert {n: nodes[n].props.get("type") for n in nodes} == {
        orders: "FILE",
        customers: "FILE",
        customer: "ENTITY",
        orders_view: "FEATURE_VIEW",
        profile_view: "FEATURE_VIEW",
        service: "FEATURE_SERVICE",
        online_orders: "TABLE",
        online_profile: "TABLE",
    }
    assert nodes[orders].props["source"] == "data/orders.parquet"
    assert nodes[orders_view].props["owners"] == [
        {"name": "ml-features@example.com", "type": "FEAST"}
    ]
    assert nodes[orders_view].props["tags"] == [
        {"key": "team", "value": "ml", "source": "FEAST"},
        {"key": "tier", "value": "gold", "source": "FEAST"},
    ]
    assert nodes[service].props["owners"] == [{"name": "ml-platform@example.com", "type": "FEAST"}]
    # Feast documents a service with a summary of its own; the description it was given is in
    # its facet.
    assert nodes[service].props["description"] == (
        "Feature Service 'churn_features' aggregates features from: customer_orders, "
        "customer_profile. Total features: 4."
    )
    assert nodes[service].props["facet:feast_featureService"]["description"] == (
        "What the churn model is trained on and served with"
    )
    # Feast's own facets stay as sent.
    assert nodes[orders_view].props["facet:feast_featureView"]["ttl_seconds"] == 30 * 24 * 3600
    # Freshness: the completed materialization; the failed one does not count.
    (complete,) = [
        e
        for e in feast.events
        if e["job"]["name"] == "materialize_churn" and e["eventType"] == "COMPLETE"
    ]
    assert nodes[orders_view].props["last_materialized"] == pytest.approx(
        _timestamp(complete["eventTime"])
    )

    def fields(dataset: str) -> set[str]:
        return {
            e.dst for e in store.edges_of([dataset], Direction.DOWNSTREAM, [EdgeKind.HAS_FIELD])
        }

    assert fields(orders_view) == {
        field_id(NS, "customer_orders", f)
        for f in ("order_count", "total_spend", "avg_order_value")
    }
    assert fields(service) == {
        field_id(NS, "churn_features", f)
        for f in ("order_count", "total_spend", "avg_order_value", "tenure_days")
    }


def _timestamp(value: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(value).timestamp()


def test_column_lineage_is_what_the_definitions_imply(feast: Feast) -> None:
    store = feast.store
    all_fields = [n.id for n in store.nodes_of_kind(NodeKind.FIELD, limit=500)]
    feeds = {
        (e.src, e.dst, str(e.props.get("job")), f"{e.props.get('type')}/{e.props.get('subtype')}")
        for e in store.edges_of(all_fields, Direction.DOWNSTREAM, [EdgeKind.FEEDS])
        if e.props.get("until") is None
    }

    def f(dataset: str, column: str, namespace: str = NS) -> str:
        return field_id(namespace, dataset, column)

    ident, timestamp = "DIRECT/IDENTITY", "INDIRECT/FILTER"
    expected = set()
    for view, source, columns in (
        ("customer_orders", "orders", ("order_count", "total_spend", "avg_order_value")),
        ("customer_profile", "customers", ("tenure_days", "country")),
    ):
        for column in columns:
            expected.add((f(source, column), f(view, column), job(f"feature_view_{view}"), ident))
            expected.add(
                (
                    f(source, "event_timestamp"),
                    f(view, column),
                    job(f"feature_view_{view}"),
                    timestamp,
                )
            )
            expected.add(
                (
                    f(view, column),
                    f(f"online_store_{view}", column),
                    job("materialize_churn"),
                    ident,
                )
            )
    for view, column in (
        ("customer_orders", "order_count"),
        ("customer_orders", "total_spend"),
        ("customer_orders", "avg_order_value"),
        ("customer_profile", "tenure_days"),
    ):
        expected.add(
            (
                f(view, column),
                f("churn_features", column),
                job("feature_service_churn_features"),
                ident,
            )
        )
    training = job_id(ML, "train_churn")
    deployment = job_id("deployments", "deploy.churn_endpoint")
    ours = {feed for feed in feeds if feed[2] not in (training, deployment)}
    assert ours == expected
    # The training run carries the service's features on to the model; the endpoint reads
    # them from the service online.
    assert {(s, d) for s, d, j, _ in feeds if j == training} == {
        (f("churn_features", c), f("churn_model", c, ML)) for c in FEATURES
    }
    assert {(s, d, how) for s, d, j, how in feeds if j == deployment} == {
        (f("churn_features", c), f(ENDPOINT[1], c, ENDPOINT[0]), ident) for c in FEATURES
    }


def test_materializations_are_runs_and_the_failed_one_opens_an_incident(feast: Feast) -> None:
    store = feast.store
    runs = [
        r
        for r in store.nodes_of_kind(NodeKind.RUN, limit=100)
        if r.props.get("job") == job("materialize_churn")
    ]
    assert sorted(str(r.props["state"]) for r in runs) == ["COMPLETE", "FAIL"]
    (failed,) = [r for r in runs if r.props["state"] == "FAIL"]
    assert failed.props["error_message"] == "\"['total_spend'] not in index\""
    (incident,) = find_incidents(store, kind=IncidentKind.RUN_FAILURE)
    assert incident.props["subject"] == job("materialize_churn")
    assert incident.props["status"] == "OPEN"


def test_dropping_a_source_column_breaks_the_view_the_service_the_model_and_the_endpoint(
    feast: Feast,
) -> None:
    report = impact(
        feast.store,
        NodeRef(namespace=NS, name="orders"),
        [Change(ChangeKind.DROP_FIELD, "total_spend")],
    )
    (change,) = report.changes
    worst: dict[str, Any] = {}
    for item in change.items:
        worst.setdefault(item.node.id, item)
    severity = {nid: item.severity for nid, item in worst.items()}
    breaking = {nid for nid, s in severity.items() if s is Severity.BREAKING}
    assert {
        field_id(NS, "customer_orders", "total_spend"),
        field_id(NS, "churn_features", "total_spend"),
        field_id(NS, "online_store_customer_orders", "total_spend"),
        field_id(ML, "churn_model", "total_spend"),
    } <= breaking
    by_category = {(item.node.id, item.category): item.severity for item in worst.values()}
    assert by_category[(dataset_id(ML, "churn_model"), Category.MODEL)] is Severity.BREAKING
    # The endpoint reads the service's features online: it breaks, surely, as they do.
    assert by_category[(dataset_id(*ENDPOINT), Category.ENDPOINT)] is Severity.BREAKING
    assert severity[field_id(*ENDPOINT, "total_spend")] is Severity.BREAKING
    assert severity[ds("customer_orders")] is Severity.BREAKING
    assert severity[ds("churn_features")] is Severity.BREAKING
    # The other view's columns are untouched. The view itself is POSSIBLE: feast apply's job
    # for all views does not say which source feeds which view; so is its online-store table,
    # the materialization reading `orders` without saying which columns.
    assert severity.get(field_id(NS, "customer_profile", "tenure_days")) is None
    assert severity[ds("customer_profile")] is Severity.POSSIBLE
    assert severity[ds("online_store_customer_profile")] is Severity.POSSIBLE
    assert severity.get(ds("customers")) is None
    owners = {o.name: o.severity for o in report.owners}
    assert owners["ml-features@example.com"] is Severity.BREAKING
    assert owners["ml-platform@example.com"] is Severity.BREAKING


def test_retyping_a_source_column_breaks_the_same_chain(feast: Feast) -> None:
    report = impact(
        feast.store,
        NodeRef(namespace=NS, name="orders"),
        [Change(ChangeKind.CHANGE_TYPE, "total_spend", new_type="string")],
    )
    (change,) = report.changes
    assert change.change.old_type == "int64"  # what load_orders wrote last
    severity: dict[str, Severity] = {}
    for item in change.items:
        severity.setdefault(item.node.id, item.severity)
    for nid in (
        ds("customer_orders"),
        ds("churn_features"),
        dataset_id(ML, "churn_model"),
        dataset_id(*ENDPOINT),
        job_id("deployments", "deploy.churn_endpoint"),
    ):
        assert severity[nid] is Severity.BREAKING, nid


def test_the_endpoint_reads_exact_versions_back_to_the_source_table(feast: Feast) -> None:
    store = feast.store
    (endpoint,) = [
        v
        for v in store.nodes_of_kind(NodeKind.DATASET_VERSION, limit=200)
        if v.props.get("dataset") == dataset_id(*ENDPOINT)
    ]
    graph = lineage(store, endpoint.id, Direction.UPSTREAM, 20, None, Granularity.RUN)
    reached = {
        (str(n.props.get("dataset")), str(n.props.get("version")))
        for n in graph.nodes.values()
        if n.kind is NodeKind.DATASET_VERSION
    }
    by_job = {str(n.props.get("job")) for n in graph.nodes.values() if n.kind is NodeKind.RUN}
    (service_run,) = [
        e["run"]["runId"]
        for e in feast.events
        if e["job"]["name"] == "feature_service_churn_features"
    ]
    (views_run,) = [
        e["run"]["runId"] for e in feast.events if e["job"]["name"] == "feast_feature_views_churn"
    ]
    loads = [
        e["run"]["runId"]
        for e in reversed(feast.events)
        if e["job"]["name"] == "load_orders" and e["eventType"] == "COMPLETE"
    ]
    # The model version and the training run; the feature service's version the endpoint
    # reads online and the training run read, the `feast apply` run that defined it, the
    # views' versions that run read, and the version of `orders` they were defined on.
    assert {
        (dataset_id(ML, "churn_model"), "1"),
        (ds("churn_features"), f"run:{service_run}"),
        (ds("customer_orders"), f"run:{views_run}"),
        (ds("orders"), f"run:{loads[-1]}"),
    } <= reached
    assert (ds("orders"), f"run:{loads[0]}") not in reached
    assert {
        job_id(ML, "train_churn"),
        job("feature_service_churn_features"),
        job("feast_feature_views_churn"),
        job_id("warehouse", "load_orders"),
    } <= by_job
    service_version = version_id(NS, "churn_features", f"run:{service_run}")
    deployments = [
        n
        for n in graph.nodes.values()
        if n.kind is NodeKind.RUN
        and n.props.get("job") == job_id("deployments", "deploy.churn_endpoint")
    ]
    (deployment,) = deployments
    read = {e.source for e in graph.edges if e.target == deployment.id}
    assert service_version in read and version_id(ML, "churn_model", "1") in read


def test_drift_on_the_endpoint_triages_to_the_source_schema_change(feast: Feast) -> None:
    report = triage(feast.store, incident=feast.drift)
    top = report.suspects[0]
    node = report.nodes[top.node]
    assert node.props.get("dataset") == ds("orders"), [
        (s.node, [e.detail for e in s.evidence]) for s in report.suspects
    ]
    assert top.evidence[0].kind is EvidenceKind.SCHEMA_CHANGE
    assert "total_spend changed type from float64 to int64" in top.evidence[0].detail
    # The way back goes through the feature service and the feature view.
    datasets = [
        report.nodes[p].props.get("dataset")
        for p in top.path
        if p in report.nodes and report.nodes[p].kind is NodeKind.DATASET_VERSION
    ]
    assert datasets == [
        dataset_id(*ENDPOINT),
        ds("churn_features"),
        ds("customer_orders"),
        ds("orders"),
    ]


def test_graphql_triage_of_the_drift_names_the_source_change_and_the_way_to_it(
    feast: Feast,
) -> None:
    for gql in open_client(feast.store):
        drifts = gql.data(INCIDENTS_QUERY, kind="DRIFT")["incidents"]["nodes"]
        (drift,) = [
            i
            for i in drifts
            if i["subject"]["kind"] == "DATASET" and i["subject"]["name"] == ENDPOINT[1]
        ]
        report = gql.data(TRIAGE_QUERY, incident=drift["id"], depth=30)["triage"]
    top = report["suspects"][0]
    assert top["node"]["dataset"] == {"namespace": NS, "name": "orders"}
    assert top["evidence"][0]["kind"] == "SCHEMA_CHANGE"
    names = [n["dataset"]["name"] for n in top["path"] if n["kind"] == "DATASET_VERSION"]
    assert names == [ENDPOINT[1], "churn_features", "customer_orders", "orders"]
    jobs = [n["job"]["name"] for n in top["path"] if n["kind"] == "RUN"]
    assert jobs == [
        "deploy.churn_endpoint",
        "feature_service_churn_features",
        "feast_feature_views_churn",
    ]
