"""A small DAG over files for the Airflow end-to-end test: extract -> clean -> features.

Each task declares the files it reads and writes as Airflow Assets (``inlets``,
``outlets``); the OpenLineage provider reports them as ``file`` datasets. The folder comes
from ``LINEAGE_AIRFLOW_DATA``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pendulum
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, Asset

DATA = Path(os.environ.get("LINEAGE_AIRFLOW_DATA", "/tmp/lineage-airflow-data"))
RAW = Asset(f"file://{DATA}/raw_orders.csv")
CLEAN = Asset(f"file://{DATA}/clean_orders.csv")
FEATURES = Asset(f"file://{DATA}/order_features.csv")


def extract() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    (DATA / "raw_orders.csv").write_text("order_id,amount\n1,10.50\n2,\n3,7.25\n")


def clean() -> None:
    rows = (DATA / "raw_orders.csv").read_text().splitlines()
    kept = [rows[0], *(r for r in rows[1:] if not r.endswith(","))]
    (DATA / "clean_orders.csv").write_text("\n".join(kept) + "\n")


def features() -> None:
    rows = (DATA / "clean_orders.csv").read_text().splitlines()[1:]
    total = sum(float(r.split(",")[1]) for r in rows)
    (DATA / "order_features.csv").write_text(f"orders,revenue\n{len(rows)},{total}\n")


with DAG(
    "churn_files",
    start_date=pendulum.datetime(2026, 11, 1, tz="UTC"),
    schedule=None,
    catchup=False,
):
    first = PythonOperator(task_id="extract", python_callable=extract, outlets=[RAW])
    second = PythonOperator(task_id="clean", python_callable=clean, inlets=[RAW], outlets=[CLEAN])
    third = PythonOperator(
        task_id="features", python_callable=features, inlets=[CLEAN], outlets=[FEATURES]
    )
    first >> second >> third
