"""A generator of realistic synthetic OpenLineage traffic for benchmarks.

A warehouse of ``datasets`` tables in layers; each job reads 1-5 tables of earlier
layers and writes 1-2 tables, with 10-50 columns and column lineage, and every run
sends START then COMPLETE, like dbt-ol or the Airflow provider.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

PRODUCER = "https://example.com/lineage-benchmarks"
RUN_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
NS = "postgres://warehouse:5432"


def _facet(kind: str, **body: Any) -> dict[str, Any]:
    return {"_producer": PRODUCER, "_schemaURL": f"https://openlineage.io/spec/facets/1-0-0/{kind}.json", **body}


class Warehouse:
    def __init__(self, jobs: int, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self._datasets: dict[tuple[int, tuple[int, ...]], dict[str, Any]] = {}
        self.tables: list[tuple[str, list[str]]] = []
        self.jobs: list[tuple[str, list[int], list[int]]] = []
        sources = max(5, jobs // 3)
        for t in range(sources):
            self.tables.append((f"raw.src_{t}", self._columns()))
        for j in range(jobs):
            available = len(self.tables)
            inputs = self.rng.sample(range(available), k=min(available, self.rng.randint(1, 5)))
            outputs = []
            for _ in range(self.rng.randint(1, 2)):
                self.tables.append((f"mart.t_{len(self.tables)}", self._columns()))
                outputs.append(len(self.tables) - 1)
            self.jobs.append((f"job_{j}", inputs, outputs))

    def _columns(self) -> list[str]:
        return [f"col_{i}" for i in range(self.rng.randint(10, 50))]

    def _dataset(self, index: int, with_lineage_from: list[int] | None = None) -> dict[str, Any]:
        # A job's code, and so its column lineage, is the same from one run to the next.
        key = (index, tuple(with_lineage_from or ()))
        if key not in self._datasets:
            self._datasets[key] = self._build_dataset(index, with_lineage_from)
        return self._datasets[key]

    def _build_dataset(self, index: int, with_lineage_from: list[int] | None) -> dict[str, Any]:
        name, columns = self.tables[index]
        facets: dict[str, Any] = {
            "schema": _facet("SchemaDatasetFacet", fields=[{"name": c, "type": "VARCHAR"} for c in columns])
        }
        if with_lineage_from:
            fields = {}
            for column in columns:
                src = self.tables[self.rng.choice(with_lineage_from)]
                fields[column] = {
                    "inputFields": [
                        {
                            "namespace": NS,
                            "name": src[0],
                            "field": self.rng.choice(src[1]),
                            "transformations": [{"type": "DIRECT", "subtype": "IDENTITY"}],
                        }
                    ]
                }
            facets["columnLineage"] = _facet("ColumnLineageDatasetFacet", fields=fields)
        return {"namespace": NS, "name": name, "facets": facets}

    def events(self, runs: int, start: datetime | None = None) -> Iterator[dict[str, Any]]:
        """``runs`` runs (2 events each), cycling over the jobs in order."""
        clock = start or datetime(2026, 1, 1, tzinfo=UTC)
        for r in range(runs):
            name, inputs, outputs = self.jobs[r % len(self.jobs)]
            run_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            ins = [self._dataset(i) for i in inputs]
            outs = [self._dataset(o, inputs) for o in outputs]
            for event_type in ("START", "COMPLETE"):
                clock += timedelta(seconds=1)
                yield {
                    "eventType": event_type,
                    "eventTime": clock.isoformat(),
                    "run": {"runId": run_id, "facets": {}},
                    "job": {"namespace": "etl", "name": name, "facets": {}},
                    "inputs": ins,
                    "outputs": outs,
                    "producer": PRODUCER,
                    "schemaURL": RUN_SCHEMA,
                }
