"""Only the same check passing resolves a failure; Great Expectations' own facet counts too."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from lineage.analysis.incidents import find_incidents
from lineage.graph.incidents import IncidentKind
from lineage.graph.model import dataset_id, field_id
from lineage.ingest import prepare, write
from lineage.store import GraphStore
from tests.factories import dataset, facet, new_run_id, run_event
from tests.graphql.conftest import open_client

CAPTURED = Path(__file__).resolve().parents[1] / "events" / "data" / "captured"
NS = "duckdb://dev/jaffle_shop.duckdb"
ORDERS = "jaffle_shop.main.orders"
# What dbt-ol 1.54 sends for tests on `orders.status` (see dbt_classic_dev.jsonl).
ACCEPTED = {
    "assertion": "accepted_values",
    "name": "accepted_values_orders_status__placed__shipped__completed__return_pending__returned",
    "column": "status",
    "expected": "0",
    "params": {},
    "severity": "error",
}
ACCEPTED_FEWER = {
    **ACCEPTED,
    "name": "accepted_values_orders_status__placed__shipped__completed",
}
NOT_NULL = {**ACCEPTED, "assertion": "not_null", "name": "not_null_orders_status"}


def ingest(store: GraphStore, events: list[dict[str, Any]]) -> None:
    for event in events:
        write(store, [prepare(event)])


def captured(name: str, shift: timedelta = timedelta(0)) -> list[dict[str, Any]]:
    events = [json.loads(line) for line in (CAPTURED / name).read_text().splitlines() if line]
    return [
        {**e, "eventTime": (datetime.fromisoformat(e["eventTime"]) + shift).isoformat()}
        for e in events
    ]


def dbt_test_run(minute: float, *assertions: tuple[dict[str, Any], bool]) -> list[dict[str, Any]]:
    """The test job of `orders`, as dbt-ol reports it: the assertions as an input facet."""
    tested = {
        **dataset(NS, ORDERS),
        "inputFacets": {
            "dataQualityAssertions": facet(
                "DataQualityAssertionsDatasetFacet",
                assertions=[
                    {**a, "success": ok, "actual": "0" if ok else "2"} for a, ok in assertions
                ],
            )
        },
    }
    job = ("dbt_classic", "jaffle_shop.main.jaffle_shop.orders.build.test")
    rid = new_run_id(f"test-orders-{minute}")
    failed = not all(ok for _, ok in assertions)
    return [
        run_event("START", rid, job, time=minute, inputs=[tested]),
        run_event("FAIL" if failed else "COMPLETE", rid, job, time=minute + 1, inputs=[tested]),
    ]


def status(store: GraphStore, subject: str) -> list[str]:
    return [
        i.props["status"] for i in find_incidents(store, kind=IncidentKind.QUALITY, subject=subject)
    ]


def test_a_looser_test_on_the_same_column_does_not_resolve_a_failed_one(store: GraphStore) -> None:
    column = field_id(NS, ORDERS, "status")
    ingest(store, dbt_test_run(0, (ACCEPTED, False)))
    assert status(store, column) == ["OPEN"]

    ingest(store, dbt_test_run(60, (NOT_NULL, True), (ACCEPTED_FEWER, True)))
    assert status(store, column) == ["OPEN"]  # neither is the failed test
    assert status(store, dataset_id(NS, ORDERS)) == ["OPEN"]

    ingest(store, dbt_test_run(120, (ACCEPTED, True)))
    assert status(store, column) == ["RESOLVED"]
    [incident] = find_incidents(store, kind=IncidentKind.QUALITY, subject=column)
    assert (
        incident.props["resolved_at"]
        == datetime.fromisoformat(dbt_test_run(120)[0]["eventTime"]).timestamp()
    )


def test_dbt_tests_that_failed_or_were_skipped_are_resolved_by_the_next_build_that_passes_them(
    store: GraphStore,
) -> None:
    # dbt-ol reports the tests dbt skipped (orders failed to build) as failed, without
    # `expected`; the next day's build runs and passes them, with `expected: "0"`. The test
    # planted on customers.number_of_orders is not in that build: its failure stays open.
    ingest(store, captured("dbt_classic_dev_failures.jsonl"))
    planted = {
        dataset_id(NS, "jaffle_shop.main.customers"),
        field_id(NS, "jaffle_shop.main.customers", "number_of_orders"),
    }
    skipped = {dataset_id(NS, ORDERS), field_id(NS, ORDERS, "status")}
    failing = set().union(*map(on, find_incidents(store, kind=IncidentKind.QUALITY)))
    assert failing >= planted | skipped

    ingest(store, captured("dbt_classic_dev.jsonl", timedelta(days=1)))
    still_open = set().union(
        *(
            on(i)
            for i in find_incidents(store, kind=IncidentKind.QUALITY)
            if i.props["status"] == "OPEN"
        )
    )
    assert still_open == planted


def on(incident: Any) -> set[str]:
    """The dataset a quality incident is on, and the fields its check is about."""
    return {incident.props["subject"], *(incident.props.get("fields") or ())}


# -- Great Expectations ------------------------------------------------------------------------

GX_ORDERS = dataset_id("sqlite", "orders")

HEALTH = """
query ($ns: String!, $name: String!) {
  dataset(namespace: $ns, name: $name) {
    health
    openIncidents { incidentKind title }
    fields { name health }
  }
}
"""


def test_a_great_expectations_failure_opens_one_quality_incident_per_failed_expectation(
    store: GraphStore,
) -> None:
    ingest(store, captured("great_expectations_failing.jsonl"))

    found = find_incidents(store, kind=IncidentKind.QUALITY, subject=GX_ORDERS)
    assert {i.props["status"] for i in found} == {"OPEN"}
    assert {i.props["check"]: i.props["fields"] for i in found} == {
        "assertion:expect_column_values_to_not_be_null:customer_id": [
            field_id("sqlite", "orders", "customer_id")
        ],
        "assertion:expect_column_values_to_be_in_set:status": [
            field_id("sqlite", "orders", "status")
        ],
    }
    for column in ("customer_id", "status"):
        assert status(store, field_id("sqlite", "orders", column)) == ["OPEN"]
    assert status(store, field_id("sqlite", "orders", "order_id")) == []

    for client in open_client(store):
        answer = client.data(HEALTH, ns="sqlite", name="orders")["dataset"]
        assert answer["health"] == "FAILING"
        assert [i["incidentKind"] for i in answer["openIncidents"]] == ["QUALITY"] * 2
        assert {f["name"]: f["health"] for f in answer["fields"]} == {
            "order_id": "OK",
            "customer_id": "FAILING",
            "status": "FAILING",
            "amount": "OK",
        }


def test_the_same_expectations_passing_later_resolve_the_incident(store: GraphStore) -> None:
    ingest(store, captured("great_expectations_failing.jsonl"))
    ingest(store, captured("great_expectations_passing.jsonl"))

    for incident in find_incidents(store, kind=IncidentKind.QUALITY, subject=GX_ORDERS):
        assert incident.props["status"] == "RESOLVED"
        assert incident.props["resolution"].startswith("resolved automatically: assertion expect_")
    for client in open_client(store):
        assert client.data(HEALTH, ns="sqlite", name="orders")["dataset"]["health"] == "OK"


def test_a_malformed_great_expectations_facet_is_kept_and_opens_nothing(store: GraphStore) -> None:
    [event] = captured("great_expectations_failing.jsonl")
    facets = event["inputs"][0]["inputFacets"]
    facets["greatExpectations_assertions"]["assertions"] = "not a list"
    ingest(store, [event])
    assert find_incidents(store, kind=IncidentKind.QUALITY) == []
    stored = json.loads(store.events(limit=1)[0].body)
    assert stored["inputs"][0]["inputFacets"]["greatExpectations_assertions"]["assertions"] == (
        "not a list"
    )
