"""GraphQL `impact`: the report over the API, with the usual Dataset, Field and Job nodes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from lineage.store import GraphStore
from tests.graphql.conftest import GraphQL, open_client
from tests.impact import graphs
from tests.impact.graphs import NS

IMPACT = """
query Impact($changes: [SchemaChangeInput!], $schema: [FieldInput!], $depth: Int! = 10) {
  impact(dataset: {namespace: "%s", name: "raw.orders"}, changes: $changes,
         proposedSchema: $schema, maxDepth: $depth) {
    dataset { name }
    breaking
    truncated
    summary { breaking likely possible fields datasets models endpoints jobs deployments }
    owners { name type severity items { kind } }
    changes {
      change { kind field newName newType oldType description }
      breaking
      note
      byDistance { distance items { node { kind } } }
      items {
        severity category distance reason uncertain
        owners { name }
        node {
          kind
          ... on Field { path dataset { name } }
          ... on Dataset { name datasetType: type }
          ... on Job { name type }
        }
        chain {
          kind
          source { ... on Field { path } }
          target { ... on Field { path } }
          job { name }
          transformation { type subtype }
        }
      }
    }
  }
}
""" % NS  # noqa: UP031


@pytest.fixture
def gql(store: GraphStore) -> Iterator[GraphQL]:
    graphs.shop(store)
    yield from open_client(store)


def label(item: dict[str, Any]) -> str:
    node = item["node"]
    if node["kind"] == "FIELD":
        return f"{node['dataset']['name']}.{node['path']}"
    return str(node["name"])


def test_impact_of_dropping_a_column_lists_classified_items(gql: GraphQL) -> None:
    report = gql.data(IMPACT, changes=[{"kind": "DROP_FIELD", "field": "amount"}])["impact"]
    assert report["breaking"] is True and report["truncated"] is False
    change = report["changes"][0]
    assert change["change"]["description"] == "drop column amount"
    assert change["change"]["oldType"] == "INT"
    found = {label(i): (i["severity"], i["distance"]) for i in change["items"]}
    assert found["stg.orders.amount"] == ("BREAKING", 1)
    assert found["report.kpis.revenue"] == ("BREAKING", 3)
    assert found["export_orders"] == ("POSSIBLE", 1)
    assert found["endpoints.churn"] == ("POSSIBLE", 4)
    revenue = next(i for i in change["items"] if label(i) == "report.kpis.revenue")
    assert [(s["job"]["name"], s["transformation"]["subtype"]) for s in revenue["chain"]] == [
        ("stage_orders", "IDENTITY"),
        ("build_revenue", "AGGREGATION"),
        ("build_kpis", "IDENTITY"),
    ]
    assert revenue["owners"] == [{"name": "finance"}]
    assert [level["distance"] for level in change["byDistance"]] == [1, 2, 3, 4]
    summary = report["summary"]
    assert (summary["breaking"], summary["possible"], summary["models"]) == (9, 6, 1)
    assert report["owners"][0]["severity"] == "BREAKING"
    endpoint = next(i for i in change["items"] if label(i) == "endpoints.churn")
    assert endpoint["category"] == "ENDPOINT" and endpoint["uncertain"] is True


def test_impact_of_a_proposed_schema(gql: GraphQL) -> None:
    schema = [
        {"name": "id", "type": "INT"},
        {"name": "amount", "type": "INT"},
        {"name": "status", "type": "VARCHAR"},
        {"name": "customer_id", "type": "INT"},
        {"name": "note", "type": "VARCHAR", "nullable": True},
    ]
    report = gql.data(IMPACT, schema=schema)["impact"]
    assert report["breaking"] is False
    assert [c["change"]["kind"] for c in report["changes"]] == ["ADD_FIELD"]
    assert report["changes"][0]["items"] == []
    renamed = [*schema[1:4], {"name": "order_id", "type": "INT", "renamedFrom": "id"}]
    report = gql.data(IMPACT, schema=renamed)["impact"]
    assert report["changes"][0]["change"]["newName"] == "order_id"
    assert report["breaking"] is True


def test_impact_errors_say_what_to_fix(gql: GraphQL) -> None:
    errors = gql.errors(IMPACT, changes=[{"kind": "DROP_FIELD", "field": "nope"}])
    assert errors[0]["extensions"]["code"] == "INVALID_ARGUMENT"
    assert "no column 'nope'" in errors[0]["message"]
    errors = gql.errors(IMPACT, changes=[], depth=0)
    assert "maxDepth" in errors[0]["message"]
    missing = IMPACT.replace('name: "raw.orders"', 'name: "raw.nothing"')
    errors = gql.errors(missing, changes=[{"kind": "DROP_DATASET"}])
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
