"""A small churn pipeline as OpenLineage events, for the explorer's browser tests.

raw -> staging -> features -> training -> model -> deployment -> endpoint, with column
lineage through every step, a job whose inputs change between two points in time, and a
failing data quality assertion upstream of a drifted feature table (the planted cause).
"""

from __future__ import annotations

from typing import Any

from tests.factories import (
    at,
    column_lineage,
    dataset,
    facet,
    pipeline_run,
    schema,
)

NS = "postgres://warehouse"
ML = "mlflow://ml"

#: Minutes after the base time: the feature job starts reading raw.events at CHANGE.
BEFORE = 30.0
CHANGE = 600.0
AFTER = 700.0


def owners(*names: str) -> dict[str, Any]:
    return {
        "ownership": facet(
            "OwnershipDatasetFacet", owners=[{"name": n, "type": "MAINTAINER"} for n in names]
        )
    }


def kind(name: str) -> dict[str, Any]:
    return {"datasetType": facet("DatasetTypeDatasetFacet", datasetType=name, subType="")}


def job_type(name: str, integration: str = "SPARK") -> dict[str, Any]:
    return {
        "jobType": facet(
            "JobTypeJobFacet", processingType="BATCH", integration=integration, jobType=name
        )
    }


def sql(query: str) -> dict[str, Any]:
    return {"sql": facet("SQLJobFacet", query=query)}


def assertions(*checks: tuple[str, bool, str | None]) -> dict[str, Any]:
    return {
        "dataQualityAssertions": facet(
            "DataQualityAssertionsDatasetFacet",
            assertions=[
                {"assertion": name, "success": ok, **({"column": col} if col else {})}
                for name, ok, col in checks
            ],
        )
    }


def _run(
    job: tuple[str, str],
    inputs: list[dict[str, Any]],
    outputs: list[dict[str, Any]],
    start: float,
    job_facets: dict[str, Any],
    final: str = "COMPLETE",
) -> list[dict[str, Any]]:
    events = pipeline_run(
        job, inputs, outputs, start=start, end=start + 3, final=final, seed=f"{job}-{start}"
    )
    for event in events:
        event["job"]["facets"] = job_facets
    return events


def events() -> list[dict[str, Any]]:
    """Every event of the fixture, in time order."""
    customers = (
        "raw.customers",
        ("customer_id", "BIGINT"),
        ("signup_date", "DATE"),
        ("plan", "VARCHAR"),
        ("monthly_spend", "DECIMAL"),
    )
    raw_events = (
        "raw.events",
        ("customer_id", "BIGINT"),
        ("event_type", "VARCHAR"),
        ("ts", "TIMESTAMP"),
    )
    out: list[dict[str, Any]] = []
    for start in (0.0, CHANGE - 10):
        for name, *cols in (customers, raw_events):
            out += _run(
                ("ingest", f"load_{name.split('.')[1]}"),
                [],
                [dataset(NS, name, s=schema(*cols), o=owners("team:platform"))],
                start,
                job_type("INGEST", "AIRFLOW"),
            )
    staging = dataset(
        NS,
        "staging.customers",
        s=schema(
            ("customer_id", "BIGINT"),
            ("tenure_days", "INTEGER"),
            ("plan", "VARCHAR"),
            ("monthly_spend", "DECIMAL"),
        ),
        o=owners("team:analytics"),
        c=column_lineage(
            {
                "customer_id": [(NS, "raw.customers", "customer_id")],
                "tenure_days": [(NS, "raw.customers", "signup_date", "DIRECT", "TRANSFORMATION")],
                "plan": [(NS, "raw.customers", "plan")],
                "monthly_spend": [(NS, "raw.customers", "monthly_spend")],
            },
            dataset=[(NS, "raw.customers", "plan", "INDIRECT", "FILTER")],
        ),
    )
    stage_sql = sql(
        "SELECT customer_id, current_date - signup_date AS tenure_days, plan, monthly_spend FROM raw.customers WHERE plan <> 'test'"
    )
    out += _run(("etl", "stage_customers"), [dataset(NS, "raw.customers")], [staging], 5, stage_sql)
    features_v1 = dataset(
        NS,
        "features.churn",
        s=schema(("customer_id", "BIGINT"), ("tenure_days", "INTEGER"), ("spend_30d", "DECIMAL")),
        k=kind("FEATURE_SET"),
        o=owners("team:ml-features"),
        c=column_lineage(
            {
                "customer_id": [(NS, "staging.customers", "customer_id")],
                "tenure_days": [(NS, "staging.customers", "tenure_days")],
                "spend_30d": [(NS, "staging.customers", "monthly_spend", "DIRECT", "AGGREGATION")],
            }
        ),
    )
    out += _run(
        ("etl", "build_features"),
        [dataset(NS, "staging.customers")],
        [features_v1],
        10,
        sql("SELECT ... FROM staging.customers"),
    )
    model = dataset(ML, "models.churn_classifier", k=kind("MODEL"), o=owners("team:ml"))
    features_in = dataset(NS, "features.churn")
    out += _run(("ml", "train_churn"), [features_in], [model], 15, job_type("TRAINING", "PYTHON"))
    endpoint = dataset(
        "https://serving.example.com",
        "churn-api/predict",
        k=kind("ENDPOINT"),
        o=owners("team:ml-serving"),
    )
    out += _run(
        ("ml", "deploy_churn"),
        [dataset(ML, "models.churn_classifier")],
        [endpoint],
        20,
        job_type("DEPLOYMENT", "PYTHON"),
    )

    # Later: staging gets a failing check on tenure_days (the planted cause), the feature
    # job starts reading raw.events, and the feature table drifts.
    staging_bad = dict(staging)
    staging_bad["facets"] = {
        **staging["facets"],
        **assertions(("not_null", False, "tenure_days"), ("row_count_positive", True, None)),
    }
    out += _run(
        ("etl", "stage_customers"),
        [dataset(NS, "raw.customers")],
        [staging_bad],
        CHANGE - 5,
        stage_sql,
    )
    features_v2 = dataset(
        NS,
        "features.churn",
        s=schema(
            ("customer_id", "BIGINT"),
            ("tenure_days", "INTEGER"),
            ("spend_30d", "DECIMAL"),
            ("events_30d", "INTEGER"),
        ),
        k=kind("FEATURE_SET"),
        o=owners("team:ml-features"),
        c=column_lineage(
            {
                "customer_id": [(NS, "staging.customers", "customer_id")],
                "tenure_days": [(NS, "staging.customers", "tenure_days")],
                "spend_30d": [(NS, "staging.customers", "monthly_spend", "DIRECT", "AGGREGATION")],
                "events_30d": [(NS, "raw.events", "event_type", "DIRECT", "AGGREGATION")],
            },
            dataset=[(NS, "raw.events", "ts", "INDIRECT", "FILTER")],
        ),
    )
    out += _run(
        ("etl", "build_features"),
        [dataset(NS, "staging.customers"), dataset(NS, "raw.events")],
        [features_v2],
        CHANGE,
        sql("SELECT ... FROM staging.customers JOIN raw.events USING (customer_id)"),
    )
    out += _run(
        ("ml", "train_churn"), [features_in], [model], CHANGE + 5, job_type("TRAINING", "PYTHON")
    )
    drift = {
        "lineage_drift": {
            "_producer": "https://example.com/monitor",
            "_schemaURL": "https://example.com/lineage_drift.json",
            "method": "psi",
            "threshold": 0.2,
            "score": 0.41,
            "drifted": True,
            "columns": [{"name": "tenure_days", "score": 0.41, "drifted": True}],
        }
    }
    out += _run(
        ("monitor", "churn_features_drift"),
        [dataset(NS, "features.churn", d=drift)],
        [],
        CHANGE + 10,
        job_type("MONITOR", "PYTHON"),
    )
    return out


def before_change() -> str:
    """A time when build_features read only staging.customers."""
    return at(BEFORE)


def after_change() -> str:
    return at(AFTER)
