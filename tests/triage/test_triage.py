"""Triage ranks the planted cause first, on event histories sent by the openlineage-python client."""

from __future__ import annotations

import pytest

from lineage.analysis import InvalidArgument, NotFound
from lineage.analysis.incidents import find_incidents
from lineage.analysis.triage import EvidenceKind, TriageReport, triage
from lineage.graph.incidents import IncidentKind
from lineage.graph.model import dataset_id, field_id, job_id, version_id
from lineage.ingest.incidents import open_incident
from lineage.store import GraphStore
from tests.triage.scenario import ML, WH, build, when


def drift_triage(store: GraphStore) -> TriageReport:
    [incident] = find_incidents(store, kind=IncidentKind.DRIFT)
    assert incident.props["subject"] == dataset_id(ML, "churn")
    return triage(store, incident=incident.id)


def names(report: TriageReport, ids: list[str]) -> list[str]:
    return [str(report.nodes[i].props.get("name") or i) for i in ids]


def test_a_null_count_jump_in_a_raw_table_two_hops_above_the_model_ranks_first(
    store: GraphStore,
) -> None:
    build(store, null_jump=True)
    report = drift_triage(store)
    top = report.suspects[0]
    assert top.node == version_id(WH, "raw.events", "e4")
    assert [e.kind for e in top.evidence] == [EvidenceKind.METRIC_ANOMALY]
    assert "null count of user_id 900 against a usual 5.5" in top.evidence[0].detail
    # churn -> its version -> training run -> features -> dbt run -> stg.events -> run -> raw
    assert top.path[0] == dataset_id(ML, "churn")
    assert [report.nodes[n].kind.value for n in top.path[1:]] == [
        "DATASET_VERSION", "RUN", "DATASET_VERSION", "RUN", "DATASET_VERSION", "RUN", "DATASET_VERSION",
    ]  # fmt: skip
    assert top.path[3] == version_id(WH, "features", "f4")
    assert "proximity" in top.why and "recency" in top.why
    assert report.scope == "whole datasets"
    assert set(report.raw_sources) == {dataset_id(WH, "raw.events"), dataset_id(WH, "raw.orders")}
    assert names(report, report.blast_radius) == ["stg.events", "features", "churn"]


def test_a_type_change_in_a_staging_table_ranks_first(store: GraphStore) -> None:
    build(store, staging_type_change=True)
    report = drift_triage(store)
    top = report.suspects[0]
    assert top.node == version_id(WH, "stg.orders", "so4")
    assert top.evidence[0].kind is EvidenceKind.SCHEMA_CHANGE
    assert "amount changed type from DECIMAL(10,2) to VARCHAR" in top.evidence[0].detail
    assert EvidenceKind.OPEN_INCIDENT in {e.kind for e in top.evidence}
    assert top.evidence[0].observed_at == when(4, 1).timestamp()
    assert names(report, report.blast_radius) == ["features", "churn"]


def test_a_failed_upstream_run_and_the_stale_version_it_left_rank_first(store: GraphStore) -> None:
    build(store, features_fail=True)
    report = drift_triage(store)
    top, second = report.suspects[:2]
    assert report.nodes[top.node].props["job"] == job_id("dbt", "features")
    assert {e.kind for e in top.evidence} == {EvidenceKind.RUN_FAILURE}
    assert any("relation stg.orders is locked" in e.detail for e in top.evidence)
    # The model was trained on features f2, two days old: a symptom of the failures above it.
    assert second.node == version_id(WH, "features", "f2")
    assert [e.kind for e in second.evidence] == [EvidenceKind.STALE_INPUT]
    assert "an upstream suspect came first" in second.why


def test_a_failed_run_ranks_above_an_upstream_check_that_failed_only_after_it(
    store: GraphStore,
) -> None:
    build(store, features_fail=True, late_staging_test=True)
    report = triage(store, start=job_id("dbt", "features"), since=when(4, 0).timestamp())
    top = report.suspects[0]
    assert report.nodes[top.node].props["job"] == job_id("dbt", "features")
    assert any("relation stg.orders is locked" in e.detail for e in top.evidence)
    late = next(s for s in report.suspects if s.node == version_id(WH, "stg.orders", "so4"))
    assert late.evidence[0].kind is EvidenceKind.FAILED_ASSERTION
    assert "first seen after the run failed" in late.why
    assert late.score < top.score


def test_a_job_whose_sql_changed_right_before_ranks_first(store: GraphStore) -> None:
    build(store, features_sql_change=True)
    report = drift_triage(store)
    top = report.suspects[0]
    assert report.nodes[top.node].props["job"] == job_id("dbt", "features")
    [change] = top.evidence
    assert change.kind is EvidenceKind.CODE_CHANGE
    assert change.detail.startswith("job 'features' in namespace 'dbt': SQL changed since run")


def test_a_failing_dataset_that_is_not_upstream_never_appears(store: GraphStore) -> None:
    build(store, null_jump=True)
    assert find_incidents(store, kind=IncidentKind.QUALITY)  # raw.clicks is failing
    report = drift_triage(store)
    clicks = dataset_id(WH, "raw.clicks")
    assert all(n.props.get("dataset") != clicks and n.id != clicks for n in report.nodes.values())
    assert all(clicks not in s.path for s in report.suspects)


def test_a_clean_history_has_no_suspects(store: GraphStore) -> None:
    build(store)
    report = drift_triage(store)
    assert report.suspects == []
    # Nothing upstream to blame: what the drifting model feeds is what it hurts.
    assert report.blast_radius == [job_id("monitors", "churn_drift")]


def test_triage_from_a_node_and_a_time(store: GraphStore) -> None:
    build(store, staging_type_change=True)
    report = triage(store, start=dataset_id(ML, "churn"), since=when(3, 12).timestamp())
    assert report.incident is None
    assert report.suspects[0].node == version_id(WH, "stg.orders", "so4")


def test_triage_says_what_is_missing(store: GraphStore) -> None:
    build(store)
    with pytest.raises(InvalidArgument, match="since"):
        triage(store, start=dataset_id(ML, "churn"))
    with pytest.raises(InvalidArgument, match="incident, or a node"):
        triage(store)
    with pytest.raises(NotFound, match="no incident"):
        triage(store, incident="INCIDENT\x1fnope")


def test_a_field_incident_is_triaged_within_its_column_lineage_cone(store: GraphStore) -> None:
    # Both plants at once: only the one feeding features.spend is in spend's cone.
    build(store, null_jump=True, staging_type_change=True)
    spend = field_id(WH, "features", "spend")
    nid = open_incident(store, spend, "spend looks wrong")
    # The incident opened after the story (now): count evidence from the story's first day.
    report = triage(store, incident=nid, since=when(0, 0).timestamp())
    assert report.scope.startswith("column lineage of field 'spend'")
    suspects = [s.node for s in report.suspects]
    assert version_id(WH, "stg.orders", "so4") in suspects
    assert version_id(WH, "raw.events", "e4") not in suspects  # user_id's branch, not spend's

    whole = triage(store, start=dataset_id(WH, "features"), since=when(3, 12).timestamp())
    assert whole.scope == "whole datasets"
    assert version_id(WH, "raw.events", "e4") in [s.node for s in whole.suspects]
