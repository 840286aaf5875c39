"""Deployments as OpenLineage runs: a model version in, an endpoint out.

A deployment is a run of a DEPLOYMENT job (one job per endpoint, so each new deployment
of the endpoint is the next run of the same job) that read the model version and wrote a
new version of the ENDPOINT dataset, whose version is the deployment's run id. Asking the
graph about the endpoint as of a time answers which model (DATASET granularity) and which
model version (RUN granularity) served it then.

An endpoint that looks its model's features up at serving time (a feature store's online
store) names what it reads in ``online_features``: each is a further input of the
deployment run, at the version given (for Feast, the feature service by the namespace and
name Feast's own events give it, at the version of the ``feast apply`` run that defined
it). The columns they list are the endpoint's schema, each fed directly by the column of
the same name (column lineage), so a change upstream of a feature reaches the endpoint
through it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, OutputDataset
from openlineage.client.facet_v2 import dataset_type_dataset, dataset_version_dataset
from openlineage.client.generated.base import DatasetFacet
from openlineage.client.transport import Transport

from lineage.integrations.emit import (
    DatasetLike,
    DatasetRef,
    as_ref,
    openlineage_client,
    schema_facet,
)
from lineage.integrations.facets import (
    DEPLOYMENT,
    PRODUCER,
    DeployedModel,
    DeploymentDatasetFacet,
)
from lineage.integrations.runs import RunEmitter, ml_job, run_id_for
from lineage.integrations.training import feature_lineage


def deployment_job_name(endpoint_name: str) -> str:
    """The DEPLOYMENT job of an endpoint, unless one is named: ``deploy.<endpoint name>``."""
    return f"deploy.{endpoint_name}"


def emit_deployment(
    model: tuple[str, str],
    version: str | int,
    endpoint: tuple[str, str],
    environment: str,
    *,
    url: str | None = None,
    job: tuple[str, str] | None = None,
    client: OpenLineageClient | None = None,
    transport: Transport | None = None,
    openlineage_url: str | None = None,
    api_key: str | None = None,
    run_id: str | None = None,
    deployed_at: datetime | None = None,
    duration: timedelta = timedelta(seconds=0),
    online_features: Sequence[DatasetLike] = (),
) -> str:
    """Report that ``model`` (namespace, name) version ``version`` now serves ``endpoint``.

    ``job`` defaults to ``("deployments", "deploy.<endpoint name>")``. Emits START at
    ``deployed_at`` (default now) and COMPLETE ``duration`` later. Returns the run id, which
    is also the endpoint's new version. ``openlineage_url``/``api_key`` (else
    ``OPENLINEAGE_URL``/``OPENLINEAGE_API_KEY``) say where to send the events.
    ``online_features`` are the datasets the endpoint reads features from when it serves
    (DatasetRefs or ``(namespace, name[, version])``); their ``fields`` become the
    endpoint's columns, with column lineage from them.
    """
    for what, pair in (("model", model), ("endpoint", endpoint)):
        if len(pair) != 2 or not all(isinstance(p, str) and p for p in pair):
            raise ValueError(f"{what} must be (namespace, name), got {pair!r}")
    if not environment:
        raise ValueError("environment must not be empty (e.g. prod)")
    sink = openlineage_client(client, transport, openlineage_url, api_key)
    rid = run_id_for(run_id, deployed_at)
    job_ns, job_name = job or ("deployments", deployment_job_name(endpoint[1]))
    deployed = DatasetRef(model[0], model[1], str(version))
    model_facets = deployed.facets()
    model_facets["datasetType"] = dataset_type_dataset.DatasetTypeDatasetFacet(
        datasetType="MODEL", producer=PRODUCER
    )
    inputs = [InputDataset(namespace=model[0], name=model[1], facets=model_facets)]
    served = [as_ref(d, "each of online_features") for d in online_features]
    inputs += [InputDataset(namespace=d.namespace, name=d.name, facets=d.facets()) for d in served]
    columns: dict[str, str | None] = {}
    for d in served:
        for column, kind in (d.fields or {}).items():
            columns.setdefault(column, kind)
    endpoint_facets: dict[str, DatasetFacet] = {}
    if columns:
        endpoint_facets["schema"] = schema_facet(columns)
        endpoint_facets["columnLineage"] = feature_lineage(
            [(d.namespace, d.name, c) for d in served for c in d.fields or {}],
            subtype="IDENTITY",
            description="online feature",
        )
    outputs = [
        OutputDataset(
            namespace=endpoint[0],
            name=endpoint[1],
            facets={
                "version": dataset_version_dataset.DatasetVersionDatasetFacet(
                    datasetVersion=rid, producer=PRODUCER
                ),
                "datasetType": dataset_type_dataset.DatasetTypeDatasetFacet(
                    datasetType="ENDPOINT", producer=PRODUCER
                ),
                DEPLOYMENT: DeploymentDatasetFacet(
                    environment=environment,
                    model=DeployedModel(namespace=model[0], name=model[1], version=str(version)),
                    url=url,
                    producer=PRODUCER,
                ),
                **endpoint_facets,
            },
        )
    ]
    emitter = RunEmitter(sink, ml_job(job_ns, job_name, "DEPLOYMENT"), rid)
    emitter.start_and_complete(deployed_at, duration, inputs, outputs)
    return rid
