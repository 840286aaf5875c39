"""Graphs for impact analysis, built from the events real producers send.

``shop``: a warehouse pipeline with column lineage, a copy job without it, and an ML branch
(training, model, deployment, endpoint) whose jobs send no column lineage::

    raw.orders(id, amount, status, customer_id)                    owners: ingest
      etl.stage_orders  id, amount, status 1:1 (DIRECT/IDENTITY);
                        every column joined on customer_id (INDIRECT/JOIN)
    stg.orders(id, amount, status)                                 owners: staging
      etl.build_revenue total = SUM(amount) (DIRECT/AGGREGATION),
                        grouped by status (INDIRECT/GROUP_BY)
    mart.revenue(status, total)                                    owners: analytics
      etl.build_kpis    revenue = total (DIRECT/IDENTITY)
    report.kpis(revenue)                                           owners: finance

    raw.orders -> etl.export_orders (SELECT *, no column lineage) -> lake.orders_copy
    mart.revenue -> ml.train_churn (TRAINING) -> models.churn (MODEL)      owners: ml
    models.churn -> ml.deploy_churn (DEPLOYMENT) -> endpoints.churn (ENDPOINT)  owners: serving
"""

from __future__ import annotations

from typing import Any

from lineage.store import GraphStore
from tests.conftest import feed
from tests.factories import column_lineage, dataset, facet, new_run_id, run_event, schema

NS = "postgres://warehouse:5432"
ML = "mlflow://models"


def owners(*names: str) -> dict[str, Any]:
    return {
        "ownership": facet(
            "OwnershipDatasetFacet", owners=[{"name": n, "type": "team"} for n in names]
        )
    }


def kind(value: str) -> dict[str, Any]:
    return {"datasetType": facet("DatasetTypeDatasetFacet", datasetType=value)}


def job_kind(value: str) -> dict[str, Any]:
    return {
        "jobType": facet(
            "JobTypeJobFacet", processingType="BATCH", integration="PYTHON", jobType=value
        )
    }


def run(
    job: tuple[str, str],
    inputs: list[dict[str, Any]],
    outputs: list[dict[str, Any]],
    start: float,
    job_facets: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    rid = new_run_id(f"impact-{job}-{start}")
    return [
        run_event(state, rid, job, time=start + i, inputs=inputs, outputs=outputs,
                  job_facets=job_facets)
        for i, state in enumerate(("START", "COMPLETE"))
    ]  # fmt: skip


def raw_orders(**extra: Any) -> dict[str, Any]:
    return dataset(
        NS,
        "raw.orders",
        s=schema(("id", "INT"), ("amount", "INT"), ("status", "VARCHAR"), ("customer_id", "INT")),
        o=owners("ingest"),
        **extra,
    )


def shop(store: GraphStore) -> None:
    events: list[dict[str, Any]] = []
    events += run(("etl", "load_orders"), [], [raw_orders()], 0)
    stg = dataset(
        NS,
        "stg.orders",
        s=schema(("id", "INT"), ("amount", "INT"), ("status", "VARCHAR")),
        o=owners("staging"),
        c=column_lineage(
            {
                "id": [(NS, "raw.orders", "id")],
                "amount": [(NS, "raw.orders", "amount")],
                "status": [(NS, "raw.orders", "status")],
            },
            dataset=[(NS, "raw.orders", "customer_id", "INDIRECT", "JOIN")],
        ),
    )
    events += run(("etl", "stage_orders"), [dataset(NS, "raw.orders")], [stg], 5)
    revenue = dataset(
        NS,
        "mart.revenue",
        s=schema(("status", "VARCHAR"), ("total", "BIGINT")),
        o=owners("analytics"),
        c=column_lineage(
            {
                "status": [(NS, "stg.orders", "status")],
                "total": [(NS, "stg.orders", "amount", "DIRECT", "AGGREGATION")],
            },
            dataset=[(NS, "stg.orders", "status", "INDIRECT", "GROUP_BY")],
        ),
    )
    events += run(("etl", "build_revenue"), [dataset(NS, "stg.orders")], [revenue], 10)
    kpis = dataset(
        NS,
        "report.kpis",
        s=schema(("revenue", "BIGINT")),
        o=owners("finance"),
        c=column_lineage({"revenue": [(NS, "mart.revenue", "total")]}),
    )
    events += run(("etl", "build_kpis"), [dataset(NS, "mart.revenue")], [kpis], 15)
    copy = dataset(NS, "lake.orders_copy", o=owners("exports"))
    events += run(("etl", "export_orders"), [dataset(NS, "raw.orders")], [copy], 20)
    model = dataset(ML, "models.churn", k=kind("MODEL"), o=owners("ml"))
    training = job_kind("TRAINING") | {
        "ownership": facet("OwnershipJobFacet", owners=[{"name": "trainers", "type": "team"}])
    }
    events += run(("ml", "train_churn"), [dataset(NS, "mart.revenue")], [model], 25, training)
    endpoint = dataset(ML, "endpoints.churn", k=kind("ENDPOINT"), o=owners("serving"))
    events += run(
        ("ml", "deploy_churn"), [dataset(ML, "models.churn")], [endpoint], 30,
        job_kind("DEPLOYMENT"),
    )  # fmt: skip
    feed(store, events)
