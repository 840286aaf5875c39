"""The project's custom OpenLineage facets, named with its ``lineage_`` prefix.

Each is an openlineage-python facet class (attrs), so the real client serialises it like
any standard facet, and each has a JSON Schema under ``schema/facets/`` whose ``$id`` is
the facet's ``_schemaURL``. Any OpenLineage backend keeps them as custom facets; this
service also reads them (see ``docs/graph.md``).

- ``lineage_model`` (dataset facet, on a MODEL dataset): what a training run produced.
- ``lineage_deployment`` (dataset facet, on an ENDPOINT dataset): what a deployment put
  behind the endpoint, and where.
- ``lineage_drift`` (input dataset facet, on the dataset a MONITOR run watched): the
  drift a monitor measured, overall and per column.
"""

from __future__ import annotations

from typing import Any, Final

import attr
from openlineage.client.generated.base import DatasetFacet, InputDatasetFacet

#: Where the facet schemas are published: ``schema/facets/<file>`` of this repository.
SCHEMA_BASE: Final = "https://lineage.example/spec/facets/1-0-0/"
#: The ``producer`` of every event and facet the integrations emit.
PRODUCER: Final = "https://lineage.example/integrations/0.1.0"

MODEL: Final = "lineage_model"
DEPLOYMENT: Final = "lineage_deployment"
DRIFT: Final = "lineage_drift"

#: facet name -> schema file in ``schema/facets/`` (and its ``$defs`` entry, the stem).
SCHEMA_FILES: Final = {
    MODEL: "LineageModelDatasetFacet.json",
    DEPLOYMENT: "LineageDeploymentDatasetFacet.json",
    DRIFT: "LineageDriftInputDatasetFacet.json",
}


def schema_url(facet: str) -> str:
    """The ``_schemaURL`` of one of the project's facets, e.g. ``schema_url("lineage_model")``."""
    file = SCHEMA_FILES[facet]
    return f"{SCHEMA_BASE}{file}#/$defs/{file.removesuffix('.json')}"


@attr.define
class ModelDatasetFacet(DatasetFacet):
    """``lineage_model``: a model version as a training run produced (or registered) it."""

    name: str
    version: str
    framework: str | None = attr.field(default=None)
    metrics: dict[str, float] = attr.field(factory=dict)
    hyperparameters: dict[str, str | int | float | bool] = attr.field(factory=dict)
    registryUri: str | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return schema_url(MODEL)


@attr.define
class DeployedModel:
    """The model version a deployment serves."""

    namespace: str
    name: str
    version: str


@attr.define
class DeploymentDatasetFacet(DatasetFacet):
    """``lineage_deployment``: which model version an endpoint serves, in which environment."""

    environment: str
    model: DeployedModel
    url: str | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return schema_url(DEPLOYMENT)


@attr.define
class DriftColumn:
    """The drift score of one column, and whether it is past the threshold."""

    name: str
    score: float
    drifted: bool


@attr.define
class DriftReference:
    """The dataset version the monitored data was compared with."""

    namespace: str
    name: str
    version: str | None = attr.field(default=None)


@attr.define
class DriftInputDatasetFacet(InputDatasetFacet):
    """``lineage_drift``: drift a monitor measured on the dataset it read.

    ``score`` is the largest column score; ``drifted`` is true when any column's score is
    above ``threshold``.
    """

    method: str
    threshold: float
    score: float
    drifted: bool
    columns: list[DriftColumn] = attr.field(factory=list)
    reference: DriftReference | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return schema_url(DRIFT)


def jsonable(value: Any) -> Any:
    """A JSON-ready copy of a parameter value: numbers, strings and booleans as they are,
    anything else as its string form (MLflow params, numpy scalars, ...)."""
    if isinstance(value, bool | int | float | str):
        return value
    item = getattr(value, "item", None)
    if callable(item):
        converted = item()
        if isinstance(converted, bool | int | float | str):
            return converted
    return str(value)
