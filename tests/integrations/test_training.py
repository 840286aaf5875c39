"""training_run: START, then COMPLETE with the model versions logged, or FAIL with the error."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lineage.graph.model import EdgeKind, dataset_id, field_id, job_id
from lineage.integrations import DatasetRef, NoDestination, RecordingTransport, training_run
from lineage.integrations.facets import PRODUCER
from lineage.store import Direction, GraphStore, open_store
from tests.e2e.server import Server
from tests.integrations._check import check_events, facets_named

WH = "postgres://warehouse:5432"
FEATURES = DatasetRef(WH, "analytics.features.churn", "2026-11-24", {"tenure": "INT", "spend": "DOUBLE"})
LABELS = DatasetRef(WH, "analytics.labels.churn", "7")
AT = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


def train(transport: RecordingTransport, **kwargs: object) -> None:
    with training_run("train_churn", [FEATURES, LABELS], transport=transport, started_at=AT, ended_at=AT) as run:
        run.log_model(
            "churn",
            2,
            "sklearn",
            metrics={"auc": 0.84},
            params={"C": 0.5, "penalty": "l2", "fit_intercept": True},
            namespace="mlflow://registry",
            features=["tenure", "spend"],
            registry_uri="models:/churn/2",
        )


def test_a_training_run_reads_exact_versions_and_writes_a_model_version() -> None:
    sent = RecordingTransport()
    train(sent)
    start, complete = sent.sent
    assert [start["eventType"], complete["eventType"]] == ["START", "COMPLETE"]
    assert start["run"]["runId"] == complete["run"]["runId"]
    assert complete["job"]["facets"]["jobType"]["jobType"] == "TRAINING"
    assert [(d["name"], d["facets"]["version"]["datasetVersion"]) for d in complete["inputs"]] == [
        ("analytics.features.churn", "2026-11-24"),
        ("analytics.labels.churn", "7"),
    ]
    assert start["outputs"] == []
    (model,) = complete["outputs"]
    assert (model["namespace"], model["name"]) == ("mlflow://registry", "churn")
    assert model["facets"]["datasetType"]["datasetType"] == "MODEL"
    assert model["facets"]["version"]["datasetVersion"] == "2"
    facet = {k: v for k, v in model["facets"]["lineage_model"].items() if not k.startswith("_")}
    assert facet == {
        "name": "churn",
        "version": "2",
        "framework": "sklearn",
        "metrics": {"auc": 0.84},
        "hyperparameters": {"C": 0.5, "penalty": "l2", "fit_intercept": True},
        "registryUri": "models:/churn/2",
    }
    lineage = model["facets"]["columnLineage"]["fields"]
    assert {out: [(i["name"], i["field"]) for i in f["inputFields"]] for out, f in lineage.items()} == {
        "tenure": [("analytics.features.churn", "tenure")],
        "spend": [("analytics.features.churn", "spend")],
    }
    assert complete["producer"] == PRODUCER
    assert facets_named(sent.sent) == {"lineage_model"}
    check_events(sent.sent)


def test_a_block_that_raises_ends_the_run_in_fail_with_the_error_and_reraises() -> None:
    sent = RecordingTransport()
    with pytest.raises(ZeroDivisionError), training_run("train_churn", [FEATURES], transport=sent) as run:
        run.log_model("churn", "3", "sklearn")
        _ = 1 / 0
    assert [e["eventType"] for e in sent.sent] == ["START", "FAIL"]
    error = sent.sent[1]["run"]["facets"]["errorMessage"]
    assert error["message"] == "ZeroDivisionError: division by zero"
    assert error["programmingLanguage"] == "python"
    assert "1 / 0" in error["stackTrace"]
    check_events(sent.sent)


def test_a_feature_no_input_has_is_refused_with_its_name() -> None:
    with pytest.raises(ValueError, match="'age'"), training_run(
        "train", [FEATURES, LABELS], transport=RecordingTransport()
    ) as run:
        run.log_model("churn", "1", features=["age"])


def test_a_metric_that_is_not_a_number_is_refused_with_its_name() -> None:
    with pytest.raises(ValueError, match=r"metrics\['auc'\]"), training_run(
        "train", [FEATURES], transport=RecordingTransport()
    ) as run:
        run.log_model("churn", "1", metrics={"auc": "high"})


def test_without_a_destination_the_error_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENLINEAGE_URL", raising=False)
    monkeypatch.delenv("OPENLINEAGE_CONFIG", raising=False)
    for name in [n for n in __import__("os").environ if n.startswith("OPENLINEAGE__")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(__import__("tempfile").mkdtemp())
    with pytest.raises(NoDestination, match="OPENLINEAGE_URL"), training_run("train"):
        pass


def test_openlineage_url_sends_the_run_to_a_real_server(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENLINEAGE_URL", server.url)
    with training_run("train_churn", [FEATURES], started_at=AT, ended_at=AT) as run:
        run.log_model("churn", "2", "sklearn", namespace="mlflow://registry", features=["tenure"])
    server.stop()
    store: GraphStore = open_store(server.store)
    try:
        model = dataset_id("mlflow://registry", "churn")
        node = store.get_nodes([model])[model]
        assert node.props["type"] == "MODEL"
        produced = store.edges_of([model], Direction.UPSTREAM, [EdgeKind.PRODUCES])
        assert [e.src for e in produced] == [job_id("ml", "train_churn")]
        feeds = store.edges_of([field_id("mlflow://registry", "churn", "tenure")], Direction.UPSTREAM, [EdgeKind.FEEDS])
        assert [e.src for e in feeds] == [field_id(WH, "analytics.features.churn", "tenure")]
    finally:
        store.close()
