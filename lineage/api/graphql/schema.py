"""The GraphQL schema: root queries over the analysis functions, with limits.

``schema`` is what the server mounts and what ``schema/schema.graphql`` is generated from:

    strawberry export-schema lineage.api.graphql.schema:schema --output schema/schema.graphql
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, Final

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, ExecutionResult

from lineage import analysis
from lineage.analysis import (
    DEFAULT_DEPTH,
    Granularity,
    InvalidArgument,
    NotFound,
)
from lineage.analysis.refs import not_found_message
from lineage.analysis.search import search_page
from lineage.api.graphql.cost import AnswerBudget
from lineage.api.graphql.errors import ErrorCodes
from lineage.api.graphql.ids import decode_id
from lineage.api.graphql.impact import impact_field
from lineage.api.graphql.incidents import Mutation, incidents_field, triage_field
from lineage.api.graphql.timings import Timings
from lineage.api.graphql.types import (
    ALL_NODE_TYPES,
    DEFAULT_PAGE,
    SCALARS,
    Connection,
    Dataset,
    Field,
    Info,
    Job,
    LineageDiffType,
    LineageGraphType,
    Node,
    NodeRefInput,
    Path,
    Paths,
    Run,
    described,
    diff_object,
    epoch,
    lineage_object,
    one,
    page_bounds,
    page_of,
    to_object,
)
from lineage.graph.model import NodeKind, dataset_id, field_id, job_id, run_id
from lineage.store import Direction
from lineage.store import Node as StoredNode

#: Deepest nesting of fields in one query document.
QUERY_DEPTH: Final = 15
#: Most tokens (names, braces, colons) in one query document.
MAX_TOKENS: Final = 5_000
#: Most aliases in one document: each lineage alias is a walk of its own.
MAX_ALIASES: Final = 20
MAX_PATHS: Final = 100


async def _lookup(info: Info, nid: str) -> StoredNode:
    """The stored node ``nid``; NotFound naming it (and similar names) when it is missing."""
    context = info.context
    node = await context.loaders.node(nid)
    if node is None:
        raise NotFound(await context.offload(lambda: not_found_message(context.store, nid)))
    return node


def _budget(info: Info, depth: int, node_budget: int | None) -> int:
    context = info.context
    if not 0 <= depth <= context.max_depth:
        raise InvalidArgument(f"depth must be between 0 and {context.max_depth} (got {depth})")
    if node_budget is None:
        return context.node_budget
    if not 1 <= node_budget <= context.node_budget:
        raise InvalidArgument(
            f"nodeBudget must be between 1 and {context.node_budget} (got {node_budget}); "
            "the server's limit is the LINEAGE_NODE_BUDGET setting"
        )
    return node_budget


@strawberry.type(
    description="Lineage of datasets, columns, jobs and runs. Errors carry "
    "extensions.code: NOT_FOUND, INVALID_ARGUMENT, TIMEOUT, INVALID_QUERY, UNAVAILABLE."
)
class Query:
    @described("A dataset by namespace and name.")
    async def dataset(self, info: Info, namespace: str, name: str) -> Dataset | None:
        node = await _lookup(info, dataset_id(namespace, name))
        return one(node, Dataset)

    @described("A column by its dataset's namespace and name and its path.")
    async def field(self, info: Info, namespace: str, name: str, path: str) -> Field | None:
        node = await _lookup(info, field_id(namespace, name, path))
        return one(node, Field)

    @described("A job by namespace and name.")
    async def job(self, info: Info, namespace: str, name: str) -> Job | None:
        node = await _lookup(info, job_id(namespace, name))
        return one(node, Job)

    @described("A run by its runId (a UUID).")
    async def run(
        self, info: Info, run_id_: Annotated[str, strawberry.argument(name="runId")]
    ) -> Run | None:
        node = await _lookup(info, run_id(run_id_.lower()))
        return one(node, Run)

    @described("Any node by the id it was given.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return to_object(await _lookup(info, decode_id(id)))

    @described(
        "The lineage around a node. depth counts edges (dataset -> job -> dataset "
        "is 2), up to 50. asOf: only edges valid then, versions current then. kinds and "
        "datasetTypes hide other nodes, joining what they connect with FLOWS_TO edges. "
        "nodeBudget (at most the server's) bounds the answer and sets truncated."
    )
    async def lineage(
        self,
        info: Info,
        start: NodeRefInput,
        direction: Direction = Direction.UPSTREAM,
        depth: int = DEFAULT_DEPTH,
        as_of: datetime | None = None,
        granularity: Granularity = Granularity.DATASET,
        kinds: list[NodeKind] | None = None,
        dataset_types: list[str] | None = None,
        include_indirect: bool = True,
        node_budget: int | None = None,
    ) -> LineageGraphType:
        context = info.context
        budget = _budget(info, depth, node_budget)
        ref = start.to_ref()
        at = epoch(as_of)
        graph = await context.offload(
            lambda: analysis.lineage(
                context.store,
                ref,
                direction,
                depth,
                at,
                granularity,
                kinds,
                budget,
                dataset_types=dataset_types,
                indirect=include_indirect,
                deadline=context.deadline,
            )
        )
        context.loaders.prime([*graph.nodes.values(), *graph.hidden.values()])
        return lineage_object(graph)

    @described(
        "Up to `limit` shortest distinct paths along the data flow from `from` to "
        "`to`, each at most maxDepth edges, shortest first. Swap the ends for the other way."
    )
    async def paths(
        self,
        info: Info,
        from_: Annotated[NodeRefInput, strawberry.argument(name="from")],
        to: NodeRefInput,
        max_depth: int = DEFAULT_DEPTH,
        limit: int = 10,
        granularity: Granularity = Granularity.DATASET,
        as_of: datetime | None = None,
    ) -> Paths:
        context = info.context
        budget = _budget(info, max_depth, None)
        if not 1 <= limit <= MAX_PATHS:
            raise InvalidArgument(f"limit must be between 1 and {MAX_PATHS} (got {limit})")
        source, target, at = from_.to_ref(), to.to_ref(), epoch(as_of)
        found = await context.offload(
            lambda: analysis.paths(
                context.store,
                source,
                target,
                max_depth,
                limit,
                granularity=granularity,
                as_of=at,
                node_budget=budget,
                deadline=context.deadline,
            )
        )
        context.loaders.prime(found.nodes.values())
        return Paths(
            paths=[Path(raw=p, known=found.nodes, as_of=at) for p in found.paths],
            truncated=found.truncated,
        )

    @described(
        "Datasets, jobs and fields whose name, namespace or description holds "
        "`query`: whole-name matches first, then prefixes, then the rest. kinds defaults to "
        "DATASET, JOB, FIELD. Jobs that are parts of another (Job.listed false: statements, "
        "dbt tests) are left out; they are among their parent's children."
    )
    async def search(
        self,
        info: Info,
        query: str,
        kinds: list[NodeKind] | None = None,
        namespace: str | None = None,
        first: int | None = DEFAULT_PAGE,
        after: str | None = None,
    ) -> Connection[Node]:
        start, count = page_bounds(first, after)
        context = info.context
        found = await context.offload(
            lambda: search_page(context.store, query, kinds, namespace, start, count)
        )
        context.loaders.prime(found.nodes)
        return page_of([to_object(n) for n in found.nodes], start, found.total)

    @described(
        "What changed in the lineage around a node from `since` to `until` (default now): "
        "edges and nodes added and removed, schema changes of its datasets, and jobs whose "
        "SQL or source location changed."
    )
    async def lineage_diff(
        self,
        info: Info,
        start: NodeRefInput,
        since: datetime,
        until: datetime | None = None,
        direction: Direction = Direction.UPSTREAM,
        depth: int = DEFAULT_DEPTH,
        granularity: Granularity = Granularity.DATASET,
    ) -> LineageDiffType:
        context = info.context
        budget = _budget(info, depth, None)
        ref, begin, end = start.to_ref(), epoch(since), epoch(until)
        diff = await context.offload(
            lambda: analysis.lineage_diff(
                context.store,
                ref,
                begin,
                end,
                direction,
                depth,
                granularity,
                budget,
                deadline=context.deadline,
            )
        )
        return diff_object(diff)

    impact = impact_field
    incidents = incidents_field
    triage = triage_field


class LineageSchema(strawberry.Schema):
    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[Any] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """Runs the whole operation (parsing, cost checks, validation, execution and the
        building of the answer) on an event loop of its own in a worker thread, so a heavy
        query never holds up the server's loop (and ``/healthz``)."""
        run = super().execute(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            allowed_operation_types,
            operation_extensions,
        )
        return await asyncio.to_thread(asyncio.run, run)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Expected errors (not found, bad arguments) are answers, not server faults: the
        ErrorCodes extension logs only unexpected ones."""


def _extensions() -> list[Any]:
    return [
        Timings,
        ErrorCodes,
        AnswerBudget,
        lambda: QueryDepthLimiter(max_depth=QUERY_DEPTH),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
    ]


schema = LineageSchema(
    query=Query,
    mutation=Mutation,
    types=ALL_NODE_TYPES,
    extensions=_extensions(),
    config=StrawberryConfig(scalar_map=SCALARS),
)
