"""The ``impact`` query: what a schema change to a dataset would break downstream.

The answer wraps :class:`lineage.analysis.impact.ImpactReport`; its nodes are the API's
usual Dataset, Field and Job objects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import strawberry

from lineage.analysis import DEFAULT_DEPTH, InvalidArgument
from lineage.analysis.impact import (
    Category,
    Change,
    ChangeImpact,
    ChangeKind,
    FieldSpec,
    ImpactItem,
    ImpactReport,
    Notify,
    Severity,
    Step,
    Summary,
    impact,
)
from lineage.api.graphql.types import (
    Dataset,
    Info,
    Job,
    Node,
    Owner,
    Transformation,
    described,
    one,
    to_object,
    transformation_of,
    transformations_of,
)
from lineage.graph.model import dataset_id
from lineage.store import Node as StoredNode

strawberry.enum(
    Severity,
    name="ImpactSeverity",
    description="BREAKING: takes its value directly from the changed column, or the whole "
    "dataset goes; LIKELY: depends on it indirectly (join key, filter, grouping); POSSIBLE: "
    "read without column lineage, so nobody can tell.",
)
strawberry.enum(ChangeKind, name="SchemaChangeKind", description="What a schema change does.")
strawberry.enum(
    Category,
    name="ImpactCategory",
    description="MODEL and ENDPOINT are datasets of those types; DEPLOYMENT a job of that type.",
)


@strawberry.input(description="A dataset by namespace and name.")
class DatasetRef:
    namespace: str
    name: str


@strawberry.input(
    description="One change: DROP_FIELD, RENAME_FIELD (newName), CHANGE_TYPE (newType), "
    "ADD_FIELD (newType, nullable), DROP_DATASET, RENAME_DATASET (newName). `field` is the "
    "column's dotted path; the *_DATASET kinds name none."
)
class SchemaChangeInput:
    kind: ChangeKind
    field: str | None = None
    new_name: str | None = None
    new_type: str | None = None
    nullable: bool = True

    def to_change(self) -> Change:
        return Change(self.kind, self.field, self.new_name, self.new_type, self.nullable)


@strawberry.input(
    description="A column of a proposed schema; nested columns by dotted path. nullable "
    "defaults to true. renamedFrom: the current column it replaces (a rename, not a drop)."
)
class FieldInput:
    name: str
    type: str | None = None
    nullable: bool = True
    renamed_from: str | None = None

    def to_spec(self) -> FieldSpec:
        return FieldSpec(self.name, self.type, self.nullable, self.renamed_from)


@strawberry.type(
    description="A change the report is about (derived from a proposed schema, or as given)."
)
class ProposedChange:
    kind: ChangeKind
    field: str | None
    new_name: str | None
    new_type: str | None
    nullable: bool
    old_type: str | None = strawberry.field(description="The type the current schema gives.")
    description: str = strawberry.field(description="The change in words.")


def _change_object(change: Change) -> ProposedChange:
    return ProposedChange(
        kind=change.kind,
        field=change.field,
        new_name=change.new_name,
        new_type=change.new_type,
        nullable=change.nullable,
        old_type=change.old_type,
        description=change.describe(),
    )


@strawberry.type(description="Distinct items by their worst class, and by category.")
class ImpactSummary:
    breaking: int
    likely: int
    possible: int
    fields: int
    datasets: int
    models: int
    endpoints: int
    jobs: int
    deployments: int


def _summary(summary: Summary) -> ImpactSummary:
    return ImpactSummary(
        breaking=summary.breaking,
        likely=summary.likely,
        possible=summary.possible,
        fields=summary.fields,
        datasets=summary.datasets,
        models=summary.models,
        endpoints=summary.endpoints,
        jobs=summary.jobs,
        deployments=summary.deployments,
    )


@strawberry.type(
    description="One hop from the change to an item, the way data flows. kind: FEEDS "
    "(column lineage), READS (a job reads a dataset), PRODUCES (a job writes a dataset), "
    "ALIAS_OF (the same data under another name), WRITES (a job writes the changed dataset)."
)
class ImpactStep:
    raw: strawberry.Private[Step]
    known: strawberry.Private[Mapping[str, StoredNode]]

    @strawberry.field
    def kind(self) -> str:
        return self.raw.kind

    @described("Null for a name no node has (a symlinked dataset's column nobody reported).")
    async def source(self, info: Info) -> Node | None:
        return await _node(info, self.known, self.raw.source)

    @described("Null for a name no node has.")
    async def target(self, info: Info) -> Node | None:
        return await _node(info, self.known, self.raw.target)

    @described("The job behind the hop.")
    async def job(self, info: Info) -> Job | None:
        node = await _stored(info, self.known, self.raw.job)
        return one(node, Job)

    @described("How the target column derives from the source (FEEDS only).")
    def transformation(self) -> Transformation | None:
        return transformation_of(self.raw.props) if self.raw.kind == "FEEDS" else None

    @described("Every transformation reported for the hop (FEEDS only).")
    def transformations(self) -> list[Transformation]:
        return transformations_of(self.raw.props) if self.raw.kind == "FEEDS" else []


async def _stored(
    info: Info, known: Mapping[str, StoredNode], nid: str | None
) -> StoredNode | None:
    if not nid:
        return None
    return known.get(nid) or await info.context.loaders.node(nid)


async def _node(info: Info, known: Mapping[str, StoredNode], nid: str | None) -> Node | None:
    node = await _stored(info, known, nid)
    return to_object(node) if node is not None else None


@strawberry.type(
    name="ImpactItem", description="A field, dataset or job a change reaches, how surely, and why."
)
class ImpactItemType:
    raw: strawberry.Private[ImpactItem]
    known: strawberry.Private[Mapping[str, StoredNode]]

    @strawberry.field
    def node(self) -> Node:
        return to_object(self.raw.node)

    @strawberry.field
    def category(self) -> Category:
        return self.raw.category

    @strawberry.field
    def severity(self) -> Severity:
        return self.raw.severity

    @described("Jobs between the change and it (a job and what it writes share one).")
    def distance(self) -> int:
        return self.raw.distance

    @described("Why it is affected; for a POSSIBLE item, why nobody can tell for sure.")
    def reason(self) -> str:
        return self.raw.reason

    @described("True for POSSIBLE items: the graph cannot say whether they are affected.")
    def uncertain(self) -> bool:
        return self.raw.uncertain

    @described("Who owns it (a field: its dataset's owners).")
    def owners(self) -> list[Owner]:
        return [Owner(name=o.name, type=o.type) for o in self.raw.owners]

    @described("The way from the changed column (or dataset) to it, with each transformation.")
    def chain(self) -> list[ImpactStep]:
        return [ImpactStep(raw=s, known=self.known) for s in self.raw.chain]


def _items(items: Sequence[ImpactItem], known: Mapping[str, StoredNode]) -> list[ImpactItemType]:
    return [ImpactItemType(raw=i, known=known) for i in items]


@strawberry.type(description="The items at one distance from the change.")
class ImpactLevel:
    distance: int
    items: list[ImpactItemType]


@strawberry.type(
    name="ChangeImpact", description="What one change reaches, nearest first, then most sure first."
)
class ChangeImpactType:
    raw: strawberry.Private[ChangeImpact]
    known: strawberry.Private[Mapping[str, StoredNode]]

    @strawberry.field
    def change(self) -> ProposedChange:
        return _change_object(self.raw.change)

    @described("True when an item is BREAKING.")
    def breaking(self) -> bool:
        return self.raw.breaking

    @described(
        "What to know about this change (e.g. that adding a nullable column breaks nothing)."
    )
    def note(self) -> str | None:
        return self.raw.note

    @strawberry.field
    def items(self) -> list[ImpactItemType]:
        return _items(self.raw.items, self.known)

    @described("The items grouped by distance, nearest first.")
    def by_distance(self) -> list[ImpactLevel]:
        return [
            ImpactLevel(distance=d, items=_items(group, self.known))
            for d, group in self.raw.by_distance()
        ]

    @strawberry.field
    def summary(self) -> ImpactSummary:
        return _summary(self.raw.summary())


@strawberry.type(description="An owner to tell: the worst class among their items, and the items.")
class OwnerToNotify:
    raw: strawberry.Private[Notify]
    known: strawberry.Private[Mapping[str, StoredNode]]

    @strawberry.field
    def name(self) -> str:
        return self.raw.name

    @strawberry.field
    def type(self) -> str | None:
        return self.raw.type

    @strawberry.field
    def severity(self) -> Severity:
        return self.raw.severity

    @strawberry.field
    def items(self) -> list[Node]:
        return [to_object(self.known[n]) for n in self.raw.items if n in self.known]


@strawberry.type(
    name="ImpactReport",
    description="What a schema change would break downstream: per change, every field, "
    "dataset, job, model and endpoint reached, classified, with owners.",
)
class ImpactReportType:
    raw: strawberry.Private[ImpactReport]

    @strawberry.field
    def dataset(self) -> Dataset:
        found = one(self.raw.dataset, Dataset)
        assert found is not None
        return found

    @strawberry.field
    def changes(self) -> list[ChangeImpactType]:
        return [ChangeImpactType(raw=c, known=self.raw.nodes) for c in self.raw.changes]

    @described("Over all changes; an item reached by several counts once, at its worst.")
    def summary(self) -> ImpactSummary:
        return _summary(self.raw.summary)

    @described("Owners of the items reached, worst first.")
    def owners(self) -> list[OwnerToNotify]:
        return [OwnerToNotify(raw=n, known=self.raw.nodes) for n in self.raw.owners]

    @described("True when an item is BREAKING (what a CI gate fails on).")
    def breaking(self) -> bool:
        return self.raw.breaking

    @described("True when the node budget left out items within maxDepth.")
    def truncated(self) -> bool:
        return self.raw.truncated

    @strawberry.field
    def max_depth(self) -> int:
        return self.raw.max_depth


async def resolve_impact(
    info: Info,
    dataset: DatasetRef,
    changes: list[SchemaChangeInput] | None = None,
    proposed_schema: list[FieldInput] | None = None,
    max_depth: int = DEFAULT_DEPTH,
    node_budget: int | None = None,
) -> ImpactReportType:
    context = info.context
    if not 1 <= max_depth <= context.max_depth:
        raise InvalidArgument(
            f"maxDepth must be between 1 and {context.max_depth} (got {max_depth})"
        )
    budget = context.node_budget if node_budget is None else node_budget
    if not 1 <= budget <= context.node_budget:
        raise InvalidArgument(
            f"nodeBudget must be between 1 and {context.node_budget} (got {budget}); "
            "the server's limit is the LINEAGE_NODE_BUDGET setting"
        )
    start = dataset_id(dataset.namespace, dataset.name)
    given = [c.to_change() for c in changes] if changes is not None else None
    proposed = [f.to_spec() for f in proposed_schema] if proposed_schema is not None else None
    report = await context.offload(
        lambda: impact(
            context.store, start, given, proposed, max_depth, budget, deadline=context.deadline
        )
    )
    context.loaders.prime(report.nodes.values())
    return ImpactReportType(raw=report)


impact_field: ImpactReportType = strawberry.field(
    resolver=resolve_impact,
    description="What a schema change to a dataset would break downstream. Give `changes`, "
    "or `proposedSchema` (the dataset's whole new schema, diffed against its current one). "
    "maxDepth counts jobs between the change and an item (default 10). Adding a nullable "
    "column breaks nothing; a non-nullable one makes the dataset's writers LIKELY to fail.",
)


__all__ = ["DatasetRef", "FieldInput", "ImpactReportType", "SchemaChangeInput", "impact_field"]
