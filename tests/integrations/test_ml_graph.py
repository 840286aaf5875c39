"""What the graph makes of the lineage_* facets, on both stores."""

from __future__ import annotations

from typing import Any

from lineage.graph.model import dataset_id, version_id
from lineage.ingest.transport import StoreTransport
from lineage.integrations import (
    DatasetRef,
    RecordingTransport,
    emit_deployment,
    training_run,
)
from lineage.store import GraphStore
from tests.conftest import feed

FEATURES = DatasetRef("postgres://warehouse:5432", "analytics.features.churn", "2026-11-24")
MODELS = "mlflow://registry"


def without_dataset_type(event: dict[str, Any]) -> dict[str, Any]:
    for ds in (*event["inputs"], *event["outputs"]):
        ds["facets"].pop("datasetType", None)
    return event


def test_each_model_version_keeps_its_own_metrics(store: GraphStore) -> None:
    sink = StoreTransport(store)
    for version, auc in (("1", 0.80), ("2", 0.91)):
        with training_run("train_churn", [FEATURES], transport=sink) as run:
            run.log_model("churn", version, "sklearn", metrics={"auc": auc}, namespace=MODELS)
    ids = [version_id(MODELS, "churn", v) for v in ("1", "2")]
    versions = store.get_nodes(ids)
    assert [versions[i].props["facet:lineage_model"]["metrics"]["auc"] for i in ids] == [0.80, 0.91]
    model = store.get_nodes([dataset_id(MODELS, "churn")])[dataset_id(MODELS, "churn")]
    assert model.props["facet:lineage_model"]["version"] == "2"


def test_the_project_facets_imply_model_and_endpoint_without_a_dataset_type(store: GraphStore) -> None:
    sent = RecordingTransport()
    with training_run("train_churn", [FEATURES], transport=sent) as run:
        run.log_model("churn", "1", namespace=MODELS)
    rid = emit_deployment((MODELS, "churn"), "1", ("kserve://prod", "churn-scorer"), "prod", transport=sent)
    feed(store, [without_dataset_type(e) for e in sent.sent])
    ids = [dataset_id(MODELS, "churn"), dataset_id("kserve://prod", "churn-scorer")]
    nodes = store.get_nodes(ids)
    assert [nodes[i].props.get("type") for i in ids] == ["MODEL", "ENDPOINT"]
    endpoint = store.get_nodes([version_id("kserve://prod", "churn-scorer", rid)])
    (version,) = endpoint.values()
    assert version.props["facet:lineage_deployment"]["model"] == {"namespace": MODELS, "name": "churn", "version": "1"}
