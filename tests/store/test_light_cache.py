"""The embedded store keeps the light nodes and edges its walks made until a write changes
them: a walk after each write answers as a store freshly opened on the same file does."""

from __future__ import annotations

from pathlib import Path

import pytest

from lineage.store.embedded import EmbeddedStore
from lineage.store.memory_view import LightCache
from lineage.store.traversal import Traversal
from tests.conftest import feed
from tests.store.test_traversal import comparable, generated_history, questions


def whole(found: Traversal) -> dict[str, object]:
    """Everything an answer holds, properties included."""
    return {
        **comparable(found),
        "node_props": {nid: dict(node.props) for nid, node in found.nodes.items()},
        "edge_props": [(h.edge.id, dict(h.edge.props)) for h in found.hops],
    }


@pytest.mark.parametrize("limit", [None, 60])
def test_walks_between_writes_answer_as_a_fresh_store_does(
    tmp_path: Path, limit: int | None
) -> None:
    events = generated_history(seed=5)
    store = EmbeddedStore(tmp_path / "lineage.db")
    if limit is not None:  # trimmed after nearly every walk, between writes
        store._light = LightCache(limit=limit)
    try:
        # Walk after every few writes, so that later writes close, open and change what
        # earlier walks made.
        for i in range(0, len(events), 25):
            feed(store, events[i : i + 25], batch=5)
            for question in list(questions(store))[::41]:
                store.traverse(**question)
        assert store._light.nodes and store._light.edges
        cached = [whole(store.traverse(**q)) for q in questions(store)]
    finally:
        store.close()
    fresh = EmbeddedStore(tmp_path / "lineage.db")
    try:
        assert cached == [whole(fresh.traverse(**q)) for q in questions(fresh)]
    finally:
        fresh.close()


def test_a_full_cache_keeps_what_it_made_last(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "lineage.db")
    try:
        feed(store, generated_history(seed=3), batch=10)
        store._light = LightCache(limit=20)
        answers, held, trims = [], 0, 0
        for q in questions(store):
            answers.append(whole(store.traverse(**q)))
            before, held = held, len(store._light.nodes) + len(store._light.edges)
            assert held <= 20
            if held < before:  # trimmed: the half made last is kept
                trims += 1
                assert held >= 9
        assert trims
        store._light = LightCache()
        assert answers == [whole(store.traverse(**q)) for q in questions(store)]
    finally:
        store.close()
