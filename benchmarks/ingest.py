"""Ingest benchmark: events/s and latency on the embedded store or Neo4j, as JSON.

    python benchmarks/ingest.py                 # all workloads, default sizes
    python benchmarks/ingest.py --only batch single --runs 5000
    python benchmarks/ingest.py --elements 1000000   # the 1M-element memory/reopen check
    python benchmarks/ingest.py --store neo4j://127.0.0.1:7687 --only stages batch
    python benchmarks/ingest.py --only stages batch --runs 3000 --jobs 300 --sql

``--store neo4j://...`` runs the workloads against that Neo4j server instead of a
temporary SQLite file. It WIPES that database before each workload: point it at a
scratch server (``tools/neo4j/neo4j.sh start --port P --dir D``), never at real data.
The memory workload is about the embedded store and is skipped there.

``--sql`` gives every job the query it runs (the ``sql`` job facet, dialect postgres), so
ingest also reads column lineage from SQL. Each job has one query, sent with every event
of every run, as dbt and Airflow do: per output, an INSERT of the output's columns from a
CTE over the first input, joined with the other inputs on their shared key column, with a
WHERE, a GROUP BY and aggregates, over the event's own datasets and schema columns. The
events are otherwise the same as without it, so the difference between the two is what
reading column lineage from SQL costs.

Workloads
- batch:  POST /api/v1/lineage/batch (500 events a request) to a real server process.
- single: one event per POST, sequentially; reports p50/p95/p99 latency.
- concurrent: 8 and 50 producers posting one event per request at once; events/s, latency
          and how many requests each store transaction held (group commit).
- cli:    `lineage ingest events.jsonl --store sqlite:///...` as a subprocess.
- stages: the in-process pipeline split into parse, map and store-write time, and the
          events/s of all of them together (batches of 500).
- memory: builds a store of N graph elements (nodes + edges), then reopens it in a
          fresh process and reports reopen time and resident memory.

Targets (this 2-core machine): batched ingest >= 5,000 events/s on the embedded store and
>= 1,500 events/s on Neo4j; single POST p50 < 10 ms; 1M elements in < 1.5 GB resident and
reopening in < 5 s. With ``--sql``, ingest at most 20% slower than without (each distinct
query is analysed once).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.synthetic import PRODUCER, Warehouse  # noqa: E402
from tests.e2e.server import Server  # noqa: E402

EMBEDDED = "embedded"
BATCH_TARGET = {EMBEDDED: 5000, "neo4j": 1500}
WIPE_TIMEOUT = 1800.0
NEO4J_SCHEMES = ("neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc")


def is_neo4j(store: str) -> bool:
    return store.split("://", 1)[0] in NEO4J_SCHEMES


def store_url(store: str, folder: Path, name: str) -> str:
    """Where a workload writes: a fresh SQLite file, or the Neo4j server, wiped first."""
    if not is_neo4j(store):
        return f"sqlite:///{folder}/{name}.db"
    from lineage.store.neo4j import Neo4jStore

    # Wiping a large graph takes longer than the store's default query timeout.
    Neo4jStore(store, reset_for_tests=True, query_timeout=WIPE_TIMEOUT).close()
    return store


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far: on a shared, loaded machine
    it moves far less than wall time does."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def events(runs: int, jobs: int, seed: int = 7, sql: bool = False) -> list[dict[str, Any]]:
    evs = list(Warehouse(jobs, seed).events(runs))
    if sql:
        queries: dict[str, dict[str, Any]] = {}
        for event in evs:
            name = event["job"]["name"]
            if name not in queries:
                queries[name] = sql_facet(event)
            event["job"]["facets"]["sql"] = queries[name]
    return evs


SQL_SCHEMA = "https://openlineage.io/spec/facets/1-1-0/SQLJobFacet.json#/$defs/SQLJobFacet"
AGGREGATES = ("max({})", "min({})", "count(distinct {})", "sum(cast({} as numeric))", "count({})")


def _schema_columns(dataset: dict[str, Any]) -> list[str]:
    return [f["name"] for f in dataset["facets"]["schema"]["fields"]]


def sql_facet(event: dict[str, Any]) -> dict[str, Any]:
    """The ``sql`` job facet of the event's job: a query over the event's own datasets.

    Depends on the job's name and datasets only (a job's code is the same on every run),
    and draws from its own random generator, leaving the events' untouched.
    """
    rng = random.Random(event["job"]["name"])
    inputs = [(d["name"], _schema_columns(d)) for d in event["inputs"]]
    key = "col_0"  # every synthetic table has it: the join key
    statements = []
    for target in event["outputs"]:
        first, first_columns = inputs[0]
        # Aliases: "base" is the CTE over the first input, i1, i2, ... the other inputs.
        readers = [("base", first_columns)] + [
            (f"i{n}", columns) for n, (_, columns) in enumerate(inputs[1:], start=1)
        ]
        used: dict[str, set[str]] = {alias: {key} for alias, _ in readers}
        dimension = (readers[1][0] if len(readers) > 1 else "base", "col_1")
        used[dimension[0]].add(dimension[1])
        projections = [f"base.{key} as {key}", f"{dimension[0]}.{dimension[1]} as col_1"]
        for column in _schema_columns(target)[2:]:
            alias, columns = rng.choice(readers)
            source = rng.choice(columns)
            used[alias].add(source)
            aggregate = rng.choice(AGGREGATES).format(f"{alias}.{source}")
            projections.append(f"{aggregate} as {column}")
        filtered = rng.choice(first_columns[1:])
        cte_columns = sorted(used["base"] | {filtered}, key=lambda c: int(c.split("_")[1]))
        joins = [
            f"{'join' if n == 1 else 'left join'} {name} as i{n} on i{n}.{key} = base.{key}"
            for n, (name, _) in enumerate(inputs[1:], start=1)
        ]
        where_alias, where_columns = readers[-1]
        where_column = rng.choice(where_columns)
        select_list = ",\n    ".join(projections)
        statements.append(
            f"insert into {target['name']} ({', '.join(_schema_columns(target))})\n"
            f"with base as (\n"
            f"    select {', '.join(cte_columns)}\n"
            f"    from {first}\n"
            f"    where {filtered} is not null\n"
            f")\n"
            f"select\n    {select_list}\n"
            f"from base\n"
            + "".join(f"{join}\n" for join in joins)
            + f"where {where_alias}.{where_column} <> ''\n"
            f"group by base.{key}, {dimension[0]}.{dimension[1]}"
        )
    return {
        "_producer": PRODUCER,
        "_schemaURL": SQL_SCHEMA,
        "query": ";\n\n".join(statements) + ";",
        "dialect": "postgres",
    }


def bench_batch(
    folder: Path, evs: list[dict[str, Any]], size: int = 500, store: str = EMBEDDED
) -> dict[str, Any]:
    target = BATCH_TARGET["neo4j" if is_neo4j(store) else EMBEDDED]
    server = Server(store_url(store, folder, "batch"), folder / "batch.log").start()
    bodies = [orjson.dumps(evs[i : i + size]) for i in range(0, len(evs), size)]
    try:
        assert server.process is not None
        with httpx.Client(base_url=server.url, timeout=120) as client:
            cpu = cpu_seconds(server.process.pid)
            started = time.perf_counter()
            for body in bodies:
                response = client.post(
                    "/api/v1/lineage/batch", content=body, headers={"Content-Type": "application/json"}
                )
                response.raise_for_status()
            elapsed = time.perf_counter() - started
        cpu = cpu_seconds(server.process.pid) - cpu
        rss = peak_rss_mb(server.process.pid)
    finally:
        server.stop()
    return {
        "events": len(evs),
        "batch_size": size,
        "seconds": round(elapsed, 3),
        "events_per_s": round(len(evs) / elapsed),
        # The server's CPU time: what ingest costs, whatever else the machine is doing.
        "server_cpu_us_per_event": round(cpu / len(evs) * 1e6, 1),
        "server_peak_rss_mb": round(rss, 1),
        "target_events_per_s": target,
        "met": len(evs) / elapsed >= target,
    }


def bench_single(folder: Path, evs: list[dict[str, Any]], store: str = EMBEDDED) -> dict[str, Any]:
    server = Server(store_url(store, folder, "single"), folder / "single.log").start()
    latencies = []
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            bodies = [orjson.dumps(e) for e in evs]
            started = time.perf_counter()
            for body in bodies:
                t0 = time.perf_counter()
                response = client.post(
                    "/api/v1/lineage", content=body, headers={"Content-Type": "application/json"}
                )
                latencies.append(time.perf_counter() - t0)
                response.raise_for_status()
            elapsed = time.perf_counter() - started
    finally:
        server.stop()
    qs = statistics.quantiles(latencies, n=100)
    return {
        "events": len(evs),
        "events_per_s": round(len(evs) / elapsed),
        "p50_ms": round(qs[49] * 1000, 2),
        "p95_ms": round(qs[94] * 1000, 2),
        "p99_ms": round(qs[98] * 1000, 2),
        "target_p50_ms": 10,
        "met": qs[49] * 1000 < 10,
    }


def bench_concurrent(
    folder: Path, evs: list[dict[str, Any]], clients: int, store: str = EMBEDDED
) -> dict[str, Any]:
    """``clients`` producers posting one event per request at once (group commit)."""
    import asyncio

    server = Server(store_url(store, folder, f"concurrent{clients}"), folder / "concurrent.log").start()
    bodies = [orjson.dumps(e) for e in evs]
    latencies: list[float] = []

    async def run() -> float:
        limits = httpx.Limits(max_connections=clients)
        async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as client:
            queue = list(reversed(bodies))

            async def producer() -> None:
                while queue:
                    body = queue.pop()
                    t0 = time.perf_counter()
                    r = await client.post(
                        "/api/v1/lineage", content=body, headers={"Content-Type": "application/json"}
                    )
                    latencies.append(time.perf_counter() - t0)
                    r.raise_for_status()

            started = time.perf_counter()
            await asyncio.gather(*(producer() for _ in range(clients)))
            return time.perf_counter() - started

    try:
        elapsed = asyncio.run(run())
        metrics = httpx.get(server.url + "/metrics").text
    finally:
        server.stop()
    per_tx = [
        float(line.split()[-1])
        for line in metrics.splitlines()
        if line.startswith("lineage_requests_per_transaction_") and " " in line and "{" not in line
    ]
    qs = statistics.quantiles(latencies, n=100)
    return {
        "clients": clients,
        "events": len(evs),
        "events_per_s": round(len(evs) / elapsed),
        "p50_ms": round(qs[49] * 1000, 2),
        "p95_ms": round(qs[94] * 1000, 2),
        "p99_ms": round(qs[98] * 1000, 2),
        # lineage_requests_per_transaction _count and _sum: requests a transaction held.
        "requests_per_transaction": round(per_tx[1] / per_tx[0], 1) if len(per_tx) >= 2 and per_tx[0] else None,
    }


def bench_cli(folder: Path, evs: list[dict[str, Any]], store: str = EMBEDDED) -> dict[str, Any]:
    source = folder / "events.jsonl"
    source.write_bytes(b"\n".join(orjson.dumps(e) for e in evs))
    url = store_url(store, folder, "cli")
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "lineage.cli", "ingest", str(source), "--store", url],
        check=True,
        capture_output=True,
    )
    elapsed = time.perf_counter() - started
    return {
        "events": len(evs),
        "seconds_including_startup": round(elapsed, 3),
        "events_per_s": round(len(evs) / elapsed),
    }


def bench_stages(
    folder: Path, evs: list[dict[str, Any]], size: int = 500, store: str = EMBEDDED
) -> dict[str, Any]:
    import gc

    from lineage.events import parse_event
    from lineage.graph.mapping import mutations_for
    from lineage.ingest import item_for
    from lineage.ingest.incidents import with_incidents
    from lineage.store import open_store

    bodies = [orjson.dumps(e) for e in evs]
    # The collector as `lineage serve` sets it: what is loaded is frozen, and collections
    # are rare. Without this, scans of the thousands of events held here dominate.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
    c0 = time.process_time()
    t0 = time.perf_counter()
    decoded = [orjson.loads(b) for b in bodies]
    t1 = time.perf_counter()
    parsed = [parse_event(d) for d in decoded]
    t2 = time.perf_counter()
    for event in parsed:
        mutations_for(event)
    t3 = time.perf_counter()
    c3 = time.process_time()
    items = [item_for(e, b) for e, b in zip(parsed, bodies, strict=True)]
    target = open_store(store_url(store, folder, "stages"))
    incidents = 0.0
    c4 = time.process_time()
    t4 = time.perf_counter()
    for i in range(0, len(items), size):
        started = time.perf_counter()
        chunk = with_incidents(target, items[i : i + size])
        incidents += time.perf_counter() - started
        target.write(chunk)
    t5 = time.perf_counter()
    c5 = time.process_time()
    counts = dict(target.count())
    target.close()
    n = len(evs)
    return {
        "events": n,
        "decode_us_per_event": round((t1 - t0) / n * 1e6, 1),
        "parse_us_per_event": round((t2 - t1) / n * 1e6, 1),
        "map_us_per_event": round((t3 - t2) / n * 1e6, 1),
        # Deciding which incidents the batch opens or resolves (part of the write).
        "incidents_us_per_event": round(incidents / n * 1e6, 1),
        "store_write_us_per_event": round((t5 - t4) / n * 1e6, 1),
        "store_write_events_per_s": round(n / (t5 - t4)),
        # Decode, parse, map, incidents and write: each event through the whole pipeline once.
        "pipeline_events_per_s": round(n / ((t3 - t0) + (t5 - t4))),
        # The same in CPU time, which a loaded machine inflates far less than wall time.
        "pipeline_cpu_us_per_event": round(((c3 - c0) + (c5 - c4)) / n * 1e6, 1),
        "graph": counts,
    }


BUILD_SNIPPET = """
import sys, time, json
sys.path.insert(0, {repo!r})
from benchmarks.synthetic import Warehouse
from lineage.ingest import prepare
from lineage.store.embedded import EmbeddedStore
store = EmbeddedStore({path!r}, durable={durable})
warehouse = Warehouse({jobs})
batch = []
started = time.perf_counter()
total = 0
for event in warehouse.events(10**9):
    batch.append(prepare(event))
    if len(batch) == 1000:
        store.write(batch)
        total += len(batch)
        batch = []
        counts = store.count()
        if counts["nodes"] + counts["edges"] >= {elements}:
            break
counts = dict(store.count())
store.close()
print(json.dumps({{"events": total, "seconds": time.perf_counter() - started, **counts}}))
"""

REOPEN_SNIPPET = """
import sys, time, json
sys.path.insert(0, {repo!r})
started = time.perf_counter()
from lineage.store.embedded import EmbeddedStore
store = EmbeddedStore({path!r})
elapsed = time.perf_counter() - started
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        peak = int(line.split()[1]) / 1024
    if line.startswith("VmRSS:"):
        rss = int(line.split()[1]) / 1024
print(json.dumps({{"reopen_seconds": elapsed, "load_seconds": store.load_seconds,
                   "rss_mb": rss, "peak_rss_mb": peak, **store.count()}}))
"""


def bench_memory(folder: Path, elements: int) -> dict[str, Any]:
    path = str(folder / "memory.db")
    jobs = max(200, elements // 300)
    built = subprocess.run(
        [sys.executable, "-c", BUILD_SNIPPET.format(repo=str(REPO), path=path, jobs=jobs, elements=elements, durable=True)],
        check=True,
        capture_output=True,
        text=True,
    )
    build = json.loads(built.stdout)
    reopened = subprocess.run(
        [sys.executable, "-c", REOPEN_SNIPPET.format(repo=str(REPO), path=path)],
        check=True,
        capture_output=True,
        text=True,
    )
    reopen = json.loads(reopened.stdout)
    return {
        "elements": build["nodes"] + build["edges"],
        "build": {k: round(v, 2) if isinstance(v, float) else v for k, v in build.items()},
        "file_mb": round(os.path.getsize(path) / 2**20, 1),
        "reopen_seconds": round(reopen["reopen_seconds"], 2),
        "resident_mb_after_reopen": round(reopen["rss_mb"], 1),
        "peak_resident_mb": round(reopen["peak_rss_mb"], 1),
        "targets": {"resident_mb": 1536, "reopen_seconds": 5},
        "met": reopen["peak_rss_mb"] < 1536 and reopen["reopen_seconds"] < 5,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10_000, help="runs to send (2 events each)")
    parser.add_argument("--jobs", type=int, default=1_000)
    parser.add_argument("--single", type=int, default=1_000, help="events for the single-POST workload")
    parser.add_argument("--elements", type=int, default=1_000_000, help="graph size for the memory workload")
    parser.add_argument(
        "--only", nargs="*", default=["stages", "batch", "single", "concurrent", "cli", "memory"],
        choices=["stages", "batch", "single", "concurrent", "cli", "memory"],
    )
    parser.add_argument(
        "--sql", action="store_true",
        help="give every job a sql job facet (one query a job), so ingest analyses SQL too",
    )
    parser.add_argument(
        "--store", default=EMBEDDED,
        help="'embedded' (a temporary SQLite file, the default) or a Neo4j URL such as "
        "neo4j://127.0.0.1:7687, whose database is WIPED before each workload",
    )
    args = parser.parse_args()
    store = args.store
    if store != EMBEDDED and not is_neo4j(store):
        parser.error(f"--store: expected 'embedded' or a neo4j:// URL, not {store!r}")
    evs = events(args.runs, args.jobs, sql=args.sql)
    report: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "load_average": [round(x, 2) for x in os.getloadavg()],
        },
        "store": "neo4j" if is_neo4j(store) else EMBEDDED,
        "sql": args.sql,
    }
    with tempfile.TemporaryDirectory(prefix="lineage-bench-") as tmp:
        folder = Path(tmp)
        if "stages" in args.only:
            report["stages"] = bench_stages(folder, evs, store=store)
        if "batch" in args.only:
            report["batch"] = bench_batch(folder, evs, store=store)
        if "single" in args.only:
            report["single"] = bench_single(folder, evs[: args.single], store=store)
        if "concurrent" in args.only:
            report["concurrent"] = [
                bench_concurrent(folder, evs[: args.single], clients, store=store)
                for clients in (8, 50)
            ]
        if "cli" in args.only:
            report["cli"] = bench_cli(folder, evs, store=store)
        if "memory" in args.only:
            if is_neo4j(store):
                report["memory"] = {"skipped": "the memory workload measures the embedded store"}
            else:
                report["memory"] = bench_memory(folder, args.elements)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
