"""Reopen benchmark: how long an embedded store of N graph elements takes to load, and
what it holds in memory afterwards, as JSON.

    python benchmarks/reopen.py                      # 100k elements
    python benchmarks/reopen.py --elements 1000000   # the 1M-element target
    python benchmarks/reopen.py --store /tmp/s.db    # build once, reuse on later runs
    python benchmarks/reopen.py --profile 25         # also cProfile the load (to stderr)
    python benchmarks/reopen.py --opens 3            # open it three times, one after another

Builds a store of about N elements (nodes + edges) from the synthetic warehouse traffic
(benchmarks/synthetic.py) in a subprocess, then opens it in fresh processes:

- open: ``EmbeddedStore(path)``; wall and CPU seconds, resident memory before (after the
  imports) and after, and bytes per element (the difference over the elements); where the
  graph was read from (``loaded_from``: the rows, or the snapshot written when the store
  was last closed), and the seconds closing took (writing that snapshot, when the store
  had none). With ``--opens N`` the store is opened N times one after another: the first
  open of a store with no snapshot rebuilds from the rows, the next ones read the snapshot;
- serve: ``lineage serve`` on that store; seconds until its port answers ``/healthz``
  and until ``/readyz`` says ready (the port opens before the store is loaded).

Targets (this 2-core machine): 1M elements reopened in < 5 s and <= 1.5 GB resident.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.ingest import BUILD_SNIPPET  # noqa: E402
from tests.e2e.server import Server  # noqa: E402

OPEN = """
import sys, time, json, os
sys.path.insert(0, {repo!r})

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

from lineage.store.embedded import EmbeddedStore
before = rss_mb()
wall, cpu = time.perf_counter(), time.process_time()
if {profile}:
    import cProfile, pstats
    profiler = cProfile.Profile()
    store = profiler.runcall(EmbeddedStore, {path!r})
else:
    store = EmbeddedStore({path!r})
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
after = rss_mb()
peak = next(int(l.split()[1]) / 1024 for l in open("/proc/self/status") if l.startswith("VmHWM:"))
if {profile}:
    pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats({profile})
counts = store.count()
closing = time.perf_counter()
store.close()
closing = time.perf_counter() - closing
print(json.dumps({{"wall_seconds": wall, "cpu_seconds": cpu, "rss_before_mb": before,
                   "rss_after_mb": after, "peak_rss_mb": peak,
                   "loaded_from": getattr(store, "loaded_from", "rows"),
                   "close_seconds": closing, **counts}}))
"""


def build(path: Path, elements: int) -> dict[str, Any]:
    jobs = max(200, elements // 300)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            # Not synced to disk: only the build is faster, the store is the same.
            BUILD_SNIPPET.format(
                repo=str(REPO), path=str(path), jobs=jobs, elements=elements, durable=False
            ),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def reopen(path: Path, profile: int = 0) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", OPEN.format(repo=str(REPO), path=str(path), profile=profile)],
        check=True,
        capture_output=True,
        text=True,
    )
    if profile:
        sys.stderr.write(done.stderr)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used: on a busy machine, its wall time is
    mostly waiting for a core."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve(path: Path, log: Path, timeout: float = 600) -> dict[str, Any]:
    """Seconds (wall, and CPU of the server) from starting ``lineage serve`` to /healthz 200,
    and to /readyz 200."""
    started = time.perf_counter()
    server = Server(f"sqlite:///{path}", log).start(timeout=timeout, ready=False)
    healthy = time.perf_counter() - started
    assert server.process is not None
    healthy_cpu = cpu_seconds(server.process.pid)
    not_ready = None
    slowest = 0.0
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            asked = time.perf_counter()
            response = httpx.get(server.url + "/readyz", timeout=60)
            if response.status_code == 200:
                break
            slowest = max(slowest, time.perf_counter() - asked)
            not_ready = not_ready or response.json()
            time.sleep(0.05)
        ready = time.perf_counter() - started
        ready_cpu = cpu_seconds(server.process.pid)
    finally:
        server.stop()
    return {
        "healthz_seconds": round(healthy, 2),
        "healthz_server_cpu_seconds": round(healthy_cpu, 2),
        "readyz_seconds": round(ready, 2),
        "readyz_server_cpu_seconds": round(ready_cpu, 2),
        "readyz_while_loading": not_ready,
        "slowest_readyz_answer_while_loading_seconds": round(slowest, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--elements", type=int, default=100_000, help="graph size (nodes + edges)")
    parser.add_argument("--store", type=Path, help="store file to build (if absent) and reopen")
    parser.add_argument(
        "--profile", type=int, default=0, help="print the N costliest functions of the load"
    )
    parser.add_argument(
        "--no-serve", action="store_true", help="skip the lineage serve measurement"
    )
    parser.add_argument("--opens", type=int, default=1, help="open the store N times in a row")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lineage-reopen-") as tmp:
        path = args.store or Path(tmp) / "reopen.db"
        report: dict[str, Any] = {
            "machine": {
                "cpus": os.cpu_count(),
                "python": sys.version.split()[0],
                "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
            },
        }
        if not path.exists():
            report["build"] = {"elements_asked": args.elements, **build(path, args.elements)}
        report["file_mb"] = round(
            sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 2**20, 1
        )
        opens = []
        for _ in range(max(1, args.opens)):
            opened = reopen(path, args.profile)
            elements = opened["nodes"] + opened["edges"]
            opens.append(
                {
                    **{k: round(v, 2) if isinstance(v, float) else v for k, v in opened.items()},
                    "elements": elements,
                    "bytes_per_element": round(
                        (opened["rss_after_mb"] - opened["rss_before_mb"])
                        * 2**20
                        / max(1, elements)
                    ),
                    "load_average": [round(x, 2) for x in os.getloadavg()],
                }
            )
        report["open"] = opens[-1]
        snapshot = path.with_name(path.name + ".snapshot")
        if snapshot.exists():
            report["snapshot_mb"] = round(snapshot.stat().st_size / 2**20, 1)
        if len(opens) > 1:
            report["opens"] = opens
        if not args.no_serve:
            report["serve"] = serve(path, Path(tmp) / "serve.log")
        report["targets"] = {"reopen_seconds_at_1M": 5, "resident_mb_at_1M": 1536}
        report["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
