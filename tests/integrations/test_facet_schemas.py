"""The project's facet schemas are valid JSON Schemas, named as the facets say."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from lineage.integrations.facets import SCHEMA_FILES, schema_url
from tests.integrations._check import FACET_DIR


@pytest.mark.parametrize("facet", sorted(SCHEMA_FILES))
def test_each_facet_has_a_valid_schema_whose_id_is_its_schema_url(facet: str) -> None:
    doc = json.loads((FACET_DIR / SCHEMA_FILES[facet]).read_text())
    Draft202012Validator.check_schema(doc)
    assert schema_url(facet).split("#")[0] == doc["$id"]
    stem = SCHEMA_FILES[facet].removesuffix(".json")
    assert doc["properties"] == {facet: {"$ref": f"#/$defs/{stem}"}}
    assert facet.startswith("lineage_")


def test_every_schema_file_belongs_to_a_facet() -> None:
    assert sorted(p.name for p in FACET_DIR.glob("*.json")) == sorted(SCHEMA_FILES.values())
