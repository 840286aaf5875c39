from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail
from tests.e2e.server import Server


def store_url(kind: str, folder: Path) -> str:
    """A fresh store of ``kind`` for one server: a new SQLite file, or an emptied Neo4j."""
    if kind == "embedded":
        return f"sqlite:///{folder}/lineage.db"
    url = os.environ.get("LINEAGE_TEST_NEO4J")
    if not url:
        skip_or_fail(
            "end-to-end tests on Neo4j need a running Neo4j: run `make neo4j-start` and set "
            "LINEAGE_TEST_NEO4J=neo4j://127.0.0.1:7687 (make test does both)"
        )
        raise AssertionError("unreachable")
    from lineage.store.neo4j import Neo4jStore

    Neo4jStore(url, reset_for_tests=True).close()
    return url


@pytest.fixture(params=["embedded", "neo4j"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    srv = Server(store_url(request.param, tmp_path), tmp_path / "server.log").start()
    yield srv
    srv.stop()


def capture(script: str, out: Path, venv_variable: str, venv: Path) -> Path:
    """Run a real producer through ``tools/<script>`` (a capture script: the producer posts
    to a local receiver) and return the folder of JSON-lines streams it wrote."""
    from tests.conftest import REPO

    done = subprocess.run(
        ["bash", str(REPO / "tools" / script), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, venv_variable: str(venv)},
    )
    assert done.returncode == 0, f"tools/{script} exited {done.returncode}:\n{done.stderr[-4000:]}"
    return out
