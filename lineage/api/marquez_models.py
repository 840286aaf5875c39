"""Marquez's answer shapes, as this service sends them (see :mod:`lineage.api.marquez`), for
``/openapi.json``: Marquez's names and camelCase, every key always present.

Instants are ISO 8601 in UTC with a ``Z``; where Marquez has something this graph does not
(job versions, run arguments), the key is there with an empty or null value.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from lineage.api.responses import Shape


class MarquezError(Shape):
    """An error as Marquez sends it (``code``, ``message``), and as this service's own
    routes do (``error``)."""

    code: int
    message: str
    error: str


class Namespace(Shape):
    name: str
    createdAt: str | None
    updatedAt: str | None
    ownerName: str
    description: str | None
    isHidden: bool


class NamespaceList(Shape):
    namespaces: list[Namespace]


class DatasetId(Shape):
    namespace: str
    name: str


class DatasetVersionId(Shape):
    namespace: str
    name: str
    version: str | None


class SchemaField(Shape):
    name: str
    type: str | None
    tags: list[str]
    description: str | None


class InputField(Shape):
    """A column another is derived from, and how."""

    namespace: str
    dataset: str
    field: str
    transformationDescription: str | None
    transformationType: str | None
    transformations: list[dict[str, Any]]


class ColumnLineage(Shape):
    """A column of a dataset and the columns it is derived from."""

    name: str
    inputFields: list[InputField]
    transformationDescription: str | None
    transformationType: str | None


class VersionRef(Shape):
    datasetVersionId: DatasetVersionId
    facets: dict[str, Any]


class JobVersionRef(Shape):
    namespace: str | None
    name: str | None
    version: str | None


class Run(Shape):
    id: str
    createdAt: str | None
    updatedAt: str | None
    nominalStartTime: str | None
    nominalEndTime: str | None
    state: str = Field(description="NEW, RUNNING, COMPLETED, FAILED or ABORTED.")
    startedAt: str | None
    endedAt: str | None
    durationMs: int | None
    args: dict[str, Any]
    jobVersion: JobVersionRef
    inputDatasetVersions: list[VersionRef]
    outputDatasetVersions: list[VersionRef]
    context: dict[str, Any]
    facets: dict[str, Any]


class Dataset(Shape):
    id: DatasetId
    type: str = Field(description="DB_TABLE or STREAM.")
    name: str
    physicalName: str
    createdAt: str | None
    updatedAt: str | None
    namespace: str
    sourceName: str
    fields: list[SchemaField]
    tags: list[str]
    lastModifiedAt: str | None
    lastLifecycleState: str | None
    description: str | None
    facets: dict[str, Any]
    currentVersion: str | None
    deleted: bool


class DatasetWithColumnLineage(Dataset):
    """One dataset, with each of its columns' sources."""

    columnLineage: list[ColumnLineage]


class DatasetVersion(Shape):
    id: DatasetVersionId
    type: str
    name: str
    physicalName: str
    createdAt: str | None
    version: str | None
    namespace: str
    sourceName: str
    fields: list[SchemaField]
    tags: list[str]
    lifecycleState: str | None
    description: str | None
    createdByRun: Run | None
    facets: dict[str, Any]


class Job(Shape):
    id: DatasetId
    type: str = Field(description="BATCH or STREAM.")
    name: str
    simpleName: str
    parentJobName: str | None
    createdAt: str | None
    updatedAt: str | None
    namespace: str
    inputs: list[DatasetId]
    outputs: list[DatasetId]
    location: str | None
    context: dict[str, str]
    description: str | None
    latestRun: Run | None
    facets: dict[str, Any]
    currentVersion: str | None
    tags: list[str]


class DatasetList(Shape):
    datasets: list[Dataset]
    totalCount: int


class DatasetVersionList(Shape):
    versions: list[DatasetVersion]
    totalCount: int


class JobList(Shape):
    jobs: list[Job]
    totalCount: int


class RunList(Shape):
    runs: list[Run]
    totalCount: int


class SearchResult(Shape):
    type: str = Field(description="DATASET or JOB.")
    name: str
    updatedAt: str | None
    namespace: str
    nodeId: str


class SearchResultList(Shape):
    totalCount: int
    results: list[SearchResult]


class LineageEdge(Shape):
    origin: str
    destination: str


class LineageNode(Shape):
    id: str = Field(description="dataset:<namespace>:<name> or job:<namespace>:<name>.")
    type: str = Field(description="DATASET or JOB.")
    data: Dataset | Job | None
    inEdges: list[LineageEdge]
    outEdges: list[LineageEdge]


class LineageGraph(Shape):
    graph: list[LineageNode]


class ColumnInput(Shape):
    """A column another is derived from, at its dataset's current version, and how."""

    namespace: str
    dataset: str
    datasetVersion: str | None
    field: str
    transformationDescription: str | None
    transformationType: str | None
    transformations: list[dict[str, Any]]


class ColumnData(Shape):
    namespace: str
    dataset: str
    datasetVersion: str | None
    field: str
    fieldType: str | None
    transformationDescription: str | None
    transformationType: str | None
    inputFields: list[ColumnInput]


class ColumnLineageNode(Shape):
    id: str = Field(description="datasetField:<namespace>:<name>:<field>.")
    type: str = Field(description="DATASET_FIELD.")
    data: ColumnData | None
    inEdges: list[LineageEdge]
    outEdges: list[LineageEdge]


class ColumnLineageGraph(Shape):
    graph: list[ColumnLineageNode]
