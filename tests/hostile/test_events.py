"""Events generated from the official OpenLineage schemas, and hostile mutations of real ones
(deep nesting, huge numbers, wrong types, control characters, long strings, invalid UTF-8,
wide lists), posted to the real app: stored, or refused with a 4xx naming the path."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from tests.events import builders as b
from tests.events._spec import (
    GENERATION_FORMATS,
    JSON_VALUES,
    MISSING_SPEC,
    SPEC_DIR,
    Spec,
    spots,
)
from tests.hostile.conftest import SCALE, named_problems

if not SPEC_DIR.is_dir():
    pytest.skip(MISSING_SPEC, allow_module_level=True)

SPEC = Spec(SPEC_DIR)
JSON = {"Content-Type": "application/json"}
HOSTILE = settings(
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)

EVENT_STRATEGIES = {
    kind: from_schema(SPEC.event_generation_schema(kind), custom_formats=GENERATION_FORMATS)
    for kind in ("RunEvent", "DatasetEvent", "JobEvent")
}


def first_key(path: str) -> str:
    """The top-level key a problem path starts with (``outputs`` for ``outputs[0].name``)."""
    if path.startswith('["'):
        return str(json.JSONDecoder().raw_decode(path, 1)[0])
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def assert_judged(response: Any, body: bytes) -> None:
    """Stored (2xx) or refused with problems whose paths lie in the document sent."""
    if response.status_code < 300:
        return
    named = named_problems(response)
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        doc = None
    for problem in orjson.loads(response.content).get("errors") or []:
        path = problem["path"]
        inside = path == "$" or (isinstance(doc, dict) and first_key(path) in doc)
        assert inside or problem["message"] == "missing", (path, named)


#: How JSON spells the control characters node ids reserve.
RESERVED = re.compile(r"\\u001[ef]", re.IGNORECASE)


@pytest.mark.parametrize("kind", list(EVENT_STRATEGIES))
@settings(HOSTILE, max_examples=15 * SCALE)
@given(data=st.data())
def test_events_generated_from_the_spec_are_stored_or_refused_by_path(
    client: TestClient, kind: str, data: st.DataObject
) -> None:
    doc = data.draw(EVENT_STRATEGIES[kind], label="event")
    # The standard library's encoder: generated integers may not fit in 64 bits.
    body = json.dumps(doc).encode()
    response = client.post("/api/v1/lineage", content=body, headers=JSON)
    if not SPEC.accepts(doc):
        assert response.status_code == 422, response.text
    elif RESERVED.search(body.decode()) and response.status_code == 422:
        # The spec allows any string; this service refuses a name holding a separator node
        # ids reserve (\x1f, \x1e), at its path.
        assert "node ids reserve" in response.text, response.text
    else:
        assert response.status_code == 201, response.text
        return
    assert_judged(response, body)


# -- hostile mutations ------------------------------------------------------------------------

BASES = [
    b.dbt_run_event(width=4),
    b.airflow_task_event(),
    b.dataset_event(),
    b.job_event(),
]

#: Replaced, in the encoded body, by what JSON encoders refuse to write.
SENTINEL = "\u2603HOSTILE\u2603"
RAW_VALUES = st.sampled_from(
    [
        b"1e400",
        b"-1e400",
        b"1e-400",
        b"123456789012345678901234567890",
        b"18446744073709551616",
        b"-9223372036854775809",
        b"-0",
        b"NaN",
        b"Infinity",
        b'"\\ud800"',
        b'"\\udc00x"',
        b'"\xff\xfe"',
        b'"\\u0000"',
        b"[1,]",
        b"{}}",
    ]
)
# Not U+001F: node ids are joined with it, a known finding kept in test_known_findings.
CONTROL_TEXT = st.text(
    st.sampled_from(
        ["\x00", "\x01", "\x1e", "\x7f", "\u2028", "\u2029", "\ufeff", "\u202e", "a", "\n"]
    ),
    min_size=1,
    max_size=12,
)
# Long names cost the store about 90 times their length in memory: kept well under the
# facet limit, which test_event_limits covers.
LONG_TEXT = st.sampled_from([300, 70_000]).map(lambda n: "x" * n)


def nested(depth: int, kind: str) -> bytes:
    opening, closing = (b"[", b"]") if kind == "list" else (b'{"k":', b"}")
    inner = b"[]" if kind == "list" else b"{}"
    return opening * depth + inner + closing * depth


DEEP = st.builds(
    nested, st.sampled_from([20, 127, 128, 129, 300, 1100, 5000]), st.sampled_from(["list", "dict"])
)


def mutate(data: st.DataObject) -> bytes:
    """A real event with one to three hostile edits, as the exact body to send."""
    doc = copy.deepcopy(data.draw(st.sampled_from(BASES), label="base"))
    raw: list[bytes] = []
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        where = data.draw(st.sampled_from([(), *spots(doc)]), label="where")
        action = data.draw(
            st.sampled_from(["deep", "raw", "type", "control", "long", "wide", "key"]),
            label="action",
        )
        event(action)
        if action == "deep":
            value: Any = SENTINEL
            raw.append(data.draw(DEEP, label="nesting"))
        elif action == "raw":
            value = SENTINEL
            raw.append(data.draw(RAW_VALUES, label="raw value"))
        elif action == "type":
            value = data.draw(JSON_VALUES, label="value")
        elif action == "control":
            value = data.draw(CONTROL_TEXT, label="text")
        elif action == "long":
            value = data.draw(LONG_TEXT, label="long text")
        elif action == "wide":
            value = [data.draw(JSON_VALUES, label="item")] * data.draw(
                st.sampled_from([3, 10_001, 20_000]), label="width"
            )
        else:
            value = None
        if not where:
            if action == "key":
                continue
            doc = value
            if action == "wide":
                break
            continue
        parent: Any = doc
        for key in where[:-1]:
            parent = parent[key]
        key = where[-1]
        if action == "key":
            if isinstance(key, str):
                new = data.draw(CONTROL_TEXT | LONG_TEXT | st.just(""), label="new key")
                parent[new] = parent.pop(key)
            continue
        parent[key] = value
        if action == "wide":
            break  # edits inside a wide list would multiply it: its items are one object
    body = orjson.dumps(doc)
    marker = orjson.dumps(SENTINEL)
    for piece in raw:
        body = body.replace(marker, piece, 1)
    return body


@settings(HOSTILE, max_examples=120 * SCALE)
@given(data=st.data())
def test_hostile_events_are_stored_or_refused_naming_the_problem(
    client: TestClient, data: st.DataObject
) -> None:
    body = mutate(data)
    response = client.post("/api/v1/lineage", content=body, headers=JSON)
    assert response.status_code < 500, response.text[:2000]
    event(f"status {response.status_code}")
    assert_judged(response, body)


@settings(HOSTILE, max_examples=40 * SCALE)
@given(data=st.data())
def test_a_hostile_event_in_a_batch_is_refused_alone(
    client: TestClient, data: st.DataObject
) -> None:
    body = mutate(data)
    good = orjson.dumps(b.minimal_run_event())
    response = client.post(
        "/api/v1/lineage/batch", content=b"[" + good + b"," + body + b"]", headers=JSON
    )
    assert response.status_code < 500, response.text[:2000]
    event(f"status {response.status_code}")
    if response.status_code == 207:
        [rejected] = response.json()["rejected"]
        assert rejected["index"] == 1
        assert response.json()["accepted"] == 1
    if response.status_code >= 300:
        named_problems(response)
