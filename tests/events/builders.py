"""Realistic OpenLineage events as producers send them (plain dicts), for the event tests.

Shapes follow what dbt-ol, the Airflow provider and the Spark integration emit: a parent
run, processing engine, job type and SQL, schema and column lineage on datasets, and the
integrations' own custom facets next to the standard ones.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

DBT_PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.30.0/integration/dbt"
AIRFLOW_PRODUCER = "https://github.com/apache/airflow/tree/providers-openlineage/1.14.0"
RUN_EVENT_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
NAMESPACE = "postgres://warehouse.internal:5432"

RUN_ID = "0192f3a1-7c2e-7d4b-9a51-3e8f0c6d2b17"
PARENT_RUN_ID = "0192f3a0-11aa-7bbb-8ccc-0d1e2f3a4b5c"


def facet(kind: str, producer: str = DBT_PRODUCER, /, **body: Any) -> dict[str, Any]:
    """A facet with the ``_producer`` and ``_schemaURL`` every real client sends."""
    return {
        "_producer": producer,
        "_schemaURL": f"https://openlineage.io/spec/facets/1-0-0/{kind}.json#/$defs/{kind}",
        **body,
    }


def schema_facet(*columns: str, kind: str = "VARCHAR") -> dict[str, Any]:
    return facet(
        "SchemaDatasetFacet",
        fields=[{"name": c, "type": kind, "description": f"The {c}."} for c in columns],
    )


def columns(count: int) -> list[str]:
    return [f"col_{i:02d}" for i in range(count)]


def dataset(name: str, cols: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    facets: dict[str, Any] = {
        "dataSource": facet("DatasourceDatasetFacet", name=NAMESPACE, uri=NAMESPACE),
        "documentation": facet("DocumentationDatasetFacet", description=f"The {name} table."),
        # dbt-ol's own facet, next to the standard ones.
        "dbt_node": facet(
            "DbtNodeDatasetFacet",
            node_id=f"model.jaffle_shop.{name.rsplit('.', 1)[-1]}",
            config={"materialized": "table", "tags": ["finance"]},
        ),
    }
    if cols is not None:
        facets["schema"] = schema_facet(*cols)
    return {"namespace": NAMESPACE, "name": name, "facets": facets, **extra}


def column_lineage(target: list[str], sources: list[str]) -> dict[str, Any]:
    """Each target column fed by the same-position column of a source, round robin."""
    fields = {}
    for i, col in enumerate(target):
        source = sources[i % len(sources)]
        fields[col] = {
            "inputFields": [
                {
                    "namespace": NAMESPACE,
                    "name": source,
                    "field": col,
                    "transformations": [
                        {"type": "DIRECT", "subtype": "IDENTITY", "masking": False}
                    ],
                }
            ]
        }
    return facet(
        "ColumnLineageDatasetFacet",
        fields=fields,
        dataset=[
            {
                "namespace": NAMESPACE,
                "name": sources[0],
                "field": "order_date",
                "transformations": [{"type": "INDIRECT", "subtype": "FILTER"}],
            }
        ],
    )


def dbt_run_event(
    event_type: str = "COMPLETE", *, inputs: int = 3, width: int = 20, run_id: str = RUN_ID
) -> dict[str, Any]:
    """A dbt-ol model run: ``inputs`` sources into one output, ``width`` columns each."""
    cols = columns(width)
    sources = [f"analytics.staging.stg_source_{k}" for k in range(inputs)]
    output = dataset("analytics.marts.orders_enriched", cols)
    output["facets"]["columnLineage"] = column_lineage(cols, sources)
    output["outputFacets"] = {
        "outputStatistics": facet("OutputStatisticsOutputDatasetFacet", rowCount=3120, size=1 << 20)
    }
    return {
        "eventType": event_type,
        "eventTime": "2024-05-01T12:00:00.123456+02:00",
        "run": {
            "runId": run_id,
            "facets": {
                "parent": facet(
                    "ParentRunFacet",
                    run={"runId": PARENT_RUN_ID},
                    job={"namespace": "dbt", "name": "dbt-run-jaffle_shop"},
                    root={
                        "run": {"runId": PARENT_RUN_ID},
                        "job": {"namespace": "dbt", "name": "dbt-run-jaffle_shop"},
                    },
                ),
                "processing_engine": facet(
                    "ProcessingEngineRunFacet",
                    version="1.8.2",
                    name="dbt",
                    openlineageAdapterVersion="1.30.0",
                ),
                "dbt_version": facet("DbtVersionRunFacet", version="1.8.2"),
            },
        },
        "job": {
            "namespace": "dbt",
            "name": "jaffle_shop.orders_enriched",
            "facets": {
                "jobType": facet(
                    "JobTypeJobFacet", processingType="BATCH", integration="DBT", jobType="MODEL"
                ),
                "sql": facet(
                    "SQLJobFacet",
                    query="select * from stg_source_0 join stg_source_1 using (order_id)",
                    dialect="postgres",
                ),
            },
        },
        "inputs": [
            {
                **dataset(name, cols),
                "inputFacets": {
                    "dataQualityAssertions": facet(
                        "DataQualityAssertionsDatasetFacet",
                        assertions=[
                            {"assertion": "not_null", "success": True, "column": "col_00"},
                            {"assertion": "unique", "success": False, "column": "col_01"},
                        ],
                    )
                },
            }
            for name in sources
        ],
        "outputs": [output],
        "producer": DBT_PRODUCER,
        "schemaURL": RUN_EVENT_SCHEMA,
    }


def airflow_task_event(event_type: str = "START") -> dict[str, Any]:
    """An Airflow task run, with the provider's custom run facets."""
    p = AIRFLOW_PRODUCER
    return {
        "eventType": event_type,
        "eventTime": "2024-05-01T10:00:03.512Z",
        "run": {
            "runId": "01927c1e-4b8a-7e55-b0b4-54b7c2e9d3a1",
            "facets": {
                "nominalTime": facet(
                    "NominalTimeRunFacet",
                    p,
                    nominalStartTime="2024-05-01T00:00:00+00:00",
                    nominalEndTime="2024-05-02T00:00:00+00:00",
                ),
                "parent": facet(
                    "ParentRunFacet",
                    p,
                    run={"runId": "01927c1e-0000-7000-8000-000000000001"},
                    job={"namespace": "airflow", "name": "daily_orders"},
                ),
                "airflow": facet(
                    "AirflowRunFacet",
                    p,
                    dag={"dag_id": "daily_orders", "schedule_interval": "@daily"},
                    task={"task_id": "load_orders", "operator_class": "SQLExecuteQueryOperator"},
                    taskInstance={"try_number": 1, "pool": "default_pool"},
                ),
                "processing_engine": facet(
                    "ProcessingEngineRunFacet",
                    p,
                    version="2.10.3",
                    name="Airflow",
                    openlineageAdapterVersion="1.14.0",
                ),
            },
        },
        "job": {
            "namespace": "airflow",
            "name": "daily_orders.load_orders",
            "facets": {
                "jobType": facet(
                    "JobTypeJobFacet",
                    p,
                    processingType="BATCH",
                    integration="AIRFLOW",
                    jobType="TASK",
                ),
                "ownership": facet(
                    "OwnershipJobFacet",
                    p,
                    owners=[{"name": "team:data-platform", "type": "MAINTAINER"}],
                ),
            },
        },
        "inputs": [],
        "outputs": [],
        "producer": p,
        "schemaURL": RUN_EVENT_SCHEMA,
    }


def dataset_event() -> dict[str, Any]:
    return {
        "eventTime": "2024-05-01T12:00:00Z",
        "dataset": dataset("analytics.marts.customers", ["customer_id", "first_order"]),
        "producer": DBT_PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
    }


def job_event() -> dict[str, Any]:
    return {
        "eventTime": "2024-05-01T12:00:00Z",
        "job": {
            "namespace": "dbt",
            "name": "jaffle_shop.customers",
            "facets": {"sql": facet("SQLJobFacet", query="select 1")},
        },
        "inputs": [dataset("analytics.staging.stg_customers")],
        "outputs": [dataset("analytics.marts.customers")],
        "producer": DBT_PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent",
    }


def minimal_run_event() -> dict[str, Any]:
    return {
        "eventTime": "2024-05-01T12:00:00Z",
        "run": {"runId": str(uuid.UUID(int=1, version=4))},
        "job": {"namespace": "dbt", "name": "job"},
        "producer": DBT_PRODUCER,
        "schemaURL": RUN_EVENT_SCHEMA,
    }


def with_facet(
    event: dict[str, Any], place: str, name: str, body: dict[str, Any]
) -> dict[str, Any]:
    """A copy of a RunEvent with facet ``name`` set at ``place`` (dataset, input, ...)."""
    event = copy.deepcopy(event)
    event.setdefault("inputs", [])
    event.setdefault("outputs", [])
    if not event["inputs"]:
        event["inputs"].append({"namespace": NAMESPACE, "name": "analytics.raw.orders"})
    if not event["outputs"]:
        event["outputs"].append({"namespace": NAMESPACE, "name": "analytics.marts.orders"})
    target = {
        "dataset": (event["outputs"][0], "facets"),
        "input": (event["inputs"][0], "inputFacets"),
        "output": (event["outputs"][0], "outputFacets"),
        "job": (event["job"], "facets"),
        "run": (event["run"], "facets"),
    }[place]
    target[0].setdefault(target[1], {})[name] = body
    return event


FACET_PATHS = {
    "dataset": "outputs[0].facets",
    "input": "inputs[0].inputFacets",
    "output": "outputs[0].outputFacets",
    "job": "job.facets",
    "run": "run.facets",
}
