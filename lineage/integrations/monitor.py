"""Monitors as OpenLineage runs: drift and prediction quality on what they watched.

``report_drift`` emits one run of a MONITOR job whose single input is the monitored
dataset (an endpoint's predictions, or a model's input features), carrying three input
facets: ``dataQualityMetrics``, ``dataQualityAssertions`` (one ``drift`` assertion per
column, and one ``prediction_quality`` assertion per quality metric with a floor) and
``lineage_drift``. A failed check opens a DRIFT incident on the dataset at ingest.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset
from openlineage.client.facet_v2 import (
    data_quality_assertions_dataset,
    data_quality_metrics_input_dataset,
)
from openlineage.client.generated.base import InputDatasetFacet
from openlineage.client.transport import Transport

from lineage.integrations.emit import DatasetLike, as_float_map, as_ref, openlineage_client
from lineage.integrations.facets import (
    DRIFT,
    PRODUCER,
    DriftColumn,
    DriftInputDatasetFacet,
    DriftReference,
)
from lineage.integrations.runs import RunEmitter, ml_job, run_id_for

Assertion = data_quality_assertions_dataset.Assertion
ColumnMetrics = data_quality_metrics_input_dataset.ColumnMetrics


def monitor_job_name(dataset_name: str) -> str:
    """The MONITOR job of a dataset, unless one is named: ``monitor.<dataset name>``."""
    return f"monitor.{dataset_name}"


def drift_facet(
    column_scores: Mapping[str, Any],
    threshold: float,
    method: str = "psi",
    reference: DatasetLike | None = None,
) -> DriftInputDatasetFacet:
    """The ``lineage_drift`` facet for per-column scores (a column drifted above ``threshold``)."""
    scores = as_float_map(column_scores, "column_scores")
    if not scores:
        raise ValueError("column_scores must name at least one column")
    columns = [
        DriftColumn(name=c, score=s, drifted=s > threshold) for c, s in sorted(scores.items())
    ]
    ref = as_ref(reference, "reference") if reference is not None else None
    return DriftInputDatasetFacet(
        method=method,
        threshold=float(threshold),
        score=max(scores.values()),
        drifted=any(c.drifted for c in columns),
        columns=columns,
        reference=DriftReference(namespace=ref.namespace, name=ref.name, version=ref.version)
        if ref
        else None,
        producer=PRODUCER,
    )


def report_drift(
    dataset: DatasetLike,
    column_scores: Mapping[str, Any],
    threshold: float,
    *,
    method: str = "psi",
    reference: DatasetLike | None = None,
    quality: Mapping[str, Any] | None = None,
    quality_floor: Mapping[str, Any] | None = None,
    row_count: int | None = None,
    column_metrics: Mapping[str, Mapping[str, Any]] | None = None,
    job: tuple[str, str] | None = None,
    client: OpenLineageClient | None = None,
    transport: Transport | None = None,
    url: str | None = None,
    api_key: str | None = None,
    run_id: str | None = None,
    observed_at: datetime | None = None,
    duration: timedelta = timedelta(seconds=0),
) -> DriftInputDatasetFacet:
    """Report drift (and optionally prediction quality) measured on ``dataset``.

    ``dataset`` is a DatasetRef or ``(namespace, name[, version])``; with a version the
    report is tied to that exact version, else to the version current when it arrives.
    ``column_scores`` maps column -> drift score; a column drifted when its score is
    above ``threshold``. ``quality`` maps metric -> value (e.g. ``{"auc": 0.71}``), and a
    metric below its ``quality_floor`` fails. ``job`` defaults to
    ``("monitoring", "monitor.<dataset name>")``. Returns the drift facet sent.
    """
    ref = as_ref(dataset, "dataset")
    facet = drift_facet(column_scores, threshold, method, reference)
    values = as_float_map(quality, "quality")
    floors = as_float_map(quality_floor, "quality_floor")
    unknown = sorted(set(floors) - set(values))
    if unknown:
        raise ValueError(f"quality_floor names {unknown} but quality has no value for them")
    assertions = [
        Assertion(
            assertion="drift",
            success=not c.drifted,
            column=c.name,
            name=f"drift_{c.name}",
            description=f"{method} score at most {threshold}",
            expected=f"<= {threshold}",
            actual=str(c.score),
            severity="error",
        )
        for c in facet.columns
    ]
    assertions += [
        Assertion(
            assertion="prediction_quality",
            success=values[metric] >= floor,
            name=f"quality_{metric}",
            description=f"{metric} at least {floor}",
            expected=f">= {floor}",
            actual=str(values[metric]),
            severity="error",
        )
        for metric, floor in sorted(floors.items())
    ]
    metrics: dict[str, ColumnMetrics] = {}
    for column in [c.name for c in facet.columns] + sorted(column_metrics or {}):
        given = dict((column_metrics or {}).get(column, {}))
        try:
            metrics[column] = ColumnMetrics(**given)
        except TypeError as exc:
            raise ValueError(
                f"column_metrics[{column!r}] takes nullCount, distinctCount, sum, count, min, "
                f"max, quantiles; got {sorted(given)}"
            ) from exc
    input_facets: dict[str, InputDatasetFacet] = {
        "dataQualityMetrics": data_quality_metrics_input_dataset.DataQualityMetricsInputDatasetFacet(
            columnMetrics=metrics, rowCount=row_count, producer=PRODUCER
        ),
        "dataQualityAssertions": data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
            assertions=assertions, producer=PRODUCER
        ),
        DRIFT: facet,
    }
    sink = openlineage_client(client, transport, url, api_key)
    rid = run_id_for(run_id, observed_at)
    job_ns, job_name = job or ("monitoring", monitor_job_name(ref.name))
    watched = InputDataset(
        namespace=ref.namespace, name=ref.name, facets=ref.facets(), inputFacets=input_facets
    )
    emitter = RunEmitter(sink, ml_job(job_ns, job_name, "MONITOR"), rid)
    emitter.start_and_complete(observed_at, duration, inputs=[watched])
    return facet
