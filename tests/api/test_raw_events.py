"""Raw events are kept byte for byte as they were received, and ``/api/v1/events/lineage``
splices those bytes in: key order, spacing, escapes and number spellings survive, for one
event, a gzipped one, and each item of a batch, on both stores."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import orjson
import pytest
from fastapi.testclient import TestClient

from lineage.api.app import create_app
from lineage.settings import Settings
from lineage.store import GraphStore
from tests.factories import new_run_id

JSON = {"Content-Type": "application/json"}


def spelled(run: str, minute: int, job: str) -> bytes:
    """An event written as no encoder would write it: odd spacing and key order, escapes,
    a number in exponent form, a facet the parser does not know."""
    template = (
        '{ "run" : {"runId":"RUN", "facets": {"x_custom": {"_producer": "p", "_schemaURL": '
        '"https://x/y", "n": 1.50e2, "s": "caf\\u00e9 \\/ slash"}}},\n'
        '  "eventType": "START", "eventTime" : "2024-05-01T10:MINUTE:00.000+02:00",\n'
        '  "job": {"namespace": "etl", "name": "JOB"}, "inputs": [], "outputs": [],\n'
        '  "producer": "https://example.com/p", '
        '"schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent" }'
    )
    text = template.replace("RUN", run).replace("MINUTE", f"{minute:02d}").replace("JOB", job)
    return text.encode()


@pytest.fixture
def client(store: GraphStore) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(tokens=[]), store=store)) as c:
        yield c


def raw_listing(client: TestClient) -> bytes:
    response = client.get("/api/v1/events/lineage")
    assert response.status_code == 200
    orjson.loads(response.content)  # still one JSON document
    return response.content


def test_one_event_is_returned_as_the_bytes_received(client: TestClient) -> None:
    plain, zipped = spelled(new_run_id(), 1, "one"), spelled(new_run_id(), 2, "two")
    assert client.post("/api/v1/lineage", content=plain, headers=JSON).status_code == 201
    headers = {**JSON, "Content-Encoding": "gzip"}
    assert (
        client.post("/api/v1/lineage", content=gzip.compress(zipped), headers=headers).status_code
        == 201
    )
    listing = raw_listing(client)
    assert plain in listing
    assert zipped in listing


def test_each_item_of_a_batch_is_returned_as_the_bytes_received(client: TestClient) -> None:
    items = [spelled(new_run_id(), minute, f"b{minute}") for minute in range(3)]
    body = b"[\n  " + b" ,\n\t".join(items) + b"  \n]\n"
    response = client.post("/api/v1/lineage/batch", content=body, headers=JSON)
    assert response.status_code == 201, response.text
    listing = raw_listing(client)
    for item in items:
        assert item in listing


def test_a_batch_with_a_rejected_item_keeps_the_others_bytes(client: TestClient) -> None:
    good = spelled(new_run_id(), 5, "good")
    body = b'[{"eventTime": "nope", "x": [1, {"y": "]"}]}, ' + good + b"]"
    response = client.post("/api/v1/lineage/batch", content=body, headers=JSON)
    assert response.status_code == 207, response.text
    assert good in raw_listing(client)
