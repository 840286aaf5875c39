"""What lineage questions answer: a lineage graph and its edges, paths, and what changed
between two times."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import strawberry

from lineage.analysis import (
    Granularity,
    JobChange,
    LineageDiff,
    LineageEdge,
    LineageGraph,
    LineagePath,
    NodeRef,
    NotFound,
    SchemaChange,
    describe,
)
from lineage.analysis.diff import MAX_JOBS_COMPARED
from lineage.api.graphql.ids import decode_id, encode_id
from lineage.api.graphql.types.common import (
    EdgeKind,
    Info,
    Node,
    Transformation,
    described,
    one,
    text,
    timestamp,
    to_object,
    transformation_of,
    transformations_of,
)
from lineage.api.graphql.types.datasets import Dataset, DatasetVersion
from lineage.api.graphql.types.jobs import Job, Run
from lineage.graph.model import EdgeKind as StoredEdgeKind
from lineage.graph.model import NodeKind
from lineage.store import Direction
from lineage.store import Node as StoredNode


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


async def _known_or_loaded(
    info: Info, known: Mapping[str, StoredNode], nid: str | None
) -> StoredNode | None:
    """Node ``nid`` as the answer holds it, else as the store has it (None: no such node)."""
    return (known.get(nid) if nid else None) or await info.context.loaders.node(nid)


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
        node = await _known_or_loaded(info, self.known, nid)
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
        node = await _known_or_loaded(info, self.known, nid)
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
        node = await _known_or_loaded(info, self.known, self.raw.dataset)
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
        node = await _known_or_loaded(info, self.known, self.raw.job)
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
