"""A statement's run (Airflow's `.query.N`, dbt-ol's `.sql.N`) is part of its parent's run: when
both fail there is one RUN_FAILURE incident, on the parent's job, with the statements'
failures as its evidence.

Built from the captured Airflow streams (tests/events/data/captured): in the failing run,
task customer_revenue fails with "no such table: orders_archive", and the provider then
reports each of the task's 12 statements FAIL too.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lineage.analysis.incidents import evidence, find_incidents
from lineage.graph.incidents import IncidentKind, IncidentStatus
from lineage.graph.model import job_id, run_id
from lineage.ingest import prepare, write
from lineage.store import GraphStore

CAPTURED = Path(__file__).resolve().parents[1] / "events" / "data" / "captured"
AIRFLOW = "airflow_sqlite"
DAG = job_id(AIRFLOW, "jaffle_shop_sqlite")
TASK = job_id(AIRFLOW, "jaffle_shop_sqlite.customer_revenue")
STATEMENT = "jaffle_shop_sqlite.customer_revenue.query."


def captured(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (CAPTURED / name).read_text().splitlines() if line]


def load(store: GraphStore, stream: list[dict[str, Any]], batch: int = 10) -> None:
    items = [prepare(e) for e in stream]
    for i in range(0, len(items), batch):
        write(store, items[i : i + batch])


def shifted(event: dict[str, Any], delta: timedelta) -> dict[str, Any]:
    return {**event, "eventTime": (datetime.fromisoformat(event["eventTime"]) + delta).isoformat()}


def run_failures(store: GraphStore) -> dict[str, dict[str, Any]]:
    """Each RUN_FAILURE incident's subject -> its id, status and the runs of its evidence."""
    return {
        str(i.props["subject"]): {
            "id": i.id,
            "status": i.props["status"],
            "runs": [e.get("run") for e in evidence(i)],
        }
        for i in find_incidents(store, kind=IncidentKind.RUN_FAILURE)
    }


@pytest.mark.parametrize("order", ["as sent", "reversed"])
def test_a_failed_task_and_its_failed_statements_open_one_incident_on_the_task(
    store: GraphStore, order: str
) -> None:
    stream = captured("airflow_sqlite_sql.jsonl") + captured("airflow_sqlite_sql_failure.jsonl")
    if order == "reversed":
        stream.reverse()
    load(store, stream)

    incidents = run_failures(store)
    assert sorted(incidents) == sorted([DAG, TASK])
    task = incidents[TASK]
    assert task["status"] == IncidentStatus.OPEN.value
    failing = captured("airflow_sqlite_sql_failure.jsonl")
    [task_run] = [
        e["run"]["runId"]
        for e in failing
        if e["job"]["name"] == "jaffle_shop_sqlite.customer_revenue" and e["eventType"] == "FAIL"
    ]
    statements = {
        e["run"]["runId"]
        for e in failing
        if e["job"]["name"].startswith(STATEMENT) and e["eventType"] == "FAIL"
    }
    assert len(statements) == 12
    # The task's own failure came first and opened it; each statement's failure is evidence.
    assert task["runs"][0] == run_id(task_run)
    assert sorted(task["runs"][1:]) == sorted(run_id(r) for r in statements)
    [incident] = find_incidents(store, kind=IncidentKind.RUN_FAILURE, subject=TASK)
    assert "no such table: orders_archive" in incident.props["title"]


def test_a_statement_s_completion_does_not_resolve_its_task_s_failure(store: GraphStore) -> None:
    # The next day's run as far as the statements only: the task has not completed yet.
    passing = captured("airflow_sqlite_sql.jsonl")
    statements_only = [
        shifted(e, timedelta(days=1)) for e in passing if e["job"]["name"].startswith(STATEMENT)
    ]
    load(store, captured("airflow_sqlite_sql_failure.jsonl") + statements_only)
    assert run_failures(store)[TASK]["status"] == IncidentStatus.OPEN.value
    assert not [s for s in run_failures(store) if STATEMENT in s]


def test_a_statement_failing_under_a_task_that_completes_is_the_task_s_until_it_next_completes(
    store: GraphStore,
) -> None:
    # One statement of the passing run reported FAIL, as if the hook had said so. The
    # provider stamps statements with their own times, after the task's COMPLETE: the
    # failure is the task's latest outcome until the next day's run completes it.
    passing = captured("airflow_sqlite_sql.jsonl")
    name = "jaffle_shop_sqlite.daily_revenue.query.14"
    altered = [
        {**e, "eventType": "FAIL"}
        if e["job"]["name"] == name and e["eventType"] == "COMPLETE"
        else e
        for e in passing
    ]
    daily = job_id(AIRFLOW, "jaffle_shop_sqlite.daily_revenue")
    load(store, altered)
    incidents = run_failures(store)
    assert list(incidents) == [daily]
    assert incidents[daily]["status"] == IncidentStatus.OPEN.value

    load(store, [shifted(e, timedelta(days=1)) for e in passing])
    assert run_failures(store)[daily]["status"] == IncidentStatus.RESOLVED.value
