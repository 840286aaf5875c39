"""Conformance with the official OpenLineage 2-0-2 schemas (read from ../shared/openlineage-spec).

The schemas are the oracle: whatever the parser accepts or rejects, ``jsonschema`` (draft
2020-12, with its format checker) is asked about the same document and must agree. The
agreement is checked on the spec's own facet test vectors, on documents generated from the
schemas with hypothesis-jsonschema, on hand-picked edge cases, and on random mutations of
realistic events.
"""

from __future__ import annotations

import copy
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from pydantic import BaseModel

from lineage.events import (
    DatasetEvent,
    EventValidationError,
    JobEvent,
    LineageEvent,
    RunEvent,
    facets,
    get_facet,
    parse_event,
)
from tests.events import builders as b
from tests.events._spec import (
    GENERATION_FORMATS,
    JSON_VALUES,
    MISSING_SPEC,
    RFC3339,
    SPEC_DIR,
    SPECIAL_STRINGS,
    STANDARD_FACETS,
    UUIDS,
    Spec,
    spots,
)
from tests.events.test_parse_paths import assert_both_ways_agree

if not SPEC_DIR.is_dir():
    pytest.skip(MISSING_SPEC, allow_module_level=True)

SPEC = Spec(SPEC_DIR)

REGISTRIES: dict[str, Any] = {
    "dataset": facets.DATASET_FACETS,
    "input": facets.INPUT_FACETS,
    "output": facets.OUTPUT_FACETS,
    "job": facets.JOB_FACETS,
    "run": facets.RUN_FACETS,
}

# LINEAGE_CONFORMANCE_SCALE=10 multiplies the generated examples, for a deeper run.
SCALE = max(1, int(os.environ.get("LINEAGE_CONFORMANCE_SCALE", "1")))

GENERATION = settings(
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)


def verdict(doc: Any) -> tuple[bool, list[str]]:
    """Whether parse_event accepts ``doc``, and its problems when it does not."""
    assert_both_ways_agree(doc)
    try:
        parse_event(doc)
    except EventValidationError as exc:
        return False, [str(p) for p in exc.problems]
    return True, []


def assert_agrees_with_the_spec(doc: Any) -> bool:
    accepted, problems = verdict(doc)
    official = SPEC.accepts(doc)
    assert accepted == official, (
        f"parse_event {'accepts' if accepted else 'rejects'} what the official schema "
        f"{'accepts' if official else 'rejects'}\nours: {problems}\nofficial: "
        f"{SPEC.rejection(doc)}\ndocument: {json.dumps(doc)[:3000]}"
    )
    return accepted


def facet_map_of(event: LineageEvent, place: str) -> dict[str, dict[str, Any]]:
    assert isinstance(event, RunEvent)
    return {
        "dataset": event.outputs[0].facets,
        "input": event.inputs[0].inputFacets,
        "output": event.outputs[0].outputFacets,
        "job": event.job.facets,
        "run": event.run.facets,
    }[place]


# -- the registries follow the spec ----------------------------------------------------------------


def test_standard_facets_are_checked_exactly_where_the_spec_puts_them() -> None:
    assert {place: set(r) for place, r in REGISTRIES.items()} == {
        place: set(names) for place, names in STANDARD_FACETS.items()
    }
    for place, names in STANDARD_FACETS.items():
        for name, (stem, definition) in names.items():
            schema = SPEC.facet_schemas[stem]
            assert definition in schema["$defs"]
            assert name in schema["properties"], (
                f"{stem} names its facet {list(schema['properties'])}"
            )
            assert place in SPEC.base_location(stem) or (place, name) == (
                "dataset",
                "dataQualityAssertions",  # an input facet that dbt-ol also sends per dataset
            )


# -- the spec's own test vectors ---------------------------------------------------------------------

VECTORS = sorted((SPEC_DIR / "tests").glob("*/*.json"))


@pytest.mark.parametrize("path", VECTORS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_facet_test_vector_parses_in_its_place(path: Path) -> None:
    places = SPEC.base_location(path.parent.name)
    assert places, f"no place found for {path.parent.name}"
    vector = json.loads(path.read_text())

    for name, body in vector.items():
        for place in sorted(places):
            doc = b.with_facet(b.minimal_run_event(), place, name, body)

            assert assert_agrees_with_the_spec(doc)
            model = REGISTRIES[place].get(name)
            if model is not None:
                typed = get_facet(facet_map_of(parse_event(doc), place), name, model)
                assert isinstance(typed, model)


def test_the_full_example_event_parses() -> None:
    raw = json.loads((SPEC_DIR / "tests" / "example_full_event.json").read_text())

    assert assert_agrees_with_the_spec(raw)
    event = parse_event(raw)
    assert isinstance(event, RunEvent)
    assert event.eventType == "COMPLETE"
    # Its stray `dataset` is not part of a RunEvent; it is kept as an unknown property.
    assert event.model_extra == {"dataset": {"namespace": "123", "name": "1"}}
    sql = get_facet(event.job.facets, "sql", facets.SQLJobFacet)
    assert sql is not None and sql.query == "SELECT 1"


def test_real_dbt_ol_events_are_valid_for_the_spec_too() -> None:
    lines = (Path(__file__).parent / "data" / "dbt_ol_jaffle_shop_build.jsonl").read_text()
    for line in lines.splitlines():
        assert assert_agrees_with_the_spec(json.loads(line))


# -- documents generated from the schemas ---------------------------------------------------------------

EVENT_STRATEGIES = {
    kind: from_schema(SPEC.event_generation_schema(kind), custom_formats=GENERATION_FORMATS)
    for kind in ("RunEvent", "DatasetEvent", "JobEvent")
}
EVENT_CLASSES = {"RunEvent": RunEvent, "DatasetEvent": DatasetEvent, "JobEvent": JobEvent}


@pytest.mark.parametrize("kind", ["RunEvent", "DatasetEvent", "JobEvent"])
@settings(GENERATION, max_examples=80 * SCALE)
@given(data=st.data())
def test_events_generated_from_the_official_schema_are_accepted(
    kind: str, data: st.DataObject
) -> None:
    doc = data.draw(EVENT_STRATEGIES[kind], label="event")
    # A document generated from one branch can still fail the spec's oneOf (say, a
    # DatasetEvent that happens to carry a valid `job`): such documents are not events.
    assume(SPEC.event_validator.is_valid(doc))

    assert assert_agrees_with_the_spec(doc)
    assert type(parse_event(doc)) is EVENT_CLASSES[SPEC.kind(doc) or ""]


FACET_CASES = [
    pytest.param(place, name, stem, definition, id=f"{place}-{name}")
    for place, names in STANDARD_FACETS.items()
    for name, (stem, definition) in names.items()
]


@cache
def facet_strategy(stem: str, definition: str) -> st.SearchStrategy[Any]:
    return from_schema(SPEC.generation_schema(stem, definition), custom_formats=GENERATION_FORMATS)


@pytest.mark.parametrize(("place", "name", "stem", "definition"), FACET_CASES)
@settings(GENERATION, max_examples=20 * SCALE)
@given(data=st.data())
def test_standard_facets_generated_from_their_schema_are_accepted_and_typed(
    place: str, name: str, stem: str, definition: str, data: st.DataObject
) -> None:
    body = data.draw(facet_strategy(stem, definition), label="facet")
    doc = b.with_facet(b.minimal_run_event(), place, name, body)

    assert assert_agrees_with_the_spec(doc)
    model: type[BaseModel] = REGISTRIES[place][name]
    typed = get_facet(facet_map_of(parse_event(doc), place), name, model)
    if body.get("_deleted") is True:
        assert typed is None
    else:
        assert isinstance(typed, model)


# -- what the spec rejects is rejected, where it goes wrong ---------------------------------------------


def edit(event: dict[str, Any], path: str, value: Any = ...) -> dict[str, Any]:
    """A copy of ``event`` with ``path`` (dots and [i]) set to ``value``, or deleted."""
    doc = copy.deepcopy(event)
    keys: list[str | int] = []
    for part in path.replace("[", ".[").split("."):
        keys.append(int(part[1:-1]) if part.startswith("[") else part)
    target: Any = doc
    for key in keys[:-1]:
        target = target[key]
    if value is ...:
        del target[keys[-1]]
    else:
        target[keys[-1]] = value
    return doc


DBT = b.dbt_run_event()
AIRFLOW = b.airflow_task_event()

REJECTED = [
    ("missing runId", edit(DBT, "run.runId"), "run.runId"),
    ("runId not a UUID", edit(DBT, "run.runId", "run-42"), "run.runId"),
    ("runId without dashes", edit(DBT, "run.runId", b.RUN_ID.replace("-", "")), "run.runId"),
    ("missing eventTime", edit(DBT, "eventTime"), "eventTime"),
    ("eventTime in words", edit(DBT, "eventTime", "yesterday"), "eventTime"),
    ("eventTime without offset", edit(DBT, "eventTime", "2024-05-01T12:00:00"), "eventTime"),
    ("eventTime on Feb 30", edit(DBT, "eventTime", "2024-02-30T12:00:00Z"), "eventTime"),
    ("eventTime as epoch", edit(DBT, "eventTime", 1714557600), "eventTime"),
    ("lowercase eventType", edit(DBT, "eventType", "complete"), "eventType"),
    ("null eventType", edit(DBT, "eventType", None), "eventType"),
    ("inputs not a list", edit(DBT, "inputs", {"namespace": "a", "name": "b"}), "inputs"),
    ("input name not a string", edit(DBT, "inputs[2].name", 12), "inputs[2].name"),
    ("missing input name", edit(DBT, "inputs[2].name"), "inputs[2].name"),
    ("job name not a string", edit(DBT, "job.name", None), "job.name"),
    ("missing job namespace", edit(DBT, "job.namespace"), "job.namespace"),
    ("missing producer", edit(DBT, "producer"), "producer"),
    ("missing schemaURL", edit(DBT, "schemaURL"), "schemaURL"),
    ("run not an object", edit(DBT, "run", b.RUN_ID), "run"),
    ("run facets not an object", edit(DBT, "run.facets", []), "run.facets"),
    ("facet not an object", edit(DBT, "run.facets.dbt_version", "1.8.2"), "run.facets.dbt_version"),
    (
        "custom facet without _producer",
        edit(DBT, "run.facets.dbt_version._producer"),
        "run.facets.dbt_version._producer",
    ),
    (
        "standard facet without _schemaURL",
        edit(DBT, "job.facets.sql._schemaURL"),
        "job.facets.sql._schemaURL",
    ),
    (
        "_deleted not a boolean",
        edit(DBT, "job.facets.sql._deleted", "true"),
        "job.facets.sql._deleted",
    ),
    (
        "schema field name not a string",
        edit(DBT, "outputs[0].facets.schema.fields[3].name", 3),
        "outputs[0].facets.schema.fields[3].name",
    ),
    (
        "schema fields not a list",
        edit(DBT, "inputs[0].facets.schema.fields", {"col_00": "VARCHAR"}),
        "inputs[0].facets.schema.fields",
    ),
    (
        "column lineage without fields",
        edit(DBT, "outputs[0].facets.columnLineage.fields"),
        "outputs[0].facets.columnLineage.fields",
    ),
    (
        "transformation without type",
        edit(
            DBT,
            "outputs[0].facets.columnLineage.fields.col_01.inputFields[0].transformations[0].type",
        ),
        "outputs[0].facets.columnLineage.fields.col_01.inputFields[0].transformations[0].type",
    ),
    (
        "masking not a boolean",
        edit(DBT, "outputs[0].facets.columnLineage.dataset[0].transformations[0].masking", "no"),
        "outputs[0].facets.columnLineage.dataset[0].transformations[0].masking",
    ),
    (
        "row count not an integer",
        edit(DBT, "outputs[0].outputFacets.outputStatistics.rowCount", 31.5),
        "outputs[0].outputFacets.outputStatistics.rowCount",
    ),
    (
        "assertion without success",
        edit(DBT, "inputs[1].inputFacets.dataQualityAssertions.assertions[0].success"),
        "inputs[1].inputFacets.dataQualityAssertions.assertions[0].success",
    ),
    (
        "parent runId not a UUID",
        edit(DBT, "run.facets.parent.run.runId", "dag-run-1"),
        "run.facets.parent.run.runId",
    ),
    ("parent without job", edit(DBT, "run.facets.parent.job"), "run.facets.parent.job"),
    (
        "jobType without integration",
        edit(DBT, "job.facets.jobType.integration"),
        "job.facets.jobType.integration",
    ),
    (
        "nominal time without offset",
        edit(AIRFLOW, "run.facets.nominalTime.nominalStartTime", "2024-05-01T00:00:00"),
        "run.facets.nominalTime.nominalStartTime",
    ),
    (
        "owner without name",
        edit(AIRFLOW, "job.facets.ownership.owners[0].name"),
        "job.facets.ownership.owners[0].name",
    ),
    (
        "dataset and valid job without run",
        {**b.dataset_event(), "job": {"namespace": "dbt", "name": "x"}},
        "$",
    ),
    ("no event kind", {k: v for k, v in DBT.items() if k not in ("run", "job")}, "$"),
    ("not an object", [DBT], "$"),
]


@pytest.mark.parametrize(("case", "doc", "path"), REJECTED, ids=[c[0] for c in REJECTED])
def test_what_the_spec_rejects_is_rejected_with_its_path(case: str, doc: Any, path: str) -> None:
    assert not SPEC.accepts(doc), f"the official schema accepts the '{case}' document"
    assert_both_ways_agree(doc)

    with pytest.raises(EventValidationError) as info:
        parse_event(doc)

    assert path in [p.path for p in info.value.problems]


ACCEPTED = [
    ("empty names", edit(edit(DBT, "job.name", ""), "inputs[0].namespace", "")),
    ("uppercase runId", edit(DBT, "run.runId", b.RUN_ID.upper())),
    ("lowercase t and z", edit(DBT, "eventTime", "2024-05-01t12:00:00.5z")),
    ("negative zero offset", edit(DBT, "eventTime", "2024-05-01T12:00:00-00:00")),
    ("nanoseconds", edit(DBT, "eventTime", "2024-05-01T12:00:00.123456789Z")),
    ("no eventType", edit(DBT, "eventType")),
    (
        "integral float count",
        edit(DBT, "outputs[0].outputFacets.outputStatistics.rowCount", 3120.0),
    ),
    ("producer that is no URL", edit(DBT, "producer", "my-pipeline")),
    ("unknown properties", edit(edit(DBT, "x-tenant", {"id": 1}), "run.attempt", 2)),
    ("_deleted string on a run facet", edit(DBT, "run.facets.dbt_version._deleted", "no")),
    (
        "deleted facet without content",
        edit(DBT, "job.facets.sql", {"_producer": "p", "_schemaURL": "s", "_deleted": True}),
    ),
    ("dataset event with a stray run", {**b.dataset_event(), "run": {"runId": "not checked"}}),
    ("dataset event with an invalid job", {**b.dataset_event(), "job": {"name": "x"}}),
    ("run event without run is a job event", edit(DBT, "run")),
]


@pytest.mark.parametrize(("case", "doc"), ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_what_the_spec_accepts_is_accepted(case: str, doc: Any) -> None:
    assert SPEC.accepts(doc), SPEC.rejection(doc)

    assert assert_both_ways_agree(doc) == "accepted"


# -- random mutations of realistic events -----------------------------------------------------------


FACET_NAMES = st.sampled_from(
    sorted({name for names in STANDARD_FACETS.values() for name in names} | {"dbt_node", "x"})
)
MUTATION_VALUES = JSON_VALUES | SPECIAL_STRINGS | RFC3339 | UUIDS | st.just(True)

BASES = [
    b.dbt_run_event(width=4),
    b.airflow_task_event(),
    b.dataset_event(),
    b.job_event(),
    json.loads((SPEC_DIR / "tests" / "example_full_event.json").read_text()),
]


@settings(GENERATION, max_examples=300 * SCALE)
@given(data=st.data())
def test_mutated_events_are_judged_as_the_official_schema_judges_them(data: st.DataObject) -> None:
    doc = copy.deepcopy(data.draw(st.sampled_from(BASES), label="base"))
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        where = data.draw(st.sampled_from(list(spots(doc))), label="where")
        parent: Any = doc
        for key in where[:-1]:
            parent = parent[key]
        key = where[-1]
        action = data.draw(st.sampled_from(["delete", "replace", "rename"]), label="action")
        if action == "delete":
            del parent[key]
        elif action == "replace":
            parent[key] = data.draw(MUTATION_VALUES, label="value")
        elif isinstance(key, str):
            parent[data.draw(FACET_NAMES, label="new name")] = parent.pop(key)

    event("accepted" if assert_agrees_with_the_spec(doc) else "rejected")
