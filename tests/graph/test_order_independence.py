"""Replaying any event sequence, or receiving it in any order, yields the same graph."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage.ingest import prepare, write
from lineage.store.embedded import EmbeddedStore
from tests.conftest import feed, graph_diff, snapshot
from tests.factories import column_lineage, dataset, new_run_id, run_event, schema

NS = "warehouse"
DATASETS = [f"db.main.t{i}" for i in range(5)]
COLUMNS = {name: ("id", f"c{i}") for i, name in enumerate(DATASETS)}


@st.composite
def runs(draw: st.DrawFn) -> list[dict[str, Any]]:
    """The events of one run: some of START/RUNNING/terminal, inputs on some of them."""
    job = ("etl", draw(st.sampled_from(["build_a", "build_b", "build_c"])))
    start = draw(st.integers(0, 50))
    # A run id belongs to one job and one schedule; the same run drawn twice is a replay.
    rid = new_run_id(f"{job}-{start}")
    ins = draw(st.lists(st.sampled_from(DATASETS), max_size=3, unique=True))
    outs = draw(st.lists(st.sampled_from(DATASETS), min_size=1, max_size=2, unique=True))
    inputs = [dataset(NS, n, s=schema(*COLUMNS[n])) for n in ins]
    outputs = []
    for n in outs:
        lineage = {"id": [(NS, src, "id") for src in ins]} if ins else {}
        outputs.append(dataset(NS, n, s=schema(*COLUMNS[n]), c=column_lineage(lineage)))
    final = draw(st.sampled_from(["COMPLETE", "FAIL", None]))
    events = [run_event("START", rid, job, time=start, inputs=inputs, outputs=outputs)]
    if draw(st.booleans()):
        events.append(run_event("RUNNING", rid, job, time=start + 1))
    if final:
        # Like dbt-ol: the terminal event may repeat outputs but leave inputs out.
        events.append(run_event(final, rid, job, time=start + 2, outputs=outputs if draw(st.booleans()) else []))
    return events


@settings(max_examples=int(os.environ.get("LINEAGE_PROPERTY_EXAMPLES", "40")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=st.lists(runs(), min_size=1, max_size=6), data=st.data())
def test_shuffled_and_replayed_histories_build_the_same_graph(
    tmp_path_factory: Any, history: list[list[dict[str, Any]]], data: st.DataObject
) -> None:
    events = [e for run in history for e in run]
    shuffled = data.draw(st.permutations(events))
    folder: Path = tmp_path_factory.mktemp("order")
    in_order = EmbeddedStore(folder / "a.db")
    reordered = EmbeddedStore(folder / "b.db")
    try:
        feed(in_order, events)
        feed(reordered, shuffled, batch=3)
        feed(reordered, events)  # and everything once more
        differences = graph_diff(snapshot(in_order), snapshot(reordered))
        assert not differences, "\n".join(differences)
    finally:
        in_order.close()
        reordered.close()


TARGETS = ["warehouse", "warehouse_prod"]


@st.composite
def sql_runs(draw: st.DrawFn) -> list[dict[str, Any]]:
    """One run of a SQL job against one of two targets: the job sends its query (a CTE, a
    join, a filter, a grouping) with every event, and no column lineage, as dbt-ol does for
    a `select *` model; sometimes a child statement run carries the SQL instead."""
    name = draw(st.sampled_from(["build_a", "build_b"]))
    job = ("etl", name)
    ns = draw(st.sampled_from(TARGETS))
    start = draw(st.integers(0, 50))
    ins = draw(st.lists(st.sampled_from(DATASETS[:3]), min_size=1, max_size=2, unique=True))
    out = draw(st.sampled_from(DATASETS[3:]))
    on_child = draw(st.booleans())
    final = draw(st.sampled_from(["COMPLETE", "FAIL"]))
    # A run id names one run: the same one drawn twice is a replay of the same events.
    rid = new_run_id(f"{job}-{ns}-{start}-{ins}-{out}-{on_child}-{final}")
    first, *rest = ins
    query = f"with src as (select * from {first}) select src.id, count(src.c0) as {COLUMNS[out][1]} from src"
    if rest:
        query += f" join {rest[0]} r on r.id = src.id"
    query += " where src.id > 0 group by src.id"
    sql = {"sql": {"_producer": "p", "_schemaURL": "s", "query": query}}
    inputs = [dataset(ns, n, s=schema(*COLUMNS[n])) for n in ins]
    outputs = [dataset(ns, out, s=schema(*COLUMNS[out]))]
    parent_facets = None if on_child else sql
    events = [
        run_event("START", rid, job, time=start, inputs=inputs, outputs=outputs, job_facets=parent_facets),
        run_event(final, rid, job, time=start + 3, inputs=inputs, outputs=outputs, job_facets=parent_facets),
    ]
    if on_child:
        # As dbt-ol's structured-logs mode: the statement builds <model>__dbt_tmp.
        sql = {"sql": {"_producer": "p", "_schemaURL": "s", "query": f"create table {out}__dbt_tmp as ({query})"}}
        child = new_run_id(f"{rid}-sql")
        parent = {"parent": {"_producer": "p", "_schemaURL": "s", "run": {"runId": rid}, "job": {"namespace": "etl", "name": name}}}
        for kind, t in (("START", start + 1), ("COMPLETE", start + 2)):
            events.append(run_event(kind, child, ("etl", f"{name}.sql.1"), time=t, run_facets=parent, job_facets=sql))
    return events


@settings(max_examples=int(os.environ.get("LINEAGE_PROPERTY_EXAMPLES", "40")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=st.lists(sql_runs(), min_size=1, max_size=5), data=st.data())
def test_sql_lineage_and_two_targets_come_out_the_same_in_any_order_and_batch_size(
    tmp_path_factory: Any, history: list[list[dict[str, Any]]], data: st.DataObject
) -> None:
    events = [e for run in history for e in run]
    shuffled = data.draw(st.permutations(events))
    batch = data.draw(st.sampled_from([1, 2, 5]))
    folder: Path = tmp_path_factory.mktemp("sql-order")
    in_order = EmbeddedStore(folder / "a.db")
    reordered = EmbeddedStore(folder / "b.db")
    try:
        write(in_order, [prepare(e) for e in events])
        items = [prepare(e) for e in shuffled]
        for i in range(0, len(items), batch):
            write(reordered, items[i : i + batch])
        write(reordered, [prepare(e) for e in events])  # and everything once more
        want = picture(in_order)
        # Every run's SQL became column lineage (none of the events carries any).
        assert any(edge[1] == "FEEDS" for edge in want[1])
        differences = graph_diff(want, picture(reordered))
        assert not differences, "\n".join(differences)
    finally:
        in_order.close()
        reordered.close()


def picture(store: EmbeddedStore) -> tuple[list[Any], list[Any]]:
    nodes, edges = snapshot(store)
    return [(i, k, {p: v for p, v in props.items() if p != "revision"}) for i, k, props in nodes], edges
