"""report_drift: a MONITOR run whose input carries metrics, assertions and lineage_drift."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from lineage.analysis.incidents import find_incidents
from lineage.graph.incidents import IncidentKind, IncidentStatus
from lineage.graph.model import dataset_id, field_id
from lineage.ingest.transport import StoreTransport
from lineage.integrations import DatasetRef, RecordingTransport, report_drift
from lineage.store import GraphStore, open_store
from tests.e2e.server import Server
from tests.integrations._check import check_events

ENDPOINT = DatasetRef("kserve://prod", "churn-scorer", "01a1b016-1680-7fbc-a579-aa166edcda56")
FEATURES = DatasetRef("postgres://warehouse:5432", "analytics.features.churn", "2026-11-24")
AT = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def test_a_drift_report_is_a_monitor_run_reading_the_watched_version() -> None:
    sent = RecordingTransport()
    facet = report_drift(
        ENDPOINT,
        {"avg_order_value": 0.41, "tenure_days": 0.04},
        0.2,
        reference=FEATURES,
        quality={"auc": 0.71},
        quality_floor={"auc": 0.75},
        row_count=1000,
        column_metrics={"avg_order_value": {"nullCount": 12}},
        transport=sent,
        observed_at=AT,
    )
    assert facet.drifted and facet.score == 0.41
    start, complete = sent.sent
    assert [start["eventType"], complete["eventType"]] == ["START", "COMPLETE"]
    assert complete["job"]["namespace"] == "monitoring"
    assert complete["job"]["name"] == "monitor.churn-scorer"
    assert complete["job"]["facets"]["jobType"]["jobType"] == "MONITOR"
    assert complete["outputs"] == []
    (watched,) = complete["inputs"]
    assert watched["facets"]["version"]["datasetVersion"] == ENDPOINT.version
    drift = {k: v for k, v in watched["inputFacets"]["lineage_drift"].items() if not k.startswith("_")}
    assert drift == {
        "method": "psi",
        "threshold": 0.2,
        "score": 0.41,
        "drifted": True,
        "columns": [
            {"name": "avg_order_value", "score": 0.41, "drifted": True},
            {"name": "tenure_days", "score": 0.04, "drifted": False},
        ],
        "reference": {"namespace": FEATURES.namespace, "name": FEATURES.name, "version": "2026-11-24"},
    }
    checks = watched["inputFacets"]["dataQualityAssertions"]["assertions"]
    assert [(a["assertion"], a.get("column"), a["success"], a["actual"]) for a in checks] == [
        ("drift", "avg_order_value", False, "0.41"),
        ("drift", "tenure_days", True, "0.04"),
        ("prediction_quality", None, False, "0.71"),
    ]
    metrics = watched["inputFacets"]["dataQualityMetrics"]
    assert metrics["rowCount"] == 1000
    assert metrics["columnMetrics"]["avg_order_value"]["nullCount"] == 12
    check_events(sent.sent)


def test_scores_under_the_threshold_are_no_drift() -> None:
    sent = RecordingTransport()
    facet = report_drift(FEATURES, {"tenure": 0.2}, 0.2, transport=sent)
    assert not facet.drifted
    check_events(sent.sent)


@pytest.mark.parametrize(
    ("scores", "message"),
    [({}, "at least one column"), ({"x": "a lot"}, r"column_scores\['x'\]")],
)
def test_bad_scores_are_refused_with_the_field(scores: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        report_drift(FEATURES, scores, 0.2, transport=RecordingTransport())


def test_a_drift_report_opens_a_drift_incident_on_the_dataset_and_its_column(store: GraphStore) -> None:
    sink = StoreTransport(store)
    report_drift(ENDPOINT, {"avg_order_value": 0.05}, 0.2, transport=sink, observed_at=AT)
    assert find_incidents(store, kind=IncidentKind.DRIFT) == []
    report_drift(ENDPOINT, {"avg_order_value": 0.41}, 0.2, transport=sink, observed_at=AT + timedelta(days=1))
    endpoint = dataset_id(ENDPOINT.namespace, ENDPOINT.name)
    (incident,) = find_incidents(store, kind=IncidentKind.DRIFT, subject=endpoint)
    assert incident.props["status"] == IncidentStatus.OPEN.value
    column = field_id(ENDPOINT.namespace, ENDPOINT.name, "avg_order_value")
    assert len(find_incidents(store, kind=IncidentKind.DRIFT, subject=column)) == 1
    assert find_incidents(store, kind=IncidentKind.QUALITY) == []


def test_the_cli_reports_drift_to_a_real_server_and_exits_3(server: Server) -> None:
    done = subprocess.run(
        [
            sys.executable, "-m", "lineage.cli", "emit", "drift",
            "--dataset", ENDPOINT.namespace, ENDPOINT.name,
            "--score", "avg_order_value=0.41", "--score", "tenure_days=0.01", "--threshold", "0.2",
        ],
        env={**os.environ, "OPENLINEAGE_URL": server.url},
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 3, done.stderr
    assert "drift on churn-scorer: avg_order_value" in done.stdout
    server.stop()
    store = open_store(server.store)
    try:
        endpoint = dataset_id(ENDPOINT.namespace, ENDPOINT.name)
        assert len(find_incidents(store, kind=IncidentKind.DRIFT, subject=endpoint)) == 1
    finally:
        store.close()
