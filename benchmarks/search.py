"""Search benchmark: time searches by name on a warehouse-sized graph, as JSON.

    python benchmarks/search.py --workdir /tmp/search-bench             # build, then search
    python benchmarks/search.py --workdir /tmp/search-bench --reuse     # search what was built
    python benchmarks/search.py --stores neo4j --neo4j neo4j://127.0.0.1:7687

The graph is the lineage benchmark's (``benchmarks/lineage_query.py``): ``10,000 x scale``
jobs of ``benchmarks.synthetic.LayeredWarehouse``, built through the real ingest path. The
Neo4j database is WIPED first unless ``--reuse``.

Each series times ``lineage.analysis.search.search_page`` (what GraphQL's ``search``, and
so the CLI and the explorer, call: the first page of 20 matches and how many there are)
with its defaults (datasets, jobs and fields), for one kind of text people type:

- whole:   a dataset's whole name;
- part:    the last part of a dataset's name (``t_1234``);
- job:     a job's name without its domain (``job_1234``);
- two:     two characters (``l3``), matching much of the graph;
- absent:  a name nothing has;
- typo:    ``lineage.analysis.refs.not_found_message`` for a dataset named with one letter
  swapped (the store's search, then the close names it suggests).

Each series reports count, p50/p95/max latency and matches; the report holds the load
average at start and end (this machine is shared: read wall times against it).
Progress goes to stderr, the report (JSON) to stdout.

Measured 2026-12-06 on this 2-core machine shared with others (load average 13-21), p50 /
p95 in ms, before (every node scanned) and after (FTS5; Neo4j full-text index):

- embedded, 10k jobs (648,896 nodes): whole 3066 / 4448 -> 0.97 / 15.6; part 2620 / 3316
  -> 0.40 / 10.9; job 2799 / 3918 -> 0.46 / 10.5; absent 3460 / 4015 -> 0.04 / 0.11; typo
  2075 / 2484 -> 79 / 290; two 5455 / 24100 -> 1699 / 25952 (about 2,000 matches each,
  whose full properties are read: the search itself is no longer what takes the time).
  Opening the store built before the index (load and building it) took 203 s.
- Neo4j, 2k jobs (scale 0.2, 126,646 nodes): whole 716 / 1215 -> 30 / 125; part 874 /
  1470 -> 16 / 43; job 947 / 1412 -> 16 / 37; absent 927 / 1492 -> 4 / 46; two 1339 /
  2221 -> 368 / 2791; typo 110 / 467 -> 143 / 691 (more parts of the name looked up, for
  suggestions the start and end alone missed).

Measured 2026-12-07 (load average 14-16), a page of 20 and the total instead of every
match read whole, embedded store, scale 0.05 (31,152 nodes), median of 5 ms before ->
after: ``t_`` (920 matches) 1730 -> 23; ``_1`` (9,756) 740 -> 458; ``l3`` (90) 22 -> 14.
The series above at that scale, p50 / p95: two 90 / 332 -> 129 / 189 (embedded), 215 /
2202 -> 158 / 266 (Neo4j); with under a hundred matches the scan of every text, not
reading nodes, is what takes the time.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.lineage_query import (  # noqa: E402
    BASE_JOBS,
    build,
    graph_size,
    log,
    ms,
    open_neo4j,
    open_store,
    percentiles,
)
from benchmarks.synthetic import NS, LayeredWarehouse  # noqa: E402
from lineage.analysis.refs import not_found_message  # noqa: E402
from lineage.analysis.search import search_page  # noqa: E402
from lineage.graph.model import dataset_id  # noqa: E402
from lineage.store.base import GraphStore  # noqa: E402

SERIES = ("whole", "part", "job", "two", "absent", "typo")


def texts(warehouse: LayeredWarehouse, count: int, seed: int) -> dict[str, list[str]]:
    """``count`` texts of each series, the same for every store and every run."""
    rng = random.Random(seed)
    tables = [t[0] for t in warehouse.tables]
    jobs = [j[0] for j in warehouse.jobs]
    chosen = rng.sample(tables, count)
    typos = []
    for name in chosen:
        head, last = name.rsplit(".", 1)
        at = rng.randrange(len(last) - 1)
        swapped = last[:at] + last[at + 1] + last[at] + last[at + 2 :]
        typos.append(f"{head}.{swapped}" if swapped != last else f"{head}.{last}x")
    return {
        "whole": chosen,
        "part": [name.rsplit(".", 1)[-1] for name in rng.sample(tables, count)],
        "job": [name.rsplit(".", 1)[-1] for name in rng.sample(jobs, count)],
        "two": [f"l{rng.randrange(1, 10)}" for _ in range(count)],
        "absent": [f"no_such_table_{i}" for i in range(count)],
        "typo": typos,
    }


def series_fn(kind: str, store: GraphStore) -> Callable[[str], int]:
    """One timed call of ``kind``: text -> how many nodes it matched (or suggested)."""
    if kind == "typo":
        return lambda text: not_found_message(store, dataset_id(NS, text)).count(" in '")
    return lambda text: search_page(store, text).total


def run_series(
    kind: str, store: GraphStore, queries: list[str], warmup: int, seconds: float
) -> dict[str, Any]:
    fn = series_fn(kind, store)
    for text in queries[:warmup]:
        fn(text)
    latencies: list[float] = []
    matches: list[int] = []
    stop = time.perf_counter() + seconds
    for text in queries[warmup:]:
        t0 = time.perf_counter()
        matches.append(fn(text))
        latencies.append(time.perf_counter() - t0)
        if time.perf_counter() > stop:
            break
    qs = percentiles(latencies)
    return {
        "count": len(latencies),
        "p50_ms": ms(qs["p50"]),
        "p95_ms": ms(qs["p95"]),
        "max_ms": ms(max(latencies)),
        "matches_p50": sorted(matches)[len(matches) // 2],
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0, help="x 10,000 jobs")
    parser.add_argument("--stores", nargs="+", default=["embedded"], choices=["embedded", "neo4j"])
    parser.add_argument(
        "--neo4j", default="neo4j://127.0.0.1:7687", help="Neo4j URL (its database is wiped)"
    )
    parser.add_argument("--write-timeout", type=float, default=300.0)
    parser.add_argument("--query-timeout", type=float, default=30.0)
    parser.add_argument("--batch", type=int, default=500, help="events per store.write")
    parser.add_argument("--queries", type=int, default=50, help="texts per series")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured texts per series")
    parser.add_argument("--series", nargs="+", default=list(SERIES), choices=SERIES)
    parser.add_argument(
        "--series-seconds", type=float, default=60.0, help="stop a series after this long"
    )
    parser.add_argument("--seed", type=int, default=7, help="seeds the warehouse and the texts")
    parser.add_argument("--workdir", type=Path, help="keep the embedded store here")
    parser.add_argument(
        "--reuse", action="store_true", help="search the stores a previous run built"
    )
    args = parser.parse_args()
    if args.reuse and not args.workdir and "embedded" in args.stores:
        parser.error("--reuse needs the --workdir of the run that built the embedded store")

    warehouse = LayeredWarehouse(max(10, round(BASE_JOBS * args.scale)), seed=args.seed)
    asked = texts(warehouse, args.queries + args.warmup, args.seed + 2)
    report: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "estate": warehouse.stats(),
        "build": {},
        "open_seconds": {},
        "graph": {},
        "search": {},
    }
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="lineage-search-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        for name in args.stores:
            t0 = time.perf_counter()
            store = open_store(name, args, workdir, fresh=not args.reuse)
            report["open_seconds"][name] = round(time.perf_counter() - t0, 1)
            try:
                if not args.reuse:
                    report["build"][name] = build(name, warehouse, store, args.batch)
                if name == "neo4j":
                    store.close()
                    store = open_neo4j(args.neo4j, args.query_timeout)
                gc.collect()
                report["graph"][name] = graph_size(name, store, args, workdir)
                for kind in args.series:
                    result = run_series(kind, store, asked[kind], args.warmup, args.series_seconds)
                    report["search"].setdefault(name, {})[kind] = result
                    log(f"{name} {kind}: {result}")
            finally:
                store.close()
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    sys.stdout.write(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n")


if __name__ == "__main__":
    main()
