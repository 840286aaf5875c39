"""`airflow dags test` with the OpenLineage provider, against a real server: the graph is the DAG.

Airflow lives in its own virtualenv (tools/airflow/install.sh, run by make test). The DAG
(tests/airflow_dags/churn_files.py) passes files between three tasks as Assets.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lineage.graph.model import EdgeKind, NodeKind, dataset_id, job_id
from lineage.store import Direction, GraphStore, open_store
from tests.conftest import REPO, skip_or_fail
from tests.e2e.conftest import store_url
from tests.e2e.server import Server

AIRFLOW_VENV = Path(os.environ.get("AIRFLOW_VENV", REPO / ".venv-airflow"))
NAMESPACE = "airflow_test"
DAG = "churn_files"


@pytest.fixture(scope="module", params=["embedded", "neo4j"])
def airflow_graph(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[GraphStore, Path, list[dict[str, object]]]]:
    airflow = AIRFLOW_VENV / "bin" / "airflow"
    if not airflow.exists():
        skip_or_fail(f"Airflow is not installed in {AIRFLOW_VENV}: run `make airflow-install` (make test does)")
    folder = tmp_path_factory.mktemp("airflow")
    url = store_url(request.param, folder)
    server = Server(url, folder / "server.log").start()
    data = folder / "data"
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(folder / "home"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "tests" / "airflow_dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
        # Nothing leaves the machine: no usage reports.
        "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "false",
        "SCARF_ANALYTICS": "false",
        "AIRFLOW__OPENLINEAGE__NAMESPACE": NAMESPACE,
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(
            {"type": "http", "url": server.url, "endpoint": "api/v1/lineage"}
        ),
        "LINEAGE_AIRFLOW_DATA": str(data),
    }
    try:
        for command in (["db", "migrate"], ["dags", "test", DAG, "2026-11-23"]):
            done = subprocess.run(
                [str(airflow), *command], env=env, capture_output=True, text=True, timeout=600
            )
            assert done.returncode == 0, f"airflow {' '.join(command)}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        events = httpx.get(server.url + "/api/v1/events/lineage", params={"limit": 100}).json()["events"]
    finally:
        server.stop()
    store = open_store(url)
    yield store, data, events
    store.close()


def test_each_task_is_a_job_between_the_files_it_reads_and_writes(
    airflow_graph: tuple[GraphStore, Path, list[dict[str, object]]],
) -> None:
    store, data, _ = airflow_graph
    raw, clean, features = (dataset_id("file", str(data / f)) for f in ("raw_orders.csv", "clean_orders.csv", "order_features.csv"))
    task = lambda name: job_id(NAMESPACE, f"{DAG}.{name}")  # noqa: E731

    def inputs(job: str) -> set[str]:
        return {e.src for e in store.edges_of([job], Direction.UPSTREAM, [EdgeKind.INPUT_TO])}

    def outputs(job: str) -> set[str]:
        return {e.dst for e in store.edges_of([job], Direction.DOWNSTREAM, [EdgeKind.PRODUCES])}

    assert (inputs(task("extract")), outputs(task("extract"))) == (set(), {raw})
    assert (inputs(task("clean")), outputs(task("clean"))) == ({raw}, {clean})
    assert (inputs(task("features")), outputs(task("features"))) == ({clean}, {features})
    assert (data / "order_features.csv").read_text() == "orders,revenue\n2,17.75\n"


def test_task_runs_are_children_of_the_dag_run_which_completes_without_a_start(
    airflow_graph: tuple[GraphStore, Path, list[dict[str, object]]],
) -> None:
    store, _, events = airflow_graph
    dag_events = [e for e in events if e["job"]["name"] == DAG]  # type: ignore[index]
    # `airflow dags test` sends no DAG-level START: the DAG run is known from its end only.
    assert [e["eventType"] for e in dag_events] == ["COMPLETE"]
    dag_run = dag_events[0]["run"]["runId"]  # type: ignore[index]
    runs = store.nodes_of_kind(NodeKind.RUN, limit=100)
    task_jobs = {job_id(NAMESPACE, f"{DAG}.{t}") for t in ("extract", "clean", "features")}
    tasks = [r for r in runs if r.props.get("job") in task_jobs]
    assert len(tasks) == 3
    assert {r.props["state"] for r in tasks} == {"COMPLETE"}
    for run in tasks:
        (parent,) = store.edges_of([run.id], Direction.DOWNSTREAM, [EdgeKind.CHILD_OF])
        assert parent.dst.endswith(dag_run)
    (dag,) = [r for r in runs if r.props.get("runId") == dag_run]
    assert dag.props["state"] == "COMPLETE"
