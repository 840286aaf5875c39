"""A real MLflow run (local file store, scikit-learn model) becomes an OpenLineage training run."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lineage.graph.model import EdgeKind, dataset_id, field_id, job_id
from lineage.integrations import RecordingTransport
from lineage.store import Direction, open_store
from tests.e2e.server import Server
from tests.integrations._check import check_events

mlflow = pytest.importorskip("mlflow", reason="mlflow-skinny is in the test extras: pip install -e '.[test]'")
pytest.importorskip("sklearn", reason="scikit-learn is in the test extras: pip install -e '.[test]'")

MLFLOW_ENV = {
    # MLflow 3 refuses the file store unless asked; the test wants no database server.
    "MLFLOW_ALLOW_FILE_STORE": "true",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
}

TRAIN = """
import mlflow, pandas as pd
from sklearn.linear_model import LogisticRegression

mlflow.set_tracking_uri({uri!r})
mlflow.set_registry_uri({uri!r})
mlflow.set_experiment("churn")
frame = pd.DataFrame({{
    "tenure": [1, 5, 12, 30, 2, 40, 7, 3],
    "spend": [9.5, 20.0, 31.0, 80.0, 5.0, 99.0, 18.0, 7.5],
    "churned": [1, 0, 0, 0, 1, 0, 0, 1],
}})
frame.to_csv({csv!r}, index=False)
features = mlflow.data.from_pandas(frame, source={csv!r}, name="churn_features", targets="churned")
with mlflow.start_run() as run:
    mlflow.log_input(features, context="training")
    mlflow.log_params({{"C": 0.5, "max_iter": 200}})
    model = LogisticRegression(C=0.5, max_iter=200).fit(frame[["tenure", "spend"]], frame["churned"])
    mlflow.log_metric("accuracy", float(model.score(frame[["tenure", "spend"]], frame["churned"])))
    mlflow.sklearn.log_model(
        model, name="model", registered_model_name="churn",
        input_example=frame[["tenure", "spend"]].head(2), pip_requirements=["scikit-learn"],
    )
print("RUN", run.info.run_id, features.digest)
"""


@pytest.fixture
def mlflow_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    for name, value in MLFLOW_ENV.items():
        monkeypatch.setenv(name, value)
    uri = (tmp_path / "mlruns").as_uri()
    yield uri, tmp_path / "churn_features.csv"


def test_an_mlflow_run_is_a_training_run_from_its_logged_dataset_to_its_registered_model(
    mlflow_dir: tuple[str, Path],
) -> None:
    from lineage.integrations import mlflow as integration

    uri, csv = mlflow_dir
    sent = RecordingTransport()
    integration.autolog(transport=sent, model_namespace="mlflow://registry")
    try:
        scope: dict[str, Any] = {}
        exec(TRAIN.format(uri=uri, csv=str(csv)), scope)
        run_id = scope["run"].info.run_id
        digest = scope["features"].digest
    finally:
        integration.disable()
    start, complete = sent.sent
    assert [start["eventType"], complete["eventType"]] == ["START", "COMPLETE"]
    assert start["run"]["runId"].replace("-", "") == run_id
    assert complete["job"]["namespace"] == "mlflow" and complete["job"]["name"] == "churn"
    assert complete["job"]["facets"]["jobType"]["jobType"] == "TRAINING"
    assert complete["job"]["facets"]["jobType"]["integration"] == "MLFLOW"
    (source,) = complete["inputs"]
    assert (source["namespace"], source["name"]) == ("file", str(csv))
    assert source["facets"]["version"]["datasetVersion"] == digest
    assert [f["name"] for f in source["facets"]["schema"]["fields"]] == ["tenure", "spend", "churned"]
    (model,) = complete["outputs"]
    assert (model["namespace"], model["name"]) == ("mlflow://registry", "churn")
    assert model["facets"]["datasetType"]["datasetType"] == "MODEL"
    assert model["facets"]["version"]["datasetVersion"] == "1"
    facet = model["facets"]["lineage_model"]
    assert (facet["name"], facet["version"], facet["framework"]) == ("churn", "1", "sklearn")
    assert facet["registryUri"] == "models:/churn/1"
    assert facet["hyperparameters"] == {"C": "0.5", "max_iter": "200"}
    assert set(facet["metrics"]) == {"accuracy"}
    lineage = model["facets"]["columnLineage"]["fields"]
    assert {k: [i["field"] for i in v["inputFields"]] for k, v in lineage.items()} == {
        "tenure": ["tenure"],
        "spend": ["spend"],
    }
    check_events(sent.sent)


def test_enabling_it_by_environment_sends_mlflow_runs_to_a_real_server(
    tmp_path: Path, mlflow_dir: tuple[str, Path]
) -> None:
    uri, csv = mlflow_dir
    server = Server(f"sqlite:///{tmp_path}/lineage.db", tmp_path / "server.log").start()
    try:
        script = tmp_path / "train.py"
        script.write_text(textwrap.dedent(TRAIN.format(uri=uri, csv=str(csv))))
        done = subprocess.run(
            [sys.executable, str(script)],
            env={**os.environ, **MLFLOW_ENV, "OPENLINEAGE_URL": server.url, "LINEAGE_MLFLOW_AUTOLOG": "true"},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
    finally:
        server.stop()
    store = open_store(server.store)
    try:
        model = dataset_id("mlflow://local", "churn")
        assert store.get_nodes([model])[model].props["type"] == "MODEL"
        assert [e.src for e in store.edges_of([model], Direction.UPSTREAM, [EdgeKind.PRODUCES])] == [
            job_id("mlflow", "churn")
        ]
        feeds = store.edges_of([field_id("mlflow://local", "churn", "spend")], Direction.UPSTREAM, [EdgeKind.FEEDS])
        assert [e.src for e in feeds] == [field_id("file", str(csv), "spend")]
    finally:
        store.close()
