"""Facets: kept verbatim, standard ones checked against their typed models, read with get_facet."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from pydantic import BaseModel, ConfigDict

from lineage.events import (
    EventValidationError,
    FacetMap,
    RunEvent,
    facets,
    get_facet,
    parse_event,
)
from lineage.events._facet_map import SHARED_FACETS, SharedFacets
from tests.events import builders as b
from tests.events.builders import facet, with_facet


def problems(raw: Any) -> list[str]:
    with pytest.raises(EventValidationError) as info:
        parse_event(raw)
    return [str(p) for p in info.value.problems]


def run_event(raw: Any) -> RunEvent:
    event = parse_event(raw)
    assert isinstance(event, RunEvent)
    return event


# -- kept verbatim ---------------------------------------------------------------------------


def test_custom_facets_are_kept_verbatim() -> None:
    raw = b.airflow_task_event()
    airflow = raw["run"]["facets"]["airflow"]

    event = run_event(raw)

    assert event.run.facets["airflow"] == airflow
    assert event.run.facets["airflow"]["taskInstance"] == {"try_number": 1, "pool": "default_pool"}


def test_every_facet_key_survives_including_the_underscored_ones() -> None:
    raw = b.dbt_run_event()
    schema = raw["outputs"][0]["facets"]["schema"]
    schema["_deleted"] = False
    schema["x-lineage-hint"] = {"source": "catalog"}

    event = run_event(raw)

    kept = event.outputs[0].facets["schema"]
    assert kept == schema
    assert set(kept) == {"_producer", "_schemaURL", "_deleted", "fields", "x-lineage-hint"}


def test_facet_maps_are_plain_dicts_equal_to_the_input() -> None:
    raw = b.dbt_run_event()

    event = run_event(raw)

    for got, sent in [
        (event.run.facets, raw["run"]["facets"]),
        (event.job.facets, raw["job"]["facets"]),
        (event.inputs[0].facets, raw["inputs"][0]["facets"]),
        (event.inputs[0].inputFacets, raw["inputs"][0]["inputFacets"]),
        (event.outputs[0].outputFacets, raw["outputs"][0]["outputFacets"]),
    ]:
        assert isinstance(got, dict)
        assert got == sent
        assert orjson.loads(orjson.dumps(got)) == sent


def test_absent_facet_maps_are_empty() -> None:
    event = run_event(b.minimal_run_event())

    assert event.run.facets == {} and event.job.facets == {}
    assert get_facet(event.run.facets, "parent", facets.ParentRunFacet) is None


# -- every facet is a facet ---------------------------------------------------------------------


def test_a_facet_must_be_an_object() -> None:
    raw = b.minimal_run_event()
    raw["run"]["facets"] = {"airflow": "dag=daily_orders", "spark_version": ["3.5.1"]}

    assert problems(raw) == [
        "run.facets.airflow: expected an object (a facet)",
        "run.facets.spark_version: expected an object (a facet)",
    ]


def test_facet_maps_must_be_objects() -> None:
    raw = b.minimal_run_event()
    raw["job"]["facets"] = [facet("SQLJobFacet", query="select 1")]

    assert problems(raw) == ["job.facets: expected an object"]


def test_custom_facet_without_producer_and_schema_url_is_rejected_as_the_spec_requires() -> None:
    raw = b.airflow_task_event()
    del raw["run"]["facets"]["airflow"]["_producer"]
    raw["run"]["facets"]["airflow"]["_schemaURL"] = 1

    assert problems(raw) == [
        "run.facets.airflow._producer: missing",
        "run.facets.airflow._schemaURL: expected a string",
    ]


def test_standard_facet_without_producer_is_rejected() -> None:
    raw = b.dbt_run_event()
    del raw["job"]["facets"]["sql"]["_producer"]

    assert problems(raw) == ["job.facets.sql._producer: missing"]


# -- standard facets are checked ------------------------------------------------------------------


def test_schema_field_name_must_be_a_string_with_its_full_path() -> None:
    raw = b.dbt_run_event()
    raw["outputs"][0]["facets"]["schema"]["fields"][3]["name"] = None

    assert problems(raw) == ["outputs[0].facets.schema.fields[3].name: expected a string"]


def test_nested_schema_fields_are_checked_and_typed() -> None:
    nested = facet(
        "SchemaDatasetFacet",
        fields=[
            {
                "name": "address",
                "type": "struct",
                "fields": [{"name": "zip", "type": "string"}, {"type": "string"}],
            }
        ],
    )
    raw = with_facet(b.minimal_run_event(), "dataset", "schema", nested)

    assert problems(raw) == ["outputs[0].facets.schema.fields[0].fields[1].name: missing"]

    nested["fields"][0]["fields"].pop()
    schema = get_facet(run_event(raw).outputs[0].facets, "schema", facets.SchemaDatasetFacet)
    assert schema is not None
    assert [(f.name, [g.name for g in f.fields]) for f in schema.fields] == [("address", ["zip"])]


def test_column_lineage_is_typed() -> None:
    event = run_event(b.dbt_run_event())

    lineage = get_facet(event.outputs[0].facets, "columnLineage", facets.ColumnLineageDatasetFacet)

    assert lineage is not None
    assert len(lineage.fields) == 20
    source = lineage.fields["col_04"].inputFields[0]
    assert (source.namespace, source.name, source.field) == (
        b.NAMESPACE,
        "analytics.staging.stg_source_1",
        "col_04",
    )
    assert source.transformations[0].type == "DIRECT"
    assert source.transformations[0].masking is False
    assert lineage.dataset[0].transformations[0].subtype == "FILTER"


def test_column_lineage_without_input_fields_is_rejected() -> None:
    raw = b.dbt_run_event()
    del raw["outputs"][0]["facets"]["columnLineage"]["fields"]["col_02"]["inputFields"]

    assert problems(raw) == ["outputs[0].facets.columnLineage.fields.col_02.inputFields: missing"]


def test_column_names_that_are_not_plain_words_are_quoted_in_paths() -> None:
    raw = b.dbt_run_event()
    lineage = raw["outputs"][0]["facets"]["columnLineage"]
    lineage["fields"]["order total.usd"] = {"inputFields": [{"namespace": b.NAMESPACE}]}

    assert problems(raw) == [
        'outputs[0].facets.columnLineage.fields["order total.usd"].inputFields[0].name: missing',
        'outputs[0].facets.columnLineage.fields["order total.usd"].inputFields[0].field: missing',
    ]


def test_lifecycle_state_change_must_be_one_the_spec_knows() -> None:
    change = facet("LifecycleStateChangeDatasetFacet", lifecycleStateChange="DELETE")
    raw = with_facet(b.minimal_run_event(), "dataset", "lifecycleStateChange", change)

    assert problems(raw) == [
        "outputs[0].facets.lifecycleStateChange.lifecycleStateChange: "
        "expected one of ALTER, CREATE, DROP, OVERWRITE, RENAME, TRUNCATE"
    ]


def test_rename_keeps_the_previous_identifier() -> None:
    change = facet(
        "LifecycleStateChangeDatasetFacet",
        lifecycleStateChange="RENAME",
        previousIdentifier={"namespace": b.NAMESPACE, "name": "analytics.marts.orders_v1"},
    )
    event = run_event(with_facet(b.minimal_run_event(), "dataset", "lifecycleStateChange", change))

    typed = get_facet(
        event.outputs[0].facets, "lifecycleStateChange", facets.LifecycleStateChangeDatasetFacet
    )

    assert typed is not None and typed.previousIdentifier is not None
    assert typed.previousIdentifier.name == "analytics.marts.orders_v1"


def test_null_is_not_an_absent_optional_property() -> None:
    # The schemas type optional properties without allowing null, and so do we.
    sql = facet("SQLJobFacet", query="select 1", dialect=None)
    raw = with_facet(b.minimal_run_event(), "job", "sql", sql)

    assert problems(raw) == ["job.facets.sql.dialect: expected a string"]


def test_required_facet_properties_follow_the_facet_schema() -> None:
    raw = b.minimal_run_event()
    raw["job"]["facets"] = {
        "jobType": facet("JobTypeJobFacet", processingType="BATCH"),
        "sourceCodeLocation": facet("SourceCodeLocationJobFacet", type="git"),
    }
    raw["run"]["facets"] = {
        "errorMessage": facet("ErrorMessageRunFacet", message="boom"),
        "parent": facet("ParentRunFacet", run={"runId": b.PARENT_RUN_ID}),
    }

    assert problems(raw) == [
        "run.facets.errorMessage.programmingLanguage: missing",
        "run.facets.parent.job: missing",
        "job.facets.jobType.integration: missing",
        "job.facets.sourceCodeLocation.url: missing",
    ]


def test_counts_are_json_integers() -> None:
    stats = facet("OutputStatisticsOutputDatasetFacet", rowCount=3120.0, size=True, fileCount="2")
    raw = with_facet(b.minimal_run_event(), "output", "outputStatistics", stats)

    assert problems(raw) == [
        "outputs[0].outputFacets.outputStatistics.size: expected an integer",
        "outputs[0].outputFacets.outputStatistics.fileCount: expected an integer",
    ]

    del stats["size"], stats["fileCount"]
    typed = get_facet(
        run_event(raw).outputs[0].outputFacets, "outputStatistics", facets.OutputStatisticsFacet
    )
    assert typed is not None and typed.rowCount == 3120 and isinstance(typed.rowCount, int)


def test_column_metrics_are_numbers_and_keep_their_type() -> None:
    metrics = facet(
        "DataQualityMetricsInputDatasetFacet",
        rowCount=10,
        lastUpdated="2024-05-01T10:00:00+02:00",
        columnMetrics={"amount": {"sum": 6600, "min": 0.5, "quantiles": {"0.5": 12}}},
    )
    event = run_event(with_facet(b.minimal_run_event(), "input", "dataQualityMetrics", metrics))

    typed = get_facet(
        event.inputs[0].inputFacets, "dataQualityMetrics", facets.DataQualityMetricsFacet
    )

    assert typed is not None
    assert typed.lastUpdated == datetime(2024, 5, 1, 8, tzinfo=UTC)
    amount = typed.columnMetrics["amount"]
    assert (amount.sum, amount.min, amount.quantiles) == (6600, 0.5, {"0.5": 12})
    assert isinstance(amount.sum, int)


def test_nominal_time_and_parent_run_are_normalised() -> None:
    raw = b.airflow_task_event()
    raw["run"]["facets"]["parent"]["run"]["runId"] = "01927C1E-0000-7000-8000-000000000001"

    event = run_event(raw)

    nominal = get_facet(event.run.facets, "nominalTime", facets.NominalTimeRunFacet)
    parent = get_facet(event.run.facets, "parent", facets.ParentRunFacet)
    assert nominal is not None and parent is not None
    assert nominal.nominalStartTime == datetime(2024, 5, 1, tzinfo=UTC)
    assert parent.run.runId == "01927c1e-0000-7000-8000-000000000001"
    assert parent.job.name == "daily_orders"
    # The facet itself is kept as sent.
    assert event.run.facets["parent"]["run"]["runId"] == "01927C1E-0000-7000-8000-000000000001"


def test_facets_forwarded_in_parent_must_be_facets() -> None:
    raw = b.minimal_run_event()
    raw["run"]["facets"] = {
        "parent": facet(
            "ParentRunFacet",
            run={"runId": b.PARENT_RUN_ID, "facets": {"processing_engine": {"version": "2.10"}}},
            job={"namespace": "airflow", "name": "dag"},
        )
    }

    assert problems(raw) == [
        "run.facets.parent.run.facets.processing_engine._producer: missing",
        "run.facets.parent.run.facets.processing_engine._schemaURL: missing",
    ]


def test_a_standard_name_in_another_place_is_a_custom_facet() -> None:
    # inputStatistics is an input facet; among output facets it is just someone's facet.
    odd = facet("InputStatisticsInputDatasetFacet", rowCount="many")
    event = run_event(with_facet(b.minimal_run_event(), "output", "inputStatistics", odd))

    assert event.outputs[0].outputFacets["inputStatistics"]["rowCount"] == "many"


# -- deletion markers --------------------------------------------------------------------------------


def deleted(kind: str) -> dict[str, Any]:
    return {**facet(kind), "_deleted": True}


def test_deleted_facet_is_returned_as_absent() -> None:
    raw = with_facet(b.minimal_run_event(), "dataset", "schema", deleted("SchemaDatasetFacet"))

    event = run_event(raw)

    assert get_facet(event.outputs[0].facets, "schema", facets.SchemaDatasetFacet) is None
    assert event.outputs[0].facets["schema"]["_deleted"] is True


def test_deleted_facet_content_is_not_checked() -> None:
    # A deletion marker need not repeat the facet's required content (no datasetVersion).
    raw = with_facet(
        b.minimal_run_event(), "dataset", "version", deleted("DatasetVersionDatasetFacet")
    )
    raw = with_facet(raw, "job", "sql", deleted("SQLJobFacet"))

    event = run_event(raw)

    assert get_facet(event.job.facets, "sql", facets.SQLJobFacet) is None


def test_deleted_facet_still_names_its_producer() -> None:
    raw = with_facet(b.minimal_run_event(), "job", "sql", {"_deleted": True})

    assert problems(raw) == [
        "job.facets.sql._producer: missing",
        "job.facets.sql._schemaURL: missing",
    ]


def test_deleted_must_be_a_boolean_on_dataset_and_job_facets() -> None:
    raw = with_facet(
        b.minimal_run_event(), "job", "sql", {**facet("SQLJobFacet", query="q"), "_deleted": "yes"}
    )

    assert problems(raw) == ["job.facets.sql._deleted: expected true or false"]


def test_deleted_is_an_ordinary_property_of_run_facets() -> None:
    # The spec defines _deleted for dataset and job facets only.
    custom = {**facet("SparkVersionFacet", version="3.5.1"), "_deleted": "no"}

    run_event(with_facet(b.minimal_run_event(), "run", "spark_version", custom))


# -- get_facet ----------------------------------------------------------------------------------------


def test_get_facet_returns_the_model_built_while_parsing() -> None:
    event = run_event(b.dbt_run_event())

    first = get_facet(event.outputs[0].facets, "schema", facets.SchemaDatasetFacet)
    second = get_facet(event.outputs[0].facets, "schema", facets.SchemaDatasetFacet)

    assert first is not None
    assert first is second
    assert [f.name for f in first.fields][:3] == ["col_00", "col_01", "col_02"]
    assert first.producer == b.DBT_PRODUCER


class DbtNode(BaseModel):
    model_config = ConfigDict(extra="allow")
    node_id: str
    config: dict[str, Any] = {}


def test_get_facet_reads_custom_facets_with_the_callers_model_once() -> None:
    event = run_event(b.dbt_run_event())
    facet_map = event.outputs[0].facets

    node = get_facet(facet_map, "dbt_node", DbtNode)

    assert node is not None
    assert node.node_id == "model.jaffle_shop.orders_enriched"
    assert get_facet(facet_map, "dbt_node", DbtNode) is node


def test_get_facet_reports_a_facet_that_does_not_fit_the_model() -> None:
    event = run_event(b.dbt_run_event())

    with pytest.raises(EventValidationError) as info:
        get_facet(event.run.facets, "dbt_version", facets.SQLJobFacet)

    assert [str(p) for p in info.value.problems] == ["dbt_version.query: missing"]


def test_get_facet_works_on_plain_mappings() -> None:
    plain = {"sql": facet("SQLJobFacet", query="select 1"), "gone": {"_deleted": True}}

    sql = get_facet(plain, "sql", facets.SQLJobFacet)

    assert sql is not None and sql.query == "select 1"
    assert get_facet(plain, "gone", facets.SQLJobFacet) is None
    assert get_facet(plain, "absent", facets.SQLJobFacet) is None


def test_typed_facets_dump_with_the_spec_names() -> None:
    sql = facets.SQLJobFacet.model_validate(facet("SQLJobFacet", query="select 1"))

    dumped = sql.model_dump(exclude_none=True)

    assert dumped["_producer"] == b.DBT_PRODUCER
    assert dumped["query"] == "select 1"
    assert "dialect" not in dumped


def test_typed_facets_keep_undeclared_properties() -> None:
    raw = b.dbt_run_event()
    raw["job"]["facets"]["sql"]["queryHash"] = "9f2c"

    sql = get_facet(run_event(raw).job.facets, "sql", facets.SQLJobFacet)

    assert sql is not None and sql.model_extra == {"queryHash": "9f2c"}


def test_facet_map_is_a_dict_that_copies_and_pickles() -> None:
    import pickle

    event = run_event(b.dbt_run_event())
    facet_map = event.outputs[0].facets
    get_facet(facet_map, "schema", facets.SchemaDatasetFacet)

    assert isinstance(facet_map, FacetMap)
    assert copy.deepcopy(facet_map) == facet_map
    again = pickle.loads(pickle.dumps(facet_map))
    assert again == facet_map
    assert get_facet(again, "schema", facets.SchemaDatasetFacet) is not None


# -- sharing between events ----------------------------------------------------------------------------


def test_identical_big_facets_share_one_typed_model_between_events() -> None:
    first = run_event(b.dbt_run_event("START"))
    second = run_event(b.dbt_run_event("COMPLETE"))

    one = get_facet(first.outputs[0].facets, "schema", facets.SchemaDatasetFacet)
    two = get_facet(second.outputs[0].facets, "schema", facets.SchemaDatasetFacet)

    assert one is not None and one is two


def test_facets_that_differ_are_not_shared() -> None:
    raw = b.dbt_run_event()
    first = run_event(raw)
    raw["outputs"][0]["facets"]["schema"]["fields"][0]["type"] = "BIGINT"
    second = run_event(raw)

    one = get_facet(first.outputs[0].facets, "schema", facets.SchemaDatasetFacet)
    two = get_facet(second.outputs[0].facets, "schema", facets.SchemaDatasetFacet)

    assert one is not None and two is not None
    assert (one.fields[0].type, two.fields[0].type) == ("VARCHAR", "BIGINT")


def test_an_invalid_facet_is_never_served_from_the_shared_cache() -> None:
    raw = b.dbt_run_event()
    run_event(raw)
    raw["outputs"][0]["facets"]["schema"]["fields"][0]["type"] = None

    assert problems(raw) == ["outputs[0].facets.schema.fields[0].type: expected a string"]


def test_shared_cache_stays_within_its_byte_budget() -> None:
    cache = SharedFacets(max_bytes=4096)
    model = facets.SchemaDatasetFacet
    instance = model.model_validate(b.schema_facet("a"))

    for i in range(100):
        key = cache.key_of(b.schema_facet(f"column_{i}"))
        assert key is not None
        cache.put(model, key, instance)

    assert 0 < len(cache) < 100
    assert cache.get(model, key) is instance
    assert cache.get(facets.SQLJobFacet, key) is None


def test_content_with_null_is_never_shared() -> None:
    # orjson writes NaN as null too: such content has no exact key.
    assert SharedFacets().key_of({"fields": [{"name": None}]}) is None
    assert SharedFacets().key_of({"sum": float("nan")}) is None


def test_a_facet_map_seen_before_gives_the_same_typed_facets() -> None:
    first = run_event(b.dbt_run_event("START"))
    second = run_event(b.dbt_run_event("COMPLETE"))

    one = get_facet(first.job.facets, "sql", facets.SQLJobFacet)
    two = get_facet(second.job.facets, "sql", facets.SQLJobFacet)

    assert one is not None and one is two
    assert second.job.facets == first.job.facets
    assert second.job.facets is not first.job.facets


def test_the_process_wide_cache_can_be_cleared() -> None:
    run_event(b.dbt_run_event())
    assert len(SHARED_FACETS) > 0

    SHARED_FACETS.clear()

    assert len(SHARED_FACETS) == 0
    run_event(b.dbt_run_event())


def test_a_facet_held_by_several_entries_counts_once_against_the_budget() -> None:
    model = facets.SchemaDatasetFacet
    instance = model.model_validate(b.schema_facet("a"))
    key = SharedFacets().key_of(b.schema_facet("a"))
    assert key is not None and len(key) > 100
    # Room for the facet and the rest of the map once, not for the facet twice.
    cache = SharedFacets(max_bytes=len(key) + 100)
    facet_map = b'{"schema":' + key + b"}"

    cache.put(model, key, instance, ((instance, len(key)),), 0)
    cache.put("facet map", facet_map, {"schema": instance}, ((instance, len(key)),), 11)

    assert len(cache) == 2
    assert cache.get(model, key) is instance
