"""The catalog view: namespaces, a job's runs, inputs and outputs, a run's versions, and
where a column question starts."""

from __future__ import annotations

import pytest

from lineage.analysis import InvalidArgument, NotFound
from lineage.analysis.catalog import (
    Catalog,
    column_starts,
    dataset_node,
    job_node,
    namespace_times,
    require_namespace,
    runs_by_job,
    version_named,
)
from lineage.graph.model import NodeKind, dataset_id, job_id, split_id
from lineage.store import GraphStore
from tests.analysis import graphs
from tests.analysis.graphs import NS, ts
from tests.conftest import feed
from tests.factories import dataset as dataset_event
from tests.factories import pipeline_run


def test_a_job_shows_what_it_reads_and_writes_and_its_latest_run_what_it_wrote(
    store: GraphStore,
) -> None:
    graphs.chain(store)
    job = job_node(store, "etl", "build_mart")
    catalog = Catalog(store, jobs=[job])
    assert catalog.inputs(job.id) == [dataset_id(NS, "stg.orders")]
    assert catalog.outputs(job.id) == [dataset_id(NS, "mart.orders")]
    [latest] = catalog.runs[job.id]
    read, wrote = catalog.read_and_written(latest.id)
    assert [split_id(v)[1][:2] for v in read] == [(NS, "stg.orders")]
    assert [split_id(v)[1][:2] for v in wrote] == [(NS, "mart.orders")]
    assert catalog.job_times(job.id) == (ts(5), ts(6))


def test_runs_come_latest_first(store: GraphStore) -> None:
    job = ("etl", "load")
    out = [dataset_event(NS, "t")]
    feed(store, pipeline_run(job, [], out, start=0) + pipeline_run(job, [], out, start=10))
    runs = runs_by_job(store, [job_id(*job)])[job_id(*job)]
    assert [r.props.get("started_at") for r in runs] == [ts(10), ts(0)]


def test_namespaces_are_those_something_was_seen_in(store: GraphStore) -> None:
    graphs.chain(store)
    assert sorted(namespace_times(store)) == ["etl", NS]
    require_namespace(store, "etl")
    with pytest.raises(NotFound, match="no namespace 'nowhere'"):
        require_namespace(store, "nowhere")


def test_a_missing_dataset_or_version_is_not_found(store: GraphStore) -> None:
    graphs.chain(store)
    assert dataset_node(store, NS, "raw.orders").kind is NodeKind.DATASET
    with pytest.raises(NotFound):
        dataset_node(store, NS, "raw.nothing")
    with pytest.raises(NotFound, match=r"no version 'v0' of dataset 'raw\.orders'"):
        version_named(store, NS, "raw.orders", "v0")


def test_a_column_question_about_a_job_starts_from_its_outputs_with_columns(
    store: GraphStore,
) -> None:
    graphs.chain(store)
    starts, as_of = column_starts(store, "job:etl:build_mart")
    assert (starts, as_of) == ([dataset_id(NS, "mart.orders")], None)
    with pytest.raises(InvalidArgument, match="job versions are not kept"):
        column_starts(store, "job:etl:build_mart#1")
