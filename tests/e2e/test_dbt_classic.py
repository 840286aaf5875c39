"""dbt-ol, run now on the classic jaffle_shop (tests/dbt_project_classic), into both stores:
the column lineage of every mart column and the impact verdicts are what the SQL means.

tests/graph/test_captured_streams.py asserts the same on the committed capture of these
runs; this test runs dbt-ol itself (tools/dbt/capture.sh), so a change in what dbt-ol sends
shows here first.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import tests.graph.test_captured_streams as spec
from lineage.analysis.impact import Change, ChangeKind
from lineage.store import GraphStore
from tests.conftest import REPO, skip_or_fail
from tests.e2e.conftest import capture

DBT_VENV = Path(os.environ.get("DBT_VENV", REPO / ".venv-dbt"))


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (DBT_VENV / "bin" / "dbt-ol").exists():
        skip_or_fail(f"dbt-ol is not installed in {DBT_VENV}: run `make dbt-install` (make test does)")
    return capture("dbt/capture.sh", tmp_path_factory.mktemp("captured"), "DBT_VENV", DBT_VENV)


def load(store: GraphStore, folder: Path, *names: str) -> None:
    for name in names:
        spec.ingest(store, [spec.orjson.loads(line) for line in (folder / name).read_bytes().splitlines() if line])


def test_live_dbt_ol_marts_have_the_lineage_their_sql_means(store: GraphStore, captured: Path) -> None:
    load(store, captured, "dbt_classic_dev.jsonl")
    spec.test_every_customers_column_has_exactly_the_lineage_its_sql_means(store)
    spec.test_every_orders_column_has_exactly_the_lineage_its_sql_means(store)
    spec.test_staging_columns_reach_the_seeds_through_the_select_star_ctes(store)
    found = spec.verdicts(store, "stg_customers", Change(ChangeKind.DROP_FIELD, "customer_id"))
    assert found[spec.column("customers", "customer_id")] == "BREAKING"
    assert found[spec.model_job("customers")] == "BREAKING"


def test_live_dbt_ol_against_two_targets_keeps_both(store: GraphStore, captured: Path) -> None:
    load(store, captured, "dbt_classic_dev.jsonl")
    load(store, captured, "dbt_classic_prod.jsonl")
    for ns in (spec.DEV, spec.PROD):
        assert spec.upstream(store, "customers", "customer_id", ns)[("stg_customers", "customer_id")]
        assert spec.upstream(store, "orders", "amount", ns)[("stg_payments", "amount")] == "DIRECT/AGGREGATION"


def test_live_dbt_ol_in_structured_logs_mode_is_accepted_whole(store: GraphStore, captured: Path) -> None:
    events = [
        spec.orjson.loads(line)
        for line in (captured / "dbt_classic_dev_structured.jsonl").read_bytes().splitlines()
        if line
    ]
    assert len(events) > 100
    spec.ingest(store, events)
    assert store.count()["events"] == len(events)
