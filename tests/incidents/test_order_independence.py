"""Incidents are a function of the check outcomes reported, not of the order they arrive in."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage.analysis.incidents import Health, evidence, find_incidents, health, incidents_on
from lineage.graph.incidents import IncidentKind, IncidentStatus
from lineage.graph.model import dataset_id, job_id
from lineage.ingest import prepare, write
from lineage.ingest.incidents import set_status
from lineage.store import GraphStore
from lineage.store.embedded import EmbeddedStore
from tests.conftest import skip_or_fail
from tests.factories import dataset, facet, new_run_id, run_event, schema

CAPTURED = Path(__file__).resolve().parents[1] / "events" / "data" / "captured"
NS = "postgres://warehouse:5432"
TESTED = ["shop.orders", "shop.customers"]
# (assertion, column, dbt test name): two tests of one kind on one column are two checks.
CHECKS = [
    ("not_null", "status", "not_null_orders_status"),
    ("accepted_values", "status", "accepted_values_orders_status__placed__shipped"),
    ("accepted_values", "status", "accepted_values_orders_status__placed"),
    ("unique", "id", "unique_orders_id"),
]
SCHEMAS = [
    (("id", "INTEGER"), ("amount", "DECIMAL"), ("status", "TEXT")),
    (("id", "INTEGER"), ("amount", "VARCHAR"), ("status", "TEXT")),
    (("id", "INTEGER"), ("amount", "DECIMAL")),
]


def ingest(store: GraphStore, events: Sequence[dict[str, Any]], batch: int = 1) -> None:
    """Write ``events`` ``batch`` at a time, incidents included, as the server does."""
    items = [prepare(e) for e in events]
    for i in range(0, len(items), batch):
        write(store, items[i : i + batch])


def incidents(store: GraphStore) -> dict[str, dict[str, Any]]:
    """Every incident with everything it says (its revision counts recomputations only, and
    its number says in which order incidents were created)."""
    return {
        i.id: {
            k: v for k, v in i.props.items() if k not in ("revision", "number") and v is not None
        }
        for i in find_incidents(store)
    }


def differences(a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]]) -> list[str]:
    return [
        f"{nid}:\n  {a.get(nid)}\n  {b.get(nid)}"
        for nid in sorted(set(a) | set(b))
        if a.get(nid) != b.get(nid)
    ]


# -- random histories ---------------------------------------------------------------------


@st.composite
def data_test_runs(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A dbt-style test run: some checks on a table pass or fail; the run itself completes or
    fails (as dbt-ol does when a test fails)."""
    table = draw(st.sampled_from(TESTED))
    minute = draw(st.integers(0, 30))
    chosen = draw(st.lists(st.sampled_from(CHECKS), min_size=1, max_size=3, unique=True))
    outcomes = [(c, draw(st.booleans())) for c in chosen]
    assertions = [
        {"assertion": kind, "column": column, "name": name, "success": ok, "expected": "0"}
        for (kind, column, name), ok in outcomes
    ]
    tested = {
        **dataset(NS, table),
        "inputFacets": {
            "dataQualityAssertions": facet(
                "DataQualityAssertionsDatasetFacet", assertions=assertions
            )
        },
    }
    job = ("dbt", f"test.{table}")
    rid = new_run_id(f"{job}-{minute}-{draw(st.integers(0, 2))}")
    final = "COMPLETE" if all(ok for _, ok in outcomes) or draw(st.booleans()) else "FAIL"
    end = minute + draw(st.sampled_from([0, 1]))
    return [
        run_event("START", rid, job, time=minute, inputs=[tested]),
        run_event(final, rid, job, time=end, inputs=[tested]),
    ]


@st.composite
def load_runs(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A load that writes shop.orders with one of a few schemas, and completes or fails."""
    minute = draw(st.integers(0, 30))
    written = dataset(NS, "shop.orders", s=schema(*draw(st.sampled_from(SCHEMAS))))
    job = ("etl", "load_orders")
    rid = new_run_id(f"{job}-{minute}-{draw(st.integers(0, 2))}")
    final = draw(st.sampled_from(["COMPLETE", "FAIL"]))
    return [
        run_event("START", rid, job, time=minute, outputs=[written]),
        run_event(final, rid, job, time=minute + 1, outputs=[written]),
    ]


@st.composite
def read_runs(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A job that reads shop.orders and reports the schema it saw (before, or after, a load)."""
    minute = draw(st.integers(0, 30))
    seen = dataset(NS, "shop.orders", s=schema(*draw(st.sampled_from(SCHEMAS))))
    job = ("spark", "export_orders")
    rid = new_run_id(f"{job}-{minute}-{draw(st.integers(0, 2))}")
    return [run_event("COMPLETE", rid, job, time=minute, inputs=[seen])]


def in_event_time_order(runs: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return sorted((e for run in runs for e in run), key=lambda e: str(e["eventTime"]))


histories = st.lists(
    st.one_of(data_test_runs(), load_runs(), read_runs()), min_size=1, max_size=8
).map(in_event_time_order)


@pytest.fixture(params=["embedded", "neo4j"])
def store_kind(request: pytest.FixtureRequest) -> str:
    if request.param == "neo4j":
        neo4j_url()
    return str(request.param)


def neo4j_url() -> str:
    url = os.environ.get("LINEAGE_TEST_NEO4J")
    if not url:
        skip_or_fail(
            "Neo4j tests need a running Neo4j: run `make neo4j-start` and set "
            "LINEAGE_TEST_NEO4J=neo4j://127.0.0.1:7687 (make test does both)"
        )
    assert url is not None
    return url


def fresh_store(kind: str, folder: Path) -> GraphStore:
    """An empty store of ``kind`` (Neo4j has one database: it is wiped)."""
    if kind == "embedded":
        return EmbeddedStore(folder / f"store-{len(list(folder.iterdir()))}.db")
    from lineage.store.neo4j import Neo4jStore

    return Neo4jStore(neo4j_url(), reset_for_tests=True)


def assert_order_does_not_matter(
    kind: str, folder: Path, history: list[dict[str, Any]], data: st.DataObject
) -> None:
    """In event time order one event per write, against shuffled, batched and replayed."""
    shuffled = data.draw(st.permutations(history), label="arrival order")
    sizes = data.draw(st.lists(st.integers(1, 5), min_size=1, max_size=4), label="batch sizes")
    replayed = data.draw(st.lists(st.sampled_from(history), max_size=4), label="replayed")
    in_order = EmbeddedStore(folder / "in_order.db")
    reordered = fresh_store(kind, folder)
    try:
        ingest(in_order, history)
        position, turn = 0, 0
        while position < len(shuffled):
            size = sizes[turn % len(sizes)]
            ingest(reordered, shuffled[position : position + size], batch=size)
            position, turn = position + size, turn + 1
        ingest(reordered, replayed)
        expected, got = incidents(in_order), incidents(reordered)
        assert not differences(expected, got), "\n".join(differences(expected, got))
    finally:
        in_order.close()
        reordered.close()


def examples(variable: str, default: int) -> settings:
    return settings(
        max_examples=int(os.environ.get(variable, str(default))),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@examples("LINEAGE_PROPERTY_EXAMPLES", 40)
@given(history=histories, data=st.data())
def test_any_order_batching_and_replay_of_a_history_gives_the_incidents_of_the_in_order_run(
    tmp_path_factory: Any, history: list[dict[str, Any]], data: st.DataObject
) -> None:
    assert_order_does_not_matter("embedded", tmp_path_factory.mktemp("incidents"), history, data)


@examples("LINEAGE_NEO4J_PROPERTY_EXAMPLES", 12)
@given(history=histories, data=st.data())
def test_neo4j_recomputes_from_any_order_the_incidents_of_the_in_order_run(
    tmp_path_factory: Any, history: list[dict[str, Any]], data: st.DataObject
) -> None:
    neo4j_url()
    assert_order_does_not_matter("neo4j", tmp_path_factory.mktemp("incidents"), history, data)


# -- the cases that used to depend on arrival order -----------------------------------------


def _shifted(event: dict[str, Any], delta: timedelta) -> dict[str, Any]:
    at = datetime.fromisoformat(event["eventTime"]) + delta
    return {**event, "eventTime": at.isoformat()}


def _captured(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (CAPTURED / name).read_text().splitlines() if line]


def test_an_airflow_task_failure_and_a_newer_passing_run_end_resolved_in_either_order(
    store_kind: str, tmp_path: Path
) -> None:
    # The captured failing DAG run, then the captured passing run replayed as the next day's.
    failed = _captured("airflow_sqlite_sql_failure.jsonl")
    passed = [_shifted(e, timedelta(days=1)) for e in _captured("airflow_sqlite_sql.jsonl")]
    task = job_id("airflow_sqlite", "jaffle_shop_sqlite.customer_revenue")
    final: list[dict[str, dict[str, Any]]] = []
    for history in (failed + passed, passed + failed):  # the failure in time, then late
        store = fresh_store(store_kind, tmp_path)
        try:
            ingest(store, history)  # one event per write, as Airflow sends them
            final.append(incidents(store))
            [incident] = find_incidents(store, subject=task)
            assert incident.props["status"] == IncidentStatus.RESOLVED.value
            assert "no such table: orders_archive" in incident.props["title"]
            assert incident.props["resolved_at"] > incident.props["opened_at"]
            assert find_incidents(store, status=IncidentStatus.OPEN) == []
        finally:
            store.close()
    in_time, late = final
    assert not differences(in_time, late), "\n".join(differences(in_time, late))


def _test_run(minute: float, *checks: tuple[str, str, str, bool]) -> list[dict[str, Any]]:
    """A dbt test run on shop.orders: (assertion, column, test name, success) per check."""
    assertions = [
        {"assertion": a, "column": c, "name": n, "success": ok, "expected": "0"}
        for a, c, n, ok in checks
    ]
    tested = {
        **dataset(NS, "shop.orders"),
        "inputFacets": {
            "dataQualityAssertions": facet(
                "DataQualityAssertionsDatasetFacet", assertions=assertions
            )
        },
    }
    rid = new_run_id(f"test-orders-{minute}")
    job = ("dbt", "test.shop.orders")
    return [run_event("COMPLETE", rid, job, time=minute, inputs=[tested])]


def test_a_late_failure_before_an_open_incident_becomes_the_failure_that_opened_it(
    store: GraphStore,
) -> None:
    check = ("not_null", "status", "not_null_orders_status")
    ingest(store, _test_run(0, (*check, True)))
    ingest(store, _test_run(20, (*check, False)))
    [later] = find_incidents(store, subject=dataset_id(NS, "shop.orders"))
    ingest(store, _test_run(10, (*check, False)))  # arrives late, with no pass in between

    [incident] = find_incidents(store, subject=dataset_id(NS, "shop.orders"))
    assert incident.id != later.id
    assert incident.props["opened_at"] == later.props["opened_at"] - 600
    assert [e["at"] for e in evidence(incident)] == [
        later.props["opened_at"] - 600,
        later.props["opened_at"],
    ]
    assert store.get_nodes([later.id]) == {}


def test_a_late_pass_between_two_failures_splits_their_incident_in_two(store: GraphStore) -> None:
    check = ("not_null", "status", "not_null_orders_status")
    ingest(store, _test_run(0, (*check, False)) + _test_run(20, (*check, False)))
    assert len(find_incidents(store, subject=dataset_id(NS, "shop.orders"))) == 1
    ingest(store, _test_run(10, (*check, True)))

    statuses = [
        (i.props["status"], i.props.get("resolved_at") is not None)
        for i in find_incidents(store, subject=dataset_id(NS, "shop.orders"))
    ]
    assert statuses == [("OPEN", False), ("RESOLVED", True)]  # newest first


def test_a_persons_acknowledgement_and_resolution_survive_late_events(store: GraphStore) -> None:
    check = ("not_null", "status", "not_null_orders_status")
    orders = dataset_id(NS, "shop.orders")
    ingest(store, _test_run(10, (*check, False)))
    [incident] = find_incidents(store, subject=orders)
    set_status(store, incident.id, IncidentStatus.ACKNOWLEDGED)
    ingest(store, _test_run(20, (*check, False)))  # more evidence for the same incident
    [incident] = find_incidents(store, subject=orders)
    assert incident.props["status"] == "ACKNOWLEDGED"
    assert health(incidents_on(store, [orders])[orders]) is Health.WARNING

    set_status(store, incident.id, IncidentStatus.RESOLVED, "bad rows deleted by hand")
    ingest(store, _test_run(15, (*check, False)))  # late: before the person resolved it
    [incident] = find_incidents(store, subject=orders)
    assert incident.props["status"] == "RESOLVED"
    assert incident.props["resolution"] == "bad rows deleted by hand"
    assert len(evidence(incident)) == 3


def test_a_failure_after_a_person_resolved_the_incident_opens_a_new_one(store: GraphStore) -> None:
    # Event times in the future of the resolution: a later run of the test fails again.
    check = ("not_null", "status", "not_null_orders_status")
    orders = dataset_id(NS, "shop.orders")
    ingest(store, _test_run(0, (*check, False)))
    [incident] = find_incidents(store, subject=orders)
    set_status(store, incident.id, IncidentStatus.RESOLVED, "fixed upstream")
    next_year = 366 * 24 * 60
    ingest(store, _test_run(next_year, (*check, False)))
    statuses = sorted(i.props["status"] for i in find_incidents(store, subject=orders))
    assert statuses == ["OPEN", "RESOLVED"]


def test_a_schema_change_is_found_whichever_version_arrives_first(store: GraphStore) -> None:
    def load(minute: float, *columns: tuple[str, str]) -> list[dict[str, Any]]:
        written = dataset(NS, "shop.orders", s=schema(*columns))
        rid = new_run_id(f"load-{minute}")
        job = ("etl", "load_orders")
        return [run_event("COMPLETE", rid, job, time=minute, outputs=[written])]

    before = load(0, ("id", "INTEGER"), ("amount", "DECIMAL"))
    after = load(60, ("id", "INTEGER"), ("amount", "VARCHAR"))
    ingest(store, after + before)  # the newer version arrives first
    [incident] = find_incidents(store, kind=IncidentKind.SCHEMA_CHANGE)
    assert "field amount changed type from DECIMAL to VARCHAR" in incident.props["title"]
    assert incident.props["subject"] == dataset_id(NS, "shop.orders")
    assert incident.props["opened_at"] == datetime.fromisoformat(after[0]["eventTime"]).timestamp()


def test_what_readers_saw_of_a_table_counts_until_a_run_writes_it_whatever_the_order(
    store_kind: str, tmp_path: Path
) -> None:
    def read(minute: float, *columns: tuple[str, str]) -> dict[str, Any]:
        seen = dataset(NS, "shop.orders", s=schema(*columns))
        rid = new_run_id(f"export-{minute}")
        return run_event("COMPLETE", rid, ("spark", "export_orders"), time=minute, inputs=[seen])

    def load(minute: float, *columns: tuple[str, str]) -> dict[str, Any]:
        written = dataset(NS, "shop.orders", s=schema(*columns))
        rid = new_run_id(f"load-{minute}")
        return run_event("COMPLETE", rid, ("etl", "load_orders"), time=minute, outputs=[written])

    decimal, text = ("amount", "DECIMAL"), ("amount", "VARCHAR")
    # Readers see the type change; then a load writes the table; then a reader that selected
    # fewer columns: not a change, the writer's schema counts now.
    history = [read(0, ("id", "INTEGER"), decimal), read(10, ("id", "INTEGER"), text)]
    history += [load(20, ("id", "INTEGER"), text), read(30, text)]
    final = []
    for order in (history, history[::-1]):
        store = fresh_store(store_kind, tmp_path)
        try:
            ingest(store, order)
            final.append(incidents(store))
        finally:
            store.close()
    in_time, reversed_ = final
    assert not differences(in_time, reversed_), "\n".join(differences(in_time, reversed_))
    [incident] = in_time.values()
    assert incident["kind"] == "SCHEMA_CHANGE"
    assert "field amount changed type from DECIMAL to VARCHAR" in incident["title"]
    assert incident["opened_at"] == datetime.fromisoformat(history[1]["eventTime"]).timestamp()



def _load(minute: float, columns: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    written = dataset(NS, "shop.orders", s=schema(*columns))
    rid = new_run_id(f"load-{minute}")
    job = ("etl", "load_orders")
    return [
        run_event("START", rid, job, time=minute, outputs=[written]),
        run_event("COMPLETE", rid, job, time=minute + 1, outputs=[written]),
    ]


def test_a_replayed_event_reads_no_ledger_and_changes_nothing(store: GraphStore) -> None:
    # Kafka read again after a consumer's crash, a producer retrying: the event's outcomes are
    # stored already, so the ledgers are not read from its time on (which, for an old event,
    # is the dataset's whole history since).
    events = [e for minute in range(12) for e in _load(10 * minute, SCHEMAS[minute % 2])]
    ingest(store, events)
    before = incidents(store)
    assert before  # the type changes opened a schema-change incident
    asked: list[dict[str, Any]] = []
    ledger = store.ledger

    def recorded(since: Any) -> Any:
        asked.append(dict(since))
        return ledger(since)

    store.ledger = recorded  # type: ignore[method-assign]
    ingest(store, events[:6])
    ingest(store, events[:8], batch=8)
    assert asked and all(since == {} for since in asked), asked
    assert incidents(store) == before
    # A new run after replayed old ones reads its ledgers from the open incident's opening
    # on, as it would alone, not from the replayed events' times.
    asked.clear()
    new = _load(300, SCHEMAS[2])
    ingest(store, events[:4] + new, batch=6)
    opened = min(i["opened_at"] for i in before.values())
    whens = [at for since in asked for at in since.values() if at is not None]
    assert whens and min(whens) >= opened, (asked, opened)
