"""The limits on counts and names give the same verdict whether the event's JSON is at
hand or not: with its bytes they are first tested on them, in C, and the decoded event is
walked only when that test cannot clear it."""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import orjson
import pytest

from lineage.events.limits import EventLimits, EventTooLarge, check_shape

DATA = Path(__file__).parent / "data"

LIMITS = [
    EventLimits(),
    EventLimits(max_name_bytes=1),
    EventLimits(max_name_bytes=16),
    EventLimits(max_name_bytes=40),
    EventLimits(max_name_bytes=64, max_schema_fields=3),
    EventLimits(max_schema_fields=12, max_inputs=2, max_outputs=2),
]


def captured() -> list[dict[str, Any]]:
    events = []
    for path in sorted(DATA.rglob("*.jsonl")):
        events += [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
    return events


def nested_schema(levels: int, name: str) -> dict[str, Any]:
    field: dict[str, Any] = {"name": name}
    for level in range(levels):
        field = {"name": f"level_{level}", "fields": [field]}
    return {"_producer": "p", "_schemaURL": "s", "fields": [field]}


def odd_events() -> list[dict[str, Any]]:
    """Events shaped to slip past a quick test: long names deep in a schema, behind an
    escaped quote, as a column lineage key, of non-ASCII characters, or where the quick
    test expects another type."""
    long = "n" * 50
    dataset = {"namespace": "pg", "name": "t"}
    return [
        {"job": {"namespace": "etl", "name": long}},
        {"job": {"namespace": "etl", "name": 'a"' * 20}},
        {"job": {"namespace": "etl", "name": "é" * 12}},
        {"job": {"namespace": "etl", "name": "\u001f" * 9}},
        {"job": {"namespace": 5, "name": long}},
        {"job": "etl", "outputs": [{**dataset, "name": long}]},
        *[
            {"outputs": [{**dataset, "facets": {"schema": nested_schema(levels, long)}}]}
            for levels in range(8)
        ],
        {"outputs": [1, {**dataset, "facets": {"schema": {"fields": [1, {"name": long}]}}}]},
        {"outputs": [{**dataset, "facets": {"schema": {"fields": {"name": long}}}}]},
        {
            "outputs": [
                {
                    **dataset,
                    "facets": {"columnLineage": {"fields": {long: {"inputFields": []}}}},
                }
            ]
        },
        {
            "outputs": [
                {
                    **dataset,
                    "facets": {
                        "columnLineage": {
                            "fields": {"c": {"inputFields": [{"namespace": "pg", "field": long}]}}
                        }
                    },
                }
            ]
        },
        {
            "run": {
                "facets": {
                    "parent": {
                        "job": {"namespace": "a", "name": "b"},
                        "root": {"job": {"namespace": long, "name": "b"}},
                    }
                }
            }
        },
        {"dataset": {**dataset, "name": long}, "inputs": [dataset] * 3},
        {"outputs": [{**dataset, "facets": {"schema": {"fields": [{"name": "x"}] * 13}}}]},
    ]


def mutated(events: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """Copies of ``events`` with a value replaced by a long, a short or a wrongly typed one."""
    rng = random.Random(7)
    values: list[Any] = ["n" * 70, "é" * 20, "x", 1, None, [], {}, ['"' * 30]]
    found = []
    for _ in range(count):
        event = copy.deepcopy(rng.choice(events))
        places: list[tuple[Any, Any]] = []
        pending: list[Any] = [event]
        while pending:
            item = pending.pop()
            keys = item.keys() if isinstance(item, dict) else range(len(item))
            for key in keys:
                places.append((item, key))
                if isinstance(item[key], dict | list):
                    pending.append(item[key])
        for _ in range(3):
            item, key = rng.choice(places)
            item[key] = rng.choice(values)
        found.append(event)
    return found


def verdict(raw: dict[str, Any], limits: EventLimits, body: bytes | None) -> Any:
    try:
        check_shape(raw, limits, body)
    except EventTooLarge as exc:
        return exc.limit, [(p.path, p.message) for p in exc.problems]
    return None


EVENTS = captured()


@pytest.mark.parametrize("limits", LIMITS, ids=repr)
def test_the_json_of_an_event_changes_no_verdict_of_its_limits(limits: EventLimits) -> None:
    events = [*EVENTS, *odd_events(), *mutated(EVENTS, 300)]
    refused = 0
    for raw in events:
        for body in (orjson.dumps(raw), orjson.dumps(raw, option=orjson.OPT_INDENT_2)):
            expected = verdict(raw, limits, None)
            assert verdict(raw, limits, body) == expected, body[:300]
        refused += expected is not None
    # The verdicts compared include refusals, unless every limit is at its default.
    assert refused > 0 or limits == EventLimits()
