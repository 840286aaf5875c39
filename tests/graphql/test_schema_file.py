"""schema/schema.graphql is generated from the code and must not go stale."""

from __future__ import annotations

from lineage.analysis import FLOWS_TO
from lineage.api.graphql import schema
from lineage.api.graphql.types import EdgeKind
from lineage.graph.model import EdgeKind as StoredEdgeKind
from tests.conftest import REPO

SCHEMA_FILE = REPO / "schema" / "schema.graphql"
REGENERATE = (
    "strawberry export-schema lineage.api.graphql.schema:schema --output schema/schema.graphql"
)


def test_the_checked_in_schema_matches_the_code() -> None:
    assert SCHEMA_FILE.exists(), f"schema/schema.graphql is missing; generate it with: {REGENERATE}"
    checked_in = SCHEMA_FILE.read_text().rstrip("\n")
    assert checked_in == schema.as_str(), (
        f"schema/schema.graphql is stale: the GraphQL schema in lineage/api/graphql changed. "
        f"Regenerate it with: {REGENERATE}"
    )


def test_the_api_names_every_stored_edge_kind() -> None:
    assert {k.value for k in EdgeKind} == {k.value for k in StoredEdgeKind} | {FLOWS_TO}


def test_the_contract_names_are_in_the_schema() -> None:
    text = schema.as_str()
    for name in (
        "interface Node",
        "type LineageGraph",
        "input NodeRef",
        "type Edge {",
        "truncatedAt: [Node!]!",
        "paths(from: NodeRef!, to: NodeRef!",
        "search(query: String!",
        "type PageInfo",
        "totalCount: Int!",
    ):
        assert name in text, name
