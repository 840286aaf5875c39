"""Findings of the hostile-input suite, each kept as a test with its reproduction."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from lineage.api.app import create_app
from lineage.graph.model import NodeKind
from lineage.settings import Settings
from lineage.store.embedded import EmbeddedStore
from tests.factories import dataset, new_run_id, run_event


def test_names_holding_the_id_separator_are_refused_and_never_collide(tmp_path: Path) -> None:
    # Node ids join their parts with U+001F: a namespace or name holding it could name
    # another dataset (it made with_child_sql raise, a 500, in the fuzzer). It is refused
    # at its path instead, and nothing is stored.
    store = EmbeddedStore(tmp_path / "lineage.db")
    app = create_app(Settings(store=f"sqlite:///{tmp_path}/lineage.db", tokens=[]), store=store)
    outputs = [dataset("a\x1fb", "c"), dataset("a", "b\x1fc")]
    with TestClient(app) as client:
        response = client.post(
            "/api/v1/lineage",
            json=run_event("COMPLETE", new_run_id(), ("etl", "j"), outputs=outputs),
        )
        assert response.status_code == 422, response.text
        assert "outputs[0].namespace" in response.text
    nodes, _ = store.export()
    store.close()
    assert not [n for n in nodes if n.kind is NodeKind.DATASET]
