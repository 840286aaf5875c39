"""A real ``lineage serve`` process (uvicorn) on 127.0.0.1, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

#: How long a server may take to answer, in seconds: generous, as a loaded machine (a CI
#: runner, several test runs at once) can take a minute to import and open a store.
START_TIMEOUT_VARIABLE = "LINEAGE_TEST_SERVER_START_TIMEOUT"
#: How many of the last lines of the server's log a failed start shows.
LOG_TAIL_LINES = 60


def start_timeout() -> float:
    """Seconds to wait for a server: ``LINEAGE_TEST_SERVER_START_TIMEOUT``, else 120."""
    return float(os.environ.get(START_TIMEOUT_VARIABLE) or 120)


def log_tail(log: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last ``lines`` lines of ``log`` (what tells why a server did not start)."""
    text = log.read_text(errors="replace") if log.exists() else ""
    kept = text.splitlines()[-lines:]
    return "\n".join(kept)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, store: str, log: Path, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.store = store
        self.log = log
        self.env = {**os.environ, **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float | None = None, ready: bool = True) -> Server:
        """Start the server and wait for its port (``/healthz``) and, if ``ready``, for its
        store to be loaded: until then ``/readyz`` answers 503 (with tokens set, a loaded
        server answers 401 there, which is as good). ``timeout`` defaults to
        :func:`start_timeout`; past it the server is stopped and the error shows the tail
        of its log."""
        timeout = start_timeout() if timeout is None else timeout
        log = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lineage.cli", "serve", "--store", self.store, "--port", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{log_tail(self.log)}")
            try:
                path = "/readyz" if ready else "/healthz"
                status = httpx.get(self.url + path, timeout=1).status_code
                if status != 503 and (ready or status == 200):
                    return self
                time.sleep(0.05)
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"server did not answer within {timeout}s ({START_TIMEOUT_VARIABLE} sets how long); "
            f"the last lines of its log, {self.log}:\n{log_tail(self.log)}"
        )

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing, as a crash would."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
