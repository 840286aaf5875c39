"""A circuit breaker in front of a store server, fed by the driver's connectivity errors.

While the server cannot be reached, every request would otherwise wait out the driver's
connection and retry budget (about ten seconds) before failing. The breaker remembers the
failure instead: while it is open, calls fail at once with :class:`StoreOutage` (a
``StoreUnavailable`` that says when to try again), and the API answers 503 with a
``Retry-After``. After a cooldown one call is let through as a probe; its success closes
the breaker, its failure opens it again for a longer cooldown (doubling, up to a maximum).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Final

from lineage.store.base import StoreUnavailable

#: Seconds the breaker stays open after a first failure, and at most after repeated ones.
DEFAULT_COOLDOWN: Final = 2.0
DEFAULT_MAX_COOLDOWN: Final = 30.0


class StoreOutage(StoreUnavailable):
    """The store's server is known to be unreachable; ``retry_after`` is in seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def retry_after_header(self) -> str:
        """``Retry-After`` as HTTP wants it: whole seconds, at least one."""
        return str(max(1, math.ceil(self.retry_after)))


class CircuitBreaker:
    """Closed (calls pass), open (calls fail fast) or half-open (one probe passes).

    Thread-safe; ``clock`` is monotonic seconds.
    """

    def __init__(
        self,
        name: str,
        *,
        cooldown: float = DEFAULT_COOLDOWN,
        max_cooldown: float = DEFAULT_MAX_COOLDOWN,
        probe_timeout: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.base_cooldown = cooldown
        self.max_cooldown = max(max_cooldown, cooldown)
        self.probe_timeout = probe_timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._open = False
        self._opened_at = 0.0
        self._cooldown = cooldown
        self._reason = ""
        self._probe_started: float | None = None
        self.failures = 0  # times the breaker opened since the process started

    @property
    def state(self) -> str:
        with self._lock:
            if not self._open:
                return "closed"
            if self._probe_started is not None or self._remaining() <= 0:
                return "half-open"
            return "open"

    @property
    def reason(self) -> str:
        return self._reason

    def _remaining(self) -> float:
        return self._opened_at + self._cooldown - self._clock()

    def retry_after(self) -> float | None:
        """Seconds until the next probe while open (0 once one may run), None when closed."""
        with self._lock:
            if not self._open:
                return None
            return max(0.0, self._remaining())

    def outage(self, retry_after: float | None = None) -> StoreOutage:
        wait = self._cooldown if retry_after is None else retry_after
        return StoreOutage(
            f"{self.name} unreachable: {self._reason} (the next try is in "
            f"{max(1, math.ceil(wait))} s)",
            wait,
        )

    def before(self) -> bool:
        """Call before using the server: raises :class:`StoreOutage` while open.

        Returns True when this call is the probe (its outcome must be reported).
        """
        with self._lock:
            if not self._open:
                return False
            now = self._clock()
            if self._probe_started is not None and now - self._probe_started < self.probe_timeout:
                raise self.outage(max(0.0, self._remaining()) or 1.0)
            remaining = self._remaining()
            if remaining > 0:
                raise self.outage(remaining)
            self._probe_started = now
            return True

    def succeeded(self) -> None:
        """The server answered (whatever it answered): close."""
        if not self._open:  # the common case, without the lock
            return
        with self._lock:
            self._open = False
            self._probe_started = None
            self._cooldown = self.base_cooldown
            self._reason = ""

    def failed(self, reason: str) -> None:
        """The server could not be reached: open, or stay open for longer after a probe."""
        with self._lock:
            if self._open and self._probe_started is not None:
                self._cooldown = min(self._cooldown * 2, self.max_cooldown)
            elif not self._open:
                self._cooldown = self.base_cooldown
                self.failures += 1
            self._open = True
            self._opened_at = self._clock()
            self._probe_started = None
            self._reason = reason
