"""Events as real producers emit them are accepted, custom facets and all.

``data/dbt_ol_jaffle_shop_build.jsonl`` is the unedited output of ``dbt-ol build`` (dbt
1.11, openlineage-dbt 1.54) on the project's own tests/dbt_project, one event a line.
The other events are built with openlineage-python, the client the Python integrations
(dbt-ol, Airflow) send through.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from lineage.events import JobEvent, RunEvent, facets, get_facet, parse_event

DATA = Path(__file__).parent / "data"


def dbt_ol_events() -> list[dict[str, Any]]:
    lines = (DATA / "dbt_ol_jaffle_shop_build.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_every_event_of_a_dbt_ol_build_is_accepted() -> None:
    events = [parse_event(raw) for raw in dbt_ol_events()]

    assert len(events) == 22
    assert all(isinstance(e, RunEvent) for e in events)
    kinds = Counter(e.eventType for e in events if isinstance(e, RunEvent))
    assert kinds == {"START": 11, "COMPLETE": 9, "FAIL": 2}


def test_dbt_ol_custom_facets_are_kept_and_standard_ones_typed() -> None:
    models = [
        e
        for e in map(parse_event, dbt_ol_events())
        if isinstance(e, RunEvent) and e.eventType == "COMPLETE" and e.outputs
    ]
    event = next(e for e in models if e.outputs[0].name == "jaffle_shop.main.orders")

    assert "dbt_version" in event.run.facets and "dbt_run" in event.run.facets
    assert "dbt_node" in event.job.facets
    parent = get_facet(event.run.facets, "parent", facets.ParentRunFacet)
    assert parent is not None and parent.job.namespace
    job_type = get_facet(event.job.facets, "jobType", facets.JobTypeJobFacet)
    assert job_type is not None and job_type.integration == "DBT"
    output = event.outputs[0]
    schema = get_facet(output.facets, "schema", facets.SchemaDatasetFacet)
    assert schema is not None and "order_id" in {f.name for f in schema.fields}
    lineage = get_facet(output.facets, "columnLineage", facets.ColumnLineageDatasetFacet)
    assert lineage is not None and lineage.fields


def test_dbt_ol_test_results_are_typed_as_input_and_dataset_facets() -> None:
    # dbt-ol reports the tests of a model both as a dataset facet and as an input facet.
    tests = [
        e
        for e in map(parse_event, dbt_ol_events())
        if isinstance(e, RunEvent) and e.eventType == "FAIL" and e.job.name.endswith(".test")
    ]
    tested = tests[0].inputs[0]

    as_input = get_facet(
        tested.inputFacets, "dataQualityAssertions", facets.DataQualityAssertionsFacet
    )
    as_dataset = get_facet(
        tested.facets, "dataQualityAssertions", facets.DataQualityAssertionsFacet
    )

    assert as_input is not None and as_dataset is not None
    assert any(not a.success for a in as_input.assertions)  # the planted failing test


# -- openlineage-python ------------------------------------------------------------------------------

client = pytest.importorskip("openlineage.client", reason="openlineage-python is a test dependency")


def client_run_event() -> dict[str, Any]:
    from openlineage.client.event_v2 import (
        InputDataset,
        Job,
        OutputDataset,
        Run,
        RunEvent,
        RunState,
    )
    from openlineage.client.facet_v2 import (
        column_lineage_dataset,
        data_quality_assertions_dataset,
        data_quality_metrics_input_dataset,
        dataset_version_dataset,
        datasource_dataset,
        documentation_dataset,
        error_message_run,
        input_statistics_input_dataset,
        job_type_job,
        lifecycle_state_change_dataset,
        nominal_time_run,
        output_statistics_output_dataset,
        ownership_dataset,
        parent_run,
        processing_engine_run,
        schema_dataset,
        source_code_location_job,
        sql_job,
        storage_dataset,
        symlinks_dataset,
        tags_run,
    )
    from openlineage.client.serde import Serde

    ns = "snowflake://acme-prod.eu-west-1"
    transformation = column_lineage_dataset.Transformation(type="DIRECT", subtype="IDENTITY")
    event = RunEvent(
        eventType=RunState.FAIL,
        eventTime="2024-05-01T12:00:00.000001+00:00",
        run=Run(
            runId="0192f3a1-7c2e-7d4b-9a51-3e8f0c6d2b17",
            facets={
                "parent": parent_run.ParentRunFacet(
                    run=parent_run.Run(runId="0192f3a0-11aa-7bbb-8ccc-0d1e2f3a4b5c"),
                    job=parent_run.Job(namespace="airflow", name="daily"),
                    root=parent_run.Root(
                        run=parent_run.RootRun(runId="0192f3a0-11aa-7bbb-8ccc-0d1e2f3a4b5c"),
                        job=parent_run.RootJob(namespace="airflow", name="daily"),
                    ),
                ),
                "nominalTime": nominal_time_run.NominalTimeRunFacet(
                    nominalStartTime="2024-05-01T00:00:00Z", nominalEndTime="2024-05-02T00:00:00Z"
                ),
                "errorMessage": error_message_run.ErrorMessageRunFacet(
                    message="division by zero", programmingLanguage="python", stackTrace="..."
                ),
                "processing_engine": processing_engine_run.ProcessingEngineRunFacet(
                    version="2.10.3", name="Airflow", openlineageAdapterVersion="1.14.0"
                ),
                "tags": tags_run.TagsRunFacet(
                    tags=[tags_run.TagsRunFacetFields(key="env", value="prod")]
                ),
            },
        ),
        job=Job(
            namespace="airflow",
            name="daily.load",
            facets={
                "jobType": job_type_job.JobTypeJobFacet(
                    processingType="BATCH", integration="AIRFLOW", jobType="TASK"
                ),
                "sql": sql_job.SQLJobFacet(
                    query="insert into t select * from s", dialect="snowflake"
                ),
                "sourceCodeLocation": source_code_location_job.SourceCodeLocationJobFacet(
                    type="git", url="https://github.com/acme/dags/blob/main/daily.py"
                ),
            },
        ),
        inputs=[
            InputDataset(
                namespace=ns,
                name="raw.public.s",
                facets={
                    "schema": schema_dataset.SchemaDatasetFacet(
                        fields=[schema_dataset.SchemaDatasetFacetFields(name="id", type="NUMBER")]
                    ),
                    "dataSource": datasource_dataset.DatasourceDatasetFacet(name=ns, uri=ns),
                    "symlinks": symlinks_dataset.SymlinksDatasetFacet(
                        identifiers=[
                            symlinks_dataset.Identifier(
                                namespace="s3://raw", name="/s", type="TABLE"
                            )
                        ]
                    ),
                    "storage": storage_dataset.StorageDatasetFacet(
                        storageLayer="iceberg", fileFormat="parquet"
                    ),
                },
                inputFacets={
                    "inputStatistics": input_statistics_input_dataset.InputStatisticsInputDatasetFacet(
                        rowCount=10, size=2048
                    ),
                    "dataQualityMetrics": data_quality_metrics_input_dataset.DataQualityMetricsInputDatasetFacet(
                        rowCount=10,
                        columnMetrics={
                            "id": data_quality_metrics_input_dataset.ColumnMetrics(
                                nullCount=0, distinctCount=10
                            )
                        },
                    ),
                    "dataQualityAssertions": data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
                        assertions=[
                            data_quality_assertions_dataset.Assertion(
                                assertion="not_null", success=True, column="id"
                            )
                        ]
                    ),
                },
            )
        ],
        outputs=[
            OutputDataset(
                namespace=ns,
                name="mart.public.t",
                facets={
                    "columnLineage": column_lineage_dataset.ColumnLineageDatasetFacet(
                        fields={
                            "id": column_lineage_dataset.Fields(
                                inputFields=[
                                    column_lineage_dataset.InputField(
                                        namespace=ns,
                                        name="raw.public.s",
                                        field="id",
                                        transformations=[transformation],
                                    )
                                ]
                            )
                        }
                    ),
                    "version": dataset_version_dataset.DatasetVersionDatasetFacet(
                        datasetVersion="17"
                    ),
                    "lifecycleStateChange": lifecycle_state_change_dataset.LifecycleStateChangeDatasetFacet(
                        lifecycleStateChange=lifecycle_state_change_dataset.LifecycleStateChange.OVERWRITE
                    ),
                    "ownership": ownership_dataset.OwnershipDatasetFacet(
                        owners=[ownership_dataset.Owner(name="team:finance", type="MAINTAINER")]
                    ),
                    "documentation": documentation_dataset.DocumentationDatasetFacet(
                        description="Totals."
                    ),
                },
                outputFacets={
                    "outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                        rowCount=10, size=4096
                    )
                },
            )
        ],
        producer="https://github.com/apache/airflow/tree/providers-openlineage/1.14.0",
    )
    raw: dict[str, Any] = Serde.to_dict(event)
    return raw


def test_openlineage_python_events_with_every_standard_facet_are_accepted() -> None:
    raw = client_run_event()

    event = parse_event(raw)

    assert isinstance(event, RunEvent)
    assert event.eventType == "FAIL"
    error = get_facet(event.run.facets, "errorMessage", facets.ErrorMessageRunFacet)
    assert error is not None and error.message == "division by zero"
    lifecycle = get_facet(
        event.outputs[0].facets, "lifecycleStateChange", facets.LifecycleStateChangeDatasetFacet
    )
    assert lifecycle is not None and lifecycle.lifecycleStateChange == "OVERWRITE"
    metrics = get_facet(
        event.inputs[0].inputFacets, "dataQualityMetrics", facets.DataQualityMetricsFacet
    )
    assert metrics is not None and metrics.columnMetrics["id"].distinctCount == 10


def test_openlineage_python_job_events_are_accepted() -> None:
    from openlineage.client.event_v2 import InputDataset, Job
    from openlineage.client.event_v2 import JobEvent as ClientJobEvent
    from openlineage.client.serde import Serde

    raw = Serde.to_dict(
        ClientJobEvent(
            eventTime="2024-05-01T12:00:00Z",
            job=Job(namespace="dbt", name="jaffle_shop.customers"),
            inputs=[
                InputDataset(namespace="duckdb://jaffle_shop.duckdb", name="main.stg_customers")
            ],
            outputs=[],
            producer="https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python",
        )
    )

    assert isinstance(parse_event(raw), JobEvent)
