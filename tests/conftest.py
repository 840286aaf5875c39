"""Shared fixtures: stores under contract, and a helper to feed them events."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from lineage.ingest import prepare
from lineage.store import GraphStore

IN_CI = os.environ.get("CI") == "true"
# Commands and clients pointed at a server that is not there fail at once in tests (a user's
# default keeps trying for a while); tests of the retries set their own.
os.environ["LINEAGE_RETRY_SECONDS"] = "0"
REPO = Path(__file__).resolve().parent.parent
SPEC_DIR = REPO.parent / "shared" / "openlineage-spec"


def skip_or_fail(reason: str) -> None:
    """Outside CI a missing dependency skips; in CI (CI=true) it fails the test."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this test must run)")
    pytest.skip(reason)


StoreFactory = Callable[[], GraphStore]

STORE_KINDS = ["embedded", "neo4j"]


@pytest.fixture(params=STORE_KINDS)
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Opens (and reopens) one store of each kind; every contract test runs on both."""
    opened: list[GraphStore] = []
    if request.param == "embedded":
        from lineage.store.embedded import EmbeddedStore

        def factory() -> GraphStore:
            store = EmbeddedStore(tmp_path / "lineage.db")
            opened.append(store)
            return store

    else:
        url = os.environ.get("LINEAGE_TEST_NEO4J")
        if not url:
            skip_or_fail(
                "Neo4j contract tests need a running Neo4j: run `make neo4j-start` and set "
                "LINEAGE_TEST_NEO4J=neo4j://127.0.0.1:7687 (make test does both)"
            )
        from lineage.store.neo4j import Neo4jStore

        def factory() -> GraphStore:
            # Community has one database: the first store of a test starts from an empty one.
            store = Neo4jStore(url, reset_for_tests=not opened)
            opened.append(store)
            return store

    yield factory
    for store in opened:
        store.close()


@pytest.fixture
def store(store_factory: StoreFactory) -> GraphStore:
    return store_factory()


def feed(store: GraphStore, events: Sequence[dict[str, Any]], batch: int = 1) -> None:
    """Write events the way the server does, ``batch`` at a time."""
    items = [prepare(e) for e in events]
    for i in range(0, len(items), batch):
        store.write(items[i : i + batch])


def snapshot(store: GraphStore) -> tuple[list[Any], list[Any]]:
    """A comparable picture of the whole graph."""
    nodes, edges = store.export()
    return (
        [(n.id, n.kind, dict(n.props)) for n in nodes],
        [(e.id, e.kind, e.src, e.dst, dict(e.props)) for e in edges],
    )


def graph_diff(a: tuple[list[Any], list[Any]], b: tuple[list[Any], list[Any]]) -> list[str]:
    """Readable differences between two snapshots (empty when equal)."""
    lines = []
    for label, left, right in (("node", a[0], b[0]), ("edge", a[1], b[1])):
        lmap = {row[0]: row for row in left}
        rmap = {row[0]: row for row in right}
        for key in sorted(set(lmap) | set(rmap)):
            if lmap.get(key) != rmap.get(key):
                lines.append(f"{label} {key!r}:\n  {lmap.get(key)}\n  {rmap.get(key)}")
    return lines


@pytest.fixture(scope="session")
def kafka() -> str:
    servers = os.environ.get("LINEAGE_TEST_KAFKA")
    if not servers:
        skip_or_fail(
            "Kafka tests need a running Kafka: run `make kafka-start` and set "
            "LINEAGE_TEST_KAFKA=127.0.0.1:9092 (make test does both)"
        )
    assert servers is not None
    return servers


@pytest.fixture
def new_topic(kafka: str) -> Iterator[Callable[[int], str]]:
    """Creates a topic with a given number of partitions, unique to the test."""
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": kafka})
    made: list[str] = []

    def make(partitions: int = 1) -> str:
        name = f"openlineage-{uuid.uuid4().hex[:10]}"
        futures = admin.create_topics([NewTopic(name, num_partitions=partitions)])
        futures[name].result(30)
        made.append(name)
        return name

    yield make
    if made:
        for future in admin.delete_topics(made).values():
            with contextlib.suppress(Exception):  # a topic left behind is harmless
                future.result(30)
