"""Readable node ids (``dataset:<namespace>:<name>``, Marquez's), shared by the export and
the Marquez API: written for every node kind, read back even when namespaces and names
hold colons."""

from __future__ import annotations

import pytest

from lineage.analysis import InvalidArgument, NotFound
from lineage.analysis.export import parse_public_id, public_id
from lineage.graph.model import dataset_id, field_id, job_id, run_id, version_id
from lineage.store import GraphStore
from tests.conftest import feed
from tests.factories import dataset, new_run_id, pipeline_run, schema

PG = "postgres://db:5432"


def test_every_kind_of_node_has_a_readable_id() -> None:
    assert public_id(dataset_id(PG, "public.orders")) == f"dataset:{PG}:public.orders"
    assert public_id(job_id("etl", "load")) == "job:etl:load"
    assert public_id(field_id(PG, "public.orders", "id")) == f"datasetField:{PG}:public.orders:id"
    assert public_id(run_id("5f1e9b1c")) == "run:5f1e9b1c"
    assert public_id(version_id(PG, "public.orders", "v7")) == f"dataset:{PG}:public.orders#v7"


def test_readable_ids_read_back_to_the_node_they_name(store: GraphStore) -> None:
    rid = new_run_id("ids")
    feed(
        store,
        pipeline_run(
            ("etl", "load"),
            [dataset(PG, "public.raw")],
            [dataset(PG, "public.orders", s=schema("id"))],
            start=0,
            seed="ids",
        ),
    )
    nodes = [
        dataset_id(PG, "public.orders"),
        job_id("etl", "load"),
        field_id(PG, "public.orders", "id"),
        run_id(rid),
        version_id(PG, "public.orders", f"run:{rid}"),
    ]
    for nid in nodes:
        assert parse_public_id(store, public_id(nid)) == nid


def test_a_name_holding_a_colon_is_found_by_looking_the_splits_up(store: GraphStore) -> None:
    feed(
        store,
        pipeline_run(
            ("etl", "load"), [], [dataset("kafka://broker:9092", "topic:orders")], start=0
        ),
    )
    assert parse_public_id(store, "dataset:kafka://broker:9092:topic:orders") == dataset_id(
        "kafka://broker:9092", "topic:orders"
    )


def test_an_id_naming_nothing_says_what_it_looked_for(store: GraphStore) -> None:
    with pytest.raises(NotFound, match=f"no dataset 'public.orders' in namespace '{PG}'"):
        parse_public_id(store, f"dataset:{PG}:public.orders")
    with pytest.raises(InvalidArgument, match="not a node id"):
        parse_public_id(store, "orders")
    with pytest.raises(InvalidArgument, match="does not start with"):
        parse_public_id(store, "table:orders")
