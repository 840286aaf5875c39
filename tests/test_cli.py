"""`lineage ingest`: files, folders and stdin, into a store or a running server."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import orjson

from lineage.graph.model import dataset_id
from lineage.store.embedded import EmbeddedStore
from tests.e2e.server import Server
from tests.factories import dataset, new_run_id, pipeline_run, run_event

NS = "postgres://db:5432"


def lineage_cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lineage.cli", *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=120,
    )


def write_events(folder: Path) -> None:
    """A folder as producers leave them: a JSON array, JSON lines, and a gzipped file."""
    folder.mkdir()
    a = pipeline_run(("etl", "a"), [dataset(NS, "raw")], [dataset(NS, "mid")], start=0)
    b = pipeline_run(("etl", "b"), [dataset(NS, "mid")], [dataset(NS, "out")], start=5)
    c = pipeline_run(("etl", "c"), [dataset(NS, "out")], [dataset(NS, "report")], start=9)
    (folder / "a.json").write_bytes(orjson.dumps(a))
    (folder / "b.jsonl").write_bytes(b"\n".join(orjson.dumps(e) for e in b) + b"\n")
    (folder / "nested").mkdir()
    (folder / "nested" / "c.json.gz").write_bytes(gzip.compress(b"\n".join(orjson.dumps(e) for e in c)))
    (folder / "notes.txt").write_text("not an event file, ignored")


def test_ingesting_a_folder_into_the_embedded_store(tmp_path: Path) -> None:
    write_events(tmp_path / "events")
    done = lineage_cli("ingest", str(tmp_path / "events"), "--store", f"sqlite:///{tmp_path}/l.db")
    assert done.returncode == 0, done.stderr
    assert "accepted 6, rejected 0" in done.stdout
    store = EmbeddedStore(tmp_path / "l.db")
    assert dataset_id(NS, "report") in store.get_nodes([dataset_id(NS, "report")])
    store.close()


def test_rejected_events_are_listed_with_their_place_and_reason_and_exit_1(tmp_path: Path) -> None:
    good = run_event("START", new_run_id(), ("etl", "a"))
    bad = run_event("START", "nope", ("etl", "a"))
    source = tmp_path / "mixed.jsonl"
    source.write_bytes(orjson.dumps(good) + b"\n" + orjson.dumps(bad) + b"\n{broken\n")
    done = lineage_cli("ingest", str(source), "--store", f"sqlite:///{tmp_path}/l.db")
    assert done.returncode == 1
    assert "accepted 1, rejected 2" in done.stdout
    assert f"{source}:2: run.runId" in done.stderr
    assert f"{source}:3: not valid JSON" in done.stderr


def test_ingesting_stdin_into_a_running_server(tmp_path: Path) -> None:
    events = pipeline_run(("etl", "a"), [dataset(NS, "raw")], [dataset(NS, "mid")], start=0)
    server = Server(f"sqlite:///{tmp_path}/served.db", tmp_path / "server.log").start()
    try:
        done = lineage_cli("ingest", "-", "--server", server.url, stdin=b"\n".join(orjson.dumps(e) for e in events))
        assert done.returncode == 0, done.stderr
        assert "accepted 2, rejected 0" in done.stdout
    finally:
        server.stop()
    store = EmbeddedStore(tmp_path / "served.db")
    assert store.count()["events"] == 2
    store.close()


def test_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    done = lineage_cli("ingest", str(tmp_path / "nope"), "--store", f"sqlite:///{tmp_path}/l.db")
    assert done.returncode == 2
    assert "does not exist" in done.stderr


def test_migrate_applies_the_schema_and_can_be_repeated(tmp_path: Path) -> None:
    url = os.environ.get("LINEAGE_TEST_NEO4J") or f"sqlite:///{tmp_path}/l.db"
    for _ in range(2):
        done = lineage_cli("migrate", "--store", url)
        assert done.returncode == 0, done.stderr
        assert "schema up to date" in done.stdout
