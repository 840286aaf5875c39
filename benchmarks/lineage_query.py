"""Lineage query benchmark: build a warehouse-sized graph, then time lineage queries, as JSON.

    python benchmarks/lineage_query.py                                   # both stores, 10k jobs
    python benchmarks/lineage_query.py --stores embedded --scale 0.2     # 2k jobs / 6k datasets
    python benchmarks/lineage_query.py --scale 10                        # 100k jobs / 300k datasets
    python benchmarks/lineage_query.py --neo4j neo4j://127.0.0.1:7687 --queries 200

The graph is ``benchmarks.synthetic.LayeredWarehouse``: ``10,000 x scale`` jobs and three
times as many datasets, in domains of layered pipelines with skewed fan-in and fan-out,
shared hub tables and column lineage (field-level and dataset-wide). It is built through
the real ingest path, one run (START and COMPLETE) per job: ``lineage.ingest.prepare``
(parse, then mapping) and ``store.write`` in batches. The Neo4j database is WIPED first:
point ``--neo4j`` at a scratch server (``tools/neo4j/neo4j.sh start --port P --dir D``).

One store at a time is built, queried, profiled and released, so neither store's memory
(and garbage collection) weighs on the other's figures. By default the queries run in the
process that built the graph, as in a server that ingested it; ``--like-serve`` reopens the
embedded store and sets up the garbage collector the way ``lineage serve`` does at startup. From random start nodes (fixed
seed, the same ones on every store), upstream and downstream queries at each depth of
``--depths``:

- dataset_lineage: ``lineage.analysis.lineage.lineage`` at DATASET granularity (what the
  API answers: aliases merged, node budget applied);
- dataset_expand:  the store's ``expand`` over INPUT_TO / PRODUCES;
- column_lineage:  ``lineage`` at COLUMN granularity, from a field, over FEEDS;
- column_expand:   the store's ``expand`` over FEEDS;
- dataset_lineage_details (only with ``--kinds``): dataset_lineage, then every property of
  every node of the answer read (facets and schemas included: one more store call).

An answer's nodes carry their light properties (identity, kind, validity, state); the rest
are read from the store when first asked for, in one call for the whole answer, so
dataset_lineage and column_lineage time what an answer that shows names and ids costs.

A hop is one edge (dataset -> job -> dataset is two), the node budget is ``--node-budget``
for both layers. Each series reports count, p50/p95/p99/max latency and answer sizes; a
series stops early after ``--series-seconds`` (its count says how many ran), and a query
stops after ``--query-timeout`` (counted in ``timeouts``, its time kept as a lower bound).

Targets (the 10k-job graph, this 2-core machine): dataset lineage at depth 20 p95 < 50 ms
on the embedded store and < 150 ms on Neo4j; column lineage p95 < 300 ms on both (checked
at every depth measured). ``targets`` says met or not for each, judged on the analysis
layer; the expand figures are there to show what the analysis layer adds. For every
missed target, ``profiles`` holds the slowest query of that series re-run under cProfile
(the top Python functions) and, on Neo4j, every statement it sent replayed with server
timings and the ``PROFILE`` plan (operators, rows, db hits) of the costliest ones.

Each series also reports the CPU time of this process per query (``cpu_p50_ms``,
``cpu_p95_ms``; on Neo4j the client's share only), which a shared machine's load inflates
far less than wall time; the ``profiles`` give Neo4j's server timings. On Neo4j the
benchmark's own model of the warehouse is frozen out of the garbage collector before the
queries (no server holds one, and its full collections would be charged to them).

Progress goes to stderr, the report (JSON) to stdout; the last lines on stderr say each
target met or missed, with the load average at start and end (every series records it too).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import os
import platform
import pstats
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.synthetic import NS, LayeredWarehouse  # noqa: E402
from lineage.analysis.lineage import Granularity, lineage  # noqa: E402
from lineage.graph.model import EdgeKind, dataset_id, field_id  # noqa: E402
from lineage.ingest import prepare  # noqa: E402
from lineage.store.base import Direction, GraphStore, IngestItem  # noqa: E402

BASE_JOBS = 10_000
KINDS = ("dataset_lineage", "dataset_expand", "column_lineage", "column_expand")
#: Asked for by name only: dataset lineage whose every node's properties are then read
#: (an answer that shows facets and schemas of all its nodes).
EXTRA_KINDS = ("dataset_lineage_details",)
DIRECTIONS = (Direction.UPSTREAM, Direction.DOWNSTREAM)
#: p95 targets in ms: (query kind, store) -> ms, and at which depths they are judged.
TARGETS = {
    ("dataset_lineage", "embedded"): 50.0,
    ("dataset_lineage", "neo4j"): 150.0,
    ("column_lineage", "embedded"): 300.0,
    ("column_lineage", "neo4j"): 300.0,
}
DATASET_TARGET_DEPTH = 20
WIPE_TIMEOUT = 1800.0
#: What ``lineage serve`` sets once its store is loaded (with gc.collect() and gc.freeze()).
SERVE_GC_THRESHOLD = (50_000, 50, 100)
PROJECTION = (EdgeKind.INPUT_TO, EdgeKind.PRODUCES)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def rss_mb() -> float:
    """This process's resident memory now, MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb() -> float:
    """The most resident memory this process has held, MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class OutOfMemoryBudget(Exception):
    """The build passed ``--max-rss-gb``: what it had done by then is in ``progress``."""

    def __init__(self, progress: dict[str, Any]) -> None:
        super().__init__(progress["stopped"])
        self.progress = progress


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    if len(values) == 1:
        return {"p50": values[0], "p95": values[0], "p99": values[0]}
    qs = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": qs[49], "p95": qs[94], "p99": qs[98]}


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


# -- stores --------------------------------------------------------------------------------


def neo4j_auth() -> tuple[str, str] | None:
    password = os.environ.get("LINEAGE_NEO4J_PASSWORD")
    return (os.environ.get("LINEAGE_NEO4J_USER") or "neo4j", password) if password else None


def open_neo4j(url: str, timeout: float, fresh: bool = False) -> GraphStore:
    from lineage.store.neo4j import Neo4jStore

    if fresh:  # wiping a large graph takes longer than any query should
        Neo4jStore(url, reset_for_tests=True, query_timeout=WIPE_TIMEOUT).close()
    return Neo4jStore(url, query_timeout=timeout)


def open_store(name: str, args: argparse.Namespace, folder: Path, fresh: bool) -> GraphStore:
    if name == "neo4j":
        return open_neo4j(args.neo4j, args.write_timeout, fresh)
    from lineage.store.embedded import EmbeddedStore

    path = folder / "lineage.db"
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    store = EmbeddedStore(path)
    if not fresh:
        log(f"embedded: reopened {path} in {time.perf_counter() - started:.1f}s")
    return store


def graph_size(
    name: str, store: GraphStore, args: argparse.Namespace, folder: Path
) -> dict[str, Any]:
    size: dict[str, Any] = dict(store.count())
    if name == "embedded":
        size["file_mb"] = round(
            sum(p.stat().st_size for p in folder.glob("lineage.db*")) / 2**20, 1
        )
        return size
    from neo4j import GraphDatabase

    with GraphDatabase.driver(args.neo4j, auth=neo4j_auth()) as driver, driver.session() as s:
        labels = [r["label"] for r in s.run("CALL db.labels() YIELD label RETURN label")]
        types = [
            r["t"]
            for r in s.run("CALL db.relationshipTypes() YIELD relationshipType AS t RETURN t")
        ]
        by_label = {
            label: s.run(f"MATCH (n:`{label}`) RETURN count(n) AS n").single()["n"]  # type: ignore[index]
            for label in labels
        }
        by_type = {
            t: s.run(f"MATCH ()-[r:`{t}`]->() RETURN count(r) AS n").single()["n"]  # type: ignore[index]
            for t in types
        }
    size["nodes_by_label"] = dict(sorted(by_label.items()))
    size["edges_by_type"] = dict(sorted(by_type.items()))
    return size


# -- build ---------------------------------------------------------------------------------


def batches(warehouse: LayeredWarehouse, size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for event in warehouse.events():
        batch.append(event)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def build(
    name: str,
    warehouse: LayeredWarehouse,
    store: GraphStore,
    size: int,
    max_rss_mb: float | None = None,
) -> dict[str, Any]:
    """Stream the warehouse's events through prepare() and store.write(), timed, with this
    process's resident memory sampled after every tenth of the build. Past ``max_rss_mb``
    it stops and raises :class:`OutOfMemoryBudget` with what was built by then."""
    generate = prepare_s = 0.0
    writes: list[float] = []
    events = 0
    total = 2 * len(warehouse.jobs)
    step = max(1, total // size // 10)
    source = batches(warehouse, size)
    memory: list[dict[str, float]] = []
    started = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        raws = next(source, None)
        t1 = time.perf_counter()
        generate += t1 - t0
        if raws is None:
            break
        items: list[IngestItem] = [prepare(raw) for raw in raws]
        t2 = time.perf_counter()
        prepare_s += t2 - t1
        store.write(items)
        writes.append(time.perf_counter() - t2)
        events += len(items)
        if len(writes) % step == 0 or (max_rss_mb and rss_mb() > max_rss_mb):
            rss = rss_mb()
            memory.append(
                {
                    "events": events,
                    "seconds": round(time.perf_counter() - started, 1),
                    "rss_mb": round(rss),
                }
            )
            log(
                f"{name} build: {events}/{total} events "
                f"(prepare {prepare_s:.0f}s, write {sum(writes):.0f}s, resident {rss:.0f} MB)"
            )
            if max_rss_mb and rss > max_rss_mb:
                raise OutOfMemoryBudget(
                    {
                        "events": events,
                        "of_events": total,
                        "seconds": round(time.perf_counter() - started, 1),
                        "memory": memory,
                        "stopped": f"resident memory {rss:.0f} MB passed --max-rss-gb after "
                        f"{events} of {total} events",
                    }
                )
    spent = sum(writes)
    qs = percentiles(writes)
    return {
        "memory": memory,
        "rss_mb_after_build": round(rss_mb()),
        "peak_rss_mb": round(peak_rss_mb()),
        "events": events,
        "batch_size": size,
        "seconds": round(generate + prepare_s + spent, 1),
        "events_per_s": round(events / (prepare_s + spent)),
        "generate_seconds": round(generate, 1),
        "prepare_seconds": round(prepare_s, 1),
        "prepare_events_per_s": round(events / prepare_s),
        "write_seconds": round(spent, 1),
        "write_events_per_s": round(events / spent),
        "batch_write_ms": {"p50": ms(qs["p50"]), "p95": ms(qs["p95"]), "max": ms(max(writes))},
    }


# -- queries -------------------------------------------------------------------------------


def sample_starts(
    warehouse: LayeredWarehouse, store: GraphStore, count: int, seed: int
) -> tuple[list[str], list[str]]:
    """``count`` datasets and ``count`` fields (uniform over all fields), all in the graph."""
    rng = random.Random(seed)
    used = sorted({t for _, inputs, outputs in warehouse.jobs for t in (*inputs, *outputs)})
    weights = [len(warehouse.tables[t][1]) for t in used]
    datasets: list[str] = []
    fields: list[str] = []
    for _ in range(20):
        if len(datasets) >= count and len(fields) >= count:
            break
        want = [
            dataset_id(NS, warehouse.tables[t][0])
            for t in rng.sample(used, min(len(used), 2 * count))
        ]
        found = store.get_nodes(want)
        datasets += [d for d in want if d in found and d not in datasets]
        picks = rng.choices(used, weights=weights, k=2 * count)
        want = [
            field_id(NS, warehouse.tables[t][0], rng.choice(warehouse.tables[t][1])) for t in picks
        ]
        found = store.get_nodes(want)
        fields += [f for f in dict.fromkeys(want) if f in found and f not in fields]
    return datasets[:count], fields[:count]


def query_fn(
    kind: str,
    store: GraphStore,
    direction: Direction,
    depth: int,
    budget: int,
    timeout: float | None = None,
) -> Callable[[str], tuple[int, int, bool]]:
    """One query of ``kind``: start id -> (nodes, edges, truncated).

    ``timeout`` is the analysis layer's deadline (checked between store calls); the
    store's own query timeout bounds each call, the expand included.
    """
    if "_lineage" in kind:
        granularity = Granularity.COLUMN if kind.startswith("column") else Granularity.DATASET
        details = kind.endswith("_details")

        def analysis(start: str) -> tuple[int, int, bool]:
            deadline = time.monotonic() + timeout if timeout else None
            graph = lineage(
                store,
                start,
                direction,
                depth,
                granularity=granularity,
                node_budget=budget,
                deadline=deadline,
            )
            if details:
                for node in graph.nodes.values():
                    dict(node.props)
            return len(graph.nodes), len(graph.edges), graph.truncated

        return analysis
    kinds = PROJECTION if kind == "dataset_expand" else (EdgeKind.FEEDS,)

    def expand(start: str) -> tuple[int, int, bool]:
        sub = store.expand([start], direction, kinds, depth, node_limit=budget)
        return len(sub.nodes), len(sub.edges), sub.truncated

    return expand


class GcClock:
    """Time spent in the cyclic garbage collector, from ``gc.callbacks``."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.full_collections = 0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.full_collections += info.get("generation") == 2

    def __enter__(self) -> GcClock:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


def run_series(
    fn: Callable[[str], tuple[int, int, bool]],
    starts: list[str],
    cap_seconds: float,
    timeout: float,
) -> tuple[dict[str, Any], list[tuple[float, str]]]:
    """Time ``fn`` from each start. A query that times out counts with the time it took
    (a lower bound) and in ``timeouts``; any other failure only in ``errors``."""
    latencies: list[tuple[float, str]] = []
    cpu: list[float] = []
    sizes: list[int] = []
    truncated = timeouts = 0
    errors: list[str] = []
    gc_worst = 0.0
    began = time.perf_counter()
    with GcClock() as clock:
        for start in starts:
            t0 = time.perf_counter()
            c0 = time.process_time()
            gc_before = clock.seconds
            try:
                nodes, _, cut = fn(start)
            except Exception as exc:  # a failed query is counted, not fatal
                elapsed = time.perf_counter() - t0
                if elapsed >= timeout * 0.9:
                    latencies.append((elapsed, start))
                    timeouts += 1
                else:
                    errors.append(f"{type(exc).__name__}: {exc}"[:300])
            else:
                latencies.append((time.perf_counter() - t0, start))
                cpu.append(time.process_time() - c0)
                sizes.append(nodes)
                truncated += cut
            gc_worst = max(gc_worst, clock.seconds - gc_before)
            if time.perf_counter() - began > cap_seconds:
                break
    times = [t for t, _ in latencies]
    qs = percentiles(times)
    size_qs = percentiles([float(s) for s in sizes])
    result: dict[str, Any] = {
        "count": len(times),
        "p50_ms": ms(qs["p50"]) if times else None,
        "p95_ms": ms(qs["p95"]) if times else None,
        "p99_ms": ms(qs["p99"]) if times else None,
        "max_ms": ms(max(times)) if times else None,
        "mean_ms": ms(statistics.fmean(times)) if times else None,
        # CPU time of this process (on Neo4j the client's share only): what the load of
        # a shared machine inflates least.
        "cpu_p50_ms": ms(percentiles(cpu)["p50"]) if cpu else None,
        "cpu_p95_ms": ms(percentiles(cpu)["p95"]) if cpu else None,
        "nodes_p50": round(size_qs["p50"]) if sizes else None,
        "nodes_p95": round(size_qs["p95"]) if sizes else None,
        "nodes_max": max(sizes) if sizes else None,
        "truncated": truncated,
        "timeouts": timeouts,
        "errors": len(errors),
        "gc_ms_total": ms(clock.seconds),
        "gc_ms_worst_query": ms(gc_worst),
        "gc_full_collections": clock.full_collections,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }
    if errors:
        result["first_error"] = errors[0]
    if len(times) + len(errors) < len(starts):
        result["stopped_after_seconds"] = cap_seconds
    return result, latencies


def run_queries(
    name: str, store: GraphStore, args: argparse.Namespace, datasets: list[str], fields: list[str]
) -> tuple[dict[str, Any], dict[tuple[str, str, int], list[tuple[float, str]]]]:
    # Warm up caches and query plans on other starts than the measured ones.
    for kind in args.kinds:
        starts = fields if kind.startswith("column") else datasets
        for direction in DIRECTIONS:
            fn = query_fn(kind, store, direction, 10, args.node_budget, args.query_timeout)
            for start in starts[-args.warmup :] if args.warmup else []:
                with contextlib.suppress(Exception):  # failures are counted when measured
                    fn(start)
    results: dict[str, Any] = {}
    samples: dict[tuple[str, str, int], list[tuple[float, str]]] = {}
    for kind in args.kinds:
        starts = fields if kind.startswith("column") else datasets
        measured = starts[: args.queries]
        for direction in DIRECTIONS:
            for depth in args.depths:
                fn = query_fn(kind, store, direction, depth, args.node_budget, args.query_timeout)
                t0 = time.perf_counter()
                result, latencies = run_series(
                    fn, measured, args.series_seconds, args.query_timeout
                )
                results.setdefault(kind, {}).setdefault(direction.value, {})[str(depth)] = result
                samples[(kind, direction.value, depth)] = latencies
                log(
                    f"{name} {kind} {direction.value} depth {depth}: n={result['count']} "
                    f"p50={result['p50_ms']} p95={result['p95_ms']} p99={result['p99_ms']} ms "
                    f"cpu p95={result['cpu_p95_ms']} ms "
                    f"nodes p95={result['nodes_p95']} timeouts={result['timeouts']} "
                    f"errors={result['errors']} gc={result['gc_ms_total']}ms "
                    f"({time.perf_counter() - t0:.0f}s)"
                )
    return results, samples


def judge(queries: dict[str, dict[str, Any]], depths: list[int]) -> list[dict[str, Any]]:
    """One entry per target and store: the worst p95 it is judged on, and met or not."""
    verdicts = []
    for (kind, store), target in TARGETS.items():
        series = queries.get(store, {}).get(kind)
        if not series:
            continue
        judged_depths = [DATASET_TARGET_DEPTH] if kind == "dataset_lineage" else depths
        checked = []
        for direction, by_depth in series.items():
            for depth in judged_depths:
                result = by_depth.get(str(depth))
                if result and result["p95_ms"] is not None:
                    checked.append((result["p95_ms"], direction, depth))
        if not checked:
            continue
        worst = max(checked)
        expand_kind = kind.replace("_lineage", "_expand")
        expand = queries[store].get(expand_kind, {}).get(worst[1], {}).get(str(worst[2]), {})
        verdicts.append(
            {
                "target": f"{kind} p95 < {target:g} ms"
                + (
                    f" at depth {DATASET_TARGET_DEPTH}"
                    if kind == "dataset_lineage"
                    else " at every depth"
                ),
                "store": store,
                "worst_p95_ms": worst[0],
                "worst_series": f"{kind} {worst[1]} depth {worst[2]}",
                "worst_series_cpu_p95_ms": series[worst[1]][str(worst[2])].get("cpu_p95_ms"),
                f"{expand_kind}_p95_ms": expand.get("p95_ms"),
                "all_p95_ms": {
                    f"{d} depth {dp}": v for v, d, dp in sorted(checked, key=lambda c: (c[1], c[2]))
                },
                "met": all(v < target for v, _, _ in checked),
            }
        )
    return verdicts


# -- profiles ------------------------------------------------------------------------------


def python_profile(fn: Callable[[str], Any], start: str, top: int = 12) -> dict[str, Any]:
    """The query under cProfile. A garbage collection is charged to whichever function
    allocated when it started (often ``orjson.loads``): ``gc_ms`` says how much that was."""
    profiler = cProfile.Profile()
    with GcClock() as clock:
        t0 = time.perf_counter()
        profiler.enable()
        fn(start)
        profiler.disable()
        wall = time.perf_counter() - t0
    stats = pstats.Stats(profiler)
    rows = []
    for (path, line, func), (_, calls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append((tottime, calls, cumtime, f"{Path(path).name}:{line}({func})"))
    rows.sort(reverse=True)
    socket_wait = sum(
        t for t, _, _, where in rows if "recv_into" in where or "recv" in where.split("(")[-1]
    )
    return {
        "wall_ms_under_cprofile": ms(wall),
        "gc_ms": ms(clock.seconds),
        "gc_full_collections": clock.full_collections,
        "socket_wait_ms": ms(socket_wait),
        "top_by_own_time": [
            {"function": where, "calls": calls, "own_ms": ms(tot), "cumulative_ms": ms(cum)}
            for tot, calls, cum, where in rows[:top]
        ],
    }


def capture_statements(
    fn: Callable[[str], Any], start: str
) -> tuple[float, list[tuple[str, dict[str, Any]]]]:
    """Run one query, recording every Cypher statement the store sends and its parameters."""
    from neo4j import ManagedTransaction

    sent: list[tuple[str, dict[str, Any]]] = []
    original = ManagedTransaction.run

    def recording(self: Any, query: Any, parameters: Any = None, **kwargs: Any) -> Any:
        sent.append((str(getattr(query, "text", query)), {**(parameters or {}), **kwargs}))
        return original(self, query, parameters, **kwargs)

    ManagedTransaction.run = recording  # type: ignore[method-assign]
    try:
        t0 = time.perf_counter()
        fn(start)
        wall = time.perf_counter() - t0
    finally:
        ManagedTransaction.run = original  # type: ignore[method-assign]
    return wall, sent


def plan_rows(plan: dict[str, Any], depth: int = 0) -> list[dict[str, Any]]:
    args = plan.get("args", {})
    rows = [
        {
            "operator": "  " * depth + str(plan.get("operatorType", "?")).split("@")[0],
            "details": str(args.get("Details", ""))[:200],
            "rows": plan.get("rows"),
            "db_hits": plan.get("dbHits"),
            "estimated_rows": round(float(args.get("EstimatedRows", 0)), 1),
        }
    ]
    for child in plan.get("children", []):
        rows += plan_rows(child, depth + 1)
    return rows


def neo4j_profile(url: str, fn: Callable[[str], Any], start: str, top: int = 2) -> dict[str, Any]:
    """Replay each statement one query sent, with server timings; PROFILE the costliest."""
    from neo4j import GraphDatabase

    wall, sent = capture_statements(fn, start)
    replayed = []
    with GraphDatabase.driver(url, auth=neo4j_auth()) as driver, driver.session() as session:
        for i, (text, params) in enumerate(sent):
            t0 = time.perf_counter()
            result = session.run(text, params)
            rows = len(list(result))
            summary = result.consume()
            client = time.perf_counter() - t0
            server = (summary.result_available_after or 0) + (summary.result_consumed_after or 0)
            replayed.append((server, i, rows, client))
        by_text: dict[str, dict[str, Any]] = {}
        for server, i, rows, client in replayed:
            text = sent[i][0]
            entry = by_text.setdefault(
                text, {"statement": text, "times": 0, "server_ms": 0, "rows": 0, "client_ms": 0.0}
            )
            entry["times"] += 1
            entry["server_ms"] += server
            entry["rows"] += rows
            entry["client_ms"] = round(entry["client_ms"] + client * 1000, 1)
        costliest = sorted(replayed, reverse=True)[:top]
        plans = []
        for server, i, rows, _ in costliest:
            text, params = sent[i]
            result = session.run("PROFILE " + text, params)
            for _ in result:  # the plan's counters are known once every row is read
                pass
            summary = result.consume()
            plan = summary.profile or {}
            operators = plan_rows(plan)
            plans.append(
                {
                    "statement": text,
                    "frontier_ids": len(params.get("ids", []) or []),
                    "server_ms": server,
                    "rows": rows,
                    "total_db_hits": sum(op["db_hits"] or 0 for op in operators),
                    "operators": operators,
                }
            )
    return {
        "wall_ms": ms(wall),
        "statements_sent": len(sent),
        "server_ms_total": sum(r[0] for r in replayed),
        "by_statement": sorted(by_text.values(), key=lambda e: -e["server_ms"]),
        "plans": plans,
    }


def profiles_for_misses(
    verdicts: list[dict[str, Any]],
    name: str,
    store: GraphStore,
    samples: dict[tuple[str, str, int], list[tuple[float, str]]],
    args: argparse.Namespace,
) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for verdict in verdicts:
        if verdict["met"] or verdict["store"] != name:
            continue
        kind, direction, _, depth = verdict["worst_series"].split()
        latencies = samples[(kind, direction, int(depth))]
        if not latencies:
            continue
        slowest_s, start = max(latencies)
        entry: dict[str, Any] = {"start": start, "measured_ms": ms(slowest_s)}
        for variant in (kind, kind.replace("_lineage", "_expand")):
            fn = query_fn(
                variant,
                store,
                Direction(direction),
                int(depth),
                args.node_budget,
                args.query_timeout,
            )
            part: dict[str, Any] = {}
            try:
                part["python"] = python_profile(fn, start)
                if name == "neo4j":
                    part["neo4j"] = neo4j_profile(args.neo4j, fn, start)
            except Exception as exc:  # a profile is a diagnosis, never worth the report
                part["error"] = f"{type(exc).__name__}: {exc}"[:500]
            entry[variant] = part
        found[f"{name}: {verdict['worst_series']}"] = entry
        log(f"profiled {name} {verdict['worst_series']} from {start}")
    return found


# -- main ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="x 10,000 jobs and x 30,000 datasets (10: 100k / 300k)",
    )
    parser.add_argument(
        "--stores", nargs="+", default=["embedded", "neo4j"], choices=["embedded", "neo4j"]
    )
    parser.add_argument(
        "--neo4j", default="neo4j://127.0.0.1:7687", help="Neo4j URL (its database is wiped)"
    )
    parser.add_argument(
        "--write-timeout",
        type=float,
        default=300.0,
        help="Neo4jStore query_timeout while building, seconds (a write allows more per event)",
    )
    parser.add_argument(
        "--query-timeout",
        type=float,
        default=10.0,
        help="seconds one measured query may take: the analysis layer's deadline and the "
        "Neo4j store's query_timeout; a query that runs out counts with the time it took",
    )
    parser.add_argument("--batch", type=int, default=500, help="events per store.write")
    parser.add_argument(
        "--max-rss-gb",
        type=float,
        help="stop building once this process holds more resident memory (GB), and report "
        "how far the build got instead of querying (for --scale 10 on a small machine)",
    )
    parser.add_argument("--queries", type=int, default=100, help="start nodes per series")
    parser.add_argument(
        "--warmup", type=int, default=5, help="unmeasured queries per kind and direction"
    )
    parser.add_argument("--depths", type=int, nargs="+", default=[5, 10, 20])
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=[*KINDS, *EXTRA_KINDS])
    parser.add_argument("--node-budget", type=int, default=5000, help="most nodes in one answer")
    parser.add_argument(
        "--series-seconds", type=float, default=60.0, help="stop a series after this long"
    )
    parser.add_argument(
        "--seed", type=int, default=7, help="seeds the warehouse and the start nodes"
    )
    parser.add_argument(
        "--workdir", type=Path, help="keep the embedded store here (default: a temporary folder)"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="query the stores a previous run built, build nothing"
    )
    parser.add_argument(
        "--no-profiles", action="store_true", help="skip profiling the series that miss a target"
    )
    parser.add_argument(
        "--like-serve",
        action="store_true",
        help="query as a freshly started `lineage serve` would: the embedded store reopened "
        "from disk, then the loaded objects frozen out of the garbage collector and its "
        "thresholds raised, as serve does at startup (default: the graph as ingested by a "
        "running process, which serve does not freeze)",
    )
    args = parser.parse_args()
    if args.reuse and not args.workdir and "embedded" in args.stores:
        parser.error("--reuse needs the --workdir of the run that built the embedded store")

    stages: dict[str, float] = {}
    t0 = time.perf_counter()
    jobs = max(10, round(BASE_JOBS * args.scale))
    warehouse = LayeredWarehouse(jobs, seed=args.seed)
    stages["estate"] = time.perf_counter() - t0
    report: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "estate": warehouse.stats(),
    }
    log(f"estate: {report['estate']}")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="lineage-query-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    default_gc = gc.get_threshold()
    for key in ("build", "graph", "starts", "queries", "profiles"):
        report[key] = {}
    report["targets"] = []
    try:
        # One store at a time, each alone in this process's memory: the embedded store's
        # in-memory graph would otherwise slow the Neo4j client down (garbage collection).
        for name in args.stores:
            store = open_store(name, args, workdir, fresh=not args.reuse)
            try:
                if not args.reuse:
                    t0 = time.perf_counter()
                    budget = args.max_rss_gb * 1024 if args.max_rss_gb else None
                    try:
                        report["build"][name] = build(name, warehouse, store, args.batch, budget)
                    except OutOfMemoryBudget as stop:
                        report["build"][name] = stop.progress
                        log(f"{name} build stopped: {stop}")
                        continue
                    stages[f"build: {name}"] = time.perf_counter() - t0
                    warehouse.forget_events()
                if name == "neo4j":  # queries run with their own, shorter timeout
                    store.close()
                    store = open_neo4j(args.neo4j, args.query_timeout)
                elif args.like_serve and not args.reuse:  # a restart loads what was built
                    t0 = time.perf_counter()
                    store.close()
                    closed = time.perf_counter() - t0
                    del store
                    gc.collect()
                    t0 = time.perf_counter()
                    store = open_store(name, args, workdir, fresh=False)
                    report["build"][name]["close_seconds"] = round(closed, 1)
                    report["build"][name]["reopen_seconds"] = round(time.perf_counter() - t0, 1)
                gc.collect()
                if args.like_serve or name == "neo4j":
                    # A Neo4j store holds no graph in this process: what is here is the
                    # benchmark's own model of the warehouse, which no server has, and
                    # whose full collections would be charged to the queries.
                    gc.freeze()
                if args.like_serve:
                    gc.set_threshold(*SERVE_GC_THRESHOLD)
                report["graph"][name] = graph_size(name, store, args, workdir)
                size = report["graph"][name]
                size["python_objects_in_process"] = len(gc.get_objects()) + gc.get_freeze_count()
                size["python_objects_frozen"] = gc.get_freeze_count()
                size["rss_mb"] = round(rss_mb())
                size["peak_rss_mb"] = round(peak_rss_mb())
                log(f"{name} graph: {report['graph'][name]}")
                datasets, fields = sample_starts(
                    warehouse, store, args.queries + args.warmup, args.seed + 1
                )
                report["starts"][name] = {"datasets": len(datasets), "fields": len(fields)}
                t0 = time.perf_counter()
                report["queries"][name], samples = run_queries(name, store, args, datasets, fields)
                stages[f"queries: {name}"] = time.perf_counter() - t0
                verdicts = judge({name: report["queries"][name]}, args.depths)
                report["targets"] += verdicts
                if not args.no_profiles:
                    t0 = time.perf_counter()
                    report["profiles"].update(
                        profiles_for_misses(verdicts, name, store, samples, args)
                    )
                    stages[f"profiles: {name}"] = time.perf_counter() - t0
            finally:
                store.close()
                del store
                gc.unfreeze()
                gc.set_threshold(*default_gc)
                gc.collect()
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    report["stage_seconds"] = {k: round(v, 1) for k, v in stages.items()}
    report["slowest_stage"] = max(stages, key=lambda k: stages[k])
    for b in report["build"].values():
        if "stopped" in b:
            log(f"build stopped: {b['stopped']}")
            continue
        steps = {
            "generate": b["generate_seconds"],
            "prepare (parse + mapping)": b["prepare_seconds"],
        }
        steps["store.write"] = b["write_seconds"]
        b["slowest_step"] = max(steps, key=lambda k: steps[k])
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    start_load = report["machine"]["load_average_at_start"]
    log(
        f"load average (1, 5, 15 min): {start_load} at start, "
        f"{report['machine']['load_average_at_end']} at end, on {os.cpu_count()} CPUs"
    )
    for verdict in report["targets"]:
        log(
            f"target {verdict['target']} on {verdict['store']}: "
            f"{'met' if verdict['met'] else 'MISSED'} (worst p95 {verdict['worst_p95_ms']} ms, "
            f"{verdict['worst_series']}, whose CPU p95 is "
            f"{verdict['worst_series_cpu_p95_ms']} ms in this process)"
        )
    sys.stdout.write(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n")


if __name__ == "__main__":
    main()
