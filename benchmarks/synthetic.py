"""Generators of realistic synthetic OpenLineage traffic for benchmarks.

``Warehouse``: tables in layers; each job reads 1-5 earlier tables and writes 1-2 tables,
with 10-50 columns and column lineage (the ingest benchmark's traffic).

``LayeredWarehouse``: a larger estate shaped like a real one for lineage queries: domains
of layered pipelines, skewed fan-in and fan-out, shared "hub" tables read across domains,
and column lineage with field-level and dataset-wide (join, filter) dependencies.

Every run sends START then COMPLETE, like dbt-ol or the Airflow provider.
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


COLUMN_LINEAGE_SCHEMA = "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json"

#: Field-level column dependencies: (type, subtype) and how often each occurs.
_FIELD_TRANSFORMS = (("DIRECT", "IDENTITY"), ("DIRECT", "TRANSFORMATION"), ("DIRECT", "AGGREGATION"))
_FIELD_TRANSFORM_WEIGHTS = (55, 30, 15)
#: Most dataset payloads a LayeredWarehouse keeps built (of inputs, and of outputs).
PAYLOAD_CACHE = 5_000


def _bound(cache: dict[int, dict[str, Any]]) -> None:
    """Make room for one more payload: drop the oldest tenth once the cache is full."""
    if len(cache) >= PAYLOAD_CACHE:
        for key in list(cache)[: PAYLOAD_CACHE // 10]:
            del cache[key]


class LayeredWarehouse:
    """``jobs`` jobs writing into about ``datasets`` tables (default three per job).

    - Domains of about ``domain_jobs`` jobs, each a pipeline of 4-12 layers above its own
      raw tables. A job of layer L reads mostly layer L-1 of its domain, sometimes any
      lower layer, and now and then a shared table: one of the first domain's outputs
      (conformed dimensions and facts, picked with Zipf popularity, so a few are read by
      hundreds of jobs; ``hub_share`` of all reads) or another domain's marts
      (``cross_share``).
    - Fan-in 1-12 inputs (mean about 3), fan-out 1-4 outputs (mean about 1.9); raw
      tables make up the rest of ``datasets``.
    - 5-120 columns a table (median about 20). Each output column depends on 1-3 input
      columns (IDENTITY, TRANSFORMATION or AGGREGATION). Half the outputs of multi-input
      jobs also declare a join key of each input, and a fifth of all outputs a filter
      column, as dataset-wide INDIRECT dependencies, which touch every output column.

    ``tables`` holds (name, columns, domain, layer); ``jobs`` holds (name, inputs, outputs)
    as indexes into ``tables``. The same arguments give the same estate, and every call of
    ``events`` the same events.
    """

    def __init__(
        self,
        jobs: int,
        datasets: int | None = None,
        seed: int = 7,
        domain_jobs: int = 200,
        hub_share: float = 0.12,
        cross_share: float = 0.04,
    ) -> None:
        self.seed = seed
        self.rng = rng = random.Random(seed)
        self.hub_share = hub_share
        self.cross_share = cross_share
        datasets = datasets if datasets is not None else 3 * jobs
        domains = max(1, round(jobs / domain_jobs))
        fan_out = [rng.choices((1, 2, 3, 4), weights=(45, 30, 17, 8))[0] for _ in range(jobs)]
        raw = max(2 * domains, datasets - sum(fan_out))
        self.tables: list[tuple[str, list[str], int, int]] = []
        self.jobs: list[tuple[str, list[int], list[int]]] = []
        # Payloads are built again identically when dropped: at 100k jobs, keeping every
        # table's would hold gigabytes that no server holds.
        self._outputs: dict[int, dict[str, Any]] = {}
        self._inputs: dict[int, dict[str, Any]] = {}
        by_layer: dict[tuple[int, int], list[int]] = {}
        for t in range(raw):
            d = t % domains
            by_layer.setdefault((d, 0), []).append(self._table(f"raw.d{d}.src_{t}", d, 0))
        per_domain = [0] * domains
        for _ in range(jobs):
            per_domain[rng.randrange(domains)] += 1
        self._hubs: list[int] = []
        self._hub_weights: list[float] = []
        self._marts: list[list[int]] = []
        for d in range(domains):
            layers = rng.randint(4, 12)
            n = per_domain[d]
            for k in range(n):
                layer = 1 + k * layers // n
                inputs = self._pick_inputs(d, layer, by_layer)
                prefix = "core" if d == 0 else "mart"
                outputs = [
                    self._table(f"{prefix}.d{d}.l{layer}.t_{len(self.tables)}", d, layer)
                    for _ in range(fan_out[len(self.jobs)])
                ]
                by_layer.setdefault((d, layer), []).extend(outputs)
                self.jobs.append((f"d{d}.job_{len(self.jobs)}", inputs, outputs))
            built = [t for layer in range(layers, 0, -1) for t in by_layer.get((d, layer), [])]
            if d == 0:
                self._hubs = rng.sample(built, len(built))
                self._hub_weights = [1 / (rank + 1) ** 1.1 for rank in range(len(built))]
            elif built:
                self._marts.append(built[:20])
        # Runs go out in a shuffled job order, interleaving domains the way schedulers do.
        self.order = rng.sample(range(len(self.jobs)), len(self.jobs))

    def _table(self, name: str, domain: int, layer: int) -> int:
        columns = max(5, min(120, int(self.rng.lognormvariate(3.0, 0.6))))
        self.tables.append((name, [f"col_{i}" for i in range(columns)], domain, layer))
        return len(self.tables) - 1

    def _pick_inputs(self, domain: int, layer: int, by_layer: dict[tuple[int, int], list[int]]) -> list[int]:
        rng = self.rng
        fan_in = rng.choices((1, 2, 3, 4, 5, 6, 8, 12), weights=(25, 25, 18, 12, 8, 5, 4, 3))[0]
        lower = [t for lv in range(layer) for t in by_layer.get((domain, lv), [])]
        previous = by_layer.get((domain, layer - 1)) or lower
        chosen: list[int] = []
        for _ in range(fan_in * 3):  # duplicates are skipped, so a few spare draws
            if len(chosen) >= fan_in:
                break
            roll = rng.random()
            if self._hubs and roll < self.hub_share:
                pick = rng.choices(self._hubs, weights=self._hub_weights)[0]
            elif self._marts and roll < self.hub_share + self.cross_share:
                pick = rng.choice(rng.choice(self._marts))
            elif roll < 0.75:
                pick = rng.choice(previous)
            else:
                pick = rng.choice(lower)
            if pick not in chosen:
                chosen.append(pick)
        return chosen

    # -- events --------------------------------------------------------------------------

    def _input(self, index: int) -> dict[str, Any]:
        if index not in self._inputs:
            _bound(self._inputs)
            name, columns, _, _ = self.tables[index]
            fields = [{"name": c, "type": "VARCHAR"} for c in columns]
            self._inputs[index] = {
                "namespace": NS,
                "name": name,
                "facets": {"schema": _facet("SchemaDatasetFacet", fields=fields)},
            }
        return self._inputs[index]

    def _output(self, index: int, inputs: list[int]) -> dict[str, Any]:
        # A job's code, and so its column lineage, is the same from one run to the next.
        if index not in self._outputs:
            _bound(self._outputs)
            self._outputs[index] = self._build_output(index, inputs)
        return self._outputs[index]

    def forget_events(self) -> None:
        """Drop the cached dataset payloads (``events`` builds them again, identically)."""
        self._outputs.clear()
        self._inputs.clear()

    def _build_output(self, index: int, inputs: list[int]) -> dict[str, Any]:
        rng = random.Random(f"{self.seed}:output:{index}")
        name, columns, _, _ = self.tables[index]

        def ref(table: int, column: str, kind: str, subtype: str) -> dict[str, Any]:
            return {
                "namespace": NS,
                "name": self.tables[table][0],
                "field": column,
                "transformations": [{"type": kind, "subtype": subtype}],
            }

        fields = {}
        for column in columns:
            sources = []
            for _ in range(rng.choices((1, 2, 3), weights=(70, 20, 10))[0]):
                table = rng.choice(inputs)
                kind, subtype = rng.choices(_FIELD_TRANSFORMS, weights=_FIELD_TRANSFORM_WEIGHTS)[0]
                sources.append(ref(table, rng.choice(self.tables[table][1]), kind, subtype))
            fields[column] = {"inputFields": sources}
        dataset_wide = []
        if len(inputs) > 1 and rng.random() < 0.5:
            dataset_wide += [ref(t, self.tables[t][1][0], "INDIRECT", "JOIN") for t in inputs]
        if rng.random() < 0.2:
            table = rng.choice(inputs)
            dataset_wide.append(ref(table, rng.choice(self.tables[table][1]), "INDIRECT", "FILTER"))
        lineage: dict[str, Any] = {
            "_producer": PRODUCER,
            "_schemaURL": COLUMN_LINEAGE_SCHEMA,
            "fields": fields,
        }
        if dataset_wide:
            lineage["dataset"] = dataset_wide
        return {
            "namespace": NS,
            "name": name,
            "facets": {
                "schema": _facet("SchemaDatasetFacet", fields=[{"name": c, "type": "VARCHAR"} for c in columns]),
                "columnLineage": lineage,
            },
        }

    def events(self, runs_per_job: int = 1, start: datetime | None = None) -> Iterator[dict[str, Any]]:
        """``runs_per_job`` rounds over every job (2 events a run), in a fixed shuffled order."""
        clock = start or datetime(2026, 1, 1, tzinfo=UTC)
        rng = random.Random(f"{self.seed}:runs")
        for _ in range(runs_per_job):
            for j in self.order:
                name, inputs, outputs = self.jobs[j]
                run_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                ins = [self._input(i) for i in inputs]
                outs = [self._output(o, inputs) for o in outputs]
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

    def stats(self) -> dict[str, Any]:
        """The estate's shape: sizes, fan-in and fan-out, readers of the busiest tables."""
        readers: dict[int, int] = {}
        for _, inputs, _ in self.jobs:
            for i in inputs:
                readers[i] = readers.get(i, 0) + 1
        fan_in = sorted(len(i) for _, i, _ in self.jobs)
        columns = sorted(len(t[1]) for t in self.tables)
        top = sorted(readers.values(), reverse=True)
        return {
            "jobs": len(self.jobs),
            "datasets": len(self.tables),
            "raw_datasets": sum(1 for t in self.tables if t[3] == 0),
            "domains": len({t[2] for t in self.tables}),
            "max_layer": max(t[3] for t in self.tables),
            "fan_in_mean": round(sum(fan_in) / len(fan_in), 2),
            "fan_in_max": fan_in[-1],
            "fan_out_mean": round(sum(len(o) for _, _, o in self.jobs) / len(self.jobs), 2),
            "readers_of_busiest_tables": top[:5],
            "columns_median": columns[len(columns) // 2],
            "columns_total": sum(columns),
        }
