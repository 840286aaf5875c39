"""Webhook notifications of incidents: a team hears about an incident where it works.

Configured with ``LINEAGE_WEBHOOKS``: a JSON list of hooks, or the path of a file holding
one. Each hook is ``{"url": ..., "kinds": [...], "severities": [...], "events": [...],
"secret": ...}``; an empty or absent filter takes everything. ``events`` are ``opened``,
``acknowledged``, ``resolved`` and ``reopened``. ``LINEAGE_WEBHOOK_SECRET`` signs for the
hooks that name no secret of their own.

Each notification is a JSON body POSTed with ``X-Lineage-Signature: sha256=<hex>``, the
HMAC-SHA256 of the body under the hook's secret (:func:`verify` checks one), plus
``X-Lineage-Event`` and ``X-Lineage-Delivery`` (the delivery's number; the same on every
attempt, so a receiver can drop a repeat).

Deliveries never run on the request path: a change is queued (one insert into the
outbox, a SQLite file) and a background thread posts it, retrying a failed attempt after
1, 2, 4, ... seconds (at most ``max_delay``) until it is accepted (any 2xx) or, after
``give_up_after`` seconds, given up. The outbox is a file, so what a receiver missed while
it was down, or the server while it was stopped, is delivered once both are up. Every
delivery is kept with its attempts, status and last error: the delivery log
(``GET /api/v1/webhooks/deliveries``).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import sqlite3
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import orjson

from lineage.analysis.incidents import short_id
from lineage.api.graphql.ids import encode_id
from lineage.ingest.incidents import Change
from lineage.settings import default_store

SIGNATURE_HEADER: Final = "X-Lineage-Signature"
EVENTS: Final = frozenset({"opened", "acknowledged", "resolved", "reopened"})


class WebhookConfigError(ValueError):
    """``LINEAGE_WEBHOOKS`` cannot be read; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class Hook:
    """One receiver, and which incidents it hears about (empty filters: all)."""

    url: str
    secret: str | None = None
    kinds: frozenset[str] = frozenset()
    severities: frozenset[str] = frozenset()
    events: frozenset[str] = frozenset()

    def wants(self, event: str, incident: Mapping[str, Any]) -> bool:
        return (
            (not self.kinds or str(incident.get("kind")) in self.kinds)
            and (not self.severities or str(incident.get("severity")) in self.severities)
            and (not self.events or event in self.events)
        )


def load_hooks(value: str | None) -> list[Hook]:
    """The hooks ``LINEAGE_WEBHOOKS`` configures: a JSON list, or the path of a JSON file
    holding one (or ``{"hooks": [...]}``). Raises WebhookConfigError naming the problem."""
    if value is None or not value.strip():
        return []
    text = value.strip()
    if not text.startswith(("[", "{")):
        path = Path(text.removeprefix("@")).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise WebhookConfigError(
                f"LINEAGE_WEBHOOKS names {str(path)!r}, which cannot be read: {exc}"
            ) from exc
    try:
        raw = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise WebhookConfigError(f"LINEAGE_WEBHOOKS is not valid JSON: {exc}") from exc
    if isinstance(raw, dict):
        raw = raw.get("hooks")
    if not isinstance(raw, list):
        raise WebhookConfigError('LINEAGE_WEBHOOKS must be a list of hooks, e.g. [{"url": ...}]')
    hooks = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            raise WebhookConfigError(f'LINEAGE_WEBHOOKS[{i}] needs a "url"')
        if not entry["url"].startswith(("http://", "https://")):
            raise WebhookConfigError(f"LINEAGE_WEBHOOKS[{i}].url must be an http(s) URL")

        def upper(name: str, entry: dict[str, Any] = entry, i: int = i) -> frozenset[str]:
            values = entry.get(name) or []
            if not isinstance(values, list):
                raise WebhookConfigError(f"LINEAGE_WEBHOOKS[{i}].{name} must be a list")
            return frozenset(str(v).upper() for v in values)

        events = frozenset(e.lower() for e in upper("events"))
        if events - EVENTS:
            raise WebhookConfigError(
                f"LINEAGE_WEBHOOKS[{i}].events: unknown {sorted(events - EVENTS)}; "
                f"use {', '.join(sorted(EVENTS))}"
            )
        secret = entry.get("secret")
        hooks.append(
            Hook(
                url=entry["url"],
                secret=str(secret) if secret else None,
                kinds=upper("kinds"),
                severities=upper("severities"),
                events=events,
            )
        )
    return hooks


def sign(secret: str, body: bytes) -> str:
    """The ``X-Lineage-Signature`` value of ``body``: ``sha256=`` and the HMAC's hex digest."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str | None) -> bool:
    """Whether ``signature`` (an ``X-Lineage-Signature`` header) signs ``body`` under ``secret``.

    >>> verify("s3cret", b"{}", sign("s3cret", b"{}")), verify("other", b"{}", sign("s3cret", b"{}"))
    (True, False)
    """
    return signature is not None and hmac.compare_digest(sign(secret, body), signature)


def payload(event: str, incident: Mapping[str, Any], incident_id: str, short: str) -> bytes:
    """The body sent for ``event`` on an incident (its stored properties)."""
    p = incident
    return orjson.dumps(
        {
            "event": f"incident.{event}",
            "incident": {
                "id": incident_id,
                "shortId": short,
                "kind": p.get("kind"),
                "severity": p.get("severity"),
                "status": p.get("status"),
                "title": p.get("title"),
                "subject": p.get("subject"),
                "check": p.get("check"),
                "fields": list(p.get("fields") or ()),
                "openedAt": p.get("opened_at"),
                "acknowledgedAt": p.get("acknowledged_at"),
                "resolvedAt": p.get("resolved_at"),
                "resolution": p.get("resolution"),
            },
        },
        option=orjson.OPT_SORT_KEYS,
    )


_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  url TEXT NOT NULL,
  event TEXT NOT NULL,
  incident TEXT NOT NULL,
  body BLOB NOT NULL,
  created_at REAL NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at REAL NOT NULL,
  last_at REAL,
  last_status INTEGER,
  last_error TEXT,
  delivered_at REAL
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (status, next_at);
"""


class Outbox:
    """Webhook deliveries kept in a SQLite file: queued, posted, retried, logged.

    ``enqueue`` is what :func:`lineage.ingest.incidents.watch` calls; ``start`` runs the delivery
    thread (``deliver_due`` is one pass of it). Thread-safe.
    """

    def __init__(
        self,
        path: str | Path,
        hooks: Sequence[Hook],
        *,
        secret: str | None = None,
        base_delay: float = 1.0,
        max_delay: float = 300.0,
        give_up_after: float = 86_400.0,
        timeout: float = 10.0,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.hooks = list(hooks)
        self.secret = secret
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.give_up_after = give_up_after
        self.timeout = timeout
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- queueing ---------------------------------------------------------------------

    def enqueue(self, changes: Sequence[Change]) -> None:
        """Queue a delivery to every hook that wants each change (cheap: no network)."""
        now = time.time()
        rows = []
        for event, node in changes:
            for hook in self.hooks:
                if hook.wants(event, node.props):
                    body = payload(event, node.props, encode_id(node.id), short_id(node))
                    rows.append((hook.url, event, node.id, body, now, "pending", now))
        if not rows:
            return
        with self._lock:
            self._db.executemany(
                "INSERT INTO deliveries (url, event, incident, body, created_at, status, "
                "next_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        self._wake.set()

    # -- delivering -------------------------------------------------------------------

    def _secret_of(self, url: str) -> str | None:
        for hook in self.hooks:
            if hook.url == url and hook.secret:
                return hook.secret
        return self.secret

    def deliver_due(self, now: float | None = None) -> int:
        """Post every delivery that is due, once each; returns how many were accepted."""
        import httpx

        with self._lock:
            due = self._db.execute(
                "SELECT id, url, event, body, attempts, created_at FROM deliveries "
                "WHERE status = 'pending' AND next_at <= ? ORDER BY next_at, id",
                (time.time() if now is None else now,),
            ).fetchall()
        accepted = 0
        for did, url, event, body, attempts, created in due:
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "lineage-webhooks",
                "X-Lineage-Event": f"incident.{event}",
                "X-Lineage-Delivery": str(did),
            }
            secret = self._secret_of(url)
            if secret:
                headers[SIGNATURE_HEADER] = sign(secret, bytes(body))
            status: int | None = None
            error: str | None = None
            try:
                response = httpx.post(
                    url, content=bytes(body), headers=headers, timeout=self.timeout
                )
                status = response.status_code
                if not 200 <= status < 300:
                    error = f"HTTP {status}: {response.text[:200]}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            at = time.time()
            tries = attempts + 1
            update: tuple[str, float, float | None]
            if error is None:
                accepted += 1
                update = ("delivered", at, at)
            elif at - created >= self.give_up_after:
                update = ("failed", at, None)
            else:
                delay = min(self.max_delay, self.base_delay * 2 ** (tries - 1))
                update = ("pending", at + delay, None)
            with self._lock:
                self._db.execute(
                    "UPDATE deliveries SET status = ?, next_at = ?, delivered_at = ?, "
                    "attempts = ?, last_at = ?, last_status = ?, last_error = ? WHERE id = ?",
                    (*update, tries, at, status, error, did),
                )
        return accepted

    def _next_due(self) -> float | None:
        with self._lock:
            row = self._db.execute(
                "SELECT MIN(next_at) FROM deliveries WHERE status = 'pending'"
            ).fetchone()
        return float(row[0]) if row and row[0] is not None else None

    def _run(self) -> None:
        while not self._stop.is_set():
            # Whatever goes wrong in a pass (the outbox file, a receiver), the next one
            # tries again: the thread must outlive it.
            with contextlib.suppress(Exception):
                self.deliver_due()
            due = self._next_due()
            wait = 60.0 if due is None else max(0.05, min(60.0, due - time.time()))
            self._wake.wait(wait)
            self._wake.clear()

    def start(self) -> None:
        """Deliver in a background thread until :meth:`stop`."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="webhooks", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._wake.set()
            self._thread.join(self.timeout + 5)
            self._thread = None

    def close(self) -> None:
        self.stop()
        with self._lock:
            self._db.close()

    # -- the log ----------------------------------------------------------------------

    def deliveries(
        self, *, status: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[dict[str, Any]]:
        """The delivery log, newest first: each delivery with its attempts and last error."""
        where, args = ("WHERE status = ?", [status]) if status else ("", [])
        with self._lock:
            rows = self._db.execute(
                "SELECT id, url, event, incident, created_at, status, attempts, next_at, "
                f"last_at, last_status, last_error, delivered_at FROM deliveries {where} "
                "ORDER BY id DESC LIMIT ? OFFSET ?",
                (*args, limit, offset),
            ).fetchall()
        return [
            {
                "id": r[0],
                "url": r[1],
                "event": f"incident.{r[2]}",
                "incident": encode_id(r[3]),
                "createdAt": r[4],
                "status": r[5],
                "attempts": r[6],
                "nextAttemptAt": r[7] if r[5] == "pending" else None,
                "lastAttemptAt": r[8],
                "lastStatus": r[9],
                "lastError": r[10],
                "deliveredAt": r[11],
            }
            for r in rows
        ]


def default_outbox(store: str) -> str:
    """Where the outbox lives by default: beside an embedded store's file, else in the
    user's data folder."""
    path = store.removeprefix("sqlite:///")
    if store.startswith("sqlite:///") and path != ":memory:":
        return path + ".webhooks"
    return str(Path(default_store().removeprefix("sqlite:///")).with_name("webhooks.db"))
