"""Jobs and their runs."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import strawberry

from lineage.analysis import run_started
from lineage.analysis.jobs import is_part_kind, parent_by_job
from lineage.api.graphql.types.common import (
    DEFAULT_PAGE,
    Connection,
    Info,
    Node,
    described,
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
)
from lineage.api.graphql.types.datasets import Dataset, DatasetVersion
from lineage.graph.model import EdgeKind as StoredEdgeKind
from lineage.graph.model import NodeKind, RunState
from lineage.store import Direction


@strawberry.type(description="Where a job's code lives (sourceCodeLocation facet).")
class SourceLocation:
    url: str | None
    type: str | None
    repo_url: str | None
    path: str | None
    version: str | None
    branch: str | None
    tag: str | None


@shows(NodeKind.JOB)
@strawberry.type(
    description="A job: an ETL step, a training, a deployment, a monitor, named by namespace "
    "and name."
)
class Job(Node):
    namespace = str_field("namespace")
    name = str_field("name")

    @described(
        "ETL, TRAINING, EVALUATION, DEPLOYMENT, MONITOR, INFERENCE, "
        "FEATURE_ENGINEERING (from the jobType facet; ETL for anything else)."
    )
    def type(self) -> str:
        return str(self.raw.props.get("type") or "ETL")

    job_type = text_field("job_type", "The jobType facet's jobType, as sent (MODEL, QUERY, ...).")
    integration = text_field("integration", "SPARK, DBT, AIRFLOW, ... (jobType facet).")
    processing_type = text_field("processing_type", "BATCH or STREAMING (jobType facet).")
    description = text_field("description")
    sql = text_field("sql")

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

    owners = owners_field()
    tags = tags_field()

    facets = facets_field("Every facet producers sent, verbatim, by name.")

    @described("Datasets it reads (as of the answer's time, if any).")
    async def inputs(self, info: Info) -> list[Dataset]:
        return await self._related(
            info, Direction.UPSTREAM, StoredEdgeKind.INPUT_TO, Dataset, self.as_of
        )

    @described("Datasets it writes (as of the answer's time, if any).")
    async def outputs(self, info: Info) -> list[Dataset]:
        return await self._related(
            info, Direction.DOWNSTREAM, StoredEdgeKind.PRODUCES, Dataset, self.as_of
        )

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


@shows(NodeKind.RUN)
@strawberry.type(description="One execution of a job.")
class Run(Node):
    run_id = str_field("runId")

    @strawberry.field
    async def job(self, info: Info) -> Job | None:
        node = await self._named(info, "job")
        return one(node, Job)

    @strawberry.field
    def state(self) -> RunState:
        value = str(self.raw.props.get("state") or "OTHER")
        return RunState(value) if value in RunState.__members__ else RunState.OTHER

    started_at = time_field("started_at")
    ended_at = time_field("ended_at")

    @described("Seconds from start to end; null until both are known.")
    def duration(self) -> float | None:
        started, ended = self.raw.props.get("started_at"), self.raw.props.get("ended_at")
        return float(ended) - float(started) if started is not None and ended is not None else None

    nominal_start_time = time_field("nominal_start")
    error_message = text_field("error_message")

    @described(
        "The SQL this run's events reported for its job (null when they sent none); the "
        "job's `sql` is the latest, so compare runs to see it change."
    )
    async def sql(self, info: Info) -> str | None:
        own = text(self.raw.props, "sql")
        if own is not None:
            return own
        return await asyncio.shield(info.context.loaders.run_sql.load(self.raw))

    facets = facets_field("Every run facet producers sent, verbatim, by name.")

    @described("The run that started this one (parent facet).")
    async def parent(self, info: Info) -> Run | None:
        found = await self._neighbours(info, Direction.DOWNSTREAM, StoredEdgeKind.CHILD_OF)
        return one(found[0] if found else None, Run)

    @strawberry.field
    async def children(self, info: Info) -> list[Run]:
        return await self._related(info, Direction.UPSTREAM, StoredEdgeKind.CHILD_OF, Run)

    @described("The exact dataset versions it read.")
    async def inputs(self, info: Info) -> list[DatasetVersion]:
        return await self._related(info, Direction.DOWNSTREAM, StoredEdgeKind.READ, DatasetVersion)

    @described("The dataset versions it wrote.")
    async def outputs(self, info: Info) -> list[DatasetVersion]:
        return await self._related(info, Direction.DOWNSTREAM, StoredEdgeKind.WROTE, DatasetVersion)
