"""The GraphQL types: the Node interface and its kinds, lineage answers, pages.

Each node object wraps the stored node it shows (``raw``) and, inside a lineage answer
asked ``asOf`` a time, that time: its versions, schema, inputs and outputs are then
the ones current at that time. Related objects are loaded through the request's
DataLoaders, never one store call per object.

One module per family: ``common`` (Info, enums, scalars, pages, the Node interface and
the values several kinds show), ``datasets`` (datasets, versions, columns), ``jobs``
(jobs, runs), ``incidents``, and ``answers`` (lineage graphs, paths, diffs).
"""

from lineage.api.graphql.types.answers import (
    JobChangeType,
    LineageDiffType,
    LineageEdgeType,
    LineageGraphType,
    NodeRefInput,
    Path,
    Paths,
    SchemaChangeType,
    TypeChange,
    diff_object,
    edge_objects,
    lineage_object,
)
from lineage.api.graphql.types.common import (
    DEFAULT_PAGE,
    MAX_PAGE,
    SCALARS,
    BigInt,
    Connection,
    EdgeKind,
    Info,
    Node,
    Owner,
    PageEdge,
    PageInfo,
    Tag,
    Transformation,
    described,
    epoch,
    facets_of,
    objects,
    one,
    owners_of,
    page_bounds,
    page_of,
    paginate,
    shows,
    tags_of,
    text,
    timestamp,
    to_object,
    transformation_of,
    transformations_of,
    type_of,
)
from lineage.api.graphql.types.datasets import (
    Assertion,
    DataQuality,
    Dataset,
    DatasetVersion,
    Field,
    FieldLink,
    QualityStatus,
    SchemaField,
    Statistics,
    schema_fields,
)
from lineage.api.graphql.types.incidents import (
    Incident,
)
from lineage.api.graphql.types.jobs import (
    Job,
    Run,
    SourceLocation,
)

#: Every node type, for the schema (an interface's implementations must be listed).
ALL_NODE_TYPES: list[type[Node]] = [Dataset, DatasetVersion, Field, Job, Run, Incident]

__all__ = [
    "ALL_NODE_TYPES",
    "DEFAULT_PAGE",
    "MAX_PAGE",
    "SCALARS",
    "Assertion",
    "BigInt",
    "Connection",
    "DataQuality",
    "Dataset",
    "DatasetVersion",
    "EdgeKind",
    "Field",
    "FieldLink",
    "Incident",
    "Info",
    "Job",
    "JobChangeType",
    "LineageDiffType",
    "LineageEdgeType",
    "LineageGraphType",
    "Node",
    "NodeRefInput",
    "Owner",
    "PageEdge",
    "PageInfo",
    "Path",
    "Paths",
    "QualityStatus",
    "Run",
    "SchemaChangeType",
    "SchemaField",
    "SourceLocation",
    "Statistics",
    "Tag",
    "Transformation",
    "TypeChange",
    "described",
    "diff_object",
    "edge_objects",
    "epoch",
    "facets_of",
    "lineage_object",
    "objects",
    "one",
    "owners_of",
    "page_bounds",
    "page_of",
    "paginate",
    "schema_fields",
    "shows",
    "tags_of",
    "text",
    "timestamp",
    "to_object",
    "transformation_of",
    "transformations_of",
    "type_of",
]
