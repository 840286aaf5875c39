"""A server whose store is still loading: its port is open, /healthz answers, /readyz says
how far the load is, and everything else is refused with 503 and Retry-After until the
graph is in memory. Real servers (uvicorn on 127.0.0.1)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

from lineage.api.app import create_app
from lineage.ingest import prepare
from lineage.settings import Settings
from lineage.store.embedded import EmbeddedStore
from tests.e2e.server import free_port
from tests.factories import dataset, pipeline_run

NS = "postgres://db:5432"


def seeded_store(path: Path, runs: int = 20) -> int:
    """A store file with ``runs`` runs of a small pipeline; how many events it holds."""
    store = EmbeddedStore(path)
    events = [
        e
        for r in range(runs)
        for e in pipeline_run(
            ("etl", f"job_{r % 4}"), [dataset(NS, "a")], [dataset(NS, f"b{r % 4}")], start=r * 60.0
        )
    ]
    store.write([prepare(e) for e in events])
    store.close()
    return len(events)


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(30)


class Hold:
    """Holds an app's load after its rows are read, from when it is made until released."""

    def __init__(self, app: FastAPI) -> None:
        self.reached = threading.Event()
        self.released = threading.Event()
        app.state.loading.then(self._hold)

    def _hold(self) -> None:
        self.reached.set()
        self.released.wait(60)

    def release(self) -> None:
        self.released.set()


def test_the_port_answers_while_the_store_loads_and_routes_wait_for_it(tmp_path: Path) -> None:
    db = tmp_path / "lineage.db"
    events = seeded_store(db)
    app = create_app(Settings(store=f"sqlite:///{db}"), load_in_background=True)
    hold = Hold(app)
    with serving(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        try:
            assert hold.reached.wait(30)
            assert client.get("/healthz").status_code == 200

            ready = client.get("/readyz")
            assert ready.status_code == 503
            assert int(ready.headers["Retry-After"]) >= 1
            body = ready.json()
            assert body["status"] == "loading"
            assert body["rows"] > 0 and body["rows_loaded"] == body["rows"]
            assert f"{body['rows']:,} rows" in body["reason"]

            for method, path in [
                ("GET", "/api/v1/events/lineage"),
                ("POST", "/api/v1/lineage"),
                ("POST", "/graphql"),
                ("GET", "/metrics"),
            ]:
                response = client.request(method, path, json={})
                assert response.status_code == 503, path
                assert "Retry-After" in response.headers, path
                assert "being prepared" in response.json()["error"]
        finally:
            hold.release()
        assert app.state.loading.wait(30)
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        assert (
            client.get("/api/v1/events/lineage", params={"limit": 1000}).json()["count"] == events
        )


def test_readyz_counts_rows_while_loading_even_with_tokens_and_asks_for_one_after(
    tmp_path: Path,
) -> None:
    db = tmp_path / "lineage.db"
    seeded_store(db)
    app = create_app(
        Settings(store=f"sqlite:///{db}", tokens=["reader-secret=read"]), load_in_background=True
    )
    hold = Hold(app)
    with serving(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        try:
            assert hold.reached.wait(30)
            # Nothing of the store's data is told while loading, so no token is needed to learn that.
            assert client.get("/readyz").status_code == 503
            assert client.get("/healthz").status_code == 200
        finally:
            hold.release()
        assert app.state.loading.wait(30)
        assert client.get("/readyz").status_code == 401
        headers = {"Authorization": "Bearer reader-secret"}
        assert client.get("/readyz", headers=headers).status_code == 200


def test_a_store_opened_without_loading_loads_the_same_graph(tmp_path: Path) -> None:
    db = tmp_path / "lineage.db"
    seeded_store(db)
    loaded = EmbeddedStore(db, read_only=True)
    lazy = EmbeddedStore(db, read_only=True, load=False)
    assert not lazy.loaded and lazy.count()["nodes"] == 0
    lazy.load()
    assert lazy.loaded
    assert lazy.load_progress[0] == lazy.load_progress[1] > 0
    assert lazy.export() == loaded.export()
    assert lazy.count() == loaded.count()


def test_serve_exits_with_the_reason_when_its_store_cannot_be_loaded(tmp_path: Path) -> None:
    db = tmp_path / "lineage.db"
    seeded_store(db)
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE nodes SET props = ? WHERE id = (SELECT min(id) FROM nodes)", (b"{not json",)
        )
    conn.close()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lineage.cli",
            "serve",
            "--store",
            f"sqlite:///{db}",
            "--port",
            str(free_port()),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "the store failed to load" in done.stderr
