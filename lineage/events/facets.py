"""Typed models of the standard OpenLineage facets (spec 2-0-2, ``facets/*.json``).

Each model follows its facet's JSON Schema: properties the schema requires are required,
every other declared property is optional (absent is ``None`` or empty, but ``null`` is
rejected as the schema does), and undeclared properties are kept (``extra="allow"``; read
them from ``model_extra``). Dates are timezone-aware UTC datetimes and UUIDs are
canonical lowercase strings; everything else keeps its JSON form.

The registries at the bottom (:data:`DATASET_FACETS`, :data:`INPUT_FACETS`,
:data:`OUTPUT_FACETS`, :data:`JOB_FACETS`, :data:`RUN_FACETS`) say which facet names are
checked against which model in which place of an event. Facets they do not list, custom
ones included, are only checked to be facets (objects with ``_producer`` and
``_schemaURL``) and are kept verbatim.

Read a typed facet from a parsed event with
``get_facet(dataset.facets, "schema", SchemaDatasetFacet)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any, ClassVar, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator

from lineage.events._facet_map import FacetMap, facet_map_validator
from lineage.events._json import (
    DateTime,
    JsonNumber,
    NotNull,
    OptBool,
    OptDateTime,
    OptInt,
    OptNumber,
    OptStr,
    PositiveJsonInt,
    Uuid,
    one_of,
)

__all__ = [
    "DATASET_FACETS",
    "INPUT_FACETS",
    "JOB_FACETS",
    "OUTPUT_FACETS",
    "RUN_FACETS",
    "Assertion",
    "BaseFacet",
    "ColumnLineageDatasetFacet",
    "ColumnLineageField",
    "ColumnLineageInputField",
    "ColumnMetrics",
    "DataQualityAssertionsFacet",
    "DataQualityMetricsFacet",
    "DatasetTypeDatasetFacet",
    "DatasetVersionDatasetFacet",
    "DatasourceDatasetFacet",
    "DocumentationFacet",
    "EmissionPattern",
    "ErrorMessageRunFacet",
    "FacetPart",
    "GreatExpectationsAssertion",
    "GreatExpectationsAssertionsFacet",
    "InputStatisticsFacet",
    "JobTypeJobFacet",
    "LifecycleState",
    "LifecycleStateChangeDatasetFacet",
    "NominalTimeRunFacet",
    "OutputStatisticsFacet",
    "Owner",
    "OwnershipFacet",
    "ParentJob",
    "ParentRoot",
    "ParentRun",
    "ParentRunFacet",
    "PreviousIdentifier",
    "ProcessingEngineRunFacet",
    "SQLJobFacet",
    "SchemaDatasetFacet",
    "SchemaField",
    "SourceCodeJobFacet",
    "SourceCodeLocationJobFacet",
    "StorageDatasetFacet",
    "SymlinkIdentifier",
    "SymlinksDatasetFacet",
    "Tag",
    "TagsFacet",
    "Transformation",
]


class FacetPart(BaseModel):
    """A JSON object inside a facet: strict JSON types, unknown properties kept."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True, serialize_by_alias=True)


class BaseFacet(FacetPart):
    """What every facet carries (spec ``BaseFacet``): who produced it and its schema.

    ``model_dump()`` writes them back as ``_producer`` and ``_schemaURL``.

    ``share_by_content`` marks facets that are big and repeat between events: parsing
    shares one instance between events that carry the same JSON (see
    ``lineage.events._facet_map.SharedFacets``).
    """

    share_by_content: ClassVar[bool] = False

    producer: str = Field(alias="_producer")
    schemaURL: str = Field(alias="_schemaURL")


# -- dataset facets -----------------------------------------------------------------------


class SchemaField(FacetPart):
    """One column (or nested struct field) of a dataset schema."""

    name: str
    type: OptStr = None
    description: OptStr = None
    ordinal_position: OptInt = None
    fields: list[SchemaField] = Field(default_factory=list)


class SchemaDatasetFacet(BaseFacet):
    """``schema``: the columns of a dataset (SchemaDatasetFacet.json)."""

    share_by_content = True

    fields: list[SchemaField] = Field(default_factory=list)


class Transformation(FacetPart):
    """How an input field becomes an output field: ``type`` is DIRECT or INDIRECT."""

    type: str
    subtype: OptStr = None
    description: OptStr = None
    masking: OptBool = None


class ColumnLineageInputField(FacetPart):
    """A field of some dataset that an output field (or the whole output) depends on."""

    namespace: str
    name: str
    field: str
    transformations: list[Transformation] = Field(default_factory=list)


class ColumnLineageField(FacetPart):
    """The inputs of one output field; the two deprecated transformation strings included."""

    inputFields: list[ColumnLineageInputField]
    transformationType: OptStr = None
    transformationDescription: OptStr = None


class ColumnLineageDatasetFacet(BaseFacet):
    """``columnLineage``: output field -> input fields (ColumnLineageDatasetFacet.json).

    ``dataset`` lists inputs that affect the whole dataset (filters, joins, sorts).
    """

    share_by_content = True

    fields: dict[str, ColumnLineageField]
    dataset: list[ColumnLineageInputField] = Field(default_factory=list)


class DatasourceDatasetFacet(BaseFacet):
    """``dataSource``: the system a dataset lives in (DatasourceDatasetFacet.json)."""

    name: OptStr = None
    uri: OptStr = None


class DatasetVersionDatasetFacet(BaseFacet):
    """``version``: the producer's version of the dataset (DatasetVersionDatasetFacet.json)."""

    datasetVersion: str


LifecycleState = Literal["ALTER", "CREATE", "DROP", "OVERWRITE", "RENAME", "TRUNCATE"]


class PreviousIdentifier(FacetPart):
    """The identity a dataset had before a RENAME."""

    namespace: str
    name: str


class LifecycleStateChangeDatasetFacet(BaseFacet):
    """``lifecycleStateChange``: what the run did to the dataset as a whole."""

    lifecycleStateChange: Annotated[
        LifecycleState,
        PlainValidator(one_of("ALTER", "CREATE", "DROP", "OVERWRITE", "RENAME", "TRUNCATE")),
    ]
    previousIdentifier: Annotated[PreviousIdentifier | None, NotNull()] = None


class SymlinkIdentifier(FacetPart):
    """Another name of the same dataset, e.g. a table name for a file location."""

    namespace: str
    name: str
    type: str


class SymlinksDatasetFacet(BaseFacet):
    """``symlinks``: other identifiers of the dataset (SymlinksDatasetFacet.json)."""

    share_by_content = True

    identifiers: list[SymlinkIdentifier] = Field(default_factory=list)


class StorageDatasetFacet(BaseFacet):
    """``storage``: storage layer (iceberg, delta, ...) and file format."""

    storageLayer: str
    fileFormat: OptStr = None


class DatasetTypeDatasetFacet(BaseFacet):
    """``datasetType``: TABLE, VIEW, FILE, TOPIC, STREAM, MODEL, ... and a sub-type."""

    datasetType: str
    subType: OptStr = None


class ColumnMetrics(FacetPart):
    """Data quality metrics of one column."""

    nullCount: OptInt = None
    distinctCount: OptInt = None
    sum: OptNumber = None
    count: OptNumber = None
    min: OptNumber = None
    max: OptNumber = None
    quantiles: Annotated[dict[str, JsonNumber] | None, NotNull()] = None


class DataQualityMetricsFacet(BaseFacet):
    """``dataQualityMetrics``, as a dataset facet or an input facet (same schema)."""

    rowCount: OptInt = None
    bytes: OptInt = None
    fileCount: OptInt = None
    lastUpdated: OptDateTime = None
    columnMetrics: dict[str, ColumnMetrics]


class Assertion(FacetPart):
    """The outcome of one data quality test; ``success`` is true when no issue was found."""

    assertion: str
    success: bool
    column: OptStr = None
    severity: OptStr = None
    name: OptStr = None
    description: OptStr = None
    expected: OptStr = None
    actual: OptStr = None
    content: OptStr = None
    contentType: OptStr = None
    params: Annotated[dict[str, Any] | None, NotNull()] = None


class DataQualityAssertionsFacet(BaseFacet):
    """``dataQualityAssertions``: tests run on a dataset, as an input or dataset facet."""

    share_by_content = True

    assertions: list[Assertion]


class GreatExpectationsAssertion(FacetPart):
    """One expectation's outcome: its type (``expect_column_values_to_not_be_null``), whether
    it held, and the column it is about. Great Expectations sends no parameters here."""

    expectationType: str
    success: bool
    column: str | None = None  # the integration may write null for table expectations


class GreatExpectationsAssertionsFacet(BaseFacet):
    """``greatExpectations_assertions``: not a standard facet, but how Great Expectations'
    OpenLineage action (``openlineage-integration-common``) reports a validation, as an
    input facet of each validated dataset. Like every custom facet it is kept verbatim; it
    is read with this model only where it is used (incidents), leniently."""

    share_by_content = True

    assertions: list[GreatExpectationsAssertion]


class InputStatisticsFacet(BaseFacet):
    """``inputStatistics`` (input facet): how much a run read."""

    rowCount: OptInt = None
    size: OptInt = None
    fileCount: OptInt = None


class OutputStatisticsFacet(BaseFacet):
    """``outputStatistics`` (output facet): how much a run wrote."""

    rowCount: OptInt = None
    size: OptInt = None
    fileCount: OptInt = None


# -- facets shared by datasets, jobs and runs ---------------------------------------------


class Owner(FacetPart):
    """An owner, ideally a URN such as ``team:data``; ``type`` e.g. MAINTAINER."""

    name: str
    type: OptStr = None


class OwnershipFacet(BaseFacet):
    """``ownership`` of a dataset or a job (Ownership{Dataset,Job}Facet.json)."""

    share_by_content = True

    owners: list[Owner] = Field(default_factory=list)


class DocumentationFacet(BaseFacet):
    """``documentation`` of a dataset or a job; ``contentType`` is a MIME type."""

    description: str
    contentType: OptStr = None


class Tag(FacetPart):
    """A key/value tag; ``field`` (datasets only) names the column it applies to."""

    key: str
    value: str
    source: OptStr = None
    field: OptStr = None


class TagsFacet(BaseFacet):
    """``tags`` of a dataset, a job or a run (Tags{Dataset,Job,Run}Facet.json)."""

    share_by_content = True

    tags: list[Tag] = Field(default_factory=list)


# -- job facets ----------------------------------------------------------------------------


class EmissionPattern(FacetPart):
    """When a job emits events and whether each event is complete on its own."""

    eventTrigger: str
    eventContentMode: str
    windowDuration: Annotated[PositiveJsonInt | None, NotNull()] = None


class JobTypeJobFacet(BaseFacet):
    """``jobType``: BATCH/STREAMING, the integration (SPARK, DBT, ...) and the job type."""

    processingType: str
    integration: str
    jobType: OptStr = None
    emissionPattern: Annotated[EmissionPattern | None, NotNull()] = None


class SQLJobFacet(BaseFacet):
    """``sql``: the query the job runs."""

    query: str
    dialect: OptStr = None


class SourceCodeJobFacet(BaseFacet):
    """``sourceCode``: the job's source code and its language."""

    language: str
    sourceCode: str


class SourceCodeLocationJobFacet(BaseFacet):
    """``sourceCodeLocation``: where the job's code lives (``url`` is the file's URL)."""

    type: str
    url: str
    repoUrl: OptStr = None
    path: OptStr = None
    version: OptStr = None
    tag: OptStr = None
    branch: OptStr = None
    pullRequestNumber: OptStr = None


# -- run facets ----------------------------------------------------------------------------

# Facets forwarded inside ``parent`` belong to another run or job: they are checked to be
# facets but not interpreted; read them with get_facet if needed.
_ForwardedRunFacets = Annotated[dict[str, dict[str, Any]], facet_map_validator({}, deletable=False)]
_ForwardedJobFacets = Annotated[dict[str, dict[str, Any]], facet_map_validator({}, deletable=True)]


class ParentRun(FacetPart):
    """The parent (or root) run; ``runId`` is a canonical lowercase UUID."""

    runId: Uuid
    facets: _ForwardedRunFacets = Field(default_factory=FacetMap)


class ParentJob(FacetPart):
    """The job of the parent (or root) run."""

    namespace: str
    name: str
    facets: _ForwardedJobFacets = Field(default_factory=FacetMap)


class ParentRoot(FacetPart):
    """The run at the top of the hierarchy (e.g. the Airflow DAG run) and its job."""

    run: ParentRun
    job: ParentJob


class ParentRunFacet(BaseFacet):
    """``parent``: the run that spawned this one, e.g. a DAG run for a task run."""

    run: ParentRun
    job: ParentJob
    root: Annotated[ParentRoot | None, NotNull()] = None


class ErrorMessageRunFacet(BaseFacet):
    """``errorMessage``: why a run failed."""

    message: str
    programmingLanguage: str
    stackTrace: OptStr = None


class NominalTimeRunFacet(BaseFacet):
    """``nominalTime``: the scheduled time window of the run (aware UTC datetimes)."""

    nominalStartTime: DateTime
    nominalEndTime: OptDateTime = None


class ProcessingEngineRunFacet(BaseFacet):
    """``processing_engine``: the engine (Airflow, Spark, ...) and adapter versions."""

    version: str
    name: OptStr = None
    openlineageAdapterVersion: OptStr = None


# -- where each standard facet is checked --------------------------------------------------

#: Standard facets of ``facets`` on any dataset (input, output or a DatasetEvent's).
DATASET_FACETS: Final[Mapping[str, type[BaseFacet]]] = MappingProxyType(
    {
        "schema": SchemaDatasetFacet,
        "columnLineage": ColumnLineageDatasetFacet,
        "dataSource": DatasourceDatasetFacet,
        "version": DatasetVersionDatasetFacet,
        "lifecycleStateChange": LifecycleStateChangeDatasetFacet,
        "symlinks": SymlinksDatasetFacet,
        "ownership": OwnershipFacet,
        "documentation": DocumentationFacet,
        "storage": StorageDatasetFacet,
        "datasetType": DatasetTypeDatasetFacet,
        "tags": TagsFacet,
        "dataQualityMetrics": DataQualityMetricsFacet,
        "dataQualityAssertions": DataQualityAssertionsFacet,
    }
)

#: Standard facets of an input dataset's ``inputFacets``.
INPUT_FACETS: Final[Mapping[str, type[BaseFacet]]] = MappingProxyType(
    {
        "dataQualityMetrics": DataQualityMetricsFacet,
        "dataQualityAssertions": DataQualityAssertionsFacet,
        "inputStatistics": InputStatisticsFacet,
    }
)

#: Standard facets of an output dataset's ``outputFacets``.
OUTPUT_FACETS: Final[Mapping[str, type[BaseFacet]]] = MappingProxyType(
    {"outputStatistics": OutputStatisticsFacet}
)

#: Standard facets of ``job.facets``.
JOB_FACETS: Final[Mapping[str, type[BaseFacet]]] = MappingProxyType(
    {
        "jobType": JobTypeJobFacet,
        "sql": SQLJobFacet,
        "sourceCode": SourceCodeJobFacet,
        "sourceCodeLocation": SourceCodeLocationJobFacet,
        "ownership": OwnershipFacet,
        "documentation": DocumentationFacet,
        "tags": TagsFacet,
    }
)

#: Standard facets of ``run.facets``.
RUN_FACETS: Final[Mapping[str, type[BaseFacet]]] = MappingProxyType(
    {
        "parent": ParentRunFacet,
        "errorMessage": ErrorMessageRunFacet,
        "nominalTime": NominalTimeRunFacet,
        "processing_engine": ProcessingEngineRunFacet,
        "tags": TagsFacet,
    }
)
