"""From one OpenLineage event to the graph mutations it implies: a pure function.

``mutations_for(event)`` looks at nothing but the event. Everything that needs the rest
of the graph (which version of a dataset a run read, when a job stopped using a
dataset, what a CTE name in column lineage refers to) is expressed as a mutation that
the store resolves deterministically, so replaying or reordering events cannot change
the resulting graph.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import orjson

from lineage.events import (
    DatasetEvent,
    FacetMap,
    InputDataset,
    Job,
    JobEvent,
    LineageEvent,
    OutputDataset,
    RunEvent,
    get_facet,
)
from lineage.events import facets as F
from lineage.graph import feast
from lineage.graph.model import (
    ColumnLineage,
    Completion,
    EdgeKind,
    EnsureFields,
    Feed,
    Merge,
    Mutation,
    NodeKind,
    Prop,
    ReadDataset,
    RunState,
    Sighting,
    UnresolvedReference,
    UpsertEdge,
    UpsertNode,
    dataset_id,
    field_id,
    job_id,
    run_id,
    split_id,
    version_id,
)
from lineage.graph.sql import SqlLineage, Statement, analyze, dialect_for

M = TypeVar("M")
V = TypeVar("V")

#: Job kinds this project gives its own meaning to; any other ``jobType`` is ETL.
ML_JOB_KINDS = frozenset(
    {"TRAINING", "EVALUATION", "DEPLOYMENT", "MONITOR", "INFERENCE", "FEATURE_ENGINEERING"}
)

#: jobTypes of a run that is one statement its parent run ran, not a job of its own:
#: dbt-ol's ``<model>.sql.N`` (SQL) and Airflow's ``<task>.query.N`` (QUERY).
STATEMENT_JOB_TYPES: Final = frozenset({"SQL", "QUERY"})
#: jobTypes of jobs that are listed under the job their runs ran under (parent facet), not on
#: their own: statements, and dbt's tests (TEST), which check a model instead of building one.
SUB_JOB_TYPES: Final = STATEMENT_JOB_TYPES | {"TEST"}

FACET_PREFIX = "facet:"

#: The project's own dataset facets (``lineage.integrations``): the kind of dataset each
#: implies when no ``datasetType`` facet says, and which every version it is sent with
#: keeps, so that each model version has its own metrics and each endpoint version its
#: own deployment.
ML_DATASET_FACETS: Final = {"lineage_model": "MODEL", "lineage_deployment": "ENDPOINT"}


def mutations_for(event: LineageEvent) -> list[Mutation]:
    """Return the idempotent, order-independent mutations one event implies."""
    if isinstance(event, RunEvent):
        return list(_run_event(event))
    if isinstance(event, JobEvent):
        return list(_job_event(event))
    if isinstance(event, DatasetEvent):
        at = event.eventTime.timestamp()
        return list(_dataset(event.dataset.namespace, event.dataset.name, event.dataset.facets, at))
    raise TypeError(f"not an OpenLineage event: {type(event).__name__}")


# -- runs ---------------------------------------------------------------------------


def statement_of(event: RunEvent) -> str | None:
    """The id of the job whose run ``event``'s run is one statement of: the parent run's job
    (``parent`` facet) when the event's ``jobType`` is a statement's (SQL, QUERY); else None.

    Pure: dbt-ol and Airflow send both facets with every event of such a run.
    """
    parent = get_facet(event.run.facets, "parent", F.ParentRunFacet)
    kind = get_facet(event.job.facets, "jobType", F.JobTypeJobFacet)
    if parent is None or kind is None or (kind.jobType or "").upper() not in STATEMENT_JOB_TYPES:
        return None
    parent_job = job_id(parent.job.namespace, parent.job.name)
    return parent_job if parent_job != job_id(event.job.namespace, event.job.name) else None


def error_message(event: RunEvent) -> str | None:
    """Why the run failed, as the event says: the ``errorMessage`` facet's message, else the
    first line of the stack trace in the Spark listener's ``spark.exception`` run facet (it
    sends no ``errorMessage``); None when the event says neither."""
    error = get_facet(event.run.facets, "errorMessage", F.ErrorMessageRunFacet)
    if error is not None:
        return error.message
    spark = event.run.facets.get("spark.exception")
    trace = spark.get("stackTrace") if isinstance(spark, Mapping) else None
    if isinstance(trace, str) and trace.strip():
        return trace.strip().splitlines()[0]
    return None


def _run_event(event: RunEvent) -> Iterator[Mutation]:
    written = [ds for ds in event.outputs if not _unwritten(ds)]
    if len(written) < len(event.outputs):
        event = event.model_copy(update={"outputs": written})
    at = event.eventTime.timestamp()
    job = job_id(event.job.namespace, event.job.name)
    run = run_id(event.run.runId)
    state = (event.eventType or RunState.OTHER).upper()

    yield from _job(event.job, at)
    props: dict[str, Prop] = {
        "runId": Prop(event.run.runId),
        "job": Prop(job),
        "state": Prop(state, Merge.STATE),
        "first_seen": Prop(at, Merge.MIN),
        "last_seen": Prop(at, Merge.MAX),
        "producer": Prop(event.producer, at=at),
    }
    if state == RunState.START:
        props["started_at"] = Prop(at, Merge.MIN)
    if state in (RunState.COMPLETE, RunState.FAIL, RunState.ABORT):
        props["ended_at"] = Prop(at, Merge.MAX)
    props.update(_facet_props(event.run.facets, at))
    sql = get_facet(event.job.facets, "sql", F.SQLJobFacet)
    if sql is not None and not event.inputs and not event.outputs:
        # A statement run on its own (dbt-ol's `.sql.N`, Airflow's `.query.N`): the job's
        # SQL may change between runs, and its parent's lineage needs this run's.
        props["sql"] = Prop(sql.query, at=at)
        props["sql_dialect"] = Prop(sql.dialect, at=at)
    error = error_message(event)
    if error is not None:
        props["error_message"] = Prop(error, at=at)
    nominal = get_facet(event.run.facets, "nominalTime", F.NominalTimeRunFacet)
    if nominal is not None:
        props["nominal_start"] = Prop(nominal.nominalStartTime.timestamp(), at=at)
    yield UpsertNode(run, NodeKind.RUN, props)
    yield UpsertEdge(EdgeKind.RUN_OF, run, job)

    parent = get_facet(event.run.facets, "parent", F.ParentRunFacet)
    if parent is not None:
        parent_run = run_id(str(parent.run.runId).lower())
        parent_job = job_id(parent.job.namespace, parent.job.name)
        yield UpsertNode(parent_job, NodeKind.JOB, _identity(parent.job.namespace, parent.job.name))
        yield UpsertNode(
            parent_run,
            NodeKind.RUN,
            {"runId": Prop(str(parent.run.runId).lower()), "job": Prop(parent_job)},
        )
        yield UpsertEdge(EdgeKind.RUN_OF, parent_run, parent_job)
        yield UpsertEdge(EdgeKind.CHILD_OF, run, parent_run)
        if parent_job != job:
            # The job-level projection: the job a job's runs run under (a DAG's tasks, a
            # dbt invocation's models and tests, a task's or a model's statements).
            seen = {"first_seen": Prop(at, Merge.MIN), "last_seen": Prop(at, Merge.MAX)}
            yield UpsertEdge(EdgeKind.CHILD_OF, job, parent_job, props=seen)
        if parent.root is not None:
            root = str(parent.root.run.runId).lower()
            yield UpsertNode(run, NodeKind.RUN, {"root_run": Prop(run_id(root), at=at)})

    declared = frozenset(dataset_id(d.namespace, d.name) for d in (*event.inputs, *event.outputs))
    for source in event.inputs:
        yield from _input(source, run, job, at, declared=True)
    found = _sql_lineage(event)
    if found is not None and found[0].error is not None:
        # Kept and flagged, never fatal: the job's SQL is stored as sent either way.
        yield UpsertNode(job, NodeKind.JOB, {"sql_error": Prop(found[0].error, at=at)})
    elif found is not None:
        yield UpsertNode(job, NodeKind.JOB, {"sql_error": Prop(None, at=at)})
    covers: list[str] = []
    datasets = tuple(sorted({(d.namespace, d.name) for d in (*event.inputs, *event.outputs)}))
    inputs = {dataset_id(d.namespace, d.name) for d in event.inputs}
    # The names a query may call some of the event's datasets by (a Spark file's table).
    aliases = tuple(
        sorted(
            {
                (alias, d.namespace, d.name)
                for d in (*event.inputs, *event.outputs)
                if (alias := query_name(d.name, d.facets)) != d.name
            }
        )
    )
    for target in event.outputs:
        yield from _output(target, event, run, job, at)
        statement = (
            found[0].for_output(query_name(target.name, target.facets), len(event.outputs) == 1)
            if found is not None
            else None
        )
        implied = feast.implied_column_lineage(event, target)
        if (
            _has_facet(target.facets, "columnLineage")
            or statement is not None
            or implied is not None
        ):
            covers.append(dataset_id(target.namespace, target.name))
            yield from _column_lineage(
                target, run, job, at, datasets, declared, inputs, aliases, statement, implied
            )
    if state == RunState.COMPLETE:
        # A feature view's freshness: when a materialization of it last completed.
        for namespace, name in feast.materialized_views(event):
            yield UpsertNode(
                dataset_id(namespace, name),
                NodeKind.DATASET,
                {"last_materialized": Prop(at, Merge.MAX)},
            )
    if state == RunState.COMPLETE and not feast.partial_declaration(event):
        # What the completion closes depends on the whole run (every event's datasets), which
        # the store knows from the run's sightings.
        yield Completion(job, at, run, tuple(sorted(covers)))


def _unwritten(ds: OutputDataset) -> bool:
    """Whether an output names a table the run does not write by running: the relation of a
    dbt test (``dbt_model`` facet ``config.materialized: test``), which dbt creates only when
    the test stores its failures. dbt-ol reports it either way; when dbt does create it, the
    test's ``create table`` statement says so (``lineage/child_sql.py``)."""
    facet = ds.facets.get("dbt_model")
    config = facet.get("config") if isinstance(facet, Mapping) else None
    return isinstance(config, Mapping) and config.get("materialized") == "test"


def _input(
    ds: InputDataset, run: str, job: str, at: float, *, declared: bool
) -> Iterator[Mutation]:
    dsid = dataset_id(ds.namespace, ds.name)
    yield from _dataset(ds.namespace, ds.name, ds.facets, at)
    version = get_facet(ds.facets, "version", F.DatasetVersionDatasetFacet)
    schema = _schema_fields(ds.facets)
    observed_props: dict[str, Prop] = {"created_at": Prop(at, Merge.MIN)}
    if schema is not None:
        observed_props["schema"] = Prop(schema, at=at)
    edge_props = _facet_props(ds.inputFacets, at)
    edge_props["declared"] = Prop(declared, Merge.MAX)
    assertions = get_facet(ds.inputFacets, "dataQualityAssertions", F.DataQualityAssertionsFacet)
    if assertions is not None:
        yield from _assertions(ds.namespace, ds.name, assertions, at)
    yield ReadDataset(
        run=run,
        dataset=dsid,
        at=at,
        version=version_id(ds.namespace, ds.name, version.datasetVersion) if version else None,
        observed=observed_version_of(ds.namespace, ds.name, ds.facets),
        observed_props=observed_props,
        observed_known=schema is not None,
        edge_props=edge_props,
    )
    yield Sighting(
        UpsertEdge(EdgeKind.INPUT_TO, dsid, job, props={"declared": Prop(declared, Merge.MAX)}),
        job,
        at,
        run,
    )


def _output(
    ds: OutputDataset, event: RunEvent, run: str, job: str, at: float
) -> Iterator[Mutation]:
    dsid = dataset_id(ds.namespace, ds.name)
    yield from _dataset(ds.namespace, ds.name, ds.facets, at)
    version_facet = get_facet(ds.facets, "version", F.DatasetVersionDatasetFacet)
    version = version_facet.datasetVersion if version_facet else "run:" + event.run.runId
    vid = version_id(ds.namespace, ds.name, version)
    props: dict[str, Prop] = {
        "version": Prop(version),
        "dataset": Prop(dsid),
        "created_at": Prop(at, Merge.MIN),
        "run": Prop(run),
    }
    schema = _schema_fields(ds.facets)
    if schema is not None:
        props["schema"] = Prop(schema, at=at)
    stats = get_facet(ds.outputFacets, "outputStatistics", F.OutputStatisticsFacet)
    if stats is not None:
        props["row_count"] = Prop(stats.rowCount, at=at)
        props["size"] = Prop(stats.size, at=at)
    metrics = get_facet(ds.facets, "dataQualityMetrics", F.DataQualityMetricsFacet)
    if metrics is not None:
        props["metrics"] = Prop(_dump(metrics), at=at)
    lifecycle = get_facet(ds.facets, "lifecycleStateChange", F.LifecycleStateChangeDatasetFacet)
    if lifecycle is not None:
        props["lifecycle"] = Prop(lifecycle.lifecycleStateChange, at=at)
    for name in ML_DATASET_FACETS:
        if _has_facet(ds.facets, name):
            props[FACET_PREFIX + name] = Prop(ds.facets[name], at=at)
    yield UpsertNode(vid, NodeKind.DATASET_VERSION, props)
    yield UpsertEdge(EdgeKind.VERSION_OF, vid, dsid)
    yield UpsertEdge(EdgeKind.WROTE, run, vid, props=_facet_props(ds.outputFacets, at))
    yield UpsertNode(dsid, NodeKind.DATASET, {"current_version": Prop(vid, at=at)})
    yield Sighting(UpsertEdge(EdgeKind.PRODUCES, job, dsid), job, at, run)


@dataclass(frozen=True, slots=True)
class _LineagePlan:
    """What one output's column lineage implies, independent of the run and time."""

    target_paths: tuple[str, ...]
    sources: tuple[tuple[str, str, tuple[str, ...], str], ...]  # namespace, name, fields, how
    feeds: tuple[Feed, ...]
    digest: str
    unresolved: tuple[tuple[str, str, str, str, tuple[Mapping[str, Any], ...]], ...]
    #: Why the job's use of its inputs' columns is not fully known (None: it is), and the
    #: inputs that concerns (empty: all of the run's inputs).
    gap: str | None = None
    gap_inputs: tuple[str, ...] = ()


# Producers send the same column lineage (and SQL) with every event of every run of a job,
# and the facet parser shares one typed instance per content: plan each one once. Values
# keep their facet alive, so an id in a key cannot be reused while the entry exists.
_PLANS: dict[tuple[Any, ...], _LineagePlan] = {}
_PLANS_MAX = 4096


def _sql_lineage(event: RunEvent) -> tuple[SqlLineage, F.SQLJobFacet] | None:
    """The column lineage of the event's SQL, when it has SQL and outputs."""
    sql = get_facet(event.job.facets, "sql", F.SQLJobFacet)
    if sql is None or not event.outputs or not sql.query.strip():
        return None
    schemas: dict[str, list[str]] = {}
    for source in event.inputs:
        paths = _top_level_names(source.facets)
        if paths is not None:
            schemas[query_name(source.name, source.facets)] = paths
    outputs: dict[str, list[str]] = {}
    for target in event.outputs:
        paths = _top_level_names(target.facets)
        if paths is not None:
            outputs[query_name(target.name, target.facets)] = paths
    namespace = event.outputs[0].namespace
    found = analyze(sql.query, dialect_for(sql.dialect, namespace), schemas, output_columns=outputs)
    return found, sql


def query_name(name: str, facets: Mapping[str, Any]) -> str:
    """The name a query calls a dataset by: its first ``symlinks`` identifier's when it has
    one, else the last segment of a path, else its own name.

    The OpenLineage Spark listener names a table of the session catalog by its location
    (``file`` + ``/…/warehouse/customers``) and gives the catalog name in ``symlinks``
    (``default.customers``), except for the table a CREATE TABLE … AS writes, which has no
    symlinks in the events that carry the SQL: there the location's last segment is the
    table's name.
    """
    symlinks = get_facet(facets, "symlinks", F.SymlinksDatasetFacet)
    if symlinks is not None and symlinks.identifiers:
        return symlinks.identifiers[0].name
    if "/" in name:
        return name.rstrip("/").rsplit("/", 1)[-1] or name
    return name


def _top_level_names(facets: Mapping[str, Any]) -> list[str] | None:
    schema = get_facet(facets, "schema", F.SchemaDatasetFacet)
    if schema is None or not schema.fields:
        return None
    return [f.name for f in schema.fields]


def _column_lineage(
    ds: OutputDataset,
    run: str,
    job: str,
    at: float,
    datasets: tuple[tuple[str, str], ...],
    declared: frozenset[str],
    inputs: set[str],
    aliases: tuple[tuple[str, str, str], ...],
    statement: Statement | None,
    implied: F.ColumnLineageDatasetFacet | None = None,
) -> Iterator[Mutation]:
    """One output's column lineage; ``datasets``, ``declared``, ``inputs`` and ``aliases``
    are the event's (namespace, name) pairs, the ids of its datasets and of its inputs,
    and the other names its query may call them by; ``implied``: the lineage the producer's
    own definitions imply where it sent none (``lineage.graph.feast``)."""
    lineage = get_facet(ds.facets, "columnLineage", F.ColumnLineageDatasetFacet)
    key: bytes | None = None
    if lineage is not None:
        raw = ds.facets["columnLineage"]
        # The typed facet of a parsed event stands for its JSON content: digest it once.
        key = (
            derived(lineage, "key", lambda _: _content_key(raw))
            if isinstance(ds.facets, FacetMap)
            else _content_key(raw)
        )
    elif implied is not None:
        lineage, key = implied, _content_key(implied.model_dump(mode="json"))
    if lineage is None and statement is None:
        return
    schema = get_facet(ds.facets, "schema", F.SchemaDatasetFacet)
    yield from _output_lineage(
        ds.namespace,
        ds.name,
        lineage,
        key,
        tuple(f.name for f in schema.fields) if schema is not None else (),
        statement,
        datasets,
        declared,
        inputs,
        run,
        job,
        at,
        aliases=aliases,
    )


def _content_key(raw: Any) -> bytes:
    return hashlib.blake2b(orjson.dumps(raw), digest_size=16).digest()


def _output_lineage(
    namespace: str,
    name: str,
    lineage: F.ColumnLineageDatasetFacet | None,
    lineage_key: bytes | None,
    schema_names: tuple[str, ...],
    statement: Statement | None,
    datasets: tuple[tuple[str, str], ...],
    declared: frozenset[str],
    inputs: set[str],
    run: str,
    job: str,
    at: float,
    *,
    aliases: tuple[tuple[str, str, str], ...] = (),
) -> Iterator[Mutation]:
    """The mutations of one output's column lineage: what the producer reported
    (``lineage``) and what its SQL says (``statement``), over the event's ``datasets``
    (``aliases``: the names a query may call some of them by, with their namespace and name)."""
    out = dataset_id(namespace, name)
    # By content: producers send the same lineage and SQL with every run, in a new object
    # each time once the facet cache has moved on. (How names split into parts follows
    # from ``datasets``, so it is not part of the key.)
    key = (
        lineage_key,
        statement.key if statement is not None else None,
        schema_names,
        namespace,
        name,
        declared,
        datasets,
        aliases,
    )
    plan = _PLANS.get(key)
    if plan is None:
        if len(_PLANS) >= _PLANS_MAX:
            _PLANS.clear()
        naming = _dotted_parts_by_namespace(datasets)
        plan = _plan_column_lineage(
            lineage, statement, schema_names, namespace, name, naming, declared, datasets, aliases
        )
        _PLANS[key] = plan

    yield EnsureFields(out, namespace, name, plan.target_paths)
    for source_ns, source_name, fields, how in plan.sources:
        dsid = dataset_id(source_ns, source_name)
        yield EnsureFields(dsid, source_ns, source_name, fields)
        if dsid in declared:
            continue
        # A producer may omit an input it names in column lineage (dbt-ol leaves seeds out),
        # or name none while its SQL reads them.
        yield UpsertNode(dsid, NodeKind.DATASET, _identity(source_ns, source_name))
        derived = {"declared": Prop(False, Merge.MAX), "derived_from": Prop(how, at=at)}
        yield ReadDataset(
            run=run,
            dataset=dsid,
            at=at,
            version=None,
            observed=observed_version_id(source_ns, source_name, None),
            observed_props={"created_at": Prop(at, Merge.MIN)},
            edge_props=derived,
        )
        yield Sighting(UpsertEdge(EdgeKind.INPUT_TO, dsid, job, props=derived), job, at, run)
    yield ColumnLineage(job=job, run=run, output=out, at=at, digest=plan.digest, feeds=plan.feeds)
    for ref_ns, ref_name, field, target, transformations in plan.unresolved:
        yield UnresolvedReference(
            run=run,
            job=job,
            namespace=ref_ns,
            name=ref_name,
            field=field,
            output=out,
            report=plan.digest,
            target_field=target,
            transformations=transformations,
            at=at,
        )
    # How completely this job's column use of each input is known: impact analysis treats a
    # reader with gaps as possibly broken by any change, with this reason.
    concerned = set(plan.gap_inputs) or inputs | {dataset_id(n, m) for n, m, _, _ in plan.sources}
    for dsid in sorted(concerned - {out}):
        yield Sighting(
            UpsertEdge(
                EdgeKind.INPUT_TO, dsid, job, props={"column_usage_gap": Prop(plan.gap, at=at)}
            ),
            job,
            at,
            run,
        )


#: The relations dbt builds a model in before it renames them over the model's own.
_DBT_RELATION_SUFFIXES: Final = ("__dbt_tmp", "__dbt_backup")

Columns = Sequence[str] | None


def sql_lineage_mutations(
    run: str,
    job: str,
    at: float,
    query: str,
    dialect: str | None,
    inputs: Sequence[tuple[str, str, Columns]],
    outputs: Sequence[tuple[str, str, Columns]],
    fallback_namespace: str,
) -> list[Mutation]:
    """The column lineage of SQL that ran under ``run`` but came in an event naming no
    dataset (dbt-ol's `.sql.N` statements, Airflow's `.query.N`): each statement that writes
    a table becomes column lineage of ``job``, into the run's own datasets (``inputs``,
    ``outputs``: namespace, name, top-level columns when known).

    A written table is the run's output whose name ends with it (dbt's ``__dbt_tmp``
    relation is the model's own); a table the run does not name takes the namespace of the
    run's datasets, or ``fallback_namespace`` when the run names none. Pure: the same
    arguments give the same mutations.
    """
    namespace = next((ns for ns, _, _ in (*outputs, *inputs)), fallback_namespace)
    schemas = {n: list(c) for _, n, c in inputs if c}
    found = analyze(query, dialect_for(dialect, namespace), schemas)
    known = [(ns, n) for ns, n, _ in (*inputs, *outputs)]
    out: list[Mutation] = []
    for statement in found.statements:
        if statement.target is None:
            continue  # a query that writes nothing (a test's select) has no column lineage
        target = _strip_dbt_relation(statement.target)
        matched = [
            (ns, n, c) for ns, n, c in outputs if _ends_with(n, target) or _ends_with(target, n)
        ]
        if len(matched) == 1:
            target_ns, target_name, columns = matched[0]
        else:
            target_ns = namespace
            target_name = _TableNames(namespace, target, tuple(known)).resolve(target)[1]
            columns = None
            out += _sql_output(target_ns, target_name, run, job, at)
        datasets = tuple(sorted({*known, (target_ns, target_name)}))
        declared = frozenset(dataset_id(ns, n) for ns, n in datasets)
        out += _output_lineage(
            target_ns,
            target_name,
            None,
            None,
            tuple(columns or ()),
            statement,
            datasets,
            declared,
            {dataset_id(ns, n) for ns, n, _ in inputs},
            run,
            job,
            at,
        )
    return out


def _strip_dbt_relation(name: str) -> str:
    for suffix in _DBT_RELATION_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _ends_with(name: str, tail: str) -> bool:
    parts = [p.lower() for p in name.split(".")]
    wanted = [p.lower() for p in tail.split(".")]
    return len(wanted) <= len(parts) and parts[len(parts) - len(wanted) :] == wanted


def _sql_output(namespace: str, name: str, run: str, job: str, at: float) -> list[Mutation]:
    """A table a run's SQL writes that no event named: written by the run, as ``_output``
    would record it, with no schema."""
    dsid = dataset_id(namespace, name)
    _, (run_uuid,) = split_id(run)
    vid = version_id(namespace, name, "run:" + run_uuid)
    return [
        UpsertNode(
            dsid,
            NodeKind.DATASET,
            {**_identity(namespace, name), "current_version": Prop(vid, at=at)},
        ),
        UpsertNode(
            vid,
            NodeKind.DATASET_VERSION,
            {
                "version": Prop("run:" + run_uuid),
                "dataset": Prop(dsid),
                "created_at": Prop(at, Merge.MIN),
                "run": Prop(run),
            },
        ),
        UpsertEdge(EdgeKind.VERSION_OF, vid, dsid),
        UpsertEdge(EdgeKind.WROTE, run, vid, props={"derived_from": Prop("sql", at=at)}),
        Sighting(
            UpsertEdge(EdgeKind.PRODUCES, job, dsid, props={"derived_from": Prop("sql", at=at)}),
            job,
            at,
            run,
        ),
    ]


@dataclass
class _Planner:
    """Collects the feeds of one output, merging what is said twice about one column pair."""

    namespace: str
    name: str
    # (src, dst) -> [transformations, scope, origin]; transformations stay the tuple given
    # until a second statement about the pair extends them (a list then).
    feeds: dict[tuple[str, str], list[Any]]
    source_fields: dict[tuple[str, str], set[str]]
    source_how: dict[tuple[str, str], str]
    target_paths: set[str]

    def add(
        self,
        namespace: str,
        name: str,
        column: str,
        target_path: str,
        transformations: tuple[Mapping[str, Any], ...],
        scope: str,
        origin: str,
    ) -> None:
        self.add_many(namespace, name, column, (target_path,), transformations, scope, origin)

    def add_many(
        self,
        namespace: str,
        name: str,
        column: str,
        target_paths: Iterable[str],
        transformations: tuple[Mapping[str, Any], ...],
        scope: str,
        origin: str,
    ) -> None:
        """``column`` of ``namespace``.``name`` feeds each of ``target_paths`` (dataset-wide
        dependencies feed every column of the output: one call, not one per column)."""
        src = field_id(namespace, name, column)
        prefix = field_id(self.namespace, self.name, "")
        self.source_fields.setdefault((namespace, name), set()).add(column)
        how = "columnLineage" if origin == "reported" else "sql"
        if self.source_how.get((namespace, name)) != "columnLineage":
            self.source_how[(namespace, name)] = how
        feeds = self.feeds
        for target_path in target_paths:
            self.target_paths.add(target_path)
            pair = (src, prefix + target_path)
            entry = feeds.get(pair)
            if entry is None:
                feeds[pair] = [transformations, scope, origin]
                continue
            known = entry[0]
            for t in transformations:
                if t not in known:
                    if isinstance(known, tuple):
                        known = entry[0] = list(known)
                    known.append(t)
            if scope == "FIELD":
                entry[1] = "FIELD"
            if origin == "reported":
                entry[2] = "reported"

    def build(self) -> tuple[Feed, ...]:
        feeds = []
        # Dataset-wide dependencies share one tuple of transformations across the columns
        # they feed: describe each tuple once.
        described: dict[int, tuple[str | None, str | None, tuple[str, ...]]] = {}
        for (src, dst), (transformations, scope, origin) in self.feeds.items():
            shared = isinstance(transformations, tuple)
            about = described.get(id(transformations)) if shared else None
            if about is None:
                primary = _primary(transformations)
                about = (
                    primary.get("type") if primary else None,
                    primary.get("subtype") if primary else None,
                    tuple(sorted({_canonical(t) for t in transformations})),
                )
                if shared:
                    described[id(transformations)] = about
            feeds.append(
                Feed(
                    src=src,
                    dst=dst,
                    type=about[0],
                    subtype=about[1],
                    scope=scope,
                    transformations=about[2],
                    origin=origin,
                )
            )
        return tuple(sorted(feeds, key=lambda f: (f.dst, f.src)))


def _plan_column_lineage(
    lineage: F.ColumnLineageDatasetFacet | None,
    statement: Statement | None,
    schema_names: tuple[str, ...],
    namespace: str,
    name: str,
    naming: Mapping[str, int],
    declared: AbstractSet[str],
    datasets: Sequence[tuple[str, str]],
    aliases: Sequence[tuple[str, str, str]] = (),
) -> _LineagePlan:
    """The feeds of one output: the producer's word where it names tables, the SQL's where
    the producer named a CTE or nothing, and the SQL's kind of each step where the producer
    gave none. Unknown stays unknown: a step neither describes has no type."""
    planner = _Planner(namespace, name, {}, {}, {}, set())
    unresolved: list[tuple[str, str, str, str, tuple[Mapping[str, Any], ...]]] = []
    gaps: list[str] = []
    gap_inputs: set[str] = set()
    table = _TableNames(namespace, name, datasets, aliases)
    ctes: frozenset[str] = frozenset()
    derived: dict[str, dict[tuple[str, str, str], list[Mapping[str, Any]]]] = {}
    if statement is not None:
        for path, sources in statement.fields.items():
            by_source = derived.setdefault(path, {})
            for s in sources:
                ns, tname = table.resolve(s.table)
                by_source.setdefault((ns, tname, s.column), []).append(
                    {"type": s.type, "subtype": s.subtype}
                )
        ctes = statement.names
    reported_paths: set[str] = set()

    if lineage is not None:
        for path, column in lineage.fields.items():
            planner.target_paths.add(path)
            fallback = (column.transformationType, column.transformationDescription)
            named_tables = 0
            for src in column.inputFields:
                is_table = dataset_id(src.namespace, src.name) in declared or not (
                    _is_unresolved(src.namespace, src.name, naming)
                    or (statement is not None and src.name.lower() in ctes)
                )
                if not is_table:
                    if statement is None:
                        target = field_id(namespace, name, path)
                        transformations = _transformations(src, fallback)
                        unresolved.append(
                            (src.namespace, src.name, src.field, target, transformations)
                        )
                        gaps.append(f"column lineage names {src.name!r}, which is not a table")
                    continue
                named_tables += 1
                transformations = _transformations(src, fallback)
                if not transformations:
                    # The producer did not say how: the SQL may.
                    transformations = tuple(
                        derived.get(path, {}).get((src.namespace, src.name, src.field), ())
                    )
                planner.add(
                    src.namespace, src.name, src.field, path, transformations, "FIELD", "reported"
                )
            if named_tables:
                reported_paths.add(path)
        for src in lineage.dataset:
            if dataset_id(src.namespace, src.name) not in declared and _is_unresolved(
                src.namespace, src.name, naming
            ):
                continue
            columns = set(lineage.fields) | set(schema_names)
            transformations = _transformations(src, ("INDIRECT", None)) or ({"type": "INDIRECT"},)
            planner.add_many(
                src.namespace,
                src.name,
                src.field,
                sorted(columns),
                transformations,
                "DATASET",
                "reported",
            )

    if statement is not None:
        for path, by_source in derived.items():
            if path in reported_paths:
                continue
            planner.target_paths.add(path)
            for (ns, tname, source_column), kinds in sorted(by_source.items()):
                planner.add(ns, tname, source_column, path, tuple(kinds), "FIELD", "derived")
        # Row-level dependencies: the producer's where it listed any, else the SQL's.
        if statement.dataset and not (lineage is not None and lineage.dataset):
            paths = sorted(set(planner.target_paths) | set(schema_names))
            for s in statement.dataset:
                ns, tname = table.resolve(s.table)
                planner.add_many(
                    ns,
                    tname,
                    s.column,
                    paths,
                    ({"type": s.type, "subtype": s.subtype},),
                    "DATASET",
                    "derived",
                )
        if not statement.complete:
            for u in statement.unresolved:
                for candidate in u.candidates:
                    gap_inputs.add(dataset_id(*table.resolve(candidate)))
            what = ", ".join(sorted({u.column for u in statement.unresolved}))
            gaps.append(
                f"the SQL does not say which table holds {what}"
                if what
                else "the SQL selects * from a table whose columns are not known"
            )
    if lineage is None and statement is None:
        gaps.append("no column lineage")

    feeds = planner.build()
    unresolved.sort(key=lambda u: u[:4])
    digest = hashlib.sha1(
        orjson.dumps(
            [[f.src, f.dst, f.type, f.subtype, f.scope, f.transformations, f.origin] for f in feeds]
            + [list(u[:4]) for u in unresolved]
        )
    ).hexdigest()[:20]
    return _LineagePlan(
        target_paths=tuple(sorted(planner.target_paths)),
        sources=tuple(
            (ns, n, tuple(sorted(f)), planner.source_how[(ns, n)])
            for (ns, n), f in sorted(planner.source_fields.items())
        ),
        feeds=feeds,
        digest=digest,
        unresolved=tuple(unresolved),
        gap="; ".join(dict.fromkeys(gaps)) or None,
        gap_inputs=tuple(sorted(gap_inputs)),
    )


@dataclass(frozen=True, slots=True)
class _TableNames:
    """Names the tables of a query as the event names its datasets."""

    namespace: str
    name: str
    datasets: Sequence[tuple[str, str]]
    #: Other names of some of ``datasets`` (alias, namespace, name): see :func:`query_name`.
    aliases: Sequence[tuple[str, str, str]] = ()

    def resolve(self, table: str) -> tuple[str, str]:
        """The dataset a query's table reference means: the one dataset of the event whose
        name, or else whose alias, ends with it; else the output's namespace, with the output
        name's leading parts standing for the database and schema the query left out, as the
        engine would."""
        wanted = tuple(p.lower() for p in table.split("."))
        for named in (
            [(n, ns, n) for ns, n in self.datasets],
            list(self.aliases),
        ):
            matches = {
                (ns, n)
                for alias, ns, n in named
                if tuple(p.lower() for p in alias.split("."))[-len(wanted) :] == wanted
            }
            if len(matches) == 1:
                return matches.pop()
        parts = self.name.split(".")
        missing = len(parts) - len(wanted)
        prefix = parts[:missing] if missing > 0 else []
        return self.namespace, ".".join([*prefix, table])


def _canonical(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _transformations(
    src: F.ColumnLineageInputField, fallback: tuple[str | None, str | None]
) -> tuple[Mapping[str, Any], ...]:
    """How ``src`` feeds its field, as the producer said; empty when it did not say."""
    found = tuple(
        {k: v for k, v in t.model_dump(exclude_none=True).items() if k in _TRANSFORMATION_KEYS}
        for t in src.transformations
    )
    if found:
        return found
    kind, description = fallback
    if kind is None:
        return ()
    # The deprecated field-level transformationType says IDENTITY/DIRECT/INDIRECT style words.
    legacy: dict[str, Any] = {"type": "DIRECT" if kind in ("IDENTITY", "DIRECT") else "INDIRECT"}
    if kind not in ("DIRECT", "INDIRECT"):
        legacy["subtype"] = kind
    if description:
        legacy["description"] = description
    return (legacy,)


_TRANSFORMATION_KEYS = frozenset({"type", "subtype", "description", "masking"})


def _primary(transformations: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The transformation that best describes the dependency: a DIRECT one if any (the
    strongest DIRECT subtype), else the first; None when nothing says how."""
    direct = [t for t in transformations if t.get("type") == "DIRECT"]
    if direct:
        return max(direct, key=lambda t: _DIRECT_ORDER.get(str(t.get("subtype")), -1))
    return transformations[0] if transformations else None


_DIRECT_ORDER: Final = {"IDENTITY": 0, "TRANSFORMATION": 1, "AGGREGATION": 2}


def _dotted_parts_by_namespace(datasets: Iterable[tuple[str, str]]) -> dict[str, int]:
    parts: dict[str, int] = {}
    for namespace, name in datasets:
        parts[namespace] = max(parts.get(namespace, 0), name.count(".") + 1)
    return parts


def _is_unresolved(namespace: str, name: str, naming: Mapping[str, int]) -> bool:
    """True when ``name`` does not look like the datasets around it (a CTE, an alias)."""
    expected = naming.get(namespace)
    return expected is not None and name.count(".") + 1 < expected


# -- jobs and static lineage ----------------------------------------------------------


def _job_event(event: JobEvent) -> Iterator[Mutation]:
    at = event.eventTime.timestamp()
    job = job_id(event.job.namespace, event.job.name)
    yield from _job(event.job, at)
    # Each input is read for the outputs stated beside it (see Completion).
    outputs = sorted({dataset_id(d.namespace, d.name) for d in event.outputs})
    for source in event.inputs:
        dsid = dataset_id(source.namespace, source.name)
        yield from _dataset(source.namespace, source.name, source.facets, at)
        props = {"declared": Prop(True, Merge.MAX)}
        if outputs:
            props["read_for"] = Prop(outputs, Merge.UNION)
        yield Sighting(UpsertEdge(EdgeKind.INPUT_TO, dsid, job, props=props), job, at)
    for ds in event.outputs:
        dsid = dataset_id(ds.namespace, ds.name)
        yield from _dataset(ds.namespace, ds.name, ds.facets, at)
        yield Sighting(UpsertEdge(EdgeKind.PRODUCES, job, dsid), job, at)
    # A static event states the job's whole current lineage: edges it omits are closed.
    yield Completion(job, at, None)


def _job(job: Job, at: float) -> Iterator[Mutation]:
    props = _identity(job.namespace, job.name)
    props.update(_facet_props(job.facets, at))
    job_type = get_facet(job.facets, "jobType", F.JobTypeJobFacet)
    if job_type is not None:
        raw = (job_type.jobType or "").upper()
        props["type"] = Prop(raw if raw in ML_JOB_KINDS else "ETL", at=at)
        props["job_type"] = Prop(raw or None, at=at)
        props["integration"] = Prop(job_type.integration.upper(), at=at)
        props["processing_type"] = Prop(job_type.processingType.upper(), at=at)
    sql = get_facet(job.facets, "sql", F.SQLJobFacet)
    if sql is not None:
        props["sql"] = Prop(sql.query, at=at)
    location = get_facet(job.facets, "sourceCodeLocation", F.SourceCodeLocationJobFacet)
    if location is not None:
        props["source_url"] = Prop(location.url, at=at)
    props.update(_described(job.facets, at))
    yield UpsertNode(job_id(job.namespace, job.name), NodeKind.JOB, props)


# -- datasets and fields ---------------------------------------------------------------


def _dataset(namespace: str, name: str, facets: Mapping[str, Any], at: float) -> Iterator[Mutation]:
    dsid = dataset_id(namespace, name)
    props = _identity(namespace, name)
    props.update(_facet_props(facets, at))
    props.update(_described(facets, at))
    kind = get_facet(facets, "datasetType", F.DatasetTypeDatasetFacet)
    if kind is not None:
        props["type"] = Prop(kind.datasetType.upper(), at=at)
    else:
        implied = next(
            (t for f, t in ML_DATASET_FACETS.items() if _has_facet(facets, f)), None
        ) or feast.dataset_kind(facets)
        if implied is not None:
            props["type"] = Prop(implied, at=at)
    source = get_facet(facets, "dataSource", F.DatasourceDatasetFacet)
    if source is not None:
        props["source"] = Prop(source.uri or source.name, at=at)
    lifecycle = get_facet(facets, "lifecycleStateChange", F.LifecycleStateChangeDatasetFacet)
    if lifecycle is not None:
        change = lifecycle.lifecycleStateChange.upper()
        if change == "DROP":
            props["dropped"] = Prop(True, at=at)
        elif change in ("CREATE", "OVERWRITE", "ALTER", "TRUNCATE"):
            props["dropped"] = Prop(False, at=at)
        previous = lifecycle.previousIdentifier
        if change == "RENAME" and previous is not None:
            old = dataset_id(previous.namespace, previous.name)
            yield UpsertNode(
                old,
                NodeKind.DATASET,
                {**_identity(previous.namespace, previous.name), "renamed_to": Prop(dsid, at=at)},
            )
            yield UpsertEdge(EdgeKind.RENAMED_FROM, dsid, old, props={"at": Prop(at, Merge.MIN)})
    yield UpsertNode(dsid, NodeKind.DATASET, props)

    schema = get_facet(facets, "schema", F.SchemaDatasetFacet)
    if schema is not None:
        yield EnsureFields(dsid, namespace, name, *_schema_paths(schema))
    assertions = get_facet(facets, "dataQualityAssertions", F.DataQualityAssertionsFacet)
    if assertions is not None:
        yield from _assertions(namespace, name, assertions, at)
    symlinks = get_facet(facets, "symlinks", F.SymlinksDatasetFacet)
    if symlinks is not None:
        for ident in symlinks.identifiers:
            other = dataset_id(ident.namespace, ident.name)
            if other == dsid:
                continue
            yield UpsertNode(other, NodeKind.DATASET, _identity(ident.namespace, ident.name))
            yield UpsertEdge(
                EdgeKind.ALIAS_OF, dsid, other, props={"type": Prop(ident.type, at=at)}
            )


def _assertions(
    namespace: str, name: str, facet: F.DataQualityAssertionsFacet, at: float
) -> Iterator[Mutation]:
    rows = [_dump(a) for a in facet.assertions]
    yield UpsertNode(
        dataset_id(namespace, name), NodeKind.DATASET, {"assertions": Prop(rows, at=at)}
    )
    columns = sorted({a.column for a in facet.assertions if a.column})
    if columns:
        yield EnsureFields(dataset_id(namespace, name), namespace, name, tuple(columns))
    for a in facet.assertions:
        if a.column:
            yield UpsertNode(
                field_id(namespace, name, a.column),
                NodeKind.FIELD,
                {"assertion:" + a.assertion: Prop(a.success, at=at)},
            )


def _schema_paths(schema: F.SchemaDatasetFacet) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Every field's dotted path, nested fields included, and its own name (planned once
    per shared facet)."""
    return derived(schema, "paths", _walk_schema)


_DERIVED: dict[tuple[int, str], tuple[object, Any]] = {}


def derived(facet: M, what: str, compute: Callable[[M], V]) -> V:
    """``compute(facet)``, computed once per typed facet instance: the facet parser shares
    one instance per content (a schema, column lineage) between events, so what depends
    only on the facet is worked out once for all of them. ``what`` names the computation.
    Values keep their facet alive, so an id cannot be reused while cached."""
    found = _DERIVED.get((id(facet), what))
    if found is not None and found[0] is facet:
        value: V = found[1]
        return value
    if len(_DERIVED) >= _PLANS_MAX:
        _DERIVED.clear()
    value = compute(facet)
    _DERIVED[(id(facet), what)] = (facet, value)
    return value


def _walk_schema(schema: F.SchemaDatasetFacet) -> tuple[tuple[str, ...], tuple[str, ...]]:
    paths: list[str] = []
    names: list[str] = []

    def walk(fields: Iterable[F.SchemaField], prefix: str) -> None:
        for f in fields:
            path = prefix + f.name
            paths.append(path)
            names.append(f.name)
            if f.fields:
                walk(f.fields, path + ".")

    walk(schema.fields, "")
    return tuple(paths), tuple(names)


def _schema_fields(facets: Mapping[str, Any]) -> list[Any] | None:
    """The schema facet's ``fields`` exactly as sent (types, descriptions, nesting)."""
    if not _has_facet(facets, "schema"):
        return None
    fields = facets["schema"].get("fields")
    return fields if isinstance(fields, list) else None


def observed_version_id(namespace: str, name: str, fields: list[Any] | None) -> str:
    """The version a reader saw of a dataset no run named a version of: one per schema."""
    return version_id(namespace, name, "observed:" + _schema_digest(fields))


def schema_fields(facets: Mapping[str, Any]) -> list[Any] | None:
    """The schema facet's ``fields`` exactly as sent, or None without a schema facet."""
    return _schema_fields(facets)


def observed_version_of(namespace: str, name: str, facets: Mapping[str, Any]) -> str:
    """``observed_version_id`` of a dataset with these facets; its schema's digest is
    worked out once per typed schema of a parsed event, which stands for its JSON content."""
    fields = _schema_fields(facets)
    typed = facets.cached("schema", F.SchemaDatasetFacet) if isinstance(facets, FacetMap) else None
    if fields is None or typed is None:
        return observed_version_id(namespace, name, fields)
    digest = derived(typed, "digest", lambda _: _schema_digest(fields))
    return version_id(namespace, name, "observed:" + digest)


def _schema_digest(fields: list[Any] | None) -> str:
    if fields is None:
        return "unknown"
    return hashlib.sha1(orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


# -- properties -------------------------------------------------------------------------


def _identity(namespace: str, name: str) -> dict[str, Prop]:
    return {"namespace": Prop(namespace), "name": Prop(name)}


def _has_facet(facets: Mapping[str, Any], name: str) -> bool:
    value = facets.get(name)
    # dict first: the facets of a parsed event are dicts, and an ABC check costs more.
    return isinstance(value, (dict, Mapping)) and not value.get("_deleted")


def _facet_props(facets: Mapping[str, Any], at: float) -> dict[str, Prop]:
    """Every facet, verbatim, as its own last-writer-wins property (None deletes it)."""
    props: dict[str, Prop] = {}
    for name, value in facets.items():
        if isinstance(value, (dict, Mapping)) and value.get("_deleted") is True:
            props[FACET_PREFIX + name] = Prop(None, at=at)
        else:
            props[FACET_PREFIX + name] = Prop(value, at=at)
    return props


def _described(facets: Mapping[str, Any], at: float) -> dict[str, Prop]:
    props: dict[str, Prop] = {}
    doc = get_facet(facets, "documentation", F.DocumentationFacet)
    if doc is not None:
        props["description"] = Prop(doc.description, at=at)
    owners = get_facet(facets, "ownership", F.OwnershipFacet)
    if owners is not None:
        props["owners"] = Prop([_dump(o) for o in owners.owners], at=at)
    tags = get_facet(facets, "tags", F.TagsFacet)
    if tags is not None:
        props["tags"] = Prop([_dump(t) for t in tags.tags], at=at)
    # Feast keeps an object's owner and tags in its own facets.
    for key, value in feast.described(facets).items():
        props.setdefault(key, Prop(value, at=at))
    return props


def _dump(model: Any) -> dict[str, Any]:
    dumped: dict[str, Any] = model.model_dump(mode="json", exclude_none=True)
    return dumped
