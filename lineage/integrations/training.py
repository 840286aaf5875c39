"""Training runs as OpenLineage runs: the exact data read in, model versions out.

>>> with training_run(job="train_churn", inputs=[features]) as run:  # doctest: +SKIP
...     model = fit(...)
...     run.log_model("churn", "2", "sklearn", metrics={"auc": 0.91}, params={"C": 0.5})

emits START when the block starts and COMPLETE when it ends (FAIL, with an
``errorMessage`` run facet, when it raises; the exception propagates). The job has
``jobType`` TRAINING; its inputs carry their ``version`` facet; each logged model is an
output dataset with ``datasetType`` MODEL, the model version as its ``version`` facet, a
``lineage_model`` facet, and, when ``features`` are given, a schema and column lineage from
each feature column to the model.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, OutputDataset, RunState
from openlineage.client.facet_v2 import column_lineage_dataset, dataset_type_dataset
from openlineage.client.generated.base import DatasetFacet, JobFacet, RunFacet
from openlineage.client.transport import Transport

from lineage.integrations.emit import (
    DatasetLike,
    DatasetRef,
    as_float_map,
    as_ref,
    openlineage_client,
    schema_facet,
)
from lineage.integrations.facets import MODEL, PRODUCER, ModelDatasetFacet, jsonable
from lineage.integrations.runs import RunEmitter, error_facet, ml_job, run_id_for

Feature = str | tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class LoggedModel:
    """A model version a training run produced, and the features it was given."""

    dataset: DatasetRef
    facet: ModelDatasetFacet
    features: tuple[tuple[str, str, str], ...] = ()


@dataclass(slots=True)
class TrainingRun:
    """The run inside a ``training_run`` block; ``log_model`` records what it produced."""

    run_id: str
    job_namespace: str
    job_name: str
    inputs: list[DatasetRef]
    models: list[LoggedModel] = field(default_factory=list)

    def log_model(
        self,
        name: str,
        version: str | int,
        framework: str | None = None,
        metrics: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        *,
        namespace: str | None = None,
        features: Sequence[Feature] | None = None,
        registry_uri: str | None = None,
    ) -> DatasetRef:
        """Record a model version as an output of this run; returns its dataset.

        ``features`` are the columns the model was trained on: a column name of one of
        the inputs (the input whose ``fields`` list it, or the only input), or a
        ``(namespace, name, column)`` triple. ``namespace`` defaults to the job's.
        Raises ValueError naming a metric that is not a number or a feature no input has.
        """
        if not name:
            raise ValueError("log_model: name must not be empty")
        resolved = tuple(self._feature(f) for f in features or ())
        dataset = DatasetRef(
            namespace or self.job_namespace,
            name,
            str(version),
            {column: None for _, _, column in resolved} if resolved else None,
        )
        facet = ModelDatasetFacet(
            name=name,
            version=str(version),
            framework=framework,
            metrics=as_float_map(metrics, "metrics"),
            hyperparameters={str(k): jsonable(v) for k, v in (params or {}).items()},
            registryUri=registry_uri,
            producer=PRODUCER,
        )
        self.models.append(LoggedModel(dataset, facet, resolved))
        return dataset

    def datasets(self, state: RunState) -> tuple[list[InputDataset], list[OutputDataset]]:
        """What the run's event in ``state`` reads and writes: the models it logged are
        outputs of every event after START."""
        outputs = [model_output(m) for m in self.models] if state != RunState.START else []
        return [input_dataset(d) for d in self.inputs], outputs

    def _feature(self, feature: Feature) -> tuple[str, str, str]:
        if isinstance(feature, tuple):
            if len(feature) != 3 or not all(isinstance(p, str) for p in feature):
                raise ValueError(
                    f"a feature must be a column name or (namespace, name, column), got {feature!r}"
                )
            return feature
        having = [d for d in self.inputs if d.fields is not None and feature in d.fields]
        if len(having) == 1:
            return (having[0].namespace, having[0].name, feature)
        if not having and len(self.inputs) == 1:
            return (self.inputs[0].namespace, self.inputs[0].name, feature)
        where = "several inputs" if having else "no input"
        raise ValueError(
            f"feature {feature!r}: {where} of the training run has that column; "
            "name it as (namespace, name, column)"
        )


@contextmanager
def training_run(
    job: str,
    inputs: Sequence[DatasetLike] = (),
    *,
    namespace: str = "ml",
    client: OpenLineageClient | None = None,
    transport: Transport | None = None,
    url: str | None = None,
    api_key: str | None = None,
    run_id: str | None = None,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    integration: str = "LINEAGE",
    job_facets: Mapping[str, JobFacet] | None = None,
    run_facets: Mapping[str, RunFacet] | None = None,
) -> Iterator[TrainingRun]:
    """A training run of job ``namespace``/``job`` that read ``inputs``.

    ``run_id`` (a UUID; default a new UUIDv7) and ``started_at``/``ended_at`` (default
    now) make the events reproducible. Destination: see :mod:`lineage.integrations.emit`.
    """
    if not job:
        raise ValueError("training_run: job must not be empty")
    sink = openlineage_client(client, transport, url, api_key)
    refs = [as_ref(d, "each of inputs") for d in inputs]
    run = TrainingRun(run_id_for(run_id, started_at), namespace, job, refs)
    ol_job = ml_job(namespace, job, "TRAINING", integration, job_facets)
    emitter = RunEmitter(sink, ol_job, run.run_id, run_facets or {})

    emitter.emit(RunState.START, started_at, *run.datasets(RunState.START))
    try:
        yield run
    except BaseException as exc:
        failed = {"errorMessage": error_facet(exc)}
        emitter.emit(RunState.FAIL, ended_at, *run.datasets(RunState.FAIL), failed)
        raise
    emitter.emit(RunState.COMPLETE, ended_at, *run.datasets(RunState.COMPLETE))


def input_dataset(ref: DatasetRef) -> InputDataset:
    return InputDataset(namespace=ref.namespace, name=ref.name, facets=ref.facets())


def model_output(model: LoggedModel) -> OutputDataset:
    """The MODEL output dataset of a logged model version."""
    facets: dict[str, DatasetFacet] = model.dataset.facets()
    facets["datasetType"] = dataset_type_dataset.DatasetTypeDatasetFacet(
        datasetType="MODEL", producer=PRODUCER
    )
    facets[MODEL] = model.facet
    if model.features:
        facets["schema"] = schema_facet({column: None for _, _, column in model.features})
        facets["columnLineage"] = feature_lineage(model.features)
    return OutputDataset(namespace=model.dataset.namespace, name=model.dataset.name, facets=facets)


def feature_lineage(
    features: Sequence[tuple[str, str, str]],
    subtype: str = "TRANSFORMATION",
    description: str = "model feature",
) -> column_lineage_dataset.ColumnLineageDatasetFacet:
    """Each field is fed directly by the column of the same name of each dataset that
    ``features`` (namespace, name, column) name it in: a model's input by the feature column
    it was trained on, an endpoint's by the online feature it looks up."""
    sources: dict[str, list[column_lineage_dataset.InputField]] = {}
    for ns, name, column in features:
        sources.setdefault(column, []).append(
            column_lineage_dataset.InputField(
                namespace=ns,
                name=name,
                field=column,
                transformations=[
                    column_lineage_dataset.Transformation(
                        type="DIRECT", subtype=subtype, description=description
                    )
                ],
            )
        )
    return column_lineage_dataset.ColumnLineageDatasetFacet(
        fields={
            column: column_lineage_dataset.Fields(inputFields=inputs)
            for column, inputs in sources.items()
        },
        producer=PRODUCER,
    )
