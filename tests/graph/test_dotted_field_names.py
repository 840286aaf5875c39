"""A field whose name holds dots (``user.id``, common in JSON sources and Kafka payloads)
stays one field, named as the schema names it, on both stores: in the schema, in column
lineage, and in what GraphQL answers. Nested fields keep their own names and dotted paths."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from lineage.api.app import create_app
from lineage.graph.model import field_id
from lineage.settings import Settings
from lineage.store import GraphStore
from tests.conftest import feed
from tests.factories import column_lineage, dataset, facet, pipeline_run

NS = "kafka://broker:9092"


def nested_schema() -> dict[str, Any]:
    fields = [
        {"name": "user.id", "type": "STRING"},
        {"name": "amount", "type": "DOUBLE"},
        {"name": "address", "type": "STRUCT", "fields": [{"name": "zip.code", "type": "STRING"}]},
    ]
    return {"schema": facet("SchemaDatasetFacet", fields=fields)}


def fed(store: GraphStore) -> None:
    feed(
        store,
        pipeline_run(
            ("etl", "copy"),
            [dataset(NS, "payments", s=nested_schema())],
            [
                dataset(
                    NS,
                    "payments_clean",
                    s=nested_schema(),
                    c=column_lineage(
                        {
                            "user.id": [(NS, "payments", "user.id")],
                            "address.zip.code": [(NS, "payments", "address.zip.code")],
                        }
                    ),
                )
            ],
            start=0,
        ),
    )


def names(store: GraphStore, dataset_name: str) -> dict[str, str]:
    paths = ["user.id", "amount", "address", "address.zip.code"]
    nodes = store.get_nodes([field_id(NS, dataset_name, p) for p in paths])
    return {str(n.props["path"]): str(n.props["name"]) for n in nodes.values()}


def test_a_field_name_with_dots_stays_one_field_with_its_own_name(store: GraphStore) -> None:
    fed(store)
    expected = {
        "user.id": "user.id",
        "amount": "amount",
        "address": "address",
        "address.zip.code": "zip.code",
    }
    assert names(store, "payments") == expected
    assert names(store, "payments_clean") == expected


def test_graphql_answers_a_dotted_name_whole(store: GraphStore) -> None:
    fed(store)
    query = f'{{ dataset(namespace: "{NS}", name: "payments_clean") {{ fields {{ name path }} }} }}'
    with TestClient(create_app(Settings(tokens=[]), store=store)) as client:
        body = client.post("/graphql", json={"query": query}).json()
    fields = {(f["path"], f["name"]) for f in body["data"]["dataset"]["fields"]}
    assert fields == {
        ("user.id", "user.id"),
        ("amount", "amount"),
        ("address", "address"),
        ("address.zip.code", "zip.code"),
    }


def test_column_lineage_follows_a_dotted_field(store: GraphStore) -> None:
    fed(store)
    with TestClient(create_app(Settings(tokens=[]), store=store)) as client:
        response = client.get(
            "/api/v1/column-lineage",
            params={"nodeId": f"datasetField:{NS}:payments_clean:user.id"},
        )
    assert response.status_code == 200, response.text
    graph = {n["id"]: n for n in response.json()["graph"]}
    source = f"datasetField:{NS}:payments:user.id"
    assert source in graph
    assert graph[source]["data"]["field"] == "user.id"
