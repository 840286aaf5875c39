"""Incidents open, deduplicate and resolve themselves from what events report, on both stores."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from lineage.analysis import NotFound
from lineage.analysis.incidents import (
    Health,
    by_short_id,
    evidence,
    find_incidents,
    health,
    incidents_on,
    short_id,
)
from lineage.graph.incidents import IncidentKind, IncidentStatus
from lineage.graph.model import dataset_id, field_id, job_id
from lineage.ingest import prepare, write
from lineage.ingest.incidents import open_incident, set_status
from lineage.store import GraphStore
from tests.factories import dataset, facet, new_run_id, pipeline_run, run_event, schema

NS = "postgres://warehouse:5432"
ORDERS = dataset_id(NS, "shop.orders")
TEST_JOB = ("dbt", "test.shop.orders")


def ingest(store: GraphStore, events: Sequence[dict[str, Any]], auto_resolve: bool = True) -> None:
    """One event per write, incidents included, as the server does."""
    for event in events:
        write(store, [prepare(event)], auto_resolve=auto_resolve)


def assertions(*checks: tuple[str, bool, str | None]) -> dict[str, Any]:
    return {
        "dataQualityAssertions": facet(
            "DataQualityAssertionsDatasetFacet",
            assertions=[
                {"assertion": name, "success": ok, **({"column": col} if col else {})}
                for name, ok, col in checks
            ],
        )
    }


def dbt_test_run(minute: float, *checks: tuple[str, bool, str | None]) -> list[dict[str, Any]]:
    """A dbt test run reporting assertions on shop.orders as an input facet."""
    tested_ds = {**dataset(NS, "shop.orders"), "inputFacets": assertions(*checks)}
    return pipeline_run(TEST_JOB, [tested_ds], [], start=minute, seed=f"test-{minute}")


def one(store: GraphStore, subject: str, kind: IncidentKind) -> list[Any]:
    return [i for i in incidents_on(store, [subject])[subject] if i.props["kind"] == kind.value]


def test_a_failed_column_check_opens_one_quality_incident_on_the_dataset_naming_the_field(
    store: GraphStore,
) -> None:
    ingest(store, dbt_test_run(0, ("not_null", False, "status"), ("unique", True, "id")))
    status_field = field_id(NS, "shop.orders", "status")
    [incident] = one(store, ORDERS, IncidentKind.QUALITY)
    assert incident.props["subject"] == ORDERS
    assert incident.props["status"] == "OPEN"
    assert incident.props["severity"] == "MEDIUM"
    assert "not_null failed on shop.orders.status" in incident.props["title"]
    assert incident.props["check"] == "assertion:not_null:status"
    assert incident.props["fields"] == [status_field]
    # Reported at the run's START and COMPLETE.
    assert [e["check"] for e in evidence(incident)] == ["assertion:not_null:status"] * 2
    # The field shows the same incident (it is linked to it), not one of its own.
    assert [i.id for i in one(store, status_field, IncidentKind.QUALITY)] == [incident.id]
    assert find_incidents(store, kind=IncidentKind.QUALITY) == [incident]
    assert one(store, field_id(NS, "shop.orders", "id"), IncidentKind.QUALITY) == []


def test_each_failed_check_is_its_own_incident_and_repeats_add_evidence_to_it(
    store: GraphStore,
) -> None:
    ingest(store, dbt_test_run(0, ("not_null", False, "status")))
    ingest(store, dbt_test_run(60, ("accepted_values", False, "status")))
    ingest(store, dbt_test_run(120, ("not_null", False, "status")))
    found = one(store, ORDERS, IncidentKind.QUALITY)
    by_check = {i.props["check"]: i for i in found}
    assert sorted(by_check) == ["assertion:accepted_values:status", "assertion:not_null:status"]
    assert len({e["at"] for e in evidence(by_check["assertion:not_null:status"])}) == 4
    assert len({e["at"] for e in evidence(by_check["assertion:accepted_values:status"])}) == 2


def test_incidents_get_short_numbers_in_the_order_they_are_created(store: GraphStore) -> None:
    ingest(store, dbt_test_run(0, ("not_null", False, "status")))
    ingest(store, dbt_test_run(60, ("unique", False, "id")))
    nid = open_incident(store, ORDERS, "Numbers look off")
    found = {str(i.props.get("check")): i.props["number"] for i in find_incidents(store)}
    assert found == {"assertion:not_null:status": 1, "assertion:unique:id": 2, "None": 3}
    [manual] = find_incidents(store, kind=IncidentKind.MANUAL)
    assert by_short_id(store, f"INC-{manual.props['number']}") == nid
    assert short_id(manual) == f"INC-{manual.props['number']}"
    with pytest.raises(NotFound):
        by_short_id(store, "INC-999")


def test_each_check_resolves_its_own_incident_when_it_passes_again(store: GraphStore) -> None:
    ingest(store, dbt_test_run(0, ("not_null", False, "status"), ("unique", False, "id")))
    ingest(store, dbt_test_run(60, ("not_null", True, "status"), ("unique", False, "id")))
    by_check = {i.props["check"]: i for i in one(store, ORDERS, IncidentKind.QUALITY)}
    assert by_check["assertion:not_null:status"].props["status"] == "RESOLVED"
    assert by_check["assertion:unique:id"].props["status"] == "OPEN"
    ingest(store, dbt_test_run(120, ("not_null", True, "status"), ("unique", True, "id")))
    for incident in one(store, ORDERS, IncidentKind.QUALITY):
        assert incident.props["status"] == "RESOLVED"
        assert incident.props["resolution"].startswith("resolved automatically: assertion")
    assert health(incidents_on(store, [ORDERS])[ORDERS]) is Health.OK

    ingest(store, dbt_test_run(180, ("not_null", False, "status")))
    incidents = one(store, ORDERS, IncidentKind.QUALITY)
    assert sorted(i.props["status"] for i in incidents) == ["OPEN", "RESOLVED", "RESOLVED"]


def test_a_resolved_incident_reopens_and_resolves_again_when_its_check_passes(
    store: GraphStore,
) -> None:
    ingest(store, dbt_test_run(0, ("not_null", False, "status")))
    ingest(store, dbt_test_run(60, ("not_null", True, "status")))
    [incident] = one(store, ORDERS, IncidentKind.QUALITY)
    assert incident.props["status"] == "RESOLVED"
    set_status(store, incident.id, IncidentStatus.OPEN)
    [reopened] = one(store, ORDERS, IncidentKind.QUALITY)
    assert reopened.id == incident.id
    assert reopened.props["status"] == "OPEN"
    assert reopened.props.get("resolved_at") is None
    assert reopened.props.get("resolution") is None
    with pytest.raises(ValueError, match="not resolved"):
        set_status(store, incident.id, IncidentStatus.OPEN)
    # A person's resolution, and again a reopening, are kept in the ledger.
    set_status(store, incident.id, IncidentStatus.RESOLVED, "a false alarm after all")
    set_status(store, incident.id, IncidentStatus.OPEN)
    # The check passing after the reopening resolves it again.
    later = dbt_test_run(240, ("not_null", True, "status"))
    for event in later:
        event["eventTime"] = "2100-01-01T00:00:00+00:00"
    ingest(store, later)
    [incident] = one(store, ORDERS, IncidentKind.QUALITY)
    assert incident.props["status"] == "RESOLVED"
    assert incident.props["resolution"].startswith("resolved automatically")


def test_a_hand_opened_incident_reopens(store: GraphStore) -> None:
    nid = open_incident(store, ORDERS, "Numbers look off")
    set_status(store, nid, IncidentStatus.RESOLVED, "fixed upstream")
    set_status(store, nid, IncidentStatus.OPEN)
    [incident] = find_incidents(store, kind=IncidentKind.MANUAL)
    assert incident.props["status"] == "OPEN" and incident.props.get("resolution") is None


def test_with_auto_resolve_off_a_passing_check_leaves_the_incident_open(store: GraphStore) -> None:
    ingest(store, dbt_test_run(0, ("not_null", False, "status")), auto_resolve=False)
    ingest(store, dbt_test_run(60, ("not_null", True, "status")), auto_resolve=False)
    [incident] = one(store, ORDERS, IncidentKind.QUALITY)
    assert incident.props["status"] == "OPEN"


def test_a_late_failure_from_before_the_resolution_reopens_nothing(store: GraphStore) -> None:
    ingest(store, dbt_test_run(0, ("not_null", False, "status")))
    ingest(store, dbt_test_run(120, ("not_null", True, "status")))
    ingest(store, dbt_test_run(60, ("not_null", False, "status")))  # arrives late
    [incident] = one(store, ORDERS, IncidentKind.QUALITY)
    assert incident.props["status"] == "RESOLVED"
    # START and COMPLETE of the first run, and of the late one.
    assert len({e["at"] for e in evidence(incident)}) == 4


def test_a_failed_run_opens_a_run_failure_on_its_job_and_a_later_success_resolves_it(
    store: GraphStore,
) -> None:
    job = ("etl", "build_orders")
    rid = new_run_id("failing")
    error = {
        "errorMessage": facet(
            "ErrorMessageRunFacet", message="division by zero", programmingLanguage="python"
        )
    }
    ingest(
        store,
        [
            run_event("START", rid, job, time=0),
            run_event("FAIL", rid, job, time=1, run_facets=error),
        ],
    )
    [incident] = one(store, job_id(*job), IncidentKind.RUN_FAILURE)
    assert incident.props["status"] == "OPEN"
    assert incident.props["severity"] == "HIGH"
    assert "division by zero" in incident.props["title"]
    assert health([incident]) is Health.FAILING
    ingest(store, pipeline_run(job, [], [], start=10))
    [incident] = one(store, job_id(*job), IncidentKind.RUN_FAILURE)
    assert incident.props["status"] == "RESOLVED"


@pytest.mark.parametrize("arrival", ["as_sent", "complete_first"])
def test_a_run_s_own_completion_after_its_failure_does_not_resolve_it(
    store: GraphStore, arrival: str
) -> None:
    # The Spark listener's shape: FAIL when the Spark job fails, then COMPLETE when the SQL
    # execution ends, milliseconds later, under the same runId.
    job = ("spark", "app.execute_insert_into_hadoop_fs_relation_command.warehouse_revenue")
    rid = new_run_id("spark-failing")
    sent = [
        run_event("START", rid, job, time=0),
        run_event("FAIL", rid, job, time=1),
        run_event("COMPLETE", rid, job, time=1.01),
    ]
    ingest(store, sent if arrival == "as_sent" else [sent[2], sent[0], sent[1]])
    [incident] = one(store, job_id(*job), IncidentKind.RUN_FAILURE)
    assert incident.props["status"] == "OPEN"
    # Another run of the job that completes does resolve it.
    ingest(store, pipeline_run(job, [], [], start=10))
    [incident] = one(store, job_id(*job), IncidentKind.RUN_FAILURE)
    assert incident.props["status"] == "RESOLVED"


def _write_orders(minute: float, *columns: tuple[str, str]) -> list[dict[str, Any]]:
    out = dataset(NS, "shop.orders", s=schema(*columns))
    return pipeline_run(("etl", "load_orders"), [], [out], start=minute, seed=f"load-{minute}")


def test_a_dropped_field_or_a_changed_type_opens_a_schema_change_incident(
    store: GraphStore,
) -> None:
    ingest(store, _write_orders(0, ("id", "INTEGER"), ("amount", "DECIMAL"), ("note", "TEXT")))
    ingest(
        store,
        _write_orders(
            60, ("id", "INTEGER"), ("amount", "DECIMAL"), ("note", "TEXT"), ("extra", "TEXT")
        ),
    )
    assert one(store, ORDERS, IncidentKind.SCHEMA_CHANGE) == []  # an added field breaks nothing
    ingest(store, _write_orders(120, ("id", "INTEGER"), ("amount", "VARCHAR"), ("extra", "TEXT")))
    [incident] = one(store, ORDERS, IncidentKind.SCHEMA_CHANGE)
    detail = evidence(incident)[0]["detail"]
    assert "field note dropped" in detail
    assert "field amount changed type from DECIMAL to VARCHAR" in detail
    assert incident.props["status"] == "OPEN"


def test_a_drift_report_opens_a_drift_incident_on_the_endpoint_and_the_drifted_column(
    store: GraphStore,
) -> None:
    endpoint = ("serving://prod", "churn-endpoint")
    drift = {
        "lineage_drift": {
            "_producer": "https://example.com/monitor",
            "_schemaURL": "https://example.com/LineageDriftDatasetFacet.json",
            "method": "psi",
            "threshold": 0.2,
            "score": 0.41,
            "drifted": True,
            "columns": [
                {"name": "tenure", "score": 0.41, "drifted": True},
                {"name": "plan", "score": 0.05, "drifted": False},
            ],
        }
    }
    monitored = {
        **dataset(*endpoint),
        "inputFacets": {**drift, **assertions(("drift:tenure", False, "tenure"))},
    }
    ingest(store, pipeline_run(("monitors", "churn-drift"), [monitored], [], start=0))
    [incident] = one(store, dataset_id(*endpoint), IncidentKind.DRIFT)
    assert incident.props["severity"] == "HIGH"
    assert "psi score 0.41 against threshold 0.2" in incident.props["title"]
    assert one(store, dataset_id(*endpoint), IncidentKind.QUALITY) == []
    assert len(one(store, field_id(*endpoint, "tenure"), IncidentKind.DRIFT)) == 1
    assert one(store, field_id(*endpoint, "plan"), IncidentKind.DRIFT) == []


def test_people_open_acknowledge_and_resolve_incidents(store: GraphStore) -> None:
    ingest(store, _write_orders(0, ("id", "INTEGER")))
    nid = open_incident(store, ORDERS, "Numbers look off in the revenue dashboard")
    [incident] = find_incidents(store, kind=IncidentKind.MANUAL)
    assert incident.id == nid and incident.props["status"] == "OPEN"
    set_status(store, nid, IncidentStatus.ACKNOWLEDGED)
    assert health(incidents_on(store, [ORDERS])[ORDERS]) is Health.WARNING
    with pytest.raises(ValueError, match="reason"):
        set_status(store, nid, IncidentStatus.RESOLVED)
    set_status(store, nid, IncidentStatus.RESOLVED, "late upstream load, rerun fixed it")
    [incident] = find_incidents(store, status=IncidentStatus.RESOLVED)
    assert incident.props["resolution"] == "late upstream load, rerun fixed it"
    assert store.count()["events"] == 2  # people's actions are not events


def test_a_schema_sent_only_when_the_run_completes_is_compared_with_the_version_before(
    store: GraphStore,
) -> None:
    ingest(store, _write_orders(0, ("id", "INTEGER"), ("amount", "DECIMAL")))
    rid = new_run_id("schema-on-complete")
    job = ("etl", "load_orders")
    bare = dataset(NS, "shop.orders")
    typed = dataset(NS, "shop.orders", s=schema(("id", "INTEGER"), ("amount", "VARCHAR")))
    ingest(store, [run_event("START", rid, job, time=60, outputs=[bare])])
    ingest(store, [run_event("COMPLETE", rid, job, time=61, outputs=[typed])])
    [incident] = one(store, ORDERS, IncidentKind.SCHEMA_CHANGE)
    assert "amount changed type from DECIMAL to VARCHAR" in evidence(incident)[0]["detail"]


REOPEN = """
mutation($id: ID!) {
  reopenIncident(id: $id) { shortId number status check fields { ... on Field { path } } }
}
"""
LIST = "{ incidents { nodes { shortId number incidentKind check fields { id } } } }"


def test_graphql_shows_the_check_and_fields_and_reopens_by_short_id(store: GraphStore) -> None:
    from tests.graphql.conftest import open_client

    ingest(store, dbt_test_run(0, ("not_null", False, "status")))
    ingest(store, dbt_test_run(60, ("not_null", True, "status")))
    [incident] = one(store, ORDERS, IncidentKind.QUALITY)
    short = f"INC-{incident.props['number']}"
    for gql in open_client(store):
        [listed] = gql.data(LIST)["incidents"]["nodes"]
        assert listed["shortId"] == short and listed["check"] == "assertion:not_null:status"
        assert listed["fields"] == [{"id": listed["fields"][0]["id"]}]
        assert gql.data(REOPEN, id=short)["reopenIncident"] == {
            "shortId": short,
            "number": incident.props["number"],
            "status": "OPEN",
            "check": "assertion:not_null:status",
            "fields": [{"path": "status"}],
        }
        [error] = gql.errors(REOPEN, id=short.lower())
        assert "not resolved" in error["message"]
        assert error["extensions"]["code"] == "INVALID_ARGUMENT"
        [error] = gql.errors(REOPEN, id="INC-4242")
        assert error["extensions"]["code"] == "NOT_FOUND"
