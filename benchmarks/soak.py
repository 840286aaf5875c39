"""Soak: the server's resident memory under steady ingest, as JSON.

    python benchmarks/soak.py                  # 20 minutes, the issue's soak
    python benchmarks/soak.py --minutes 2      # a quick look

A real ``lineage serve`` on the embedded store takes batches of events from one producer
for ``--minutes``, and its resident memory (VmRSS) is sampled every ``--every`` seconds.

Two phases, half the time each:
- ``new``: new runs of the warehouse's jobs. The graph grows by a run node and its edges
  per run, so memory may grow with it; the report gives MB per 10,000 events, which must
  stay flat over the phase (a growing rate is a leak).
- ``replay``: the same events again. Writes are idempotent, the graph does not change,
  and resident memory must not grow: ``replay.growth_mb`` is the last sample against the
  first, and the target is at most 5% of the phase's start.

The load average is printed: measure on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.synthetic import Warehouse  # noqa: E402
from tests.e2e.server import Server  # noqa: E402

BATCH = 500


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def phase(
    client: httpx.Client, pid: int, batches: list[bytes], seconds: float, every: float
) -> dict[str, Any]:
    samples: list[tuple[float, int, float]] = []
    started = time.monotonic()
    sent = 0
    next_sample = started
    i = 0
    while time.monotonic() - started < seconds:
        body = batches[i % len(batches)]
        i += 1
        r = client.post(
            "/api/v1/lineage/batch", content=body, headers={"Content-Type": "application/json"}
        )
        r.raise_for_status()
        sent += BATCH
        now = time.monotonic()
        if now >= next_sample:
            samples.append((round(now - started, 1), sent, round(rss_mb(pid), 1)))
            next_sample = now + every
    samples.append((round(time.monotonic() - started, 1), sent, round(rss_mb(pid), 1)))
    first, last = samples[0], samples[-1]
    return {
        "seconds": round(time.monotonic() - started, 1),
        "events": sent,
        "events_per_s": round(sent / (time.monotonic() - started)),
        "rss_first_mb": first[2],
        "rss_last_mb": last[2],
        "growth_mb": round(last[2] - first[2], 1),
        "mb_per_10k_events": round((last[2] - first[2]) / max(1, last[1] - first[1]) * 10_000, 2),
        "samples": [{"s": s, "events": e, "rss_mb": m} for s, e, m in samples],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--every", type=float, default=30.0, help="seconds between samples")
    parser.add_argument("--jobs", type=int, default=1000)
    args = parser.parse_args()
    seconds = args.minutes * 60 / 2
    warehouse = Warehouse(args.jobs)
    import orjson

    with tempfile.TemporaryDirectory(prefix="lineage-soak-") as tmp:
        folder = Path(tmp)
        server = Server(f"sqlite:///{folder}/soak.db", folder / "server.log").start()
        assert server.process is not None
        pid = server.process.pid
        report: dict[str, Any] = {
            "machine": {
                "cpus": os.cpu_count(),
                "load_average": [round(x, 2) for x in os.getloadavg()],
            },
            "minutes": args.minutes,
        }
        try:
            with httpx.Client(base_url=server.url, timeout=300) as client:
                events = warehouse.events(10**9)
                new_batches: list[bytes] = []

                def fresh() -> bytes:
                    body = orjson.dumps([next(events) for _ in range(BATCH)])
                    new_batches.append(body)
                    return body

                # New runs: every batch is new (built as it is sent, so the producer's own
                # memory stays out of the server's).
                samples: list[tuple[float, int, float]] = []
                started = time.monotonic()
                sent = 0
                next_sample = started
                while time.monotonic() - started < seconds:
                    client.post(
                        "/api/v1/lineage/batch",
                        content=fresh(),
                        headers={"Content-Type": "application/json"},
                    ).raise_for_status()
                    sent += BATCH
                    now = time.monotonic()
                    if now >= next_sample:
                        samples.append((round(now - started, 1), sent, round(rss_mb(pid), 1)))
                        next_sample = now + args.every
                samples.append((round(time.monotonic() - started, 1), sent, round(rss_mb(pid), 1)))
                half = len(samples) // 2
                rate = [
                    round((b[2] - a[2]) / max(1, b[1] - a[1]) * 10_000, 2)
                    for a, b in ((samples[0], samples[half]), (samples[half], samples[-1]))
                ]
                report["new"] = {
                    "events": sent,
                    "events_per_s": round(sent / (time.monotonic() - started)),
                    "rss_first_mb": samples[0][2],
                    "rss_last_mb": samples[-1][2],
                    # MB per 10k events in the first and second halves: a leak makes the
                    # second larger than the first.
                    "mb_per_10k_events_by_half": rate,
                    "samples": [{"s": s, "events": e, "rss_mb": m} for s, e, m in samples],
                }
                replay = phase(client, pid, new_batches, seconds, args.every)
                replay["target_growth_mb"] = round(replay["rss_first_mb"] * 0.05, 1)
                replay["met"] = replay["growth_mb"] <= replay["target_growth_mb"]
                report["replay"] = replay
        finally:
            server.stop()
    report["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
