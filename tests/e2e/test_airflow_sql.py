"""Airflow's SQL operator on SQLite, run now (`airflow dags test` of
tests/airflow_dags/jaffle_shop_sqlite.py through tools/airflow/capture.sh): the provider sends
only the SQL, on `<task>.query.N` child runs naming no dataset; the column lineage of the
tables it builds is read from that SQL, on both stores.

tests/graph/test_captured_streams.py asserts the same on the committed capture.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import tests.graph.test_captured_streams as spec
from lineage.store import GraphStore
from tests.conftest import REPO, skip_or_fail
from tests.e2e.conftest import capture

AIRFLOW_VENV = Path(os.environ.get("AIRFLOW_VENV", REPO / ".venv-airflow"))


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (AIRFLOW_VENV / "bin" / "airflow").exists():
        skip_or_fail(
            f"Airflow is not installed in {AIRFLOW_VENV}: run `make airflow-install` (make test does)"
        )
    return capture("airflow/capture.sh", tmp_path_factory.mktemp("captured"), "AIRFLOW_VENV", AIRFLOW_VENV)


def test_a_live_airflow_sql_dag_gets_column_lineage_from_its_sql(store: GraphStore, captured: Path) -> None:
    stream = [spec.orjson.loads(line) for line in (captured / "airflow_sqlite_sql.jsonl").read_bytes().splitlines() if line]
    assert stream, "the provider sent nothing"
    spec.ingest(store, stream)
    spec.check_airflow_sql_lineage(store)
