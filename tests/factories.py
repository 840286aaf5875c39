"""Builders of realistic OpenLineage events for tests (plain dicts, as producers send them)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.30.0/client/python"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
BASE_TIME = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def at(minutes: float) -> str:
    """An ISO timestamp ``minutes`` after a fixed base time."""
    return (BASE_TIME + timedelta(minutes=minutes)).isoformat()


def new_run_id(seed: str | None = None) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, seed) if seed else uuid.uuid4())


def facet(name: str, **body: Any) -> dict[str, Any]:
    return {
        "_producer": PRODUCER,
        "_schemaURL": f"https://openlineage.io/spec/facets/1-0-0/{name}.json#/$defs/{name}",
        **body,
    }


def schema(*columns: str | tuple[str, str]) -> dict[str, Any]:
    fields = []
    for column in columns:
        name, kind = column if isinstance(column, tuple) else (column, "VARCHAR")
        fields.append({"name": name, "type": kind})
    return {"schema": facet("SchemaDatasetFacet", fields=fields)}


def column_lineage(
    mapping: dict[str, list[tuple[str, str, str] | tuple[str, str, str, str, str | None]]],
    dataset: list[tuple[str, str, str, str]] | None = None,
) -> dict[str, Any]:
    """``{"out_col": [(ns, name, field[, type, subtype])]}`` -> a columnLineage facet."""

    def input_field(ref: tuple[str, ...]) -> dict[str, Any]:
        ns, name, field_name, *rest = ref
        kind = rest[0] if rest else "DIRECT"
        subtype = rest[1] if len(rest) > 1 else "IDENTITY"
        transformation: dict[str, Any] = {"type": kind}
        if subtype:
            transformation["subtype"] = subtype
        return {"namespace": ns, "name": name, "field": field_name, "transformations": [transformation]}

    body: dict[str, Any] = {
        "fields": {out: {"inputFields": [input_field(r) for r in refs]} for out, refs in mapping.items()}
    }
    if dataset:
        body["dataset"] = [input_field(r) for r in dataset]
    return {"columnLineage": facet("ColumnLineageDatasetFacet", **body)}


def dataset(namespace: str, name: str, **facets: Any) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for value in facets.values():
        merged.update(value)
    return {"namespace": namespace, "name": name, "facets": merged}


def run_event(
    event_type: str | None,
    run_id: str,
    job: tuple[str, str],
    *,
    time: float = 0,
    inputs: list[dict[str, Any]] | None = None,
    outputs: list[dict[str, Any]] | None = None,
    run_facets: dict[str, Any] | None = None,
    job_facets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "eventTime": at(time),
        "run": {"runId": run_id, "facets": run_facets or {}},
        "job": {"namespace": job[0], "name": job[1], "facets": job_facets or {}},
        "inputs": inputs or [],
        "outputs": outputs or [],
        "producer": PRODUCER,
        "schemaURL": SCHEMA_URL,
    }
    if event_type is not None:
        event["eventType"] = event_type
    return event


def job_event(
    job: tuple[str, str],
    *,
    time: float = 0,
    inputs: list[dict[str, Any]] | None = None,
    outputs: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "eventTime": at(time),
        "job": {"namespace": job[0], "name": job[1], "facets": {}},
        "inputs": inputs or [],
        "outputs": outputs or [],
        "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent",
    }


def dataset_event(namespace: str, name: str, *, time: float = 0, **facets: Any) -> dict[str, Any]:
    return {
        "eventTime": at(time),
        "dataset": dataset(namespace, name, **facets),
        "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
    }


def pipeline_run(
    job: tuple[str, str],
    inputs: list[dict[str, Any]],
    outputs: list[dict[str, Any]],
    *,
    start: float,
    end: float | None = None,
    seed: str | None = None,
    final: str = "COMPLETE",
) -> list[dict[str, Any]]:
    """A START + terminal pair, as most producers send them."""
    rid = new_run_id(seed or f"{job}-{start}")
    return [
        run_event("START", rid, job, time=start, inputs=inputs, outputs=outputs),
        run_event(final, rid, job, time=end if end is not None else start + 1, inputs=inputs, outputs=outputs),
    ]
