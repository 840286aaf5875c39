"""The demo builds the same, exactly known graph on both stores, through the real integrations."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

import pytest
from openlineage.client import OpenLineageClient

from lineage import demo as D
from lineage.analysis.incidents import find_incidents
from lineage.graph.incidents import IncidentKind
from lineage.graph.model import EdgeKind, NodeKind, dataset_id, field_id, job_id, version_id
from lineage.graph.model import run_id as run_node
from lineage.integrations import RecordingTransport
from lineage.store import Direction, GraphStore
from tests.graphql.conftest import GraphQL, open_client
from tests.integrations._check import check_events, facets_named


@pytest.fixture
def demo(store: GraphStore) -> Iterator[tuple[GraphStore, D.DemoResult, GraphQL]]:
    result = D.load_demo(store)
    assert result is not None
    for gql in open_client(store):
        yield store, result, gql


def test_the_demo_events_are_valid_and_the_same_every_time() -> None:
    first, second = RecordingTransport(), RecordingTransport()
    D.run_demo(OpenLineageClient(transport=first))
    D.run_demo(OpenLineageClient(transport=second))
    assert first.sent == second.sent
    assert len(first.sent) == 70
    assert facets_named(first.sent) == {"lineage_model", "lineage_deployment", "lineage_drift"}
    times = sorted(e["eventTime"] for e in first.sent)
    assert (times[0], times[-1]) == ("2026-11-23T02:00:00+00:00", "2026-11-26T10:01:00+00:00")
    check_events(first.sent)


def test_the_demo_has_exactly_its_datasets_with_their_types(demo: tuple[GraphStore, D.DemoResult, GraphQL]) -> None:
    store, _, _ = demo
    types = {(n.props["namespace"], n.props["name"]): n.props.get("type") for n in store.nodes_of_kind(NodeKind.DATASET, limit=1000)}
    assert types == {
        D.SOURCE_ORDERS: None,
        D.SOURCE_CUSTOMERS: None,
        D.RAW_ORDERS: None,
        D.RAW_CUSTOMERS: None,
        D.RAW_EVENTS: None,
        D.STG_ORDERS: None,
        D.STG_CUSTOMERS: None,
        D.STG_EVENTS: None,
        D.CHURN_FEATURES: "TABLE",  # Feast's source (PostgreSQLSource)
        D.ENTITY: "ENTITY",
        D.FEATURE_VIEW: "FEATURE_VIEW",
        D.FEATURE_SERVICE: "FEATURE_SERVICE",
        D.ONLINE_STORE: "TABLE",
        D.MODEL: "MODEL",
        D.ENDPOINT: "ENDPOINT",
    }


def test_loading_the_demo_again_changes_nothing(demo: tuple[GraphStore, D.DemoResult, GraphQL]) -> None:
    store, _, _ = demo
    before = store.count()
    assert D.load_demo(store) is None
    assert store.count() == before


RUN_LINEAGE = """
query($ns: String!, $name: String!) {
  lineage(start: {kind: DATASET, namespace: $ns, name: $name}, direction: UPSTREAM,
          depth: 30, granularity: RUN) {
    nodes { id kind ... on DatasetVersion { version dataset { namespace name } } ... on Run { runId } }
    edges { kind source { id } target { id } }
  }
}
"""


def test_the_endpoint_goes_back_to_the_changed_raw_orders_version_by_version(
    demo: tuple[GraphStore, D.DemoResult, GraphQL],
) -> None:
    _, result, gql = demo
    answer = gql.data(RUN_LINEAGE, ns=D.ENDPOINT[0], name=D.ENDPOINT[1])["lineage"]
    label = {}
    for n in answer["nodes"]:
        if n["kind"] == "DATASET_VERSION":
            label[n["id"]] = ((n["dataset"]["namespace"], n["dataset"]["name"]), n["version"])
        else:
            label[n["id"]] = n["runId"]
    feeds = {(label[e["source"]["id"]], label[e["target"]["id"]]) for e in answer["edges"]}
    runs = result.runs
    chain = [
        (D.ENDPOINT, runs["deploy:2"]),
        runs["deploy:2"],
        (D.MODEL, "2"),
        runs["train:2"],
        (D.CHURN_FEATURES, "2026-11-24"),
        runs["dbt:churn_features:2"],
        (D.STG_ORDERS, "2026-11-24"),
        runs["dbt:stg_orders:2"],
        (D.RAW_ORDERS, "2026-11-24"),
        runs["extract_shop_orders:2"],
    ]
    for downstream, upstream in pairwise(chain):
        assert (upstream, downstream) in feeds, f"{upstream} does not feed {downstream}"
    # Only the day-2 and day-3 runs are upstream of what serves now.
    assert runs["train:1"] not in label.values()
    assert runs["deploy:2"] == D.run_id("deploy", D.DEPLOY_AT[2])


VERSIONS = """
query($ns: String!, $name: String!) {
  dataset(namespace: $ns, name: $name) {
    versions { nodes { version schema { name type } } }
    quality { assertions { assertion success column } }
  }
}
"""


def test_the_raw_amount_column_changed_type_between_the_two_versions(
    demo: tuple[GraphStore, D.DemoResult, GraphQL],
) -> None:
    _, _, gql = demo
    versions = gql.data(VERSIONS, ns=D.RAW_ORDERS[0], name=D.RAW_ORDERS[1])["dataset"]["versions"]["nodes"]
    amount = {v["version"]: {f["name"]: f["type"] for f in v["schema"]}[D.CHANGED_COLUMN] for v in versions}
    assert amount == {"2026-11-23": "DECIMAL(12,2)", "2026-11-24": "VARCHAR"}


def test_the_staging_test_fails_from_day_two_and_opens_a_quality_incident(
    demo: tuple[GraphStore, D.DemoResult, GraphQL],
) -> None:
    store, _, gql = demo
    quality = gql.data(VERSIONS, ns=D.STG_ORDERS[0], name=D.STG_ORDERS[1])["dataset"]["quality"]
    failing = [(a["assertion"], a["column"]) for a in quality["assertions"] if not a["success"]]
    assert failing == [("not_null", "amount_usd")]
    column = field_id(*D.STG_ORDERS, "amount_usd")
    # One incident, on the dataset, naming the field (and shown on it).
    (incident,) = find_incidents(store, kind=IncidentKind.QUALITY, subject=column)
    assert incident.props["subject"] == dataset_id(*D.STG_ORDERS)
    assert incident.props["fields"] == [column]


def test_the_monitor_opens_a_drift_incident_on_the_endpoint(demo: tuple[GraphStore, D.DemoResult, GraphQL]) -> None:
    store, _, _ = demo
    (incident,) = find_incidents(store, kind=IncidentKind.DRIFT, subject=dataset_id(*D.ENDPOINT))
    assert D.DRIFT_AT.timestamp() <= incident.props["opened_at"] <= D.END.timestamp()
    drifted = field_id(*D.ENDPOINT, "avg_order_value")
    assert len(find_incidents(store, kind=IncidentKind.DRIFT, subject=drifted)) == 1


AS_OF = """
query($at: DateTime, $granularity: Granularity!) {
  lineage(start: {kind: DATASET, namespace: "kserve://ml-prod.acme.internal", name: "churn-scorer"},
          direction: UPSTREAM, depth: 2, asOf: $at, granularity: $granularity) {
    nodes { kind ... on Dataset { name type } ... on DatasetVersion { version dataset { name } } }
  }
}
"""


@pytest.mark.parametrize(("at", "model_version"), [("2026-11-24T12:00:00Z", "1"), ("2026-11-25T12:00:00Z", "2")])
def test_which_churn_version_served_prod_is_an_as_of_answer(
    demo: tuple[GraphStore, D.DemoResult, GraphQL], at: str, model_version: str
) -> None:
    _, result, gql = demo
    nodes = gql.data(AS_OF, at=at, granularity="DATASET")["lineage"]["nodes"]
    assert [n["name"] for n in nodes if n["kind"] == "DATASET" and n["type"] == "MODEL"] == ["churn"]
    nodes = gql.data(AS_OF, at=at, granularity="RUN")["lineage"]["nodes"]
    versions = {(n["dataset"]["name"], n["version"]) for n in nodes if n["kind"] == "DATASET_VERSION"}
    assert versions == {
        ("churn-scorer", result.runs[f"deploy:{model_version}"]),
        ("churn", model_version),
        ("churn_service", "run:" + result.runs["feast_apply:service"]),  # read online
    }


def test_each_materialization_reads_the_features_table_as_dbt_last_built_it(
    demo: tuple[GraphStore, D.DemoResult, GraphQL],
) -> None:
    store, result, _ = demo
    read = {}
    for day in (1, 2, 3, 4):
        run = run_node(result.runs[f"materialize:{day}"])
        edges = store.edges_of([run], Direction.DOWNSTREAM, [EdgeKind.READ])
        nodes = store.get_nodes([e.dst for e in edges])
        read[day] = {
            n.props["version"] for n in nodes.values() if n.props["dataset"] == dataset_id(*D.CHURN_FEATURES)
        }
    assert read == {1: {"2026-11-23"}, 2: {"2026-11-24"}, 3: {"2026-11-24"}, 4: {"2026-11-24"}}
    # feast apply defined the view over the day-1 table.
    apply = store.edges_of([run_node(result.runs["feast_apply:views"])], Direction.DOWNSTREAM, [EdgeKind.READ])
    assert version_id(*D.CHURN_FEATURES, "2026-11-23") in {e.dst for e in apply}


def test_the_story_opens_exactly_its_incidents(demo: tuple[GraphStore, D.DemoResult, GraphQL]) -> None:
    store, _, _ = demo
    opened = {
        (i.props["kind"], i.props["subject"], i.props["opened_at"]) for i in find_incidents(store)
    }
    stg_test = job_id(D.DBT_NS, f"analytics.staging.{D.DBT_PROJECT}.stg_orders.build.test")
    assert opened == {
        ("SCHEMA_CHANGE", dataset_id(*D.SOURCE_ORDERS), D.TYPE_CHANGE_AT.timestamp()),
        ("SCHEMA_CHANGE", dataset_id(*D.RAW_ORDERS), D.TYPE_CHANGE_AT.timestamp()),
        ("QUALITY", dataset_id(*D.STG_ORDERS), D.TEST_FAILS_AT.timestamp()),
        ("RUN_FAILURE", stg_test, D.TEST_FAILS_AT.timestamp() + 30),
        ("RUN_FAILURE", job_id(D.DBT_NS, f"dbt-run-{D.DBT_PROJECT}"), D.DBT_AT[2].timestamp() + 9 * 60),
        ("DRIFT", dataset_id(*D.ENDPOINT), D.DRIFT_AT.timestamp()),
        ("DRIFT", field_id(*D.ENDPOINT, "avg_order_value"), D.DRIFT_AT.timestamp()),
    }
