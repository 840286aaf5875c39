"""parse_event: the event envelope, kind detection and problem reporting."""

from __future__ import annotations

import copy
import pickle
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from lineage.events import (
    DatasetEvent,
    EventValidationError,
    InputDataset,
    Job,
    JobEvent,
    OutputDataset,
    Problem,
    Run,
    RunEvent,
    StaticDataset,
    parse_event,
    parse_events,
)
from tests.events import builders as b


def problems(raw: Any) -> list[str]:
    """The problems parse_event reports for ``raw``, as ``path: message`` strings."""
    with pytest.raises(EventValidationError) as info:
        parse_event(raw)
    return [str(p) for p in info.value.problems]


def paths(raw: Any) -> list[str]:
    with pytest.raises(EventValidationError) as info:
        parse_event(raw)
    return [p.path for p in info.value.problems]


# -- a valid run event ----------------------------------------------------------------------


def test_dbt_run_event_is_parsed_with_its_run_job_and_datasets() -> None:
    event = parse_event(b.dbt_run_event())

    assert isinstance(event, RunEvent)
    assert event.eventType == "COMPLETE"
    assert event.run.runId == b.RUN_ID
    assert (event.job.namespace, event.job.name) == ("dbt", "jaffle_shop.orders_enriched")
    assert [type(d) for d in event.inputs] == [InputDataset] * 3
    assert [type(d) for d in event.outputs] == [OutputDataset]
    assert event.inputs[0].name == "analytics.staging.stg_source_0"
    assert event.producer == b.DBT_PRODUCER
    assert event.schemaURL == b.RUN_EVENT_SCHEMA


def test_event_time_is_normalised_to_utc() -> None:
    event = parse_event(b.dbt_run_event())

    assert event.eventTime == datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert event.eventTime.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T12:00:00Z", datetime(2024, 5, 1, 12, tzinfo=UTC)),
        ("2024-05-01t12:00:00z", datetime(2024, 5, 1, 12, tzinfo=UTC)),
        ("2024-05-01T12:00:00-05:30", datetime(2024, 5, 1, 17, 30, tzinfo=UTC)),
        ("2024-05-01T12:00:00.5+00:00", datetime(2024, 5, 1, 12, 0, 0, 500000, tzinfo=UTC)),
        # Beyond microseconds the digits are cut, as the spec allows any precision.
        ("2024-05-01T12:00:00.123456789Z", datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)),
    ],
)
def test_rfc3339_event_times_are_accepted(text: str, expected: datetime) -> None:
    event = parse_event({**b.minimal_run_event(), "eventTime": text})

    assert event.eventTime == expected
    assert event.eventTime.tzinfo is UTC


def test_event_time_at_the_end_of_the_calendar_keeps_its_offset() -> None:
    # 9999-12-31T23:00-05:00 is in year 10000 in UTC, which datetime cannot hold.
    event = parse_event({**b.minimal_run_event(), "eventTime": "9999-12-31T23:00:00-05:00"})

    assert event.eventTime.utcoffset() == timedelta(hours=-5)


def test_naive_event_time_is_rejected_for_its_missing_offset() -> None:
    raw = {**b.minimal_run_event(), "eventTime": "2024-05-01T12:00:00.123456"}

    assert problems(raw) == [
        "eventTime: date-time has no UTC offset; expected e.g. 2024-05-01T12:00:00Z "
        "or 2024-05-01T14:00:00+02:00"
    ]


@pytest.mark.parametrize(
    "text",
    [
        "2024-05-01 12:00:00Z",  # RFC 3339 wants the T here
        "2024-05-01",
        "2024-05-01T12:00Z",
        "2024-05-01T12:00:00+0200",
        "01/05/2024 12:00",
        "",
    ],
)
def test_malformed_event_time_is_rejected(text: str) -> None:
    raw = {**b.minimal_run_event(), "eventTime": text}

    assert paths(raw) == ["eventTime"]
    assert "not an RFC 3339 date-time" in problems(raw)[0]


@pytest.mark.parametrize("text", ["2024-02-30T00:00:00Z", "0000-01-01T00:00:00Z"])
def test_impossible_dates_are_rejected(text: str) -> None:
    raw = {**b.minimal_run_event(), "eventTime": text}

    assert problems(raw) == ["eventTime: not a valid calendar date"]


def test_event_time_must_be_a_string() -> None:
    raw = {**b.minimal_run_event(), "eventTime": 1714557600}

    assert problems(raw) == ["eventTime: expected a string (an RFC 3339 date-time)"]


def test_missing_event_time_is_rejected_with_its_path() -> None:
    raw = b.minimal_run_event()
    del raw["eventTime"]

    assert problems(raw) == ["eventTime: missing"]


# -- run ids ---------------------------------------------------------------------------------


def test_missing_run_id_is_rejected_with_its_path() -> None:
    raw = b.minimal_run_event()
    del raw["run"]["runId"]

    assert problems(raw) == ["run.runId: missing"]


@pytest.mark.parametrize(
    "run_id",
    [
        "not-a-uuid",
        "0192f3a17c2e7d4b9a513e8f0c6d2b17",  # no dashes: the spec's format wants them
        "0192f3a1-7c2e-7d4b-9a51-3e8f0c6d2b1",
        "0192f3a1-7c2e-7d4b-9a51-3e8f0c6d2b1g",
    ],
)
def test_run_id_that_is_not_a_uuid_is_rejected(run_id: str) -> None:
    raw = b.minimal_run_event()
    raw["run"]["runId"] = run_id

    assert problems(raw) == ["run.runId: not a UUID"]


def test_run_id_must_be_a_string() -> None:
    raw = b.minimal_run_event()
    raw["run"]["runId"] = 42

    assert problems(raw) == ["run.runId: expected a string (a UUID)"]


@pytest.mark.parametrize(
    "run_id",
    [
        str(uuid.uuid1()),
        str(uuid.uuid3(uuid.NAMESPACE_URL, "dag_run")),
        str(uuid.uuid4()),
        "0192f3a1-7c2e-7d4b-9a51-3e8f0c6d2b17",  # v7, as openlineage-python generates
        "00000000-0000-0000-0000-000000000000",
    ],
)
def test_any_uuid_version_is_accepted(run_id: str) -> None:
    raw = b.minimal_run_event()
    raw["run"]["runId"] = run_id

    assert parse_event(raw).run.runId == run_id  # type: ignore[union-attr]


def test_run_id_is_normalised_to_canonical_lowercase() -> None:
    raw = b.minimal_run_event()
    raw["run"]["runId"] = "0192F3A1-7C2E-7D4B-9A51-3E8F0C6D2B17"

    assert parse_event(raw).run.runId == "0192f3a1-7c2e-7d4b-9a51-3e8f0c6d2b17"  # type: ignore[union-attr]


# -- event types -------------------------------------------------------------------------------


@pytest.mark.parametrize("event_type", ["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"])
def test_every_spec_event_type_is_accepted(event_type: str) -> None:
    event = parse_event({**b.minimal_run_event(), "eventType": event_type})

    assert isinstance(event, RunEvent)
    assert event.eventType == event_type


def test_event_type_may_be_left_out() -> None:
    event = parse_event(b.minimal_run_event())

    assert isinstance(event, RunEvent)
    assert event.eventType is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "start",
            "eventType: expected one of START, RUNNING, COMPLETE, ABORT, FAIL, OTHER (uppercase)",
        ),
        ("SUCCESS", "eventType: expected one of START, RUNNING, COMPLETE, ABORT, FAIL, OTHER"),
        (None, "eventType: expected one of START, RUNNING, COMPLETE, ABORT, FAIL, OTHER"),
        (1, "eventType: expected one of START, RUNNING, COMPLETE, ABORT, FAIL, OTHER"),
    ],
)
def test_event_type_outside_the_spec_is_rejected(value: Any, message: str) -> None:
    assert problems({**b.minimal_run_event(), "eventType": value}) == [message]


# -- all problems, with paths ---------------------------------------------------------------------


def test_every_problem_is_reported_not_just_the_first() -> None:
    raw = b.dbt_run_event()
    del raw["eventTime"]
    raw["run"]["runId"] = "run-1"
    del raw["inputs"][2]["name"]
    raw["outputs"][0]["facets"]["schema"]["fields"][3]["name"] = 3
    raw["producer"] = None

    assert problems(raw) == [
        "eventTime: missing",
        "producer: expected a string",
        "run.runId: not a UUID",
        "inputs[2].name: missing",
        "outputs[0].facets.schema.fields[3].name: expected a string",
    ]


def test_missing_producer_and_schema_url_are_both_reported() -> None:
    raw = b.minimal_run_event()
    del raw["producer"], raw["schemaURL"]

    assert problems(raw) == ["producer: missing", "schemaURL: missing"]


def test_inputs_must_be_a_list() -> None:
    raw = {**b.minimal_run_event(), "inputs": {"namespace": "a", "name": "b"}}

    assert problems(raw) == ["inputs: expected a list"]


def test_each_dataset_must_be_an_object_with_string_names() -> None:
    raw = {
        **b.minimal_run_event(),
        "outputs": [{"namespace": "ns", "name": 7}, "orders", {"name": "orders"}],
    }

    assert problems(raw) == [
        "outputs[0].name: expected a string",
        "outputs[1]: expected an object",
        "outputs[2].namespace: missing",
    ]


def test_job_and_run_must_be_objects() -> None:
    raw = {**b.minimal_run_event(), "run": "0192f3a1", "job": ["dbt", "job"]}

    assert problems(raw) == ["run: expected an object", "job: expected an object"]


def test_job_name_must_be_a_string() -> None:
    raw = b.minimal_run_event()
    raw["job"]["name"] = ["jaffle_shop", "orders"]

    assert problems(raw) == ["job.name: expected a string"]


def test_empty_names_are_accepted_because_the_spec_accepts_them() -> None:
    raw = b.minimal_run_event()
    raw["job"] = {"namespace": "", "name": ""}

    event = parse_event(raw)

    assert isinstance(event, RunEvent)
    assert event.job.name == ""


# -- kinds ------------------------------------------------------------------------------------------


def test_dataset_event_is_recognised_by_its_dataset() -> None:
    event = parse_event(b.dataset_event())

    assert isinstance(event, DatasetEvent)
    assert isinstance(event.dataset, StaticDataset)
    assert event.dataset.name == "analytics.marts.customers"


def test_job_event_is_recognised_by_a_job_without_a_run() -> None:
    event = parse_event(b.job_event())

    assert isinstance(event, JobEvent)
    assert event.job.name == "jaffle_shop.customers"
    assert [d.name for d in event.inputs] == ["analytics.staging.stg_customers"]
    assert [d.name for d in event.outputs] == ["analytics.marts.customers"]


def test_run_event_without_its_run_is_a_job_event_as_the_spec_says() -> None:
    raw = b.minimal_run_event()
    del raw["run"]

    assert isinstance(parse_event(raw), JobEvent)


def test_run_without_a_job_is_checked_as_a_run_event() -> None:
    raw = b.minimal_run_event()
    del raw["job"]

    assert problems(raw) == ["job: missing"]


def test_document_that_is_no_kind_of_event_is_rejected_at_the_root() -> None:
    raw = {"eventTime": "2024-05-01T12:00:00Z", "producer": b.DBT_PRODUCER}

    assert problems(raw) == [
        "$: not an OpenLineage event: expected `run` and `job` (a RunEvent), "
        "`dataset` (a DatasetEvent) or `job` (a JobEvent)",
        "schemaURL: missing",
    ]


@pytest.mark.parametrize("raw", [[], "event", None, 42, b"{}"])
def test_anything_but_an_object_is_rejected_at_the_root(raw: Any) -> None:
    assert problems(raw) == ["$: expected a JSON object (an OpenLineage event)"]


def test_dataset_with_a_valid_job_and_no_run_is_ambiguous() -> None:
    # The spec's oneOf matches both DatasetEvent and JobEvent, so it rejects the event.
    raw = {**b.dataset_event(), "job": {"namespace": "dbt", "name": "customers"}}

    assert paths(raw) == ["$"]
    assert "ambiguous event" in problems(raw)[0]


def test_dataset_with_a_job_wrong_only_inside_a_standard_facet_is_still_ambiguous() -> None:
    # The event schema's oneOf does not look inside standard facets: both readings match.
    job = {"namespace": "dbt", "name": "x", "facets": {"sql": b.facet("SQLJobFacet")}}
    raw = {**b.dataset_event(), "job": job}

    found = problems(raw)

    assert found[0].startswith("$: ambiguous event")
    assert found[1:] == ["job.facets.sql.query: missing"]


def test_dataset_with_an_invalid_job_is_a_dataset_event() -> None:
    # Only the DatasetEvent reading validates, which is what the spec's oneOf asks for.
    raw = {**b.dataset_event(), "job": {"namespace": "dbt"}}

    event = parse_event(raw)

    assert isinstance(event, DatasetEvent)
    assert event.model_extra == {"job": {"namespace": "dbt"}}


def test_dataset_and_job_both_invalid_report_both_readings_once() -> None:
    raw = {**b.dataset_event(), "job": {"namespace": "dbt"}}
    del raw["dataset"]["name"], raw["producer"]

    assert problems(raw) == ["producer: missing", "dataset.name: missing", "job.name: missing"]


def test_dataset_with_a_run_but_no_job_is_a_dataset_event() -> None:
    raw = {**b.dataset_event(), "run": {"runId": b.RUN_ID}}

    assert isinstance(parse_event(raw), DatasetEvent)


# -- what is kept ------------------------------------------------------------------------------------


def test_unknown_properties_are_kept_everywhere() -> None:
    raw = b.minimal_run_event()
    raw["x-tenant"] = "acme"
    raw["run"]["attempt"] = 2
    raw["job"]["owner"] = {"team": "data"}
    raw["inputs"] = [{"namespace": "ns", "name": "in", "partition": "2024-05-01"}]

    event = parse_event(raw)

    assert isinstance(event, RunEvent)
    assert event.model_extra == {"x-tenant": "acme"}
    assert event.run.model_extra == {"attempt": 2}
    assert event.job.model_extra == {"owner": {"team": "data"}}
    assert event.inputs[0].model_extra == {"partition": "2024-05-01"}


def test_parsing_leaves_the_input_untouched() -> None:
    raw = b.dbt_run_event()
    before = copy.deepcopy(raw)

    parse_event(raw)

    assert raw == before


def test_events_are_immutable() -> None:
    event = parse_event(b.dbt_run_event())

    with pytest.raises(ValidationError):
        event.eventType = "FAIL"  # type: ignore[misc]


def test_json_dump_of_an_event_parses_back_to_the_same_event() -> None:
    event = parse_event(b.dbt_run_event())

    again = parse_event(orjson.loads(event.model_dump_json()))

    assert again == event


def test_models_can_be_built_directly_in_python() -> None:
    event = RunEvent(
        eventType="START",
        eventTime=datetime(2024, 5, 1, 14, tzinfo=timezone(timedelta(hours=2))),
        run=Run(runId=uuid.UUID(b.RUN_ID)),
        job=Job(namespace="dbt", name="orders"),
        producer=b.DBT_PRODUCER,
        schemaURL=b.RUN_EVENT_SCHEMA,
    )

    assert event.eventTime == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert event.run.runId == b.RUN_ID
    assert event.inputs == [] and event.run.facets == {}


# -- batches -----------------------------------------------------------------------------------------


def test_parse_events_returns_one_result_per_item_in_order() -> None:
    bad = b.minimal_run_event()
    del bad["run"]["runId"]

    results = parse_events([b.dbt_run_event(), bad, b.dataset_event(), "nope"])

    assert isinstance(results[0], RunEvent)
    assert isinstance(results[1], EventValidationError)
    assert [str(p) for p in results[1].problems] == ["run.runId: missing"]
    assert isinstance(results[2], DatasetEvent)
    assert isinstance(results[3], EventValidationError)


def test_parse_events_accepts_any_iterable() -> None:
    results = parse_events(b.minimal_run_event() for _ in range(3))

    assert len(results) == 3
    assert all(isinstance(r, RunEvent) for r in results)


# -- the error ---------------------------------------------------------------------------------------


def test_problem_reads_as_path_colon_message() -> None:
    assert str(Problem("run.runId", "not a UUID")) == "run.runId: not a UUID"


def test_validation_error_summarises_every_problem() -> None:
    error = EventValidationError([Problem("eventTime", "missing"), Problem("$", "bad")])

    assert str(error) == "invalid OpenLineage event (2 problems): eventTime: missing; $: bad"


def test_validation_error_survives_pickling() -> None:
    error = EventValidationError([Problem("run.runId", "not a UUID")])

    again = pickle.loads(pickle.dumps(error))

    assert again.problems == error.problems
    assert str(again) == str(error)


def test_validation_error_needs_a_problem() -> None:
    with pytest.raises(ValueError):
        EventValidationError([])
