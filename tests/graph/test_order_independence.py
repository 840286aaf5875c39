"""Replaying any event sequence, or receiving it in any order, yields the same graph."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
