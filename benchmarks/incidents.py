"""Incident benchmark: what deciding incidents costs an event as a dataset's history grows, as
JSON.

    python benchmarks/incidents.py                 # 1,000 runs in blocks of 250
    python benchmarks/incidents.py --runs 2000 --block 500 --store neo4j://127.0.0.1:7687

One job writes one dataset, one event at a time (as the OpenLineage clients send them), and
its schema is reported with every run. Two histories are measured, each on a fresh store:

- stable: the schema never changes. Each write needs the entry the schema's version started
  after (the baseline of the window it decides over); a store that found it by reading the
  dataset's schema ledger whole paid for the whole history on every event.
- broken: the second run changes a column's type, which opens a schema-change incident that
  only a person resolves. Until someone does, every later event decides over the ledger from
  that incident's opening on: what one event reads grows with the runs since.

For each block of runs: CPU µs an event in this process (the embedded store's work is all
here; on Neo4j the server's is not), wall µs an event, and ledger entries read an event.
``--store neo4j://...`` WIPES that database first: point it at a scratch server.

No target is set for this; the figures show whether an event's cost stays flat as history
grows (it should).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lineage.ingest import prepare, write  # noqa: E402
from lineage.store.base import GraphStore, LedgerAsk  # noqa: E402
from lineage.store.embedded import EmbeddedStore  # noqa: E402

NS = "postgres://warehouse:5432"
PRODUCER = "https://github.com/lineage/benchmarks"
SCHEMA_URL = "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json"
#: Seconds a wipe of a Neo4j database may take.
WIPE_TIMEOUT = 1800.0


def _run(minute: int, amount_type: str) -> list[dict[str, Any]]:
    """A START and a COMPLETE of the loading job, writing the dataset with its schema."""
    run_id = f"00000000-0000-4000-8000-{minute:012d}"
    fields = [
        {"name": "id", "type": "INTEGER"},
        {"name": "amount", "type": amount_type},
        {"name": "note", "type": "TEXT"},
    ]
    output = {
        "namespace": NS,
        "name": "shop.orders",
        "facets": {"schema": {"_producer": PRODUCER, "_schemaURL": SCHEMA_URL, "fields": fields}},
    }
    return [
        {
            "eventType": state,
            "eventTime": time.strftime(
                "%Y-%m-%dT%H:%M:%SZ", time.gmtime(1_700_000_000 + minute * 60 + offset)
            ),
            "producer": PRODUCER,
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "run": {"runId": run_id},
            "job": {"namespace": "etl", "name": "load_orders"},
            "inputs": [],
            "outputs": [output],
        }
        for state, offset in (("START", 0), ("COMPLETE", 30))
    ]


class _Counted:
    """Counts the ledger entries a store's ledger reads return."""

    def __init__(self, store: GraphStore) -> None:
        self.entries = 0
        ledger, before = store.ledger, store.ledger_before

        def counted_ledger(since: Mapping[str, float | None]) -> Any:
            found = ledger(since)
            self.entries += sum(map(len, found.values()))
            return found

        def counted_before(asks: Mapping[str, LedgerAsk]) -> Any:
            found = before(asks)
            self.entries += sum(entry is not None for entry in found.values())
            return found

        store.ledger = counted_ledger  # type: ignore[method-assign]
        store.ledger_before = counted_before  # type: ignore[method-assign]


def _open(url: str, folder: str) -> GraphStore:
    if url == "embedded":
        return EmbeddedStore(Path(folder) / "lineage.db")
    from lineage.store.neo4j import Neo4jStore

    Neo4jStore(url, reset_for_tests=True, query_timeout=WIPE_TIMEOUT).close()
    return Neo4jStore(url)


def history(url: str, kind: str, runs: int, block: int) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as folder:
        store = _open(url, folder)
        counted = _Counted(store)
        try:
            first = "VARCHAR" if kind == "broken" else "DECIMAL"
            for e in _run(0, "DECIMAL") + _run(1, first):
                write(store, [prepare(e)])
            out = []
            for start in range(2, runs + 2, block):
                counted.entries = 0
                cpu, wall = time.process_time(), time.perf_counter()
                events = 0
                for minute in range(start, min(start + block, runs + 2)):
                    for e in _run(minute, first):
                        write(store, [prepare(e)])
                        events += 1
                out.append(
                    {
                        "runs_before": start,
                        "events": events,
                        "cpu_us_per_event": round((time.process_time() - cpu) / events * 1e6),
                        "wall_us_per_event": round((time.perf_counter() - wall) / events * 1e6),
                        "ledger_entries_read_per_event": round(counted.entries / events, 1),
                    }
                )
                print(f"{kind}: {out[-1]}", file=sys.stderr)
            return out
        finally:
            store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--block", type=int, default=250)
    parser.add_argument("--store", default="embedded")
    args = parser.parse_args()
    report = {
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_before": [round(x, 2) for x in os.getloadavg()],
        },
        "store": args.store,
        "stable": history(args.store, "stable", args.runs, args.block),
        "broken": history(args.store, "broken", args.runs, args.block),
    }
    report["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
