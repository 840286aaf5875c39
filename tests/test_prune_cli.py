"""Retention from the shell (`lineage prune`), over REST (admin scope) and on its own
(LINEAGE_RETENTION_DAYS)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from lineage.api.app import create_app
from lineage.settings import Settings
from lineage.store.embedded import EmbeddedStore
from tests.analysis.graphs import ts
from tests.conftest import feed
from tests.factories import dataset, pipeline_run
from tests.test_cli import lineage_cli

T = ts(100)


def store_with_history(path: Path) -> None:
    store = EmbeddedStore(path)
    events = []
    for start in (0, 10, 200):
        events += pipeline_run(
            ("etl", "load"), [dataset("pg", "raw")], [dataset("pg", "a")], start=start
        )
    feed(store, events)
    store.close()


def events_in(path: Path) -> int:
    store = EmbeddedStore(path, read_only=True)
    try:
        return len(store.events(limit=1000))
    finally:
        store.close()


def test_lineage_prune_dry_run_counts_and_prune_drops(tmp_path: Path) -> None:
    path = tmp_path / "lineage.db"
    store_with_history(path)
    before = datetime.fromtimestamp(T, UTC).isoformat()
    dry = lineage_cli("prune", "--before", before, "--dry-run", "--store", f"sqlite:///{path}")
    assert dry.returncode == 0, dry.stderr
    assert "would drop before" in dry.stdout and "4 events, 1 runs" in dry.stdout, dry.stdout
    assert events_in(path) == 6
    done = lineage_cli("prune", "--before", before, "--store", f"sqlite:///{path}")
    assert done.returncode == 0, done.stderr
    assert "dropped before" in done.stdout and "4 events" in done.stdout, done.stdout
    assert events_in(path) == 2
    again = lineage_cli("prune", "--before", before, "--store", f"sqlite:///{path}")
    assert "0 events, 0 runs, 0 dataset versions, 0 edges" in again.stdout, again.stdout
    bad = lineage_cli("prune", "--before", "yesterday", "--store", f"sqlite:///{path}")
    assert bad.returncode == 2 and "--before" in bad.stderr


def test_admin_prune_over_rest_needs_the_admin_scope(tmp_path: Path) -> None:
    path = tmp_path / "lineage.db"
    store_with_history(path)
    settings = Settings(store=f"sqlite:///{path}", tokens=["boss=admin", "reader=read"])
    before = datetime.fromtimestamp(T, UTC).isoformat()
    with TestClient(create_app(settings)) as client:
        url = "/api/v1/admin/prune"
        params = {"before": before, "dryRun": "true"}
        reader = {"Authorization": "Bearer reader"}
        boss = {"Authorization": "Bearer boss"}
        assert client.post(url, params=params, headers=reader).status_code == 403
        dry = client.post(url, params=params, headers=boss)
        assert dry.status_code == 200, dry.text
        assert dry.json()["events"] == 4 and dry.json()["dryRun"] is True
        done = client.post(url, params={"before": before}, headers=boss)
        assert done.json()["events"] == 4 and done.json()["runs"] == 1
        count = client.get("/api/v1/events/lineage", params={"limit": 100}, headers=boss)
        assert count.json()["count"] == 2


def test_retention_days_prunes_at_start(tmp_path: Path) -> None:
    path = tmp_path / "lineage.db"
    store_with_history(path)
    days = (time.time() - T) / 86400  # "older than N days" reaches back to T
    settings = Settings(store=f"sqlite:///{path}", retention_days=days)
    with TestClient(create_app(settings)) as client:
        deadline = time.monotonic() + 60
        while client.get("/api/v1/events/lineage").json()["count"] != 2:
            assert time.monotonic() < deadline, "the automatic prune did not run"
            time.sleep(0.1)
