"""Parse throughput on a realistic event: ``python -m tests.events.bench_parse``.

The event is a dbt-ol style model run with 3 inputs, one output, a 20-column schema on
every dataset and column lineage for all 20 output columns (about 15 kB of JSON).

* cold: every event has its own schemas and lineage, so every typed facet is built;
* warm: the big facets repeat from event to event (as they do between the START and
  COMPLETE of a run, and between runs of a job), so they come from the shared cache.

Rates are the best of several rounds, which is what the code costs when it gets the CPU.
"""

from __future__ import annotations

import gc
import sys
import time
import uuid
from collections.abc import Callable

import orjson

from lineage.events import facets, get_facet, parse_event
from lineage.events._facet_map import SHARED_FACETS
from tests.events.builders import dbt_run_event


def distinct_events(count: int) -> list[bytes]:
    bodies = []
    for k in range(count):
        raw = dbt_run_event(run_id=str(uuid.uuid4()))
        for ds in [*raw["inputs"], *raw["outputs"]]:
            for field in ds["facets"]["schema"]["fields"]:
                field["name"] += f"_{k}"
        lineage = raw["outputs"][0]["facets"]["columnLineage"]
        lineage["fields"] = {f"{name}_{k}": v for name, v in lineage["fields"].items()}
        bodies.append(orjson.dumps(raw))
    return bodies


def repeated_events(count: int) -> list[bytes]:
    return [orjson.dumps(dbt_run_event(run_id=str(uuid.uuid4()))) for _ in range(count)]


def ingest_like(body: bytes) -> None:
    """Decode, parse and read the facets the graph mapping reads."""
    event = parse_event(orjson.loads(body))
    for ds in event.inputs:  # type: ignore[union-attr]
        get_facet(ds.facets, "schema", facets.SchemaDatasetFacet)
    for ds in event.outputs:  # type: ignore[union-attr]
        get_facet(ds.facets, "schema", facets.SchemaDatasetFacet)
        get_facet(ds.facets, "columnLineage", facets.ColumnLineageDatasetFacet)


def rate(
    bodies: list[bytes], work: Callable[[bytes], object], *, cold: bool, rounds: int = 25
) -> float:
    best = 0.0
    for _ in range(rounds):
        if cold:
            SHARED_FACETS.clear()
        gc.collect()
        gc.disable()
        start = time.perf_counter()
        for body in bodies:
            work(body)
        elapsed = time.perf_counter() - start
        gc.enable()
        best = max(best, len(bodies) / elapsed)
    return best


def main(count: int = 200) -> None:
    cold, warm = distinct_events(count), repeated_events(count)
    print(f"event size: {len(cold[0]):,} bytes of JSON; {count} events per round")
    print(f"orjson.loads only          {rate(cold, orjson.loads, cold=True):8,.0f} events/s")
    for label, bodies, is_cold in (("cold", cold, True), ("warm", warm, False)):
        parse = rate(bodies, lambda body: parse_event(orjson.loads(body)), cold=is_cold)
        full = rate(bodies, ingest_like, cold=is_cold)
        print(f"{label}: loads+parse_event    {parse:8,.0f} events/s")
        print(f"{label}: + get_facet reads    {full:8,.0f} events/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
