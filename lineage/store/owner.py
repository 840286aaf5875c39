"""One writer per embedded store file.

The embedded store keeps its graph in memory and writes through to SQLite; two processes
writing one file would each keep a graph the other's writes never reach, and overwrite
each other's rows. The writer therefore holds an exclusive lock on ``<store>.lock`` (an
``flock``, released by the kernel when the process ends, however it ends) and describes
itself in that file, so that a second writer is refused with a message naming the first
(its process, its command, and the server URL to send writes to). Readers take no lock:
they open the file read-only and see what was committed when they opened it.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from pathlib import Path
from typing import IO, Any

import orjson

from lineage.store.base import StoreError


class StoreBusy(StoreError):
    """Another process writes this embedded store; ``owner`` says which (may be empty)."""

    def __init__(self, message: str, owner: dict[str, Any]) -> None:
        super().__init__(message)
        self.owner = owner


class WriterLock:
    """The exclusive right to write one embedded store file, held until :meth:`release`."""

    def __init__(self, path: Path, handle: IO[bytes]) -> None:
        self.path = path
        self._handle: IO[bytes] | None = handle

    @classmethod
    def acquire(cls, store: Path) -> WriterLock:
        """Take the lock of ``store``; raise :class:`StoreBusy` naming its holder."""
        path = store.with_name(store.name + ".lock")
        handle = path.open("a+b")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = _owner_of(handle.read())
            handle.close()
            raise StoreBusy(busy_message(store, owner), owner) from None
        lock = cls(path, handle)
        lock.describe()
        return lock

    def describe(self, server: str | None = None) -> None:
        """Say who writes the store, and where a running server takes writes instead."""
        if self._handle is None:
            return
        owner = {
            "pid": os.getpid(),
            "command": " ".join(
                os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv)
            )[:300],
            "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "server": server,
        }
        self._handle.seek(0)
        self._handle.truncate()
        self._handle.write(orjson.dumps(owner))
        self._handle.flush()

    def release(self) -> None:
        if self._handle is not None:
            self._handle.seek(0)
            self._handle.truncate()
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


def _owner_of(body: bytes) -> dict[str, Any]:
    try:
        found = orjson.loads(body) if body.strip() else {}
    except orjson.JSONDecodeError:
        return {}
    return found if isinstance(found, dict) else {}


def busy_message(store: Path, owner: dict[str, Any]) -> str:
    who = f"process {owner['pid']}" if owner.get("pid") else "another process"
    if owner.get("command"):
        who += f" (`{owner['command']}`)"
    message = f"the embedded store {store} is being written by {who}"
    if owner.get("server"):
        return (
            f"{message}; send this to that server instead: --server {owner['server']} "
            "(commands that only read may keep using --store)"
        )
    return (
        f"{message}; one process writes an embedded store at a time: wait for it to end, or stop it"
    )
