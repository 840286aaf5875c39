"""What changed upstream between two times: edges, schemas, job code."""

from __future__ import annotations

import pytest

from lineage.analysis import InvalidArgument, lineage_diff
from lineage.graph.model import dataset_id, job_id
from lineage.store import GraphStore
from tests.analysis import graphs
from tests.analysis.graphs import NS, ts


def test_a_diff_lists_removed_edges_schema_changes_and_changed_sql(store: GraphStore) -> None:
    graphs.evolving(store)
    diff = lineage_diff(store, dataset_id(NS, "b"), since=ts(5), depth=4)
    assert [(e.kind, e.source, e.target) for e in diff.removed_edges] == [
        ("INPUT_TO", dataset_id(NS, "old"), job_id("etl", "build_b"))
    ]
    assert diff.removed_nodes == [dataset_id(NS, "old")] and diff.added_edges == []
    [change] = diff.schema_changes
    assert change.dataset == dataset_id(NS, "a")
    assert (change.added, change.removed, change.retyped) == (("y",), (), (("x", "INT", "BIGINT"),))
    [job] = diff.job_changes
    assert job.job == job_id("etl", "load_a")
    assert (job.sql_before, job.sql_after) == ("SELECT x FROM src", "SELECT x, y FROM src")


def test_nothing_changed_between_two_quiet_times(store: GraphStore) -> None:
    graphs.evolving(store)
    diff = lineage_diff(store, dataset_id(NS, "b"), since=ts(12), until=ts(20), depth=4)
    assert (diff.added_edges, diff.removed_edges, diff.schema_changes, diff.job_changes) == ([], [], [], [])


def test_until_must_not_be_before_since(store: GraphStore) -> None:
    graphs.evolving(store)
    with pytest.raises(InvalidArgument, match="until must not be before since"):
        lineage_diff(store, dataset_id(NS, "b"), since=ts(10), until=ts(5))
