"""Ingest memory benchmark: what one wide event and one large batch cost a real server, as JSON.

    python benchmarks/ingest_memory.py                      # both workloads, default sizes
    python benchmarks/ingest_memory.py --inputs 100000 --batch 10000
    python benchmarks/ingest_memory.py --only wide --env LINEAGE_MAX_INPUTS=200000

Each workload starts its own ``lineage serve`` on a temporary SQLite store, sends one
small event (so every module the ingest path uses is loaded), then:

- wide:  POSTs one event with ``--inputs`` input datasets (100,000 by default, about
         3.8 MB) to /api/v1/lineage;
- batch: POSTs ``--batch`` small events (10,000 by default, about 12 MB) in one
         request to /api/v1/lineage/batch.

While the request runs, a reader asks the server for the newest stored event
(``GET /api/v1/events/lineage?limit=1``, a store read) every 50 ms (``--read-every``); the
slowest answer is how long the write kept readers waiting. Reported per workload: the
answer's status and time, the CPU time the server spent meanwhile, its resident memory (VmRSS) before, right after and ``--settle`` seconds
after the request, its peak (VmHWM), and the slowest read.

``--env KEY=VALUE`` passes settings to the server (e.g. a raised limit, to measure what
an event the default limits refuse would cost).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.synthetic import PRODUCER  # noqa: E402
from tests.e2e.server import Server  # noqa: E402

RUN_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
SCHEMA_FACET = "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json"
JSON = {"Content-Type": "application/json"}


def memory_mb(pid: int) -> dict[str, float]:
    """Resident (VmRSS) and peak resident (VmHWM) memory of a process, in MB."""
    found: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = round(int(value.split()[0]) / 1024, 1)
    return {"rss_mb": found["VmRSS"], "peak_rss_mb": found["VmHWM"]}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_event(
    job: str,
    inputs: int = 1,
    *,
    event_type: str = "COMPLETE",
    run_id: str | None = None,
    columns: int = 0,
    second: int = 0,
) -> dict[str, Any]:
    """A run event reading ``inputs`` datasets and writing one, with ``columns`` columns."""
    fields = [{"name": f"col_{c}", "type": "VARCHAR"} for c in range(columns)]
    schema = {"_producer": PRODUCER, "_schemaURL": SCHEMA_FACET, "fields": fields}
    return {
        "eventType": event_type,
        "eventTime": f"2026-12-01T08:{second // 60 % 60:02d}:{second % 60:02d}+00:00",
        "producer": PRODUCER,
        "schemaURL": RUN_SCHEMA,
        "run": {"runId": run_id or str(uuid.uuid4()), "facets": {}},
        "job": {"namespace": "bench", "name": job, "facets": {}},
        "inputs": [{"namespace": "s3://b", "name": f"t{i}"} for i in range(inputs)],
        "outputs": [
            {"namespace": "s3://bench", "name": f"out/{job}", "facets": {"schema": schema}}
        ],
    }


def batch_events(count: int) -> list[dict[str, Any]]:
    """``count`` events of about 1.2 KB (a 10,000-event batch stays under the 16 MiB body
    limit): START and COMPLETE of runs of 200 jobs, each reading 3 datasets and writing one
    of 8 columns."""
    events = []
    for n in range(count):
        run, kind = divmod(n, 2)
        events.append(
            run_event(
                f"job_{run % 200}",
                3,
                event_type=("START", "COMPLETE")[kind],
                run_id=str(uuid.UUID(int=run + 1)),
                columns=8,
                second=n,
            )
        )
    return events


class Reader(threading.Thread):
    """Reads the store through the API every ``interval`` seconds; keeps the slowest answer."""

    def __init__(self, url: str, interval: float) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.interval = interval
        self.stop = threading.Event()
        self.slowest = 0.0
        self.reads = 0
        self.failures = 0

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=600) as client:
            while not self.stop.is_set():
                started = time.perf_counter()
                try:
                    ok = client.get("/api/v1/events/lineage", params={"limit": 1}).is_success
                except httpx.HTTPError:
                    ok = False
                self.slowest = max(self.slowest, time.perf_counter() - started)
                self.reads += 1
                self.failures += not ok
                self.stop.wait(self.interval)


def workload(
    folder: Path,
    name: str,
    path: str,
    body: bytes,
    env: dict[str, str],
    settle: float,
    interval: float,
) -> dict[str, Any]:
    server = Server(f"sqlite:///{folder}/{name}.db", folder / f"{name}.log", env=env).start()
    assert server.process is not None
    pid = server.process.pid
    try:
        with httpx.Client(base_url=server.url, timeout=1800) as client:
            client.post("/api/v1/lineage", content=orjson.dumps(run_event("warmup")), headers=JSON)
            before = memory_mb(pid)
            reader = Reader(server.url, interval)
            if interval > 0:
                reader.start()
            cpu = cpu_seconds(pid)
            started = time.perf_counter()
            response = client.post(path, content=body, headers=JSON)
            elapsed = time.perf_counter() - started
            cpu = cpu_seconds(pid) - cpu
            reader.stop.set()
            if interval > 0:
                reader.join()
            after = memory_mb(pid)
            time.sleep(settle)
            client.get("/healthz")
            settled = memory_mb(pid)
    finally:
        server.stop()
    answer = response.json() if response.content else None
    if isinstance(answer, dict) and isinstance(answer.get("rejected"), list):
        answer = {**answer, "rejected": len(answer["rejected"])}
    return {
        "request_bytes": len(body),
        "status": response.status_code,
        "answer": answer,
        "seconds": round(elapsed, 3),
        # Counts the reads answered meanwhile too; less sensitive to the machine's load.
        "server_cpu_seconds": round(cpu, 2),
        "rss_mb_before": before["rss_mb"],
        "rss_mb_after": after["rss_mb"],
        "rss_mb_after_settle": settled["rss_mb"],
        "rss_mb_growth_after_settle": round(settled["rss_mb"] - before["rss_mb"], 1),
        "peak_rss_mb": settled["peak_rss_mb"],
        "slowest_read_seconds": round(reader.slowest, 3),
        "reads_during_request": reader.reads,
        "failed_reads": reader.failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--inputs", type=int, default=100_000, help="inputs of the wide event")
    parser.add_argument("--batch", type=int, default=10_000, help="events in the large batch")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds to wait after")
    parser.add_argument(
        "--read-every", type=float, default=0.05, help="seconds between reads (0: no reader)"
    )
    parser.add_argument("--only", nargs="*", default=["wide", "batch"], choices=["wide", "batch"])
    parser.add_argument(
        "--env", action="append", default=[], metavar="KEY=VALUE", help="a server setting"
    )
    args = parser.parse_args()
    env = dict(item.split("=", 1) for item in args.env)
    report: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "load_average_before": [round(x, 2) for x in os.getloadavg()],
        },
        "server_env": env,
    }
    with tempfile.TemporaryDirectory(prefix="lineage-bench-") as tmp:
        folder = Path(tmp)
        if "wide" in args.only:
            body = orjson.dumps(run_event("wide", inputs=args.inputs))
            report["wide_event"] = {
                "inputs": args.inputs,
                **workload(
                    folder, "wide", "/api/v1/lineage", body, env, args.settle, args.read_every
                ),
            }
        if "batch" in args.only:
            body = orjson.dumps(batch_events(args.batch))
            report["batch"] = {
                "events": args.batch,
                **workload(
                    folder,
                    "batch",
                    "/api/v1/lineage/batch",
                    body,
                    env,
                    args.settle,
                    args.read_every,
                ),
            }
    report["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
