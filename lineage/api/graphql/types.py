"""The GraphQL types: the Node interface and its kinds, lineage answers, pages.

Each node object wraps the stored node it shows (``raw``) and, inside a lineage answer
asked ``asOf`` a time, that time: its versions, schema, inputs and outputs are then
the ones current at that time. Related objects are loaded through the request's
DataLoaders, never one store call per object.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Generic, NewType, TypeVar, cast, overload

import orjson
import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info as StrawberryInfo
from strawberry.types.scalar import ScalarDefinition

from lineage.analysis import (
    FLOWS_TO,
    Granularity,
    InvalidArgument,
    JobChange,
    LineageDiff,
    LineageEdge,
    LineageGraph,
    LineagePath,
    NodeRef,
    NotFound,
    SchemaChange,
    describe,
    run_started,
    schema_field,
    version_at,
)
from lineage.analysis.diff import MAX_JOBS_COMPARED
from lineage.analysis.incidents import Health, is_active, short_id, status_of
from lineage.analysis.incidents import evidence as incident_evidence
from lineage.analysis.incidents import health as health_of
from lineage.analysis.jobs import is_part_kind, parent_by_job
from lineage.api.graphql.context import Context
from lineage.api.graphql.ids import decode_cursor, decode_id, encode_cursor, encode_id
from lineage.graph.incidents import IncidentKind, IncidentStatus, Severity
from lineage.graph.mapping import FACET_PREFIX
from lineage.graph.model import EdgeKind as StoredEdgeKind
from lineage.graph.model import NodeKind, RunState
from lineage.store import Direction
from lineage.store import Node as StoredNode

Info = StrawberryInfo[Context, None]

# The domain's own enums are the API's: one list of kinds, states and directions.
strawberry.enum(NodeKind, description="What a node is.")
strawberry.enum(
    Direction,
    description="UPSTREAM: what feeds the start; DOWNSTREAM: what it feeds; BOTH: the two "
    "(without siblings).",
)
strawberry.enum(
    Granularity,
    description="DATASET: datasets and jobs; COLUMN: fields; RUN: runs and exact versions.",
)
strawberry.enum(RunState, description="Where a run is in its life.")
strawberry.enum(Health, description="OK, WARNING (acknowledged incidents), FAILING (open ones).")
strawberry.enum(IncidentKind, description="What kind of trouble an incident is.")
strawberry.enum(IncidentStatus, description="OPEN, ACKNOWLEDGED by a person, or RESOLVED.")
strawberry.enum(Severity, description="How bad an incident is.")

BigInt = NewType("BigInt", int)
#: Registered in the schema's ``scalar_map``, so BigInt stays a real type for mypy.
SCALARS: dict[object, ScalarDefinition] = {
    BigInt: strawberry.scalar(
        name="BigInt",
        description="An integer that may not fit in 32 bits (row counts, sizes in bytes).",
        serialize=int,
        parse_value=int,
    )
}

_F = TypeVar("_F", bound=Callable[..., Any])


def described(description: str) -> Callable[[_F], _F]:
    """``@strawberry.field(description=...)``, typed so the resolver keeps its signature."""
    return cast(Callable[[_F], _F], strawberry.field(description=description))


MAX_PAGE = 500
DEFAULT_PAGE = 20


@strawberry.enum(description="What an edge says; every lineage edge points the way data flows.")
class EdgeKind(Enum):
    READ = "READ"
    WROTE = "WROTE"
    VERSION_OF = "VERSION_OF"
    RUN_OF = "RUN_OF"
    CHILD_OF = "CHILD_OF"
    INPUT_TO = "INPUT_TO"
    PRODUCES = "PRODUCES"
    HAS_FIELD = "HAS_FIELD"
    FEEDS = "FEEDS"
    ALIAS_OF = "ALIAS_OF"
    RENAMED_FROM = "RENAMED_FROM"
    ON = "ON"
    FLOWS_TO = FLOWS_TO


@strawberry.enum(description="The state of a dataset's data quality assertions.")
class QualityStatus(Enum):
    PASSING = "PASSING"
    FAILING = "FAILING"
    UNKNOWN = "UNKNOWN"


# -- helpers ----------------------------------------------------------------------------


def timestamp(value: Any) -> datetime | None:
    return datetime.fromtimestamp(float(value), UTC) if value is not None else None


@overload
def epoch(value: datetime) -> float: ...
@overload
def epoch(value: None) -> None: ...
@overload
def epoch(value: datetime | None) -> float | None: ...


def epoch(value: datetime | None) -> float | None:
    """A DateTime argument as epoch seconds; a time without a zone is taken as UTC."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def text(props: Mapping[str, Any], key: str) -> str | None:
    value = props.get(key)
    return None if value is None else str(value)


def facets_of(props: Mapping[str, Any]) -> dict[str, Any]:
    return {k[len(FACET_PREFIX) :]: v for k, v in props.items() if k.startswith(FACET_PREFIX)}


def to_object(node: StoredNode, as_of: float | None = None) -> Node:
    """The GraphQL object for a stored node."""
    cls = _TYPES.get(node.kind, Incident)
    return cls(id=strawberry.ID(encode_id(node.id)), kind=node.kind, raw=node, as_of=as_of)


def objects(nodes: Sequence[StoredNode], cls: type[N], as_of: float | None = None) -> list[N]:
    return [
        cls(id=strawberry.ID(encode_id(n.id)), kind=n.kind, raw=n, as_of=as_of)
        for n in nodes
        if n.kind is _KINDS[cls]
    ]


def one(node: StoredNode | None, cls: type[N], as_of: float | None = None) -> N | None:
    """The object for ``node`` when it is of the kind ``cls`` shows, else None."""
    found = objects([node], cls, as_of) if node is not None else []
    return found[0] if found else None


def page_bounds(first: int | None, after: str | None) -> tuple[int, int]:
    """(offset, count) for a page; InvalidArgument for a bad ``first`` or cursor."""
    count = DEFAULT_PAGE if first is None else first
    if not 0 <= count <= MAX_PAGE:
        raise InvalidArgument(f"first must be between 0 and {MAX_PAGE} (got {count})")
    start = decode_cursor(after) + 1 if after is not None else 0
    return start, count


# -- pages ------------------------------------------------------------------------------

T = TypeVar("T")
N = TypeVar("N", bound="Node")


@strawberry.type(description="Where a page sits in its list.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(name="Edge", description="One item of a page, with its cursor.")
class PageEdge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="A page of a list: pass pageInfo.endCursor as `after` for the next.")
class Connection(Generic[T]):
    edges: list[PageEdge[T]]
    page_info: PageInfo
    total_count: int = strawberry.field(description="How many items the whole list holds.")

    @described("The items of this page, without cursors.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


def paginate(items: Sequence[T], first: int | None, after: str | None) -> Connection[T]:
    """One page of ``items``, which must be in a stable order."""
    start, count = page_bounds(first, after)
    chosen = items[start : start + count]
    edges = [PageEdge(cursor=encode_cursor(start + i), node=item) for i, item in enumerate(chosen)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=start + len(chosen) < len(items),
            has_previous_page=start > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=len(items),
    )


# -- small value types --------------------------------------------------------------------


@strawberry.type(description="Who owns a dataset or job (ownership facet).")
class Owner:
    name: str
    type: str | None


@strawberry.type(description="A tag (tags facet).")
class Tag:
    key: str
    value: str | None
    source: str | None


def owners_of(props: Mapping[str, Any]) -> list[Owner]:
    return [
        Owner(name=str(o.get("name", "")), type=text(o, "type"))
        for o in props.get("owners") or ()
        if isinstance(o, Mapping)
    ]


def tags_of(props: Mapping[str, Any]) -> list[Tag]:
    return [
        Tag(key=str(t.get("key", "")), value=text(t, "value"), source=text(t, "source"))
        for t in props.get("tags") or ()
        if isinstance(t, Mapping)
    ]


@strawberry.type(description="A column as a schema facet describes it; nested ones in `fields`.")
class SchemaField:
    name: str
    type: str | None
    description: str | None
    fields: list[SchemaField]


def schema_fields(entries: Any) -> list[SchemaField]:
    if not isinstance(entries, list):
        return []
    return [
        SchemaField(
            name=str(e.get("name", "")),
            type=text(e, "type"),
            description=text(e, "description"),
            fields=schema_fields(e.get("fields")),
        )
        for e in entries
        if isinstance(e, Mapping)
    ]


@strawberry.type(description="What a run said about a version it wrote.")
class Statistics:
    row_count: BigInt | None
    size: BigInt | None = strawberry.field(description="Bytes.")
    metrics: JSON | None = strawberry.field(description="The dataQualityMetrics facet.")


@strawberry.type(description="One data quality assertion and its latest outcome.")
class Assertion:
    assertion: str
    success: bool | None
    column: str | None


@strawberry.type(description="A dataset's data quality: its assertions and what they say.")
class DataQuality:
    status: QualityStatus
    assertions: list[Assertion]


@strawberry.type(description="Where a job's code lives (sourceCodeLocation facet).")
class SourceLocation:
    url: str | None
    type: str | None
    repo_url: str | None
    path: str | None
    version: str | None
    branch: str | None
    tag: str | None


@strawberry.type(description="How a column is derived from another (OpenLineage column lineage).")
class Transformation:
    type: str = strawberry.field(description="DIRECT or INDIRECT.")
    subtype: str | None = strawberry.field(
        description="IDENTITY, TRANSFORMATION, AGGREGATION, FILTER, JOIN, GROUP_BY, SORT, ..."
    )
    description: str | None
    masking: bool | None
    scope: str | None = strawberry.field(
        description="FIELD, or DATASET for a dependency of every column (filters, joins)."
    )
    via: str | None = strawberry.field(
        description="The name the producer used for the source when it was not a dataset "
        "(a CTE, an alias)."
    )
    origin: str | None = strawberry.field(
        default=None,
        description="`reported` when the producer's column lineage said it, `derived` when "
        "it was read from the job's SQL (the producer's word wins where both exist).",
    )


def transformations_of(props: Mapping[str, Any]) -> list[Transformation]:
    found = []
    for raw in props.get("transformations") or ():
        try:
            t = orjson.loads(raw) if isinstance(raw, str | bytes) else raw
        except orjson.JSONDecodeError:
            continue
        if isinstance(t, Mapping):
            found.append(
                Transformation(
                    type=str(t.get("type", "DIRECT")),
                    subtype=text(t, "subtype"),
                    description=text(t, "description"),
                    masking=t.get("masking") if isinstance(t.get("masking"), bool) else None,
                    scope=text(props, "scope"),
                    via=text(props, "via"),
                    origin=text(props, "origin"),
                )
            )
    return found


def transformation_of(props: Mapping[str, Any]) -> Transformation | None:
    """The transformation that best describes a FEEDS edge (its DIRECT one, if any)."""
    if "type" not in props:
        return None
    details = transformations_of(props)
    match = next(
        (t for t in details if t.type == props["type"] and t.subtype == props.get("subtype")),
        None,
    )
    return Transformation(
        type=str(props["type"]),
        subtype=text(props, "subtype"),
        description=match.description if match else None,
        masking=match.masking if match else None,
        scope=text(props, "scope"),
        via=text(props, "via"),
        origin=text(props, "origin"),
    )


# -- nodes --------------------------------------------------------------------------------


@strawberry.interface(description="Anything in the lineage graph.")
class Node:
    id: strawberry.ID = strawberry.field(
        description="Opaque and stable: the same node always has the same id. Use with node(id:)."
    )
    kind: NodeKind
    raw: strawberry.Private[StoredNode]
    as_of: strawberry.Private[float | None]

    @described("Every incident on this node, open or not, newest first.")
    async def incidents(self, info: Info) -> list[Incident]:
        found = await info.context.loaders.neighbours(
            self.raw.id, Direction.UPSTREAM, StoredEdgeKind.ON
        )
        found.sort(key=lambda n: (-float(n.props.get("opened_at") or 0.0), n.id))
        return objects(found, Incident)

    @described(
        "The incidents on this node that are OPEN or ACKNOWLEDGED, newest first (inside an "
        "answer asked asOf a time: those open then)."
    )
    async def open_incidents(self, info: Info) -> list[Incident]:
        return [i for i in await self.incidents(info) if is_active(i.raw, self.as_of)]

    @described(
        "FAILING while an incident on this node is OPEN, WARNING while its incidents are "
        "only ACKNOWLEDGED, else OK (inside an answer asked asOf a time: as things stood then)."
    )
    async def health(self, info: Info) -> Health:
        return health_of([i.raw for i in await self.incidents(info)], self.as_of)


@strawberry.type(
    description="A table, view, file, topic, model, endpoint, feature set: anything jobs read "
    "or write, named by namespace and name."
)
class Dataset(Node):
    @strawberry.field
    def namespace(self) -> str:
        return str(self.raw.props.get("namespace", ""))

    @strawberry.field
    def name(self) -> str:
        return str(self.raw.props.get("name", ""))

    @described(
        "TABLE, VIEW, FILE, TOPIC, MODEL, ENDPOINT, FEATURE_SET, ... as its "
        "producer said (datasetType facet); null when none did."
    )
    def type(self) -> str | None:
        return text(self.raw.props, "type")

    @strawberry.field
    def description(self) -> str | None:
        return text(self.raw.props, "description")

    @strawberry.field
    def owners(self) -> list[Owner]:
        return owners_of(self.raw.props)

    @strawberry.field
    def tags(self) -> list[Tag]:
        return tags_of(self.raw.props)

    @described("Whether a producer reported the dataset dropped.")
    def dropped(self) -> bool:
        return bool(self.raw.props.get("dropped"))

    @described(
        "For a feature store's feature view (Feast): when a materialization of it last "
        "completed; null for other datasets, and before any did."
    )
    def last_materialized(self) -> datetime | None:
        return timestamp(self.raw.props.get("last_materialized"))

    @described("Every facet producers sent, verbatim, by name.")
    def facets(self) -> JSON:
        return JSON(facets_of(self.raw.props))

    @described("What its data quality assertions say.")
    def quality(self) -> DataQuality:
        assertions = [
            Assertion(
                assertion=str(a.get("assertion", "")),
                success=a.get("success") if isinstance(a.get("success"), bool) else None,
                column=text(a, "column"),
            )
            for a in self.raw.props.get("assertions") or ()
            if isinstance(a, Mapping)
        ]
        if any(a.success is False for a in assertions):
            status = QualityStatus.FAILING
        elif assertions and all(a.success for a in assertions):
            status = QualityStatus.PASSING
        else:
            status = QualityStatus.UNKNOWN
        return DataQuality(status=status, assertions=assertions)

    @described("Its columns, in schema order (nested ones by dotted path).")
    async def fields(self, info: Info) -> list[Field]:
        loaders = info.context.loaders
        found = await loaders.neighbours(
            self.raw.id, Direction.DOWNSTREAM, StoredEdgeKind.HAS_FIELD
        )
        versions = [
            v
            for v in await loaders.versions(self.raw.id)
            if self.as_of is None or (v.props.get("created_at") or 0.0) <= self.as_of
        ]
        current = version_at(versions, self.as_of) if self.as_of is not None else None
        if current is not None and current.props.get("schema"):
            schema = _paths({"fields": current.props["schema"]})
        else:
            schema = _paths(self.raw.props.get("facet:schema"))
        if schema:
            # A column an earlier schema listed and this one does not was dropped; columns
            # no schema listed (known from column lineage only) stay.
            listed = {p for v in versions for p in _paths({"fields": v.props.get("schema")})}
            dropped = listed - set(schema)
            found = [f for f in found if str(f.props.get("path")) not in dropped]
        order = {path: i for i, path in enumerate(schema)}
        found.sort(key=lambda f: (order.get(str(f.props.get("path")), len(order)), f.id))
        return objects(found, Field, self.as_of)

    @described(
        "The latest version (inside a lineage answer asked asOf a time: the version current then)."
    )
    async def current_version(self, info: Info) -> DatasetVersion | None:
        loaders = info.context.loaders
        if self.as_of is None:
            node = await loaders.node(text(self.raw.props, "current_version"))
            if node is not None:
                return one(node, DatasetVersion)
        chosen = version_at(await loaders.versions(self.raw.id), self.as_of)
        return one(chosen, DatasetVersion, self.as_of)

    @described("Every version, newest first.")
    async def versions(
        self, info: Info, first: int | None = DEFAULT_PAGE, after: str | None = None
    ) -> Connection[DatasetVersion]:
        page_bounds(first, after)
        found = await info.context.loaders.versions(self.raw.id)
        return paginate(objects(found, DatasetVersion, self.as_of), first, after)

    @described("Jobs that write it.")
    async def produced_by(self, info: Info) -> list[Job]:
        found = await info.context.loaders.neighbours(
            self.raw.id, Direction.UPSTREAM, StoredEdgeKind.PRODUCES, as_of=self.as_of
        )
        return objects(found, Job, self.as_of)

    @described("Jobs that read it.")
    async def consumed_by(self, info: Info) -> list[Job]:
        found = await info.context.loaders.neighbours(
            self.raw.id, Direction.DOWNSTREAM, StoredEdgeKind.INPUT_TO, as_of=self.as_of
        )
        return objects(found, Job, self.as_of)

    @described("Runs that wrote a version of it, latest first.")
    async def written_by(
        self, info: Info, first: int | None = DEFAULT_PAGE, after: str | None = None
    ) -> Connection[Run]:
        page_bounds(first, after)
        loaders = info.context.loaders
        versions = await loaders.versions(self.raw.id)
        run_ids = list(dict.fromkeys(str(v.props["run"]) for v in versions if v.props.get("run")))
        return paginate(objects(await loaders.many(run_ids), Run), first, after)

    @described("Datasets that are the same data under another name (symlinks).")
    async def aliases(self, info: Info) -> list[Dataset]:
        found = await info.context.loaders.neighbours(
            self.raw.id, Direction.BOTH, StoredEdgeKind.ALIAS_OF
        )
        return objects(found, Dataset, self.as_of)

    @described("The names it had before a rename.")
    async def previous_names(self, info: Info) -> list[Dataset]:
        found = await info.context.loaders.neighbours(
            self.raw.id, Direction.DOWNSTREAM, StoredEdgeKind.RENAMED_FROM
        )
        return objects(found, Dataset)


def _paths(facet: Any) -> list[str]:
    paths: list[str] = []

    def walk(entries: Any, prefix: str) -> None:
        for entry in entries if isinstance(entries, list) else ():
            if isinstance(entry, Mapping) and isinstance(entry.get("name"), str):
                paths.append(prefix + entry["name"])
                walk(entry.get("fields"), prefix + entry["name"] + ".")

    walk(facet.get("fields") if isinstance(facet, Mapping) else None, "")
    return paths


@strawberry.type(description="One version of a dataset: what one run wrote, or what readers saw.")
class DatasetVersion(Node):
    @strawberry.field
    def version(self) -> str:
        return str(self.raw.props.get("version", ""))

    @strawberry.field
    async def dataset(self, info: Info) -> Dataset | None:
        node = await info.context.loaders.node(text(self.raw.props, "dataset"))
        return one(node, Dataset, self.as_of)

    @strawberry.field
    def created_at(self) -> datetime | None:
        return timestamp(self.raw.props.get("created_at"))

    @described("Its schema, as the writing run (or a reader) reported it.")
    def schema(self) -> list[SchemaField]:
        return schema_fields(self.raw.props.get("schema"))

    @strawberry.field
    def statistics(self) -> Statistics | None:
        props = self.raw.props
        if not any(k in props for k in ("row_count", "size", "metrics")):
            return None
        row_count, size = props.get("row_count"), props.get("size")
        return Statistics(
            row_count=BigInt(int(row_count)) if row_count is not None else None,
            size=BigInt(int(size)) if size is not None else None,
            metrics=props.get("metrics"),
        )

    @described(
        "The facets kept with this version, by name: a model version's lineage_model "
        "(metrics, hyperparameters), an endpoint version's lineage_deployment (the model "
        "version it serves)."
    )
    def facets(self) -> JSON:
        return JSON(facets_of(self.raw.props))

    @described("True when no run in the graph wrote it: a version only readers saw.")
    def observed(self) -> bool:
        return bool(self.raw.props.get("observed"))

    @described("CREATE, OVERWRITE, ALTER, DROP, ... as the writer reported.")
    def lifecycle_state(self) -> str | None:
        return text(self.raw.props, "lifecycle")

    @described("The run that wrote it.")
    async def written_by(self, info: Info) -> Run | None:
        node = await info.context.loaders.node(text(self.raw.props, "run"))
        return one(node, Run)

    @described("Runs that read exactly this version, latest first.")
    async def read_by(
        self, info: Info, first: int | None = DEFAULT_PAGE, after: str | None = None
    ) -> Connection[Run]:
        page_bounds(first, after)
        found = await info.context.loaders.neighbours(
            self.raw.id, Direction.UPSTREAM, StoredEdgeKind.READ
        )
        found.sort(key=lambda r: (run_started(r) or 0.0, r.id), reverse=True)
        return paginate(objects(found, Run), first, after)


@strawberry.type(description="A column of a dataset (nested columns by dotted path).")
class Field(Node):
    @strawberry.field
    async def dataset(self, info: Info) -> Dataset | None:
        node = await info.context.loaders.node(text(self.raw.props, "dataset"))
        return one(node, Dataset, self.as_of)

    @strawberry.field
    def name(self) -> str:
        return str(self.raw.props.get("name", ""))

    @described("Dotted path from the top of the schema (`address.city`).")
    def path(self) -> str:
        return str(self.raw.props.get("path", ""))

    @described("From the dataset's schema (as of the answer's time, if any).")
    async def type(self, info: Info) -> str | None:
        entry = await self._schema_entry(info)
        return text(entry, "type") if entry else None

    @described("From the dataset's schema (as of the answer's time, if any).")
    async def description(self, info: Info) -> str | None:
        entry = await self._schema_entry(info)
        return text(entry, "description") if entry else None

    @described("Columns this one is derived from, with how.")
    async def upstream(self, info: Info, as_of: datetime | None = None) -> list[FieldLink]:
        return await self._links(info, Direction.UPSTREAM, as_of)

    @described("Columns derived from this one, with how.")
    async def downstream(self, info: Info, as_of: datetime | None = None) -> list[FieldLink]:
        return await self._links(info, Direction.DOWNSTREAM, as_of)

    async def _links(
        self, info: Info, direction: Direction, as_of: datetime | None
    ) -> list[FieldLink]:
        at = epoch(as_of) if as_of is not None else self.as_of
        loaders = info.context.loaders
        edges = await loaders.edges_of(self.raw.id, direction, StoredEdgeKind.FEEDS, as_of=at)
        others = await loaders.many(
            sorted({e.src if direction is Direction.UPSTREAM else e.dst for e in edges})
        )
        by_id = {n.id: n for n in others}
        links = []
        for edge in edges:
            other = one(
                by_id.get(edge.src if direction is Direction.UPSTREAM else edge.dst), Field, at
            )
            if other is not None:
                links.append(FieldLink(field=other, props=edge.props, as_of=at))
        return links

    async def _schema_entry(self, info: Info) -> Mapping[str, Any] | None:
        loaders = info.context.loaders
        path = str(self.raw.props.get("path", ""))
        dataset = await loaders.node(text(self.raw.props, "dataset"))
        if self.as_of is not None and dataset is not None:
            version = version_at(await loaders.versions(dataset.id), self.as_of)
            if version is not None and version.props.get("schema"):
                return schema_field(version.props["schema"], path)
        if dataset is None:
            return None
        facet = dataset.props.get("facet:schema")
        if isinstance(facet, Mapping):
            return schema_field(facet.get("fields"), path)
        version = await loaders.node(text(dataset.props, "current_version"))
        return schema_field(version.props.get("schema"), path) if version else None


@strawberry.type(description="A column feeding, or fed by, another, and how.")
class FieldLink:
    field: Field
    props: strawberry.Private[Mapping[str, Any]]
    as_of: strawberry.Private[float | None]

    @strawberry.field
    def transformation(self) -> Transformation | None:
        return transformation_of(self.props)

    @described("Every transformation the producer reported for this link.")
    def transformations(self) -> list[Transformation]:
        return transformations_of(self.props)

    @described("The job whose runs reported it.")
    async def job(self, info: Info) -> Job | None:
        node = await info.context.loaders.node(text(self.props, "job"))
        return one(node, Job, self.as_of)

    @strawberry.field
    def valid_since(self) -> datetime | None:
        return timestamp(self.props.get("since"))

    @described("Null while still valid.")
    def valid_until(self) -> datetime | None:
        return timestamp(self.props.get("until"))


@strawberry.type(
    description="A job: an ETL step, a training, a deployment, a monitor, named by namespace "
    "and name."
)
class Job(Node):
    @strawberry.field
    def namespace(self) -> str:
        return str(self.raw.props.get("namespace", ""))

    @strawberry.field
    def name(self) -> str:
        return str(self.raw.props.get("name", ""))

    @described(
        "ETL, TRAINING, EVALUATION, DEPLOYMENT, MONITOR, INFERENCE, "
        "FEATURE_ENGINEERING (from the jobType facet; ETL for anything else)."
    )
    def type(self) -> str:
        return str(self.raw.props.get("type") or "ETL")

    @described("The jobType facet's jobType, as sent (MODEL, QUERY, ...).")
    def job_type(self) -> str | None:
        return text(self.raw.props, "job_type")

    @described("SPARK, DBT, AIRFLOW, ... (jobType facet).")
    def integration(self) -> str | None:
        return text(self.raw.props, "integration")

    @described("BATCH or STREAMING (jobType facet).")
    def processing_type(self) -> str | None:
        return text(self.raw.props, "processing_type")

    @strawberry.field
    def description(self) -> str | None:
        return text(self.raw.props, "description")

    @strawberry.field
    def sql(self) -> str | None:
        return text(self.raw.props, "sql")

    @strawberry.field
    def source_location(self) -> SourceLocation | None:
        facet = self.raw.props.get("facet:sourceCodeLocation")
        url = text(self.raw.props, "source_url")
        if not isinstance(facet, Mapping):
            if url is None:
                return None
            facet = {}
        return SourceLocation(
            url=text(facet, "url") or url,
            type=text(facet, "type"),
            repo_url=text(facet, "repoUrl"),
            path=text(facet, "path"),
            version=text(facet, "version"),
            branch=text(facet, "branch"),
            tag=text(facet, "tag"),
        )

    @strawberry.field
    def owners(self) -> list[Owner]:
        return owners_of(self.raw.props)

    @strawberry.field
    def tags(self) -> list[Tag]:
        return tags_of(self.raw.props)

    @described("Every facet producers sent, verbatim, by name.")
    def facets(self) -> JSON:
        return JSON(facets_of(self.raw.props))

    @described("Datasets it reads (as of the answer's time, if any).")
    async def inputs(self, info: Info) -> list[Dataset]:
        found = await info.context.loaders.neighbours(
            self.raw.id, Direction.UPSTREAM, StoredEdgeKind.INPUT_TO, as_of=self.as_of
        )
        return objects(found, Dataset, self.as_of)

    @described("Datasets it writes (as of the answer's time, if any).")
    async def outputs(self, info: Info) -> list[Dataset]:
        found = await info.context.loaders.neighbours(
            self.raw.id, Direction.DOWNSTREAM, StoredEdgeKind.PRODUCES, as_of=self.as_of
        )
        return objects(found, Dataset, self.as_of)

    @described(
        "The job its runs ran under (parent facet): an Airflow task's DAG, a dbt model's or "
        "test's invocation, a statement's model or task; the one seen last if several."
    )
    async def parent(self, info: Info) -> Job | None:
        parent = await self._parent(info)
        return one(await info.context.loaders.node(parent), Job, self.as_of)

    @described(
        "The jobs whose runs ran under its runs, by name: a DAG's tasks, a dbt invocation's "
        "models and tests, the statements a task or a model ran. Those with listed false "
        "are found only here (and by their own name)."
    )
    async def children(self, info: Info) -> list[Job]:
        edges = await info.context.loaders.edges_of(
            self.raw.id, Direction.UPSTREAM, StoredEdgeKind.CHILD_OF
        )
        found = await info.context.loaders.many(
            sorted({e.src for e in edges if e.src != self.raw.id})
        )
        return objects([n for n in found if n.kind is NodeKind.JOB], Job, self.as_of)

    @described(
        "False for a part of another job rather than a job of its own: a statement (jobType "
        "SQL, QUERY) or a dbt test (TEST) whose runs ran under another job's. Search and job "
        "listings leave those out; they are among their parent's children."
    )
    async def listed(self, info: Info) -> bool:
        return not is_part_kind(self.raw) or await self._parent(info) is None

    async def _parent(self, info: Info) -> str | None:
        edges = await info.context.loaders.edges_of(
            self.raw.id, Direction.DOWNSTREAM, StoredEdgeKind.CHILD_OF
        )
        return parent_by_job(edges).get(self.raw.id)

    @described("Its runs, latest first (started by the answer's time, if any).")
    async def runs(
        self, info: Info, first: int | None = DEFAULT_PAGE, after: str | None = None
    ) -> Connection[Run]:
        page_bounds(first, after)
        return paginate(await self._runs(info), first, after)

    @described("Its latest run (by the answer's time, if any).")
    async def latest_run(self, info: Info) -> Run | None:
        runs = await self._runs(info)
        return runs[0] if runs else None

    async def _runs(self, info: Info) -> list[Run]:
        runs = await info.context.loaders.runs_of(self.raw.id)
        if self.as_of is not None:
            runs = [r for r in runs if (run_started(r) or 0.0) <= self.as_of]
        return objects(runs, Run)


@strawberry.type(description="One execution of a job.")
class Run(Node):
    @strawberry.field
    def run_id(self) -> str:
        return str(self.raw.props.get("runId", ""))

    @strawberry.field
    async def job(self, info: Info) -> Job | None:
        node = await info.context.loaders.node(text(self.raw.props, "job"))
        return one(node, Job)

    @strawberry.field
    def state(self) -> RunState:
        value = str(self.raw.props.get("state") or "OTHER")
        return RunState(value) if value in RunState.__members__ else RunState.OTHER

    @strawberry.field
    def started_at(self) -> datetime | None:
        return timestamp(self.raw.props.get("started_at"))

    @strawberry.field
    def ended_at(self) -> datetime | None:
        return timestamp(self.raw.props.get("ended_at"))

    @described("Seconds from start to end; null until both are known.")
    def duration(self) -> float | None:
        started, ended = self.raw.props.get("started_at"), self.raw.props.get("ended_at")
        return float(ended) - float(started) if started is not None and ended is not None else None

    @strawberry.field
    def nominal_start_time(self) -> datetime | None:
        return timestamp(self.raw.props.get("nominal_start"))

    @strawberry.field
    def error_message(self) -> str | None:
        return text(self.raw.props, "error_message")

    @described(
        "The SQL this run's events reported for its job (null when they sent none); the "
        "job's `sql` is the latest, so compare runs to see it change."
    )
    async def sql(self, info: Info) -> str | None:
        own = text(self.raw.props, "sql")
        if own is not None:
            return own
        return await asyncio.shield(info.context.loaders.run_sql.load(self.raw))

    @described("Every run facet producers sent, verbatim, by name.")
    def facets(self) -> JSON:
        return JSON(facets_of(self.raw.props))

    @described("The run that started this one (parent facet).")
    async def parent(self, info: Info) -> Run | None:
        found = await info.context.loaders.neighbours(
            self.raw.id, Direction.DOWNSTREAM, StoredEdgeKind.CHILD_OF
        )
        return one(found[0] if found else None, Run)

    @strawberry.field
    async def children(self, info: Info) -> list[Run]:
        found = await info.context.loaders.neighbours(
            self.raw.id, Direction.UPSTREAM, StoredEdgeKind.CHILD_OF
        )
        return objects(found, Run)

    @described("The exact dataset versions it read.")
    async def inputs(self, info: Info) -> list[DatasetVersion]:
        found = await info.context.loaders.neighbours(
            self.raw.id, Direction.DOWNSTREAM, StoredEdgeKind.READ
        )
        return objects(found, DatasetVersion)

    @described("The dataset versions it wrote.")
    async def outputs(self, info: Info) -> list[DatasetVersion]:
        found = await info.context.loaders.neighbours(
            self.raw.id, Direction.DOWNSTREAM, StoredEdgeKind.WROTE
        )
        return objects(found, DatasetVersion)


@strawberry.type(
    description="Something wrong with a node: drift, a failed check, a failed run, a breaking "
    "schema change, or what a person reported."
)
class Incident(Node):
    @described(
        "A short id, INC- and its number (INC-42), accepted wherever an incident's id is. "
        "Incidents from before numbers were given have INC- and the first digits of their "
        "digest."
    )
    def short_id(self) -> str:
        return short_id(self.raw)

    @described("Its number, given in order of creation (None for incidents from before).")
    def number(self) -> int | None:
        number = self.raw.props.get("number")
        return int(number) if number is not None else None

    @described("The check that failed, for a data quality incident (one per failed check).")
    def check(self) -> str | None:
        return text(self.raw.props, "check")

    @described("The fields the failed check is about (a data quality incident is linked to them).")
    async def fields(self, info: Info) -> list[Node]:
        found = []
        for fid in self.raw.props.get("fields") or ():
            node = await info.context.loaders.node(str(fid))
            if node is not None:
                found.append(to_object(node))
        return found

    @strawberry.field
    def incident_kind(self) -> IncidentKind:
        return IncidentKind(str(self.raw.props.get("kind")))

    @strawberry.field
    def title(self) -> str:
        return str(self.raw.props.get("title") or "")

    @strawberry.field
    def severity(self) -> Severity:
        try:
            return Severity(str(self.raw.props.get("severity")))
        except ValueError:
            return Severity.MEDIUM

    @strawberry.field
    def status(self) -> IncidentStatus:
        return status_of(self.raw) or IncidentStatus.OPEN

    @described("Whether it was opened from events (automatic) or by a person (manual).")
    def origin(self) -> str:
        return str(self.raw.props.get("origin") or "automatic")

    @strawberry.field
    def opened_at(self) -> datetime | None:
        return timestamp(self.raw.props.get("opened_at"))

    @strawberry.field
    def acknowledged_at(self) -> datetime | None:
        return timestamp(self.raw.props.get("acknowledged_at"))

    @strawberry.field
    def resolved_at(self) -> datetime | None:
        return timestamp(self.raw.props.get("resolved_at"))

    @described("Why it was resolved.")
    def resolution(self) -> str | None:
        return text(self.raw.props, "resolution")

    @described("The dataset, field, job, model or endpoint it is on.")
    async def subject(self, info: Info) -> Node | None:
        found = await info.context.loaders.node(text(self.raw.props, "subject"))
        return to_object(found) if found is not None else None

    @described(
        "What opened it and what was seen while it was open, oldest first: each entry has "
        "at (epoch seconds), check, detail, run and version."
    )
    def evidence(self) -> JSON:
        return JSON(incident_evidence(self.raw))

    @described("Everything recorded about it.")
    def properties(self) -> JSON:
        return JSON(dict(self.raw.props))


_TYPES: dict[NodeKind, type[Node]] = {
    NodeKind.DATASET: Dataset,
    NodeKind.DATASET_VERSION: DatasetVersion,
    NodeKind.FIELD: Field,
    NodeKind.JOB: Job,
    NodeKind.RUN: Run,
    NodeKind.INCIDENT: Incident,
}
_KINDS: dict[type[Node], NodeKind] = {cls: kind for kind, cls in _TYPES.items()}

ALL_NODE_TYPES = list(_TYPES.values())


# -- lineage answers ----------------------------------------------------------------------


@strawberry.input(
    name="NodeRef",
    description="A node named by its natural key. `kind` may be left out: runId names a "
    "run, field a field, version a dataset version, namespace and name a dataset. `id` "
    "(from any node) overrides the rest.",
)
class NodeRefInput:
    kind: NodeKind | None = None
    namespace: str | None = None
    name: str | None = None
    field: str | None = None
    run_id: str | None = None
    version: str | None = None
    id: strawberry.ID | None = None

    def to_ref(self) -> NodeRef:
        return NodeRef(
            kind=self.kind,
            namespace=self.namespace,
            name=self.name,
            field=self.field,
            run_id=self.run_id,
            version=self.version,
            id=decode_id(self.id) if self.id is not None else None,
        )


@strawberry.type(name="Edge", description="One hop of lineage: `source` feeds `target`.")
class LineageEdgeType:
    raw: strawberry.Private[LineageEdge]
    known: strawberry.Private[Mapping[str, StoredNode]]
    as_of: strawberry.Private[float | None]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id(self.raw.id))

    @described(
        "The stored edge's kind. A READ edge points from the version to the run "
        "that read it. FLOWS_TO stands for a path through nodes a kinds filter hid (`via`)."
    )
    def kind(self) -> EdgeKind:
        return EdgeKind(self.raw.kind)

    @strawberry.field
    async def source(self, info: Info) -> Node:
        return await self._node(info, self.raw.source)

    @strawberry.field
    async def target(self, info: Info) -> Node:
        return await self._node(info, self.raw.target)

    @described("How the target column derives from the source (FEEDS only).")
    def transformation(self) -> Transformation | None:
        if self.raw.kind != StoredEdgeKind.FEEDS.value:
            return None
        return transformation_of(self.raw.props)

    @described("Every transformation reported for it (FEEDS only).")
    def transformations(self) -> list[Transformation]:
        return transformations_of(self.raw.props)

    @described("The job behind this hop, when there is one.")
    async def job(self, info: Info) -> Job | None:
        kind = self.raw.kind
        if kind == StoredEdgeKind.INPUT_TO.value:
            nid: str | None = self.raw.target
        elif kind == StoredEdgeKind.PRODUCES.value:
            nid = self.raw.source
        else:
            nid = text(self.raw.props, "job")
        node = self.known.get(nid) if nid else None
        node = node or await info.context.loaders.node(nid)
        return one(node, Job, self.as_of)

    @described("Since when this hop holds (job-level and column edges).")
    def valid_since(self) -> datetime | None:
        return timestamp(self.raw.props.get("since"))

    @described("Until when it held; null while it still does.")
    def valid_until(self) -> datetime | None:
        return timestamp(self.raw.props.get("until"))

    @described("The hidden nodes a FLOWS_TO edge goes through.")
    async def via(self, info: Info) -> list[Node]:
        return [await self._node(info, nid) for nid in self.raw.via]

    async def _node(self, info: Info, nid: str) -> Node:
        node = self.known.get(nid) or await info.context.loaders.node(nid)
        if node is None:
            raise NotFound(f"no {describe(nid)}")
        return to_object(node, self.as_of)


def edge_objects(
    edges: Sequence[LineageEdge], known: Mapping[str, StoredNode], as_of: float | None
) -> list[LineageEdgeType]:
    return [LineageEdgeType(raw=e, known=known, as_of=as_of) for e in edges]


@strawberry.type(name="LineageGraph", description="The lineage around a start node.")
class LineageGraphType:
    raw: strawberry.Private[LineageGraph]
    known: strawberry.Private[Mapping[str, StoredNode]]

    @described(
        "Where the walk started (a dataset asked at COLUMN granularity starts "
        "from each of its fields)."
    )
    def start(self) -> list[Node]:
        return [to_object(self.raw.nodes[nid], self.raw.as_of) for nid in self.raw.starts]

    @described("Every node of the answer, start included.")
    def nodes(self) -> list[Node]:
        return [to_object(n, self.raw.as_of) for n in self.raw.nodes.values()]

    @strawberry.field
    def edges(self) -> list[LineageEdgeType]:
        return edge_objects(self.raw.edges, self.known, self.raw.as_of)

    @described("True when the node budget left out nodes within the depth asked for.")
    def truncated(self) -> bool:
        return self.raw.truncated

    @described("The nodes whose neighbours were not all included.")
    def truncated_at(self) -> list[Node]:
        return [to_object(self.known[n], self.raw.as_of) for n in self.raw.truncated_at]

    @strawberry.field
    def granularity(self) -> Granularity:
        return self.raw.granularity

    @strawberry.field
    def direction(self) -> Direction:
        return self.raw.direction

    @strawberry.field
    def depth(self) -> int:
        return self.raw.depth

    @strawberry.field
    def as_of(self) -> datetime | None:
        return timestamp(self.raw.as_of)


def lineage_object(graph: LineageGraph) -> LineageGraphType:
    return LineageGraphType(raw=graph, known={**graph.hidden, **graph.nodes})


@strawberry.type(description="One path along the data flow: nodes[i] feeds nodes[i + 1].")
class Path:
    raw: strawberry.Private[LineagePath]
    known: strawberry.Private[Mapping[str, StoredNode]]
    as_of: strawberry.Private[float | None]

    @strawberry.field
    def nodes(self) -> list[Node]:
        return [to_object(self.known[n], self.as_of) for n in self.raw.nodes]

    @strawberry.field
    def edges(self) -> list[LineageEdgeType]:
        return edge_objects(self.raw.edges, self.known, self.as_of)

    @described("Its number of edges.")
    def length(self) -> int:
        return len(self.raw.edges)


@strawberry.type(description="Shortest paths, shortest first.")
class Paths:
    paths: list[Path]
    truncated: bool = strawberry.field(
        description="True when the node budget ran out while looking: more paths may exist."
    )


# -- diffs --------------------------------------------------------------------------------


@strawberry.type(description="A field whose type changed.")
class TypeChange:
    path: str
    before: str | None
    after: str | None


@strawberry.type(description="How a dataset's schema changed between the two times.")
class SchemaChangeType:
    raw: strawberry.Private[SchemaChange]
    known: strawberry.Private[Mapping[str, StoredNode]]

    @strawberry.field
    async def dataset(self, info: Info) -> Dataset | None:
        node = self.known.get(self.raw.dataset) or await info.context.loaders.node(self.raw.dataset)
        return one(node, Dataset)

    @described("The version current at `since` (null: none yet).")
    def before(self) -> DatasetVersion | None:
        return one(self.raw.before, DatasetVersion)

    @described("The version current at `until`.")
    def after(self) -> DatasetVersion | None:
        return one(self.raw.after, DatasetVersion)

    @described("Dotted paths of the fields added.")
    def added(self) -> list[str]:
        return list(self.raw.added)

    @described("Dotted paths of the fields removed.")
    def removed(self) -> list[str]:
        return list(self.raw.removed)

    @strawberry.field
    def type_changed(self) -> list[TypeChange]:
        return [TypeChange(path=p, before=b, after=a) for p, b, a in self.raw.retyped]


@strawberry.type(description="A job whose SQL or source location changed between the two times.")
class JobChangeType:
    raw: strawberry.Private[JobChange]
    known: strawberry.Private[Mapping[str, StoredNode]]

    @strawberry.field
    async def job(self, info: Info) -> Job | None:
        node = self.known.get(self.raw.job) or await info.context.loaders.node(self.raw.job)
        return one(node, Job)

    @described("Its latest run by `since`.")
    def before(self) -> Run | None:
        return one(self.raw.before, Run)

    @described("Its latest run by `until`.")
    def after(self) -> Run | None:
        return one(self.raw.after, Run)

    @strawberry.field
    def sql_before(self) -> str | None:
        return self.raw.sql_before

    @strawberry.field
    def sql_after(self) -> str | None:
        return self.raw.sql_after

    @described("sourceCodeLocation url@version (or tag, or branch) then.")
    def source_before(self) -> str | None:
        return self.raw.source_before

    @strawberry.field
    def source_after(self) -> str | None:
        return self.raw.source_after


@strawberry.type(name="LineageDiff", description="What changed in the lineage between two times.")
class LineageDiffType:
    raw: strawberry.Private[LineageDiff]
    known: strawberry.Private[Mapping[str, StoredNode]]

    @strawberry.field
    def since(self) -> datetime:
        return datetime.fromtimestamp(self.raw.since, UTC)

    @described("Null: now.")
    def until(self) -> datetime | None:
        return timestamp(self.raw.until)

    @described("The lineage as it was at `since`.")
    def before(self) -> LineageGraphType:
        return lineage_object(self.raw.before)

    @described("The lineage as it was at `until`.")
    def after(self) -> LineageGraphType:
        return lineage_object(self.raw.after)

    @strawberry.field
    def added_nodes(self) -> list[Node]:
        return [to_object(self.known[n], self.raw.until) for n in self.raw.added_nodes]

    @strawberry.field
    def removed_nodes(self) -> list[Node]:
        return [to_object(self.known[n], self.raw.since) for n in self.raw.removed_nodes]

    @strawberry.field
    def added_edges(self) -> list[LineageEdgeType]:
        return edge_objects(self.raw.added_edges, self.known, self.raw.until)

    @strawberry.field
    def removed_edges(self) -> list[LineageEdgeType]:
        return edge_objects(self.raw.removed_edges, self.known, self.raw.since)

    @described("Datasets of either lineage whose schema changed.")
    def schema_changes(self) -> list[SchemaChangeType]:
        return [SchemaChangeType(raw=c, known=self.known) for c in self.raw.schema_changes]

    @described("Jobs of either lineage whose SQL or source location changed.")
    def job_changes(self) -> list[JobChangeType]:
        return [JobChangeType(raw=c, known=self.known) for c in self.raw.job_changes]

    @described(
        f"True when the lineage held more than {MAX_JOBS_COMPARED} jobs and only that many "
        "were compared."
    )
    def jobs_truncated(self) -> bool:
        return self.raw.jobs_truncated


def diff_object(diff: LineageDiff) -> LineageDiffType:
    known = {
        **diff.before.hidden,
        **diff.before.nodes,
        **diff.after.hidden,
        **diff.after.nodes,
    }
    return LineageDiffType(raw=diff, known=known)
