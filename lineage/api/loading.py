"""Loading the store while the server already answers.

An embedded store reads its whole graph into memory when it opens: seconds for a large
one. ``lineage serve`` opens its port first and loads the store on a thread meanwhile.
Until the graph is in memory, ``/healthz`` answers 200 (the process is up), ``/readyz``
503 with how far the load has got, and every other route 503 with ``Retry-After``, which
OpenLineage clients and load balancers honour. If the load fails, every route answers
503 with the reason (``lineage serve`` then exits).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Final, Literal

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from lineage.store import GraphStore

State = Literal["waiting", "loading", "ready", "failed"]

#: Answered without waiting for the store: the process is up.
ALWAYS_OPEN: Final = frozenset({"/healthz"})
READINESS: Final = "/readyz"

#: WebSocket close code "try again later".
TRY_AGAIN_LATER: Final = 1013


class StoreLoad:
    """The load of one store, run on a thread of its own by :meth:`start`.

    A store that has nothing to load (Neo4j, or an embedded store opened with its graph
    loaded) is ready at once. Steps added with :meth:`then` run on the same thread after
    the load, before the store is declared ready.
    """

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self._load: Callable[..., None] | None = getattr(store, "load", None)
        #: Freeze what the load allocated out of the garbage collector's sight (see
        #: EmbeddedStore.load): for a process that keeps the store until it exits.
        self.freeze = False
        loaded = getattr(store, "loaded", True)
        self.state: State = "ready" if self._load is None or loaded else "waiting"
        self.error: str | None = None
        self._steps: list[Callable[[], None]] = []
        self._steps_lock = threading.Lock()
        self._done = threading.Event()
        if self.state == "ready":
            self._done.set()
        self._started = 0.0
        self._thread: threading.Thread | None = None

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    def then(self, step: Callable[[], None]) -> None:
        """Run ``step`` on the loading thread once the graph is loaded (or now, when the
        store is ready already)."""
        with self._steps_lock:
            if self.state != "ready":
                self._steps.append(step)
                return
        step()

    def start(self, on_failure: Callable[[BaseException], None] | None = None) -> None:
        """Start loading on a daemon thread; does nothing unless the load is waiting.
        ``on_failure`` is called on that thread with the exception if it fails."""
        if self.state != "waiting":
            return
        self.state = "loading"
        self._started = time.monotonic()
        self._thread = threading.Thread(
            target=self._run, args=(on_failure,), name="lineage-store-load", daemon=True
        )
        self._thread.start()

    def _run(self, on_failure: Callable[[BaseException], None] | None) -> None:
        try:
            assert self._load is not None
            if self.freeze:
                self._load(freeze=True)
            else:
                self._load()
            while True:
                with self._steps_lock:
                    if not self._steps:
                        self.state = "ready"
                        break
                    step = self._steps.pop(0)
                step()
        except BaseException as exc:
            self.error = str(exc) or type(exc).__name__
            self.state = "failed"
            self._done.set()
            if on_failure is not None:
                on_failure(exc)
            return
        self._done.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the load has ended (loaded or failed); whether it has."""
        return self._done.wait(timeout)

    def progress(self) -> tuple[int, int]:
        """(rows read, rows to read), or (0, 0) when the store does not say."""
        progress: tuple[int, int] | None = getattr(self.store, "load_progress", None)
        return progress if progress is not None else (0, 0)

    def describe(self) -> str:
        if self.state == "failed":
            return f"the store failed to load: {self.error}"
        done, total = self.progress()
        if self.state == "loading" and total and done >= total:
            return f"the store is loaded ({total:,} rows) and is being prepared"
        if total:
            return f"the store is still loading ({done:,} of {total:,} rows read)"
        return "the store is still loading"

    def retry_after(self) -> int:
        """Seconds a client should wait: the load's remaining time at its rate so far,
        between 1 and 30."""
        done, total = self.progress()
        elapsed = time.monotonic() - self._started if self._started else 0.0
        if not done or not total or not elapsed:
            return 5
        remaining = (total - done) * elapsed / done
        return max(1, min(30, round(remaining + 0.5)))


class WhileLoading:
    """ASGI middleware: while the store loads, only ``/healthz`` reaches the app;
    ``/readyz`` says how far the load is, and everything else is refused with 503 and
    ``Retry-After``. Nothing about the store's data is answered, so no token is asked."""

    def __init__(self, app: ASGIApp, loading: StoreLoad) -> None:
        self.app = app
        self.loading = loading

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        loading = self.loading
        if loading.ready or scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        failed = loading.state == "failed"
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": TRY_AGAIN_LATER})
            return
        path = scope["path"]
        if path in ALWAYS_OPEN and not failed:
            await self.app(scope, receive, send)
            return
        reason = loading.describe()
        done, total = loading.progress()
        if path in ALWAYS_OPEN or path == READINESS:
            body = {
                "status": "failed" if failed else "loading",
                "reason": reason,
                "rows_loaded": done,
                "rows": total,
            }
        else:
            body = {"error": f"{reason}; nothing was read or stored, retry shortly"}
        payload = orjson.dumps(body)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
        ]
        if not failed:
            headers.append((b"retry-after", str(loading.retry_after()).encode()))
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": payload})
