"""Evidently data drift reports as monitor runs.

>>> snapshot = Report([DataDriftPreset()]).run(current, reference)  # doctest: +SKIP
>>> report_evidently(snapshot, dataset=("kserve://prod", "churn-scorer"))  # doctest: +SKIP

reads the report's per-column ``ValueDrift`` results and sends them with
:func:`lineage.integrations.monitor.report_drift`. Scores keep one direction, higher is
more drift: a distance (PSI, Wasserstein, Jensen-Shannon, ...) is sent as it is with its
threshold; a statistical test's p-value ``p`` is sent as ``1 - p`` with threshold
``1 - alpha``, so a column drifted exactly when Evidently says it did. A report mixing
distances and tests, or thresholds, cannot be one drift facet: run it with one method
(``DataDriftPreset(method="psi")``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lineage.integrations.emit import DatasetLike
from lineage.integrations.facets import DriftInputDatasetFacet
from lineage.integrations.monitor import report_drift


@dataclass(frozen=True, slots=True)
class EvidentlyDrift:
    """What an Evidently report says about drift, in ``lineage_drift`` terms."""

    method: str
    threshold: float
    column_scores: Mapping[str, float]


def drift_of(report: Any) -> EvidentlyDrift:
    """The per-column drift of an Evidently ``Snapshot`` (or its ``.dict()``).

    Raises ValueError when the report has no ``ValueDrift`` result, or mixes p-value tests
    with distances, or thresholds.
    """
    data = report.dict() if hasattr(report, "dict") else report
    if not isinstance(data, Mapping) or not isinstance(data.get("metrics"), list):
        raise ValueError(
            "not an Evidently report: expected a Snapshot or its .dict() with 'metrics'"
        )
    methods: set[str] = set()
    kinds: set[tuple[bool, float]] = set()
    scores: dict[str, float] = {}
    for metric in data["metrics"]:
        config = metric.get("config") or {}
        if not str(config.get("type", "")).endswith(":ValueDrift"):
            continue
        method, threshold = str(config.get("method", "")), float(config.get("threshold", 0.0))
        value = float(metric["value"])
        is_test = "p_value" in method
        methods.add(method)
        kinds.add((is_test, threshold))
        scores[str(config["column"])] = 1.0 - value if is_test else value
    if not scores:
        raise ValueError("the Evidently report has no per-column drift (ValueDrift) results")
    if len(kinds) > 1:
        raise ValueError(
            f"the Evidently report mixes drift methods or thresholds ({sorted(methods)}); "
            'run it with one method, e.g. DataDriftPreset(method="psi")'
        )
    ((is_test, threshold),) = kinds
    return EvidentlyDrift(
        method="evidently:" + "/".join(sorted(methods)) + (" (1 - p)" if is_test else ""),
        threshold=1.0 - threshold if is_test else threshold,
        column_scores=scores,
    )


def report_evidently(report: Any, dataset: DatasetLike, **kwargs: Any) -> DriftInputDatasetFacet:
    """Send an Evidently drift report as a MONITOR run on ``dataset``.

    Takes every keyword :func:`~lineage.integrations.monitor.report_drift` does
    (``reference``, ``quality``, ``job``, ``url``, ``transport``, ...) except the scores,
    threshold and method, which come from the report.
    """
    drift = drift_of(report)
    return report_drift(
        dataset, drift.column_scores, drift.threshold, method=drift.method, **kwargs
    )
