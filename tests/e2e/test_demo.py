"""`lineage demo --server` and `lineage serve --demo` build the demo through real HTTP and ingest."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from lineage import demo as D
from tests.e2e.server import Server, free_port

QUERY = "query($ns: String!, $name: String!) { dataset(namespace: $ns, name: $name) { type currentVersion { version } } }"


def endpoint_seen(url: str) -> dict[str, object]:
    body = httpx.post(url + "/graphql", json={"query": QUERY, "variables": {"ns": D.ENDPOINT[0], "name": D.ENDPOINT[1]}}, timeout=30).json()
    assert "errors" not in body, body
    dataset: dict[str, object] = body["data"]["dataset"]
    return dataset


def test_lineage_demo_sends_the_story_to_a_running_server(server: Server) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lineage.cli", "demo", "--server", server.url],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "demo: 70 events sent" in done.stdout
    assert endpoint_seen(server.url) == {
        "type": "ENDPOINT",
        "currentVersion": {"version": D.run_id("deploy", D.DEPLOY_AT[2])},
    }
    listed = httpx.get(server.url + "/api/v1/events/lineage", params={"limit": 100}).json()["events"]
    assert len(listed) == 70


def test_serve_demo_loads_the_story_once(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    store = f"sqlite:///{tmp_path}/lineage.db"
    log = tmp_path / "serve.log"
    for expected in ("demo: 70 events loaded", "demo: already loaded"):
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "lineage.cli", "serve", "--demo", "--store", store, "--port", str(port)],
                stdout=sink, stderr=subprocess.STDOUT, env=os.environ.copy(),
            )
        try:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, log.read_text()
                try:
                    if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            assert endpoint_seen(url)["type"] == "ENDPOINT"
            assert expected in log.read_text()
            events = httpx.get(url + "/api/v1/events/lineage", params={"limit": 200}).json()["events"]
            assert len(events) == 70
        finally:
            process.terminate()
            process.wait(10)


def test_lineage_demo_into_a_store_loads_it_once(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path}/lineage.db"
    outputs = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "lineage.cli", "demo", "--store", store],
            capture_output=True, text=True, timeout=120,
        )
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert "demo: 70 events sent" in outputs[0]
    assert "demo: already loaded" in outputs[1]
