"""Neo4j stopped under a running server: answers are 503 + Retry-After at once, /readyz says
why, and everything comes back once Neo4j does. A dedicated Neo4j is started, stopped and
started again by the test (tools/neo4j), and the server is a real ``lineage serve``."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from tests.conftest import REPO, skip_or_fail
from tests.e2e.server import Server, free_port
from tests.e2e.test_ingest_retries import ingest_command
from tests.factories import dataset, pipeline_run

NEO4J_SH = REPO / "tools" / "neo4j" / "neo4j.sh"


class LocalNeo4j:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"neo4j://127.0.0.1:{self.port}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(NEO4J_SH), *args, "--dir", str(self.folder)],
            capture_output=True,
            text=True,
            timeout=300,
        )

    def start(self) -> None:
        done = self._run("start", "--port", str(self.port))
        if done.returncode == 3:
            skip_or_fail(f"tools/neo4j cannot run here (no java or mvn): {done.stderr[-500:]}")
        assert done.returncode == 0, f"neo4j.sh start failed:\n{done.stdout}\n{done.stderr}"

    def stop(self) -> None:
        done = self._run("stop")
        assert done.returncode == 0, f"neo4j.sh stop failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture
def neo4j(tmp_path: Path) -> Iterator[LocalNeo4j]:
    if shutil.which("java") is None and not Path("/usr/lib/jvm").exists():
        skip_or_fail("the Neo4j outage test starts its own Neo4j and needs java (tools/neo4j)")
    server = LocalNeo4j(tmp_path / "neo4j")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def wait_until_ready(client: httpx.Client) -> None:
    """Until /readyz says the store answers (a Neo4j just started may still be opening its
    database, and the breaker then waits out a cooldown before trying again)."""
    deadline = time.monotonic() + 120
    while (ready := client.get("/readyz")).status_code != 200:
        assert time.monotonic() < deadline, f"the server never got ready: {ready.text}"
        time.sleep(0.5)


def store_event(client: httpx.Client, event: dict[str, object]) -> None:
    """Post as producers do: a 503 (a cold Neo4j on a loaded machine can time a first write
    out) is retried, and storing an event twice changes nothing."""
    deadline = time.monotonic() + 120
    while (stored := client.post("/api/v1/lineage", json=event)).status_code == 503:
        assert time.monotonic() < deadline, stored.text
        time.sleep(1)
    assert stored.status_code == 201, stored.text


def timed(call: object) -> tuple[httpx.Response, float]:
    assert callable(call)
    started = time.perf_counter()
    response = call()
    assert isinstance(response, httpx.Response)
    return response, time.perf_counter() - started


def test_neo4j_stopped_answers_503_at_once_and_recovers(neo4j: LocalNeo4j, tmp_path: Path) -> None:
    # A fresh Neo4j applies its schema while the server starts: allow for a loaded machine.
    server = Server(neo4j.url, tmp_path / "server.log").start(timeout=180)
    try:
        client = httpx.Client(base_url=server.url, timeout=60)
        events = pipeline_run(
            ("etl", "daily"), [dataset("pg", "raw")], [dataset("pg", "clean")], start=0
        )
        wait_until_ready(client)
        for event in events:
            store_event(client, event)
        lineage_url = "/api/v1/lineage?nodeId=dataset:pg:clean&depth=2"
        assert client.get(lineage_url).status_code == 200

        neo4j.stop()

        # The first request finds Neo4j gone: one refused connection, not the retry budget.
        first, first_seconds = timed(lambda: client.get(lineage_url))
        print(f"first request after the stop: {first.status_code} in {first_seconds:.3f} s")
        assert first.status_code == 503, first.text
        assert first_seconds < 2, f"503 took {first_seconds:.1f} s"

        # While the breaker is open every store route answers at once.
        answers = {
            "read": lambda: client.get(lineage_url),
            "events": lambda: client.get("/api/v1/events/lineage"),
            "ingest": lambda: client.post("/api/v1/lineage", json=events[0]),
            "graphql": lambda: client.post("/graphql", json={"query": "{ __typename }"}),
        }
        for name, call in answers.items():
            response, seconds = timed(call)
            print(f"{name} while Neo4j is down: {response.status_code} in {seconds:.3f} s")
            assert response.status_code == 503, (name, response.text)
            assert int(response.headers["Retry-After"]) >= 1, name
            assert seconds < 2, f"{name}: 503 took {seconds:.1f} s"
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert "neo4j unreachable" in ready.json()["reason"].lower()
        assert client.get("/healthz").status_code == 200  # the process itself is fine

        # A batch sent meanwhile by `lineage ingest --server` waits out the 503s (their
        # Retry-After) and is stored once Neo4j is back.
        late = pipeline_run(
            ("etl", "late"), [dataset("pg", "clean")], [dataset("pg", "mart")], start=100
        )
        late_file = tmp_path / "late.jsonl"
        late_file.write_bytes(b"\n".join(orjson.dumps(e) for e in late) + b"\n")
        ingest = ingest_command(server.url, late_file, retry_seconds=300)
        time.sleep(3)
        assert ingest.poll() is None, ingest.communicate()

        neo4j.start()
        out, err = ingest.communicate(timeout=330)
        assert ingest.returncode == 0, err
        assert "accepted 2, rejected 0" in out

        # A probe after the cooldown finds Neo4j back and closes the breaker.
        wait_until_ready(client)
        again = client.get(lineage_url)
        assert again.status_code == 200, again.text
        store_event(client, events[0])
        stored = client.get("/api/v1/events/lineage").json()
        # The event sent again is the same event: stored once.
        assert stored["count"] == 4
    finally:
        server.stop()
