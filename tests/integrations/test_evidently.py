"""A real Evidently data drift report becomes a monitor run that agrees with Evidently."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from lineage.integrations import DatasetRef, RecordingTransport
from tests.integrations._check import check_events

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")
evidently = pytest.importorskip("evidently", reason="evidently is in the test extras: pip install -e '.[test]'")

ENDPOINT = DatasetRef("kserve://prod", "churn-scorer", "01a1b016-1680-7fbc-a579-aa166edcda56")


@pytest.fixture(autouse=True)
def no_telemetry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    yield


def frames() -> tuple[Any, Any]:
    rng = np.random.default_rng(7)
    reference = pd.DataFrame(
        {"tenure": rng.normal(10, 2, 400), "spend": rng.normal(50, 5, 400), "plan": rng.choice(["a", "b"], 400)}
    )
    current = pd.DataFrame(
        {"tenure": rng.normal(10, 2, 400), "spend": rng.normal(70, 5, 400), "plan": rng.choice(["a", "b"], 400)}
    )
    return current, reference


def evidently_drifted(snapshot: Any) -> dict[str, bool]:
    """Evidently's own verdict per column: a p-value below alpha, or a distance at or above it."""
    verdict = {}
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if config["type"].endswith(":ValueDrift"):
            value, threshold = metric["value"], config["threshold"]
            verdict[config["column"]] = value < threshold if "p_value" in config["method"] else value >= threshold
    return verdict


@pytest.mark.parametrize("method", [None, "psi"], ids=["default-tests", "psi"])
def test_an_evidently_report_is_sent_with_evidentlys_verdict_per_column(method: str | None) -> None:
    from evidently import Report
    from evidently.presets import DataDriftPreset

    from lineage.integrations.evidently import report_evidently

    current, reference = frames()
    snapshot = Report([DataDriftPreset(method=method) if method else DataDriftPreset()]).run(current, reference)
    sent = RecordingTransport()
    facet = report_evidently(snapshot, ENDPOINT, transport=sent)
    assert {c.name: c.drifted for c in facet.columns} == evidently_drifted(snapshot)
    assert {c.name for c in facet.columns if c.drifted} >= {"spend"}
    assert facet.drifted
    assert facet.method.startswith("evidently:")
    (event,) = [e for e in sent.sent if e["eventType"] == "COMPLETE"]
    assert event["inputs"][0]["inputFacets"]["lineage_drift"]["method"] == facet.method
    check_events(sent.sent)


def test_a_report_without_column_drift_is_refused() -> None:
    from lineage.integrations.evidently import drift_of

    with pytest.raises(ValueError, match="ValueDrift"):
        drift_of({"metrics": [], "tests": []})


def test_a_report_mixing_tests_and_distances_asks_for_one_method() -> None:
    from lineage.integrations.evidently import drift_of

    mixed = {
        "metrics": [
            {"config": {"type": "evidently:metric_v2:ValueDrift", "column": "a", "method": "K-S p_value", "threshold": 0.05}, "value": 0.2},
            {"config": {"type": "evidently:metric_v2:ValueDrift", "column": "b", "method": "psi", "threshold": 0.1}, "value": 0.3},
        ]
    }
    with pytest.raises(ValueError, match='method="psi"'):
        drift_of(mixed)
