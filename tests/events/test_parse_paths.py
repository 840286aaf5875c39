"""parse_event validates an event before testing how deep it nests, and falls back to
testing first (``validated``) whenever it cannot vouch for the result: both ways give the
same event, or the same problems, for every event.

Compared: every captured real-producer event, hand-shaped edge cases and random mutations
of real events; ``test_conformance.py`` compares the spec's cases too. Each event is parsed
with the cache of validated facets empty and again with it filled, since a facet map found
in the cache is not validated again.
"""

from __future__ import annotations

import copy
import json
import math
from collections import OrderedDict
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from lineage.events import MAX_NESTING, EventValidationError, FacetMap, parse_event
from lineage.events._facet_map import SHARED_FACETS
from lineage.events.parse import validated
from tests.events import builders as b
from tests.events._spec import JSON_VALUES, RFC3339, SPECIAL_STRINGS, UUIDS, spots

DATA = Path(__file__).parent / "data"


def captured_events() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(DATA.rglob("*.jsonl")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if line.strip():
                found.append((f"{path.relative_to(DATA)}:{number}", json.loads(line)))
    return found


CAPTURED = captured_events()


def shape(value: Any) -> Any:
    """Everything observable about a parsed value: types, fields set, unknown
    properties, the typed facets a facet map holds, time zones, -0.0 from 0.0, ..."""
    if isinstance(value, BaseModel):
        return (
            type(value).__name__,
            sorted(value.model_fields_set),
            {name: shape(getattr(value, name)) for name in type(value).model_fields},
            shape(value.model_extra),
        )
    if isinstance(value, FacetMap):
        typed = value._typed or {}
        return (
            "FacetMap",
            shape(dict(value)),
            {(name, model.__name__): shape(facet) for (name, model), facet in typed.items()},
        )
    if isinstance(value, dict):
        return (type(value).__name__, [(shape(k), shape(v)) for k, v in value.items()])
    if isinstance(value, list | tuple):
        return (type(value).__name__, [shape(item) for item in value])
    if isinstance(value, datetime):
        return ("datetime", value.isoformat(), repr(value.tzinfo))
    if isinstance(value, float):
        return ("float", repr(value), math.copysign(1, value))
    return (type(value).__name__, value)


def outcome(parse: Any, raw: Any) -> Any:
    try:
        return ("accepted", shape(parse(raw)))
    except EventValidationError as exc:
        return ("rejected", type(exc).__name__, [(p.path, p.message) for p in exc.problems])


def assert_both_ways_agree(raw: Any) -> str:
    """Parse ``raw`` both ways, with the facet cache empty and then full; return whether
    it was accepted."""
    before = _text(raw)
    SHARED_FACETS.clear()
    plain = outcome(validated, raw)
    SHARED_FACETS.clear()
    fast = outcome(parse_event, raw)
    fast_again = outcome(parse_event, raw)
    plain_again = outcome(validated, raw)
    assert fast == plain, f"parse_event: {fast}\nvalidated: {plain}"
    assert fast_again == plain
    assert plain_again == plain
    assert _text(raw) == before, "the event was modified"
    return str(plain[0])


def _text(raw: Any) -> str | None:
    try:
        return json.dumps(raw, default=repr, sort_keys=True)
    except (RecursionError, TypeError):
        return None  # too deep (or keys of mixed types) to compare


@pytest.mark.parametrize(("where", "raw"), CAPTURED, ids=[w for w, _ in CAPTURED])
def test_real_producer_events_parse_the_same_both_ways(where: str, raw: dict[str, Any]) -> None:
    assert assert_both_ways_agree(raw) == "accepted"


# -- hand-shaped edge cases ------------------------------------------------------------------------


def nested(levels: int, leaf: Any = 1) -> Any:
    """``leaf`` inside ``levels`` objects and arrays, alternately."""
    value = leaf
    for level in range(levels):
        value = [value] if level % 2 else {"k": value}
    return value


def edited(raw: dict[str, Any], path: tuple[str | int, ...], value: Any = ...) -> dict[str, Any]:
    """A copy of ``raw`` with ``path`` set to ``value`` (a facet made where missing), or
    deleted."""
    doc = copy.deepcopy(raw)
    target: Any = doc
    for key in path[:-1]:
        target = target.setdefault(key, dict(FACET)) if isinstance(target, dict) else target[key]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


FACET = {"_producer": "p", "_schemaURL": "s"}
RUN = b.dbt_run_event(width=4)
DATASET = b.dataset_event()
JOB = b.job_event()

EDGE_CASES: list[tuple[str, Any]] = [
    ("minimal run event", b.minimal_run_event()),
    ("dataset event", DATASET),
    ("job event", JOB),
    ("no eventType", edited(RUN, ("eventType",))),
    ("null eventType", edited(RUN, ("eventType",), None)),
    ("lowercase eventType", edited(RUN, ("eventType",), "complete")),
    ("no inputs", edited(RUN, ("inputs",))),
    ("null inputs", edited(RUN, ("inputs",), None)),
    ("inputs a tuple", edited(RUN, ("inputs",), tuple(RUN["inputs"]))),
    ("no run facets", edited(RUN, ("run", "facets"))),
    ("null run facets", edited(RUN, ("run", "facets"), None)),
    ("empty job facets", edited(RUN, ("job", "facets"), {})),
    ("null job name", edited(RUN, ("job", "name"), None)),
    ("null producer", edited(RUN, ("producer",), None)),
    ("no schemaURL", edited(RUN, ("schemaURL",))),
    ("runId uppercase", edited(RUN, ("run", "runId"), b.RUN_ID.upper())),
    ("runId without dashes", edited(RUN, ("run", "runId"), b.RUN_ID.replace("-", ""))),
    ("runId braces", edited(RUN, ("run", "runId"), "{" + b.RUN_ID + "}")),
    ("runId a number", edited(RUN, ("run", "runId"), 42)),
    ("naive eventTime", edited(RUN, ("eventTime",), "2024-05-01T12:00:00")),
    ("space in eventTime", edited(RUN, ("eventTime",), "2024-05-01 12:00:00Z")),
    ("lowercase eventTime", edited(RUN, ("eventTime",), "2024-05-01t12:00:00.5z")),
    ("eventTime with newline", edited(RUN, ("eventTime",), "2024-05-01T12:00:00Z\n")),
    ("eventTime +14:00", edited(RUN, ("eventTime",), "2024-05-01T12:00:00+14:00")),
    ("eventTime -00:00", edited(RUN, ("eventTime",), "2024-05-01T12:00:00-00:00")),
    ("eventTime nanoseconds", edited(RUN, ("eventTime",), "2024-05-01T12:00:00.123456789Z")),
    ("eventTime leap second", edited(RUN, ("eventTime",), "2016-12-31T23:59:60Z")),
    ("eventTime Feb 30", edited(RUN, ("eventTime",), "2024-02-30T12:00:00Z")),
    ("eventTime year 1", edited(RUN, ("eventTime",), "0001-01-01T00:30:00+01:00")),
    ("eventTime year 9999", edited(RUN, ("eventTime",), "9999-12-31T23:30:00-01:00")),
    ("eventTime epoch", edited(RUN, ("eventTime",), 1714557600)),
    ("eventTime a datetime", edited(RUN, ("eventTime",), datetime(2024, 5, 1, 12))),
    (
        "unicode names",
        edited(edited(RUN, ("job", "name"), "ジョブ 🚀"), ("inputs", 0, "name"), "é"),
    ),
    ("lone surrogate in a name", edited(RUN, ("job", "name"), "a\ud800b")),
    ("lone surrogate in a facet", edited(RUN, ("run", "facets", "x"), {**FACET, "v": "\udfff"})),
    ("NUL in a name", edited(RUN, ("job", "namespace"), "a\x00b")),
    ("huge integer in a facet", edited(RUN, ("run", "facets", "x"), {**FACET, "n": 2**70})),
    (
        "huge row count",
        edited(RUN, ("outputs", 0, "outputFacets", "outputStatistics", "rowCount"), 2**70),
    ),
    ("huge integer unknown", edited(RUN, ("x-size",), 10**30)),
    ("nan in a facet", edited(RUN, ("run", "facets", "x"), {**FACET, "v": math.nan})),
    ("infinity in a facet", edited(RUN, ("run", "facets", "x"), {**FACET, "v": math.inf})),
    ("null in a facet", edited(RUN, ("run", "facets", "x"), {**FACET, "v": None})),
    ("-0.0 in a facet", edited(RUN, ("run", "facets", "x"), {**FACET, "v": -0.0})),
    (
        "bool for an int",
        edited(RUN, ("outputs", 0, "outputFacets", "outputStatistics", "rowCount"), True),
    ),
    ("facet a string", edited(RUN, ("run", "facets", "x"), "facet")),
    ("facet a list", edited(RUN, ("job", "facets", "sql"), [FACET])),
    ("facet null", edited(RUN, ("job", "facets", "sql"), None)),
    ("facets a list", edited(RUN, ("inputs", 0, "facets"), [])),
    ("facet map an OrderedDict", edited(RUN, ("run", "facets"), OrderedDict(RUN["run"]["facets"]))),
    ("run an OrderedDict", edited(RUN, ("run",), OrderedDict(RUN["run"]))),
    ("event an OrderedDict", OrderedDict(RUN)),
    ("deleted standard facet", edited(RUN, ("job", "facets", "sql"), {**FACET, "_deleted": True})),
    ("_deleted a string", edited(RUN, ("job", "facets", "sql", "_deleted"), "yes")),
    ("unknown event property", edited(RUN, ("x-tenant",), {"id": [1, 2, {"a": None}]})),
    ("unknown run property", edited(RUN, ("run", "attempt"), 2)),
    ("unknown job property", edited(RUN, ("job", "owner"), ["a", "b"])),
    ("unknown dataset property", edited(RUN, ("inputs", 1, "x"), {"y": 1})),
    ("unknown property _private", edited(RUN, ("_private",), 1)),
    ("unknown property model_config", edited(RUN, ("model_config",), 1)),
    ("unknown property with a non-string key", edited(RUN, (7,), "seven")),
    ("non-string facet name", edited(RUN, ("run", "facets", 7), FACET)),
    ("dataset event with a stray run", {**DATASET, "run": {"runId": "not checked"}}),
    ("dataset and job without run", {**DATASET, "job": {"namespace": "n", "name": "j"}}),
    ("run without job", edited(RUN, ("job",))),
    ("run event without run", edited(RUN, ("run",))),
    ("no kind", {k: v for k, v in RUN.items() if k not in ("run", "job")}),
    ("empty object", {}),
]

# How deep an event may nest, at the limit and past it, in each place a value may nest.
for depth, place in [
    (1, ("x-deep",)),
    (2, ("run", "x-deep")),
    (3, ("inputs", 0, "x-deep")),
    (4, ("run", "facets", "x", "v")),
    (5, ("inputs", 1, "facets", "x", "v")),
    (5, ("outputs", 0, "outputFacets", "x", "v")),
]:
    for total in (MAX_NESTING - 2, MAX_NESTING - 1, MAX_NESTING, MAX_NESTING + 1, 300, 5000):
        EDGE_CASES.append(
            (f"{'.'.join(map(str, place))} {total} deep", edited(RUN, place, nested(total - depth)))
        )
for total in (MAX_NESTING - 1, MAX_NESTING, MAX_NESTING + 1):
    for place in [("dataset", "facets", "x", "v"), ("dataset", "x-deep")]:
        depth = len(place)
        EDGE_CASES.append(
            (f"{'.'.join(place)} {total} deep", edited(DATASET, place, nested(total - depth)))
        )


@pytest.mark.parametrize(("case", "raw"), EDGE_CASES, ids=[c for c, _ in EDGE_CASES])
def test_edge_cases_parse_the_same_both_ways(case: str, raw: Any) -> None:
    assert_both_ways_agree(raw)


@pytest.mark.parametrize("raw", [[RUN], "event", None, 3])
def test_both_ways_reject_what_is_not_an_object(raw: Any) -> None:
    assert outcome(parse_event, raw) == outcome(validated, raw)
    with pytest.raises(EventValidationError) as info:
        parse_event(raw)
    assert [str(p) for p in info.value.problems] == [
        "$: expected a JSON object (an OpenLineage event)"
    ]


# -- random mutations of real events ---------------------------------------------------------------


# Bases: one event of each captured file, and the builders' events.
BASES = [
    *{where.split(":")[0]: raw for where, raw in CAPTURED}.values(),
    RUN,
    DATASET,
    JOB,
    b.airflow_task_event(),
]
ODD_VALUES = st.sampled_from(
    [
        None,
        2**70,
        -(2**64),
        math.nan,
        math.inf,
        -0.0,
        1e308,
        "\ud800",
        "ü🚀",
        [],
        {},
        FACET,
        {**FACET, "_deleted": True},
        nested(MAX_NESTING),
        nested(MAX_NESTING - 5),
    ]
)
# Copies: a mutation may land inside a value placed by an earlier one.
VALUES = (JSON_VALUES | RFC3339 | UUIDS | SPECIAL_STRINGS | ODD_VALUES).map(copy.deepcopy)
NAMES = st.sampled_from(
    ["schema", "columnLineage", "sql", "parent", "x", "facets", "inputs", "run", "job", "name"]
)


@settings(
    deadline=None,
    max_examples=400,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_mutated_real_events_parse_the_same_both_ways(data: st.DataObject) -> None:
    doc = copy.deepcopy(data.draw(st.sampled_from(BASES), label="base"))
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        places = list(spots(doc))
        if not places:
            break
        where = data.draw(st.sampled_from(places), label="where")
        parent: Any = doc
        for key in where[:-1]:
            parent = parent[key]
        key = where[-1]
        action = data.draw(st.sampled_from(["delete", "replace", "rename", "add"]), label="do")
        if action == "delete":
            del parent[key]
        elif action == "replace":
            parent[key] = data.draw(VALUES, label="value")
        elif action == "rename" and isinstance(key, str):
            parent[data.draw(NAMES, label="new name")] = parent.pop(key)
        elif isinstance(parent, dict):
            parent[data.draw(NAMES, label="new key")] = data.draw(VALUES, label="value")

    assert_both_ways_agree(doc)
