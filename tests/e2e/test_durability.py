"""Nothing acknowledged is ever lost: kill -9 the server mid-ingest, restart, check."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx

from lineage.graph.model import run_id
from lineage.store.embedded import EmbeddedStore
from tests.e2e.server import Server
from tests.factories import dataset, new_run_id, run_event


def test_every_acknowledged_event_survives_a_kill_9(tmp_path: Path) -> None:
    db = tmp_path / "lineage.db"
    server = Server(f"sqlite:///{db}", tmp_path / "server.log").start()
    acknowledged: list[str] = []
    stop = threading.Event()

    def produce(worker: int) -> None:
        with httpx.Client(base_url=server.url, timeout=5) as client:
            i = 0
            while not stop.is_set():
                rid = new_run_id(f"{worker}-{i}")
                event = run_event(
                    "START", rid, ("etl", f"job{i % 7}"), inputs=[dataset("ns", f"t{i % 13}")], outputs=[dataset("ns", f"o{i % 5}")]
                )
                try:
                    response = client.post("/api/v1/lineage", json=event)
                except httpx.HTTPError:
                    return  # the server is gone; this one was never acknowledged
                if response.status_code == 201:
                    acknowledged.append(rid)
                i += 1

    workers = [threading.Thread(target=produce, args=(w,)) for w in range(4)]
    for w in workers:
        w.start()
    while len(acknowledged) < 300:
        threading.Event().wait(0.01)
    server.kill()
    stop.set()
    for w in workers:
        w.join(10)

    store = EmbeddedStore(db)
    try:
        stored = {e.body for e in store.events(limit=100_000)}
        assert store.count()["events"] >= len(acknowledged)
        runs = store.get_nodes(run_id(r) for r in acknowledged)
        missing = [r for r in acknowledged if run_id(r) not in runs]
        assert not missing, f"{len(missing)} acknowledged runs lost, e.g. {missing[:3]}"
        assert len(stored) >= len(acknowledged)
    finally:
        store.close()

    restarted = Server(f"sqlite:///{db}", tmp_path / "server2.log").start()
    try:
        listed = httpx.get(restarted.url + "/api/v1/events/lineage", params={"limit": 1000}).json()
        assert {e["run"]["runId"] for e in listed["events"]} >= set(acknowledged[:1000])
    finally:
        restarted.stop()
