"""Neo4j dataset and column walks answer alike however the aliases are read: none at all,
all read once at the start, or asked for hop by hop when there are too many to read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from neo4j import READ_ACCESS, ManagedTransaction

from lineage.store.neo4j import Neo4jStore
from lineage.store.neo4j_walk import IdentityView
from lineage.store.traversal import Level, Traversal, walk
from tests.conftest import feed
from tests.store.test_light_cache import whole
from tests.store.test_neo4j_store import neo4j_url
from tests.store.test_traversal import generated_history, questions


@pytest.fixture
def neo4j() -> Iterator[Neo4jStore]:
    store = Neo4jStore(neo4j_url(), reset_for_tests=True)
    yield store
    store.close()


def asked_hop_by_hop(store: Neo4jStore, question: dict[str, Any]) -> Traversal:
    """The walk with every question about aliases sent to the server."""

    def work(tx: ManagedTransaction) -> Traversal:
        return walk(IdentityView(tx, alias_prefetch=0), **question)

    return store._execute(READ_ACCESS, work)


@pytest.mark.parametrize("symlink", [True, False], ids=["aliases", "no-aliases"])
def test_aliases_read_whole_or_hop_by_hop_give_the_same_walks(
    neo4j: Neo4jStore, symlink: bool
) -> None:
    feed(neo4j, generated_history(seed=4, symlink=symlink), batch=9)
    asked = 0
    for question in questions(neo4j):
        if question["level"] is Level.RUN:
            continue
        expected = whole(neo4j.traverse(**question))
        assert whole(asked_hop_by_hop(neo4j, question)) == expected, question
        asked += 1
    assert asked > 100
