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

    def start(self, timeout: float = 30, ready: bool = True) -> Server:
        """Start the server and wait for its port (``/healthz``) and, if ``ready``, for its
        store to be loaded: until then ``/readyz`` answers 503 (with tokens set, a loaded
        server answers 401 there, which is as good)."""
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
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                path = "/readyz" if ready else "/healthz"
                status = httpx.get(self.url + path, timeout=1).status_code
                if status != 503 and (ready or status == 200):
                    return self
                time.sleep(0.05)
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not answer within {timeout}s:\n{self.log.read_text()}")

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
