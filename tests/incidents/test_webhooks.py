"""Webhooks: incidents are posted, signed, to a real HTTP receiver, retried until it takes them."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from lineage.analysis.incidents import find_incidents
from lineage.graph.incidents import IncidentStatus
from lineage.ingest import prepare, write
from lineage.ingest.incidents import set_status, watch
from lineage.store import GraphStore
from lineage.webhooks import (
    SIGNATURE_HEADER,
    Hook,
    Outbox,
    WebhookConfigError,
    load_hooks,
    verify,
)
from tests.e2e.server import Server, free_port
from tests.incidents.test_incidents import dbt_test_run

SECRET = "team-data-secret"


class Receiver:
    """A real HTTP server on 127.0.0.1 that answers 503 to its first ``failures`` posts."""

    def __init__(self, failures: int = 0, port: int = 0) -> None:
        self.failures = failures
        self.received: list[tuple[dict[str, str], bytes, int]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = 503 if receiver.failures > 0 else 204
                receiver.failures -= 1
                receiver.received.append((dict(self.headers.items()), body, status))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/incidents"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def accepted(self) -> list[tuple[dict[str, str], bytes, int]]:
        return [r for r in self.received if r[2] == 204]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(failures=2)
    yield r
    r.close()


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    """Poll until ``condition`` holds (delivery runs in a background thread)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def ingest(store: GraphStore, events: list[dict[str, Any]]) -> None:
    for event in events:
        write(store, [prepare(event)])


@pytest.fixture
def outbox_path(tmp_path: Path) -> Path:
    return tmp_path / "webhooks.db"


def test_an_incident_is_delivered_signed_after_the_receiver_fails_twice(
    store: GraphStore, receiver: Receiver, outbox_path: Path
) -> None:
    outbox = Outbox(outbox_path, [Hook(receiver.url, SECRET)], base_delay=0.05)
    watch(store, outbox.enqueue)
    try:
        ingest(store, dbt_test_run(0, ("not_null", False, "status")))
        outbox.start()
        wait_for(lambda: len(receiver.accepted()) == 1, "the delivery")
    finally:
        watch(store, None)
        outbox.close()

    # Three attempts of one delivery: two refused (503), then taken.
    assert [status for _, _, status in receiver.received] == [503, 503, 204]
    assert len({h["X-Lineage-Delivery"] for h, _, _ in receiver.received}) == 1
    headers, body, _ = receiver.accepted()[0]
    assert headers["X-Lineage-Event"] == "incident.opened"
    assert verify(SECRET, body, headers[SIGNATURE_HEADER])
    assert not verify("not-the-secret", body, headers[SIGNATURE_HEADER])
    assert not verify(SECRET, body + b" ", headers[SIGNATURE_HEADER])
    sent = orjson.loads(body)
    [incident] = find_incidents(store)
    assert sent["event"] == "incident.opened"
    assert sent["incident"]["shortId"] == f"INC-{incident.props['number']}"
    assert sent["incident"]["kind"] == "QUALITY"
    assert sent["incident"]["check"] == "assertion:not_null:status"
    assert sent["incident"]["fields"] == incident.props["fields"]

    log = Outbox(outbox_path, []).deliveries()
    assert [(d["status"], d["attempts"], d["lastStatus"]) for d in log] == [("delivered", 3, 204)]


def test_hooks_hear_only_the_kinds_severities_and_events_they_ask_for(
    store: GraphStore, receiver: Receiver, outbox_path: Path
) -> None:
    receiver.failures = 0
    hooks = [
        Hook(receiver.url + "?runs", SECRET, kinds=frozenset({"RUN_FAILURE"})),
        Hook(receiver.url + "?quality-resolved", SECRET, events=frozenset({"resolved"})),
        Hook(receiver.url + "?medium", SECRET, severities=frozenset({"MEDIUM"})),
    ]
    outbox = Outbox(outbox_path, hooks, base_delay=0.05)
    watch(store, outbox.enqueue)
    try:
        ingest(store, dbt_test_run(0, ("not_null", False, "status")))
        [incident] = find_incidents(store)
        set_status(store, incident.id, IncidentStatus.RESOLVED, "bad test data, fixed")
        outbox.start()
        wait_for(lambda: len(receiver.accepted()) == 3, "three deliveries")
    finally:
        watch(store, None)
        outbox.close()
    seen = sorted(
        (h["X-Lineage-Event"], orjson.loads(b)["incident"]["status"])
        for h, b, _ in receiver.accepted()
    )
    # ?medium: opened and resolved; ?quality-resolved: resolved; ?runs: nothing.
    assert seen == [
        ("incident.opened", "OPEN"),
        ("incident.resolved", "RESOLVED"),
        ("incident.resolved", "RESOLVED"),
    ]


def test_nothing_is_lost_while_the_receiver_is_down_or_the_outbox_closed(
    store: GraphStore, outbox_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/hooks"
    outbox = Outbox(outbox_path, [Hook(url, SECRET)], base_delay=0.05, max_delay=0.2)
    watch(store, outbox.enqueue)
    try:
        ingest(store, dbt_test_run(0, ("not_null", False, "status")))
        outbox.start()
        # Nobody listens: attempts fail and are retried.
        wait_for(
            lambda: outbox.deliveries()[0]["attempts"] >= 3, "retries to a receiver that is down"
        )
    finally:
        watch(store, None)
        outbox.close()
    [pending] = Outbox(outbox_path, []).deliveries()
    assert pending["status"] == "pending" and "ConnectError" in pending["lastError"]

    # Later the receiver is up, and a new outbox on the same file delivers what was queued.
    up = Receiver(port=port)
    again = Outbox(outbox_path, [Hook(url, SECRET)], base_delay=0.05, max_delay=0.2)
    try:
        again.start()
        wait_for(lambda: len(up.accepted()) == 1, "the queued delivery")
    finally:
        again.close()
        up.close()
    [done] = Outbox(outbox_path, []).deliveries()
    assert done["status"] == "delivered" and done["attempts"] >= 4


def test_webhook_settings_are_read_from_json_or_a_file_and_bad_ones_are_named(
    tmp_path: Path,
) -> None:
    text = '[{"url": "https://hooks.example.com/x", "kinds": ["drift"], "secret": "s"}]'
    [hook] = load_hooks(text)
    assert hook.kinds == frozenset({"DRIFT"}) and hook.secret == "s"
    file = tmp_path / "hooks.json"
    file.write_text('{"hooks": ' + text + "}")
    assert load_hooks(str(file)) == [hook]
    with pytest.raises(WebhookConfigError, match=r"LINEAGE_WEBHOOKS\[0\]"):
        load_hooks('[{"kinds": []}]')
    with pytest.raises(WebhookConfigError, match="events"):
        load_hooks('[{"url": "http://x", "events": ["exploded"]}]')


def test_a_running_server_posts_incidents_and_lists_its_deliveries(
    tmp_path: Path, receiver: Receiver
) -> None:
    hooks = orjson.dumps([{"url": receiver.url, "severities": ["MEDIUM"]}]).decode()
    server = Server(
        f"sqlite:///{tmp_path / 'lineage.db'}",
        tmp_path / "server.log",
        env={"LINEAGE_WEBHOOKS": hooks, "LINEAGE_WEBHOOK_SECRET": SECRET},
    ).start()
    try:
        for event in dbt_test_run(0, ("not_null", False, "status")):
            assert httpx.post(server.url + "/api/v1/lineage", json=event).status_code == 201
        wait_for(lambda: len(receiver.accepted()) == 1, "the server's delivery")
        answer = httpx.get(server.url + "/api/v1/incidents").json()
        [incident] = [i for i in answer["nodes"] if i["incidentKind"] == "QUALITY"]
        short = incident["shortId"]
        reopen = httpx.post(f"{server.url}/api/v1/incidents/{short}/reopen")
        assert reopen.status_code == 400 and "not resolved" in reopen.json()["error"]
        done = httpx.post(
            f"{server.url}/api/v1/incidents/{short}/resolve", json={"reason": "test data"}
        )
        assert done.status_code == 200 and done.json()["status"] == "RESOLVED"
        again = httpx.post(f"{server.url}/api/v1/incidents/{short}/reopen")
        assert again.status_code == 200 and again.json()["status"] == "OPEN"
        wait_for(lambda: len(receiver.accepted()) == 3, "resolved and reopened")
        log = httpx.get(server.url + "/api/v1/webhooks/deliveries").json()
    finally:
        server.stop()
    assert log["configured"] is True
    assert [d["event"] for d in log["deliveries"]] == [
        "incident.reopened",
        "incident.resolved",
        "incident.opened",
    ]
    assert log["deliveries"][-1]["attempts"] == 3  # the receiver failed twice first
    for headers, body, _ in receiver.accepted():
        assert verify(SECRET, body, headers[SIGNATURE_HEADER])


def test_an_ingest_into_a_store_posts_the_incidents_it_opens(
    tmp_path: Path, receiver: Receiver
) -> None:
    receiver.failures = 0
    events = tmp_path / "events.jsonl"
    failing = dbt_test_run(0, ("not_null", False, "status"))
    events.write_bytes(b"\n".join(orjson.dumps(e) for e in failing))
    env = {
        **{k: v for k, v in os.environ.items() if k != "LINEAGE_SERVER"},
        "LINEAGE_WEBHOOKS": orjson.dumps([{"url": receiver.url, "secret": SECRET}]).decode(),
    }
    store = f"sqlite:///{tmp_path / 'lineage.db'}"
    done = subprocess.run(
        [sys.executable, "-m", "lineage.cli", "ingest", str(events), "--store", store],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    [(headers, body, _)] = receiver.accepted()
    assert verify(SECRET, body, headers[SIGNATURE_HEADER])
    assert orjson.loads(body)["incident"]["shortId"] == "INC-1"

    env["LINEAGE_WEBHOOKS"] = '[{"kinds": ["QUALITY"]}]'
    bad = subprocess.run(
        [sys.executable, "-m", "lineage.cli", "ingest", str(events), "--store", store],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    assert bad.returncode == 2 and 'LINEAGE_WEBHOOKS[0] needs a "url"' in bad.stderr
