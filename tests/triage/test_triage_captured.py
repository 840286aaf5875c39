"""Triage of the incidents real producers' streams open: dbt-ol and Airflow, as captured.

The streams are tests/events/data/captured (see its README): dbt-ol on the classic
jaffle_shop, where the planted failures make the `orders` model fail to build (no error
message) and a `not_null` test on customers.number_of_orders fail; Airflow's SQL operator,
where task customer_revenue fails with "no such table: orders_archive" and the DAG run with
"task_failure". Each file is loaded as `lineage ingest` loads it: one batch.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lineage.analysis.incidents import find_incidents
from lineage.analysis.triage import EvidenceKind, Suspect, TriageReport, triage
from lineage.api.documents import INCIDENTS_QUERY, TRIAGE_QUERY
from lineage.graph.incidents import IncidentKind
from lineage.graph.model import NodeKind, dataset_id, field_id, job_id, run_id
from lineage.ingest import prepare, write
from lineage.ingest.incidents import open_incident
from lineage.store import GraphStore
from tests.graphql.conftest import open_client

DATA = Path(__file__).resolve().parents[1] / "events" / "data"
CAPTURED = DATA / "captured"
DBT = "dbt_classic"
DEV = "duckdb://dev/jaffle_shop.duckdb"
AIRFLOW = "airflow_sqlite"
MODEL = "jaffle_shop.main.jaffle_shop.{}.build.run"
TESTS = "jaffle_shop.main.jaffle_shop.{}.build.test"
INVOCATION = job_id(DBT, "dbt-run-jaffle_shop")
DAG = job_id(AIRFLOW, "jaffle_shop_sqlite")
TASK = job_id(AIRFLOW, "jaffle_shop_sqlite.customer_revenue")

DBT_FAILURES = ("dbt_classic_dev.jsonl", "dbt_classic_dev_failures.jsonl")
AIRFLOW_FAILURE = ("airflow_sqlite_sql.jsonl", "airflow_sqlite_sql_failure.jsonl")


def stream(name: str, shift: timedelta = timedelta(0)) -> list[dict[str, Any]]:
    path = CAPTURED / name if (CAPTURED / name).exists() else DATA / name
    events = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if shift:
        for e in events:
            e["eventTime"] = (datetime.fromisoformat(e["eventTime"]) + shift).isoformat()
    return events


def load(store: GraphStore, *names: str) -> None:
    for name in names:
        write(store, [prepare(e) for e in stream(name)])


def ended(events: list[dict[str, Any]], job: str, state: str = "FAIL") -> tuple[str, datetime]:
    """The runId and end time of the run of ``job`` (a name) that ended in ``state``."""
    [(rid, at)] = [
        (e["run"]["runId"], datetime.fromisoformat(e["eventTime"]))
        for e in events
        if e["job"]["name"] == job and e["eventType"] == state
    ]
    return rid, at


def triage_failure_of(store: GraphStore, job: str) -> TriageReport:
    [incident] = find_incidents(store, kind=IncidentKind.RUN_FAILURE, subject=job)
    return triage(store, incident=incident.id)


def job_of(report: TriageReport, suspect: Suspect) -> str:
    return str(report.nodes[suspect.node].props.get("job"))


def ranked_alone_at_the_top(report: TriageReport) -> Suspect:
    top, *rest = report.suspects
    assert all(s.score < top.score for s in rest), [(s.node, s.score) for s in report.suspects]
    return top


# -- 1. a run's own error ranks first for its own failure --------------------------------------


def test_a_failed_task_s_own_error_ranks_first_above_a_test_failing_seconds_later(
    store: GraphStore,
) -> None:
    failing = stream("airflow_sqlite_sql_failure.jsonl")
    task_run, task_failed = ended(failing, "jaffle_shop_sqlite.customer_revenue")
    load(store, *AIRFLOW_FAILURE)
    # dbt's failing build, moved to end five seconds after the task failed: its failing
    # not_null test is observed seconds later, in the same store, and has nothing to do with it.
    dbt = stream("dbt_classic_dev_failures.jsonl")
    _, dbt_test_failed = ended(dbt, TESTS.format("customers"))
    shift = task_failed + timedelta(seconds=5) - dbt_test_failed
    load(store, "dbt_classic_dev.jsonl")
    write(store, [prepare(e) for e in stream("dbt_classic_dev_failures.jsonl", shift)])
    assert find_incidents(
        store, kind=IncidentKind.QUALITY, subject=dataset_id(DEV, "jaffle_shop.main.customers")
    )

    report = triage_failure_of(store, TASK)
    top = ranked_alone_at_the_top(report)
    assert top.node == run_id(task_run)
    assert top.evidence[0].kind is EvidenceKind.RUN_FAILURE
    assert top.evidence[0].detail.endswith("failed: no such table: orders_archive")
    assert top.evidence[0].observed_at == task_failed.timestamp()
    # The task's SQL statements, reported FAIL after the task had failed, are echoes of it.
    assert [job_of(report, s) for s in report.suspects] == [TASK]


def test_a_failed_dbt_model_without_an_error_message_still_ranks_first_for_its_own_failure(
    store: GraphStore,
) -> None:
    load(store, *DBT_FAILURES)
    failing = stream("dbt_classic_dev_failures.jsonl")
    model_run, model_failed = ended(failing, MODEL.format("orders"))
    _, test_failed = ended(failing, TESTS.format("customers"))
    assert model_failed < test_failed  # the failing not_null test comes a moment later

    report = triage_failure_of(store, job_id(DBT, MODEL.format("orders")))
    top = ranked_alone_at_the_top(report)
    assert top.node == run_id(model_run)
    assert top.path == [job_id(DBT, MODEL.format("orders")), run_id(model_run)]
    [failure] = [e for e in top.evidence if e.kind is EvidenceKind.RUN_FAILURE]
    assert failure.detail.endswith("failed")  # dbt-ol sends no errorMessage
    details = [e.detail for s in report.suspects for e in s.evidence]
    assert not any("not_null_customers_number_of_orders" in d for d in details)


# -- 2. a parent run's incident names its failed children --------------------------------------


def test_a_dbt_invocation_s_failure_names_its_failed_model_and_tests_as_causes(
    store: GraphStore,
) -> None:
    load(store, *DBT_FAILURES)
    failing = stream("dbt_classic_dev_failures.jsonl")
    invocation_run, _ = ended(failing, "dbt-run-jaffle_shop")
    children = {
        job_id(DBT, name): run_id(ended(failing, name)[0])
        for name in (MODEL.format("orders"), TESTS.format("orders"), TESTS.format("customers"))
    }

    report = triage_failure_of(store, INVOCATION)
    by_job = {job_of(report, s): s for s in report.suspects}
    assert set(by_job) == {*children, INVOCATION}
    for job, child in children.items():
        suspect = by_job[job]
        assert suspect.node == child
        assert suspect.path == [INVOCATION, run_id(invocation_run), child]
        assert any(
            e.kind is EvidenceKind.RUN_FAILURE and job.split("\x1f")[-1] in e.detail
            for e in suspect.evidence
        )
    # Its causes rank above the invocation's own failure, which they explain.
    assert report.suspects[-1].node == run_id(invocation_run)
    assert "a failed child run came first" in report.suspects[-1].why
    # The failed test on customers, with what it found.
    customers = by_job[job_id(DBT, TESTS.format("customers"))]
    assert any(
        e.kind is EvidenceKind.FAILED_ASSERTION
        and e.detail.startswith("assertion not_null_customers_number_of_orders failed")
        and "actual 6" in e.detail
        for e in customers.evidence
    )
    # orders' tests failed because the orders model did not build: they read what it was
    # to write, so the model's failure comes first.
    model = by_job[job_id(DBT, MODEL.format("orders"))]
    skipped = by_job[job_id(DBT, TESTS.format("orders"))]
    assert model.score > skipped.score
    assert "a failed run whose output it read came first" in skipped.why
    assert report.suspects[0] in (model, customers)


def test_a_failed_dag_run_names_its_failed_task_and_its_error_as_the_cause(
    store: GraphStore,
) -> None:
    load(store, *AIRFLOW_FAILURE)
    failing = stream("airflow_sqlite_sql_failure.jsonl")
    dag_run, _ = ended(failing, "jaffle_shop_sqlite")
    task_run, _ = ended(failing, "jaffle_shop_sqlite.customer_revenue")

    report = triage_failure_of(store, DAG)
    top = ranked_alone_at_the_top(report)
    assert top.node == run_id(task_run)
    assert job_of(report, top) == TASK
    assert top.path == [DAG, run_id(dag_run), run_id(task_run)]
    assert top.evidence[0].detail.endswith("failed: no such table: orders_archive")
    # load_raw completed; the task's own SQL statements are its children, not the DAG's.
    assert [job_of(report, s) for s in report.suspects] == [TASK, DAG]
    own = report.suspects[1]
    assert own.evidence[0].detail.endswith("failed: task_failure")
    assert "a failed child run came first" in own.why


def test_the_failed_task_of_a_dag_run_is_named_over_graphql(store: GraphStore) -> None:
    load(store, *AIRFLOW_FAILURE)
    [gql] = list(open_client(store))
    incidents = gql.data(INCIDENTS_QUERY, kind="RUN_FAILURE")["incidents"]["nodes"]
    [dag] = [i for i in incidents if i["subject"].get("name") == "jaffle_shop_sqlite"]
    report = gql.data(TRIAGE_QUERY, incident=dag["id"], depth=30)["triage"]
    top = report["suspects"][0]
    assert top["node"]["kind"] == "RUN"
    assert top["node"]["job"]["name"] == "jaffle_shop_sqlite.customer_revenue"
    assert top["evidence"][0]["detail"].endswith("no such table: orders_archive")
    assert [n["kind"] for n in top["path"]] == ["JOB", "RUN", "RUN"]


# -- 3. every incident the streams open is triaged, without an error ---------------------------

COMBINATIONS = {
    "dbt-ol build, then a build with failures": DBT_FAILURES,
    "airflow passing run, then a failing run": AIRFLOW_FAILURE,
    "dbt-ol jaffle_shop build with a failing test": ("dbt_ol_jaffle_shop_build.jsonl",),
    "great expectations failing, then passing": (
        "great_expectations_failing.jsonl",
        "great_expectations_passing.jsonl",
    ),
    "every stream in one store": (
        "dbt_classic_dev.jsonl",
        "dbt_classic_dev_structured.jsonl",
        "dbt_classic_prod.jsonl",
        "dbt_classic_dev_failures.jsonl",
        "airflow_sqlite_sql.jsonl",
        "airflow_sqlite_sql_failure.jsonl",
        "dbt_ol_jaffle_shop_build.jsonl",
        "great_expectations_failing.jsonl",
    ),
}


@pytest.mark.parametrize("names", list(COMBINATIONS.values()), ids=list(COMBINATIONS))
def test_every_incident_the_captured_streams_open_is_triaged(
    store: GraphStore, names: tuple[str, ...]
) -> None:
    load(store, *names)
    incidents = find_incidents(store)
    assert incidents
    for incident in incidents:
        report = triage(store, incident=incident.id)
        named = [
            *(s.node for s in report.suspects),
            *(n for s in report.suspects for n in s.path),
            *report.raw_sources,
            *report.blast_radius,
        ]
        assert all(n in report.nodes for n in named), incident.props["title"]
        scores = [s.score for s in report.suspects]
        assert scores == sorted(scores, reverse=True)
    # As the command line and the REST routes ask for it.
    [gql] = list(open_client(store))
    listed = gql.data(INCIDENTS_QUERY)["incidents"]["nodes"]
    assert len(listed) == len(incidents)
    for item in listed:
        gql.data(TRIAGE_QUERY, incident=item["id"], depth=30)


# -- 4. with no upstream suspect, the blast radius is what the subject feeds ------------------


def test_with_no_upstream_suspect_the_blast_radius_is_what_the_subject_feeds(
    store: GraphStore,
) -> None:
    load(store, *DBT_FAILURES)
    customers = dataset_id(DEV, "jaffle_shop.main.customers")
    tested_by = job_id(DBT, TESTS.format("customers"))
    # The failing not_null test: nothing upstream of customers shows anything.
    for subject in (customers, field_id(DEV, "jaffle_shop.main.customers", "number_of_orders")):
        [incident] = find_incidents(store, kind=IncidentKind.QUALITY, subject=subject)
        report = triage(store, incident=incident.id)
        assert report.suspects == []
        assert tested_by in report.blast_radius

    # The orders model's own failure is all there is: what it builds, who reads that, and
    # the invocation it failed.
    report = triage_failure_of(store, job_id(DBT, MODEL.format("orders")))
    assert [job_of(report, s) for s in report.suspects] == [job_id(DBT, MODEL.format("orders"))]
    assert report.blast_radius[:2] == [dataset_id(DEV, "jaffle_shop.main.orders"), INVOCATION]
    assert job_id(DBT, TESTS.format("orders")) in report.blast_radius


def test_a_failed_task_s_blast_radius_holds_the_dag_run_it_failed(store: GraphStore) -> None:
    load(store, *AIRFLOW_FAILURE)
    report = triage_failure_of(store, TASK)
    assert [job_of(report, s) for s in report.suspects] == [TASK]
    assert DAG in report.blast_radius
    kinds = {report.nodes[n].kind for n in report.blast_radius}
    assert kinds <= {NodeKind.DATASET, NodeKind.JOB}


def test_a_great_expectations_failure_s_blast_radius_is_the_validation_reading_it(
    store: GraphStore,
) -> None:
    load(store, "great_expectations_failing.jsonl")
    # One incident per failed expectation, each about one column.
    found = find_incidents(store, kind=IncidentKind.QUALITY, subject=dataset_id("sqlite", "orders"))
    assert len(found) == 2
    for incident in found:
        report = triage(store, incident=incident.id)
        assert report.subject.id == incident.props["fields"][0]
        assert report.suspects == []
        assert report.blast_radius == [job_id("great_expectations", "shop.orders_suite")]


def test_an_incident_on_a_column_the_graph_does_not_hold_is_answered(store: GraphStore) -> None:
    # Great Expectations' facet names columns without a schema to say they exist; an
    # incident on one is answered (nothing to walk from) rather than NOT_FOUND.
    load(store, "great_expectations_failing.jsonl")
    column = field_id("sqlite", "orders", "no_such_column")
    report = triage(store, incident=open_incident(store, column, "looks wrong"))
    assert report.scope.startswith("nothing to walk from:")
    assert report.suspects == []
    assert report.blast_radius == [job_id("great_expectations", "shop.orders_suite")]
