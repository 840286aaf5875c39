"""A store written when data quality incidents were one per dataset (all its checks) and one
per field is migrated, on open, to one incident per (dataset, check), people's actions kept."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from lineage.api.app import create_app
from lineage.graph.incidents import NUMBERS, IncidentKind, IncidentStatus, Observation
from lineage.graph.model import (
    EdgeKind,
    LedgerEntry,
    Mutation,
    NodeKind,
    Prop,
    UpsertEdge,
    UpsertNode,
    dataset_id,
    field_id,
)
from lineage.ingest.incidents import (
    _LOCK,
    Entry,
    _keyed,
    action_item,
    episodes,
    incident_mutations,
    incident_props,
    ledger_of,
    set_status,
)
from lineage.ingest.migrations import migrate, old_quality_incidents, open_to_write
from lineage.settings import Settings
from lineage.store import Direction, GraphStore, Node, open_store
from lineage.store.embedded import EmbeddedStore
from tests.conftest import StoreFactory

NS = "postgres://warehouse:5432"
ORDERS = dataset_id(NS, "shop.orders")
AMOUNT = field_id(NS, "shop.orders", "amount")
STATUS = field_id(NS, "shop.orders", "status")
Q = IncidentKind.QUALITY
NOT_NULL = "assertion:not_null:amount"
UNIQUE = "assertion:unique:status"
POSITIVE = "assertion:positive:amount"


def outcome(at: float, check: str, ok: bool) -> Entry:
    verdict = "passed" if ok else "failed"
    return _keyed(Entry(at, "", check, ok, f"{check} {verdict}", f"run-{at:g}"), "o:")


def action(at: float, what: str, anchor: str, reason: str | None = None) -> Entry:
    return _keyed(Entry(at, "", action=what, anchor=anchor, reason=reason, by="ana"), "a:")


def old_incidents(subject: str, entries: list[Entry], number: int | None) -> list[Mutation]:
    """The incident nodes the old rules made of ``entries`` (no check, no fields)."""
    out: list[Mutation] = []
    for episode in episodes(subject, Q, entries):
        props = incident_props(episode)
        props.pop("check")
        props.pop("fields")
        props["revision"] = 1
        if number is not None:
            props["number"] = number
        out.append(
            UpsertNode(
                episode.id,
                NodeKind.INCIDENT,
                {k: Prop(v, at=1.0) for k, v in props.items() if v is not None},
            )
        )
        out.append(UpsertEdge(EdgeKind.ON, episode.id, subject))
        if number is not None:
            out.append(LedgerEntry(NUMBERS, episode.id, float(number), b""))
    return out


def write_old_store(store: GraphStore) -> dict[str, str]:
    """shop.orders: not_null(amount) fails at 10 and 20, unique(status) fails at 10 and passes
    at 30, positive(amount) fails at 12. Someone acknowledged the dataset's incident at 15 and
    resolved the amount field's at 25. Answers the old incidents' ids by subject."""
    failures = [outcome(10.0, NOT_NULL, False), outcome(10.0, UNIQUE, False)]
    positive = outcome(12.0, POSITIVE, False)
    later = [outcome(20.0, NOT_NULL, False), outcome(30.0, UNIQUE, True)]
    on_dataset = [*failures, positive, *later]
    on_amount = [failures[0], positive, later[0]]
    on_status = [failures[1], later[1]]
    dataset_opener = episodes(ORDERS, Q, on_dataset)[0].opener.key
    acknowledged = action(15.0, "acknowledge", dataset_opener)
    resolved = action(25.0, "resolve", on_amount[0].key, reason="fixed upstream")
    ledgers = {
        ledger_of(ORDERS, Q): [*on_dataset, acknowledged],
        ledger_of(AMOUNT, Q): [*on_amount, resolved],
        ledger_of(STATUS, Q): on_status,
    }
    graph: list[Mutation] = [
        UpsertNode(ORDERS, NodeKind.DATASET, {}),
        UpsertNode(AMOUNT, NodeKind.FIELD, {"dataset": Prop(ORDERS), "path": Prop("amount")}),
        UpsertNode(STATUS, NodeKind.FIELD, {"dataset": Prop(ORDERS), "path": Prop("status")}),
        UpsertEdge(EdgeKind.HAS_FIELD, ORDERS, AMOUNT),
        UpsertEdge(EdgeKind.HAS_FIELD, ORDERS, STATUS),
    ]
    for name, entries in ledgers.items():
        graph.extend(LedgerEntry(name, e.key, e.at, e.body()) for e in entries)
    graph += old_incidents(ORDERS, ledgers[ledger_of(ORDERS, Q)], number=7)
    graph += old_incidents(AMOUNT, ledgers[ledger_of(AMOUNT, Q)], number=8)
    graph += old_incidents(STATUS, ledgers[ledger_of(STATUS, Q)], number=9)
    store.write([action_item(graph)])
    return {
        str(n.props["subject"]): n.id for n in store.nodes_of_kind(NodeKind.INCIDENT, limit=100)
    }


def quality_on(store: GraphStore, subject: str) -> dict[str, Node]:
    edges = store.edges_of([subject], Direction.UPSTREAM, [EdgeKind.ON])
    nodes = store.get_nodes([e.src for e in edges]).values()
    return {str(n.props.get("check")): n for n in nodes if n.props.get("kind") == Q.value}


def test_old_quality_incidents_become_one_per_check_keeping_what_people_did(
    store_factory: StoreFactory,
) -> None:
    store = store_factory()
    old = write_old_store(store)
    assert len(old_quality_incidents(store)) == 3

    assert migrate(store) > 0

    assert old_quality_incidents(store) == []
    found = quality_on(store, ORDERS)
    assert sorted(found) == sorted([NOT_NULL, UNIQUE, POSITIVE])
    amount, status, positive = found[NOT_NULL], found[UNIQUE], found[POSITIVE]
    # The check that opened the dataset's incident keeps it: same id, same number.
    assert amount.id == old[ORDERS]
    assert amount.props["number"] == 7
    assert amount.props["opened_at"] == 10.0
    assert amount.props["acknowledged_at"] == 15.0  # the dataset incident's acknowledgement
    assert amount.props["status"] == "RESOLVED"  # the field incident's resolution
    assert amount.props["resolved_at"] == 25.0
    assert amount.props["resolution"] == "fixed upstream"
    assert amount.props["fields"] == [AMOUNT]
    assert len(amount.props["evidence"]) == 2
    # The other checks' incidents are new, numbered after the highest, acknowledged as the
    # dataset's was; one is resolved by its check passing, the other as the field's was.
    assert {status.id, positive.id}.isdisjoint(old.values())
    assert {status.props["number"], positive.props["number"]} == {10, 11}
    assert status.props["acknowledged_at"] == 15.0
    assert status.props["resolved_at"] == 30.0
    assert status.props["fields"] == [STATUS]
    assert positive.props["opened_at"] == 12.0
    assert positive.props["acknowledged_at"] == 15.0
    assert positive.props["resolved_at"] == 25.0
    assert positive.props["resolution"] == "fixed upstream"
    assert positive.props["fields"] == [AMOUNT]
    # The field incidents are gone; the fields show the per-check incidents instead.
    assert store.get_nodes([old[AMOUNT], old[STATUS]]) == {}
    assert {n.id for n in quality_on(store, AMOUNT).values()} == {amount.id, positive.id}
    assert {n.id for n in quality_on(store, STATUS).values()} == {status.id}


def test_a_migrated_incident_reopened_keeps_the_fields_it_is_about(
    store_factory: StoreFactory,
) -> None:
    store = store_factory()
    write_old_store(store)
    migrate(store)
    amount = quality_on(store, ORDERS)[NOT_NULL]
    assert amount.props["status"] == "RESOLVED"

    set_status(store, amount.id, IncidentStatus.OPEN)

    reopened = store.get_nodes([amount.id])[amount.id]
    assert reopened.props["status"] == "OPEN"
    assert reopened.props["fields"] == [AMOUNT]
    assert amount.id in {n.id for n in quality_on(store, AMOUNT).values()}


def test_migrating_twice_or_reopening_the_store_changes_nothing(
    store_factory: StoreFactory,
) -> None:
    store = store_factory()
    write_old_store(store)
    migrate(store)
    first = {k: dict(n.props) for k, n in quality_on(store, ORDERS).items()}
    assert migrate(store) == 0
    store.close()
    again = store_factory()
    assert migrate(again) == 0
    assert {k: dict(n.props) for k, n in quality_on(again, ORDERS).items()} == first


def test_a_new_failure_after_the_migration_opens_the_checks_next_incident(
    store_factory: StoreFactory,
) -> None:
    store = store_factory()
    write_old_store(store)
    migrate(store)
    # unique(status) fails again at 40, reported as this version reports it.
    failed = Observation(ORDERS, Q, UNIQUE, False, 40.0, "unique failed", "run-40", field=STATUS)
    with _LOCK:
        store.write([action_item(incident_mutations(store, [failed]))])
    edges = store.edges_of([ORDERS], Direction.UPSTREAM, [EdgeKind.ON])
    unique = sorted(
        (n for n in store.get_nodes([e.src for e in edges]).values()),
        key=lambda n: float(n.props["opened_at"]),
    )
    unique = [n for n in unique if n.props.get("check") == UNIQUE]
    assert [n.props["status"] for n in unique] == ["RESOLVED", "OPEN"]
    assert unique[-1].props["fields"] == [STATUS]
    assert unique[-1].props["number"] == 12


def test_opening_an_old_store_to_write_migrates_it(tmp_path: Path) -> None:
    old = EmbeddedStore(tmp_path / "lineage.db")
    write_old_store(old)
    old.close()
    reader = open_store(f"sqlite:///{tmp_path / 'lineage.db'}", read_only=True)
    assert len(old_quality_incidents(reader)) == 3  # a reader changes nothing
    reader.close()
    store = open_to_write(f"sqlite:///{tmp_path / 'lineage.db'}")
    try:
        assert old_quality_incidents(store) == []
        assert sorted(quality_on(store, ORDERS)) == sorted([NOT_NULL, UNIQUE, POSITIVE])
    finally:
        store.close()


def test_a_server_loading_an_old_store_in_the_background_migrates_it_before_answering(
    tmp_path: Path,
) -> None:
    old = EmbeddedStore(tmp_path / "lineage.db")
    write_old_store(old)
    old.close()
    settings = Settings(store=f"sqlite:///{tmp_path / 'lineage.db'}", tokens=[])
    app = create_app(settings, load_in_background=True)
    with TestClient(app) as client:
        assert app.state.loading.wait(60)
        answer = client.get("/api/v1/incidents", params={"kind": "QUALITY"})
    assert answer.status_code == 200, answer.text
    found = answer.json()["nodes"]
    assert sorted(n["shortId"] for n in found) == ["INC-10", "INC-11", "INC-7"]
