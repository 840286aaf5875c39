"""Readable node ids are read in time linear in their length: an id of thousands of colons
is refused at once (400 naming the expected form), however the API is asked, and every
id the server writes reads back to its node even when namespaces and names hold colons."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage.analysis import InvalidArgument
from lineage.analysis.export import MAX_ID_LENGTH, parse_public_id, public_id, readings
from lineage.api.app import create_app
from lineage.graph.model import dataset_id, field_id, job_id, version_id
from lineage.settings import Settings
from lineage.store import GraphStore
from lineage.store.embedded import EmbeddedStore
from tests.conftest import feed
from tests.factories import dataset, new_run_id, pipeline_run, run_event, schema

COLONS = ":" * 2_000


@pytest.fixture
def client(store: GraphStore) -> Iterator[TestClient]:
    feed(
        store, pipeline_run(("etl", "load"), [], [dataset("pg", "orders", s=schema("id"))], start=0)
    )
    with TestClient(create_app(Settings(tokens=[]), store=store)) as c:
        yield c


@pytest.mark.parametrize(
    ("path", "param", "text"),
    [
        ("/api/v1/column-lineage", "nodeId", f"datasetField:{COLONS}"),
        ("/api/v1/lineage", "nodeId", f"datasetField:{COLONS}"),
        ("/api/v1/lineage", "nodeId", f"dataset:{COLONS}"),
        ("/api/v1/export", "start", f"datasetField:{COLONS}"),
        ("/api/v1/export", "start", f"job:{COLONS}#v1"),
    ],
)
def test_an_id_of_two_thousand_colons_is_a_400_naming_the_expected_form(
    client: TestClient, path: str, param: str, text: str
) -> None:
    response = client.get(path, params={param: text})
    assert response.status_code == 400, response.text
    message = response.text
    assert "<namespace>:<name>" in message
    assert COLONS not in message  # the id is shown cut short


def test_an_id_longer_than_the_limit_is_a_400_saying_the_limit(client: TestClient) -> None:
    text = "dataset:pg:" + "x" * MAX_ID_LENGTH
    for path, param in [("/api/v1/lineage", "nodeId"), ("/api/v1/export", "start")]:
        response = client.get(path, params={param: text})
        assert response.status_code == 400
        assert f"at most {MAX_ID_LENGTH} characters" in response.text


def test_an_id_holding_a_control_character_is_a_400(client: TestClient) -> None:
    response = client.get("/api/v1/lineage", params={"nodeId": "dataset:pg:or\x1fders"})
    assert response.status_code == 400
    assert "control character" in response.text


def test_a_field_id_of_few_colons_still_reads(client: TestClient) -> None:
    response = client.get("/api/v1/column-lineage", params={"nodeId": "datasetField:pg:orders:id"})
    assert response.status_code == 200, response.text


def test_the_structural_reading_comes_first() -> None:
    assert readings("dataset:postgres://db:5432:public.orders")[0] == dataset_id(
        "postgres://db:5432", "public.orders"
    )
    assert readings("datasetField:kafka://b:9092:topic:orders:id")[0] == field_id(
        "kafka://b:9092", "topic:orders", "id"
    )
    assert readings("dataset:pg:orders#v7") == [version_id("pg", "orders", "v7")]


def test_an_id_with_many_colons_is_read_by_its_structure_alone() -> None:
    name = ":".join(f"p{i}" for i in range(500))
    found = readings(f"job:ns:{name}")
    assert found == [job_id("ns", name)]
    with pytest.raises(InvalidArgument, match="datasetField:<namespace>:<name>:<field>"):
        readings(f"datasetField:{COLONS}")


# Parts that hold colons (and slashes and digits after colons, as URIs do), a few each.
part = st.text(alphabet=":/0a.", min_size=1, max_size=6).filter(
    lambda s: not s.startswith(":") and not s.endswith(":")
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(namespace=part, name=part, path=part)
def test_every_written_id_reads_back_to_its_node(namespace: str, name: str, path: str) -> None:
    for nid in (
        dataset_id(namespace, name),
        job_id(namespace, name),
        field_id(namespace, name, path),
    ):
        assert nid in readings(public_id(nid))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(namespace=part, name=part, path=part)
def test_a_stored_field_is_found_by_its_written_id(namespace: str, name: str, path: str) -> None:
    store = EmbeddedStore(":memory:")
    try:
        feed(
            store,
            pipeline_run(
                ("j", "j"), [], [dataset(namespace, name or "n", s=schema(path))], start=0
            ),
        )
        nid = field_id(namespace, name or "n", path)
        assert parse_public_id(store, public_id(nid)) == nid
    finally:
        store.close()


@pytest.mark.parametrize(
    ("where", "event_of"),
    [
        (
            "outputs[0].name",
            lambda: run_event(
                "START", new_run_id(), ("etl", "j"), outputs=[dataset("pg", "a\x1fb")]
            ),
        ),
        ("job.namespace", lambda: run_event("START", new_run_id(), ("et\x1el", "j"))),
        (
            "outputs[0].facets.schema.fields[0].name",
            lambda: run_event(
                "START",
                new_run_id(),
                ("etl", "j"),
                outputs=[dataset("pg", "t", s=schema("c\x1fd"))],
            ),
        ),
    ],
)
def test_a_name_holding_a_character_ids_reserve_is_a_422_naming_the_field(
    client: TestClient, where: str, event_of: Callable[[], dict[str, Any]]
) -> None:
    response = client.post("/api/v1/lineage", json=event_of())
    assert response.status_code == 422, response.text
    [problem] = response.json()["errors"]
    assert problem["path"] == where
    assert "control character" in problem["message"]
    batch = client.post("/api/v1/lineage/batch", json=[event_of()])
    assert batch.status_code == 422
    assert batch.json()["rejected"][0]["errors"][0]["path"] == where
