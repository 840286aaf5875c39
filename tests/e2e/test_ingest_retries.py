"""`lineage ingest --server` keeps trying while the server cannot take events: a server not
up yet (connection refused), or one that answers 503 (see tests/store/test_neo4j_outage.py
for a server whose Neo4j is down). Nothing sent is lost, and nothing is stored twice."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson

from tests.e2e.server import Server
from tests.factories import dataset, pipeline_run


def ingest_command(url: str, events_file: Path, retry_seconds: int) -> subprocess.Popen[str]:
    """A real `lineage ingest --server` process (its retries are what is tested)."""
    env = {**os.environ, "LINEAGE_RETRY_SECONDS": str(retry_seconds)}
    env.pop("LINEAGE_SERVER", None)
    return subprocess.Popen(
        [sys.executable, "-m", "lineage.cli", "ingest", str(events_file), "--server", url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_ingest_waits_for_a_server_that_is_not_up_yet(tmp_path: Path) -> None:
    events = pipeline_run(("etl", "daily"), [dataset("pg", "raw")], [dataset("pg", "clean")], start=0)
    events_file = tmp_path / "events.jsonl"
    events_file.write_bytes(b"\n".join(orjson.dumps(e) for e in events) + b"\n")
    server = Server(f"sqlite:///{tmp_path / 'store.db'}", tmp_path / "server.log")

    ingest = ingest_command(server.url, events_file, retry_seconds=120)
    time.sleep(2)  # the command finds the port closed and keeps trying
    assert ingest.poll() is None, ingest.communicate()
    server.start()
    try:
        out, err = ingest.communicate(timeout=120)
        assert ingest.returncode == 0, err
        assert "accepted 2, rejected 0" in out
        stored = httpx.get(server.url + "/api/v1/events/lineage", timeout=30).json()
        assert stored["count"] == 2
    finally:
        server.stop()


def test_ingest_gives_up_after_its_retry_time_with_a_clear_error(tmp_path: Path) -> None:
    events = pipeline_run(("etl", "daily"), [dataset("pg", "raw")], [dataset("pg", "clean")], start=0)
    events_file = tmp_path / "events.jsonl"
    events_file.write_bytes(b"\n".join(orjson.dumps(e) for e in events) + b"\n")
    nobody = Server("unused", tmp_path / "unused.log")  # a free port nothing listens on

    started = time.monotonic()
    ingest = ingest_command(nobody.url, events_file, retry_seconds=3)
    _, err = ingest.communicate(timeout=120)
    waited = time.monotonic() - started
    assert ingest.returncode == 1
    assert f"cannot reach {nobody.url}" in err
    print(f"gave up after {waited:.1f} s")
