"""Group commit: concurrent requests share one store transaction.

Producers send one event per POST, often from many workers at once. Written one by one,
each request pays for a whole transaction (on the embedded store, a commit and its fsync;
on Neo4j, a round trip and a commit). :class:`GroupCommit` queues what concurrent requests
ask to write: while one write runs in a worker thread, the requests that arrive meanwhile
wait, and the next write takes all of them in one transaction. Each request is answered
only after the transaction holding its events has committed, so nothing is acknowledged
before it is durable.

Writes are order independent (docs/graph.md), so writing several requests' events together
stores exactly what writing them one by one would. When a shared write fails, each request
of the group is written again on its own, so that one request's problem is reported to
that request alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool

from lineage.store.base import IngestItem

Writer = Callable[[Sequence[IngestItem]], None]
Observer = Callable[[int], None]


@dataclass
class _Request:
    items: Sequence[IngestItem]
    done: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class GroupCommit:
    """Writes the items of concurrent requests together, at most ``max_events`` at a time.

    Used from one event loop: the queue is only touched on the loop's thread, and the
    writes themselves run one at a time in a worker thread.
    """

    def __init__(
        self, write: Writer, *, max_events: int = 2000, observe: Observer | None = None
    ) -> None:
        self._write = write
        #: Called with the number of requests each transaction held.
        self._observe = observe
        self.max_events = max_events
        self._queue: list[_Request] = []
        self._draining = False
        self._task: asyncio.Task[None] | None = None
        #: How many transactions were written, and how many requests they held.
        self.transactions = 0
        self.requests = 0

    async def submit(self, items: Sequence[IngestItem]) -> None:
        """Return once ``items`` are durably stored; raise what their write raised."""
        request = _Request(items)
        self._queue.append(request)
        if not self._draining:
            self._draining = True
            self._task = asyncio.get_running_loop().create_task(self._drain())
        await asyncio.shield(request.done)

    async def _drain(self) -> None:
        try:
            while self._queue:
                group = self._take()
                await self._commit(group)
        finally:
            self._draining = False

    def _take(self) -> list[_Request]:
        group: list[_Request] = []
        size = 0
        while self._queue:
            nxt = self._queue[0]
            if group and size + len(nxt.items) > self.max_events:
                break
            group.append(self._queue.pop(0))
            size += len(nxt.items)
        return group

    async def _commit(self, group: list[_Request]) -> None:
        items = [item for request in group for item in request.items]
        try:
            await run_in_threadpool(self._write, items)
        except Exception as exc:
            if len(group) == 1:
                _settle(group[0], exc)
                return
            # One request's events may be what failed: write each on its own.
            for request in group:
                try:
                    await run_in_threadpool(self._write, request.items)
                except Exception as own:
                    _settle(request, own)
                else:
                    _settle(request, None)
                self._count(1)
            return
        self._count(len(group))
        for request in group:
            _settle(request, None)

    def _count(self, requests: int) -> None:
        self.transactions += 1
        self.requests += requests
        if self._observe is not None:
            self._observe(requests)


def _settle(request: _Request, error: Exception | None) -> None:
    if request.done.done():
        return
    if error is None:
        request.done.set_result(None)
    else:
        request.done.set_exception(error)
