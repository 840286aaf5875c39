"""Datasets, their versions and their columns (and how columns feed each other)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON

from lineage.analysis import run_started, schema_field, version_at
from lineage.api.graphql.types.common import (
    DEFAULT_PAGE,
    BigInt,
    Connection,
    Info,
    Node,
    Transformation,
    described,
    epoch,
    facets_field,
    objects,
    one,
    owners_field,
    page_bounds,
    paginate,
    shows,
    str_field,
    tags_field,
    text,
    text_field,
    time_field,
    timestamp,
    transformation_of,
    transformations_of,
    type_of,
)
from lineage.graph.model import EdgeKind as StoredEdgeKind
from lineage.graph.model import NodeKind
from lineage.store import Direction

if TYPE_CHECKING:
    from lineage.api.graphql.types.jobs import Job, Run

# Jobs and runs show datasets and versions too: their module imports this one.
JobType = Annotated["Job", strawberry.lazy("lineage.api.graphql.types.jobs")]
RunType = Annotated["Run", strawberry.lazy("lineage.api.graphql.types.jobs")]


@strawberry.enum(description="The state of a dataset's data quality assertions.")
class QualityStatus(Enum):
    PASSING = "PASSING"
    FAILING = "FAILING"
    UNKNOWN = "UNKNOWN"


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


@shows(NodeKind.DATASET)
@strawberry.type(
    description="A table, view, file, topic, model, endpoint, feature set: anything jobs read "
    "or write, named by namespace and name."
)
class Dataset(Node):
    namespace = str_field("namespace")
    name = str_field("name")

    type = text_field(
        "type",
        "TABLE, VIEW, FILE, TOPIC, MODEL, ENDPOINT, FEATURE_SET, ... as its "
        "producer said (datasetType facet); null when none did.",
    )

    description = text_field("description")

    owners = owners_field()
    tags = tags_field()

    @described("Whether a producer reported the dataset dropped.")
    def dropped(self) -> bool:
        return bool(self.raw.props.get("dropped"))

    last_materialized = time_field(
        "last_materialized",
        "For a feature store's feature view (Feast): when a materialization of it last "
        "completed; null for other datasets, and before any did.",
    )

    facets = facets_field("Every facet producers sent, verbatim, by name.")

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
        found = await self._neighbours(info, Direction.DOWNSTREAM, StoredEdgeKind.HAS_FIELD)
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
            node = await self._named(info, "current_version")
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
    async def produced_by(self, info: Info) -> list[JobType]:
        return await self._related(
            info, Direction.UPSTREAM, StoredEdgeKind.PRODUCES, type_of(NodeKind.JOB), self.as_of
        )

    @described("Jobs that read it.")
    async def consumed_by(self, info: Info) -> list[JobType]:
        return await self._related(
            info, Direction.DOWNSTREAM, StoredEdgeKind.INPUT_TO, type_of(NodeKind.JOB), self.as_of
        )

    @described("Runs that wrote a version of it, latest first.")
    async def written_by(
        self, info: Info, first: int | None = DEFAULT_PAGE, after: str | None = None
    ) -> Connection[RunType]:
        page_bounds(first, after)
        loaders = info.context.loaders
        versions = await loaders.versions(self.raw.id)
        run_ids = list(dict.fromkeys(str(v.props["run"]) for v in versions if v.props.get("run")))
        return paginate(objects(await loaders.many(run_ids), type_of(NodeKind.RUN)), first, after)

    @described("Datasets that are the same data under another name (symlinks).")
    async def aliases(self, info: Info) -> list[Dataset]:
        found = await self._neighbours(info, Direction.BOTH, StoredEdgeKind.ALIAS_OF)
        return objects(found, Dataset, self.as_of)

    @described("The names it had before a rename.")
    async def previous_names(self, info: Info) -> list[Dataset]:
        return await self._related(info, Direction.DOWNSTREAM, StoredEdgeKind.RENAMED_FROM, Dataset)


def _paths(facet: Any) -> list[str]:
    paths: list[str] = []

    def walk(entries: Any, prefix: str) -> None:
        for entry in entries if isinstance(entries, list) else ():
            if isinstance(entry, Mapping) and isinstance(entry.get("name"), str):
                paths.append(prefix + entry["name"])
                walk(entry.get("fields"), prefix + entry["name"] + ".")

    walk(facet.get("fields") if isinstance(facet, Mapping) else None, "")
    return paths


@shows(NodeKind.DATASET_VERSION)
@strawberry.type(description="One version of a dataset: what one run wrote, or what readers saw.")
class DatasetVersion(Node):
    version = str_field("version")

    @strawberry.field
    async def dataset(self, info: Info) -> Dataset | None:
        node = await self._named(info, "dataset")
        return one(node, Dataset, self.as_of)

    created_at = time_field("created_at")

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

    facets = facets_field(
        "The facets kept with this version, by name: a model version's lineage_model "
        "(metrics, hyperparameters), an endpoint version's lineage_deployment (the model "
        "version it serves)."
    )

    @described("True when no run in the graph wrote it: a version only readers saw.")
    def observed(self) -> bool:
        return bool(self.raw.props.get("observed"))

    lifecycle_state = text_field(
        "lifecycle", "CREATE, OVERWRITE, ALTER, DROP, ... as the writer reported."
    )

    @described("The run that wrote it.")
    async def written_by(self, info: Info) -> RunType | None:
        node = await self._named(info, "run")
        return one(node, type_of(NodeKind.RUN))

    @described("Runs that read exactly this version, latest first.")
    async def read_by(
        self, info: Info, first: int | None = DEFAULT_PAGE, after: str | None = None
    ) -> Connection[RunType]:
        page_bounds(first, after)
        found = await self._neighbours(info, Direction.UPSTREAM, StoredEdgeKind.READ)
        found.sort(key=lambda r: (run_started(r) or 0.0, r.id), reverse=True)
        return paginate(objects(found, type_of(NodeKind.RUN)), first, after)


@shows(NodeKind.FIELD)
@strawberry.type(description="A column of a dataset (nested columns by dotted path).")
class Field(Node):
    @strawberry.field
    async def dataset(self, info: Info) -> Dataset | None:
        node = await self._named(info, "dataset")
        return one(node, Dataset, self.as_of)

    name = str_field("name")
    path = str_field("path", "Dotted path from the top of the schema (`address.city`).")

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
        dataset = await self._named(info, "dataset")
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
    async def job(self, info: Info) -> JobType | None:
        node = await info.context.loaders.node(text(self.props, "job"))
        return one(node, type_of(NodeKind.JOB), self.as_of)

    @strawberry.field
    def valid_since(self) -> datetime | None:
        return timestamp(self.props.get("since"))

    @described("Null while still valid.")
    def valid_until(self) -> datetime | None:
        return timestamp(self.props.get("until"))
