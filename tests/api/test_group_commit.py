"""Group commit: concurrent single POSTs share store transactions, and each is answered only
once its events are stored; one request's failure stays that request's."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Sequence
from typing import Any

import httpx
import orjson

from lineage.api.group_commit import GroupCommit
from lineage.ingest import prepare
from lineage.store import IngestItem
from tests.e2e.conftest import server  # noqa: F401  (the fixture)
from tests.e2e.server import Server
from tests.factories import dataset, new_run_id, run_event


def _events(count: int) -> list[dict[str, Any]]:
    out = []
    for i in range(count):
        run = new_run_id()
        job = ("etl", f"job_{i % 7}")
        io = {
            "inputs": [dataset("pg", f"raw.t_{i % 5}")],
            "outputs": [dataset("pg", f"mart.t_{i % 7}")],
        }
        out.append(run_event("START", run, job, time=i, **io))
        out.append(run_event("COMPLETE", run, job, time=i + 0.5, **io))
    return out


def _metric(text: str, name: str) -> float:
    found = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    assert found is not None, f"{name} not in /metrics"
    return float(found.group(1))


def test_concurrent_single_posts_share_transactions_and_all_are_stored(
    server: Server,  # noqa: F811
) -> None:
    events = _events(200)

    async def post_all() -> list[int]:
        limits = httpx.Limits(max_connections=50)
        async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as client:
            queue = list(events)
            statuses: list[int] = []

            async def worker() -> None:
                while queue:
                    body = orjson.dumps(queue.pop())
                    r = await client.post(
                        "/api/v1/lineage",
                        content=body,
                        headers={"Content-Type": "application/json"},
                    )
                    statuses.append(r.status_code)

            await asyncio.gather(*(worker() for _ in range(50)))
            return statuses

    statuses = asyncio.run(post_all())
    assert statuses == [201] * len(events)

    stored = httpx.get(server.url + "/api/v1/events/lineage", params={"limit": 1000}).json()
    assert len(stored["events"]) == len(events)
    metrics = httpx.get(server.url + "/metrics").text
    requests = _metric(metrics, "lineage_requests_per_transaction_sum")
    transactions = _metric(metrics, "lineage_requests_per_transaction_count")
    assert requests == len(events)
    # 50 clients at once: requests that arrive while a write runs join the next one.
    assert transactions < len(events), f"{transactions} transactions for {requests} requests"


def _items(count: int) -> list[IngestItem]:
    return [prepare(e) for e in _events(count)[:count]]


def test_a_failing_request_fails_alone_and_the_others_are_written() -> None:
    written: list[list[str]] = []
    lock = threading.Lock()
    items = _items(6)
    poison = items[3]

    def write(batch: Sequence[IngestItem]) -> None:
        if any(i is poison for i in batch):
            raise ValueError("this event cannot be written")
        with lock:
            written.append([i.run_id or "" for i in batch])

    async def main() -> list[BaseException | None]:
        group = GroupCommit(write)
        results = await asyncio.gather(
            *(group.submit([item]) for item in items), return_exceptions=True
        )
        return list(results)

    results = asyncio.run(main())
    assert [type(r).__name__ if r is not None else None for r in results] == [
        None,
        None,
        None,
        "ValueError",
        None,
        None,
    ]
    stored = sorted(run for batch in written for run in batch)
    assert stored == sorted(i.run_id or "" for n, i in enumerate(items) if n != 3)


def test_requests_queued_during_a_write_go_together_up_to_the_limit() -> None:
    sizes: list[int] = []
    release = threading.Event()

    def write(batch: Sequence[IngestItem]) -> None:
        sizes.append(len(batch))
        release.wait(5)

    items = _items(10)

    async def main() -> None:
        group = GroupCommit(write, max_events=4)
        first = asyncio.ensure_future(group.submit(items[:1]))
        await asyncio.sleep(0.05)  # the first write is now running
        rest = [asyncio.ensure_future(group.submit([i])) for i in items[1:]]
        await asyncio.sleep(0.05)
        release.set()
        await asyncio.gather(first, *rest)

    asyncio.run(main())
    assert sizes == [1, 4, 4, 1]
