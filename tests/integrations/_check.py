"""Oracles for what the integrations emit: the official schemas, ours, and our parser."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from lineage.ingest import prepare
from lineage.integrations.facets import SCHEMA_FILES, schema_url
from tests.events._spec import MISSING_SPEC, SPEC_DIR, Spec

FACET_DIR = Path(__file__).resolve().parents[2] / "schema" / "facets"


@cache
def spec() -> Spec | None:
    return Spec(SPEC_DIR) if SPEC_DIR.exists() else None


@cache
def facet_validator(name: str) -> Draft202012Validator:
    """A validator of one of our facets, resolving its base facet in the official spec."""
    official = spec()
    assert official is not None
    ours = json.loads((FACET_DIR / SCHEMA_FILES[name]).read_text())
    registry: Registry[Any] = official.registry.with_resource(ours["$id"], Resource.from_contents(ours))
    stem = SCHEMA_FILES[name].removesuffix(".json")
    return Draft202012Validator(
        {"$ref": f"{ours['$id']}#/$defs/{stem}"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def custom_facets(event: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(where, name, facet) of every ``lineage_*`` facet in an event."""
    for key, extra in (("inputs", "inputFacets"), ("outputs", "outputFacets")):
        for ds in event.get(key, []):
            for place in ("facets", extra):
                for name, facet in (ds.get(place) or {}).items():
                    if name.startswith("lineage_"):
                        yield f"{key}.{ds['name']}.{place}", name, facet
    for place in ("run", "job"):
        for name, facet in (event.get(place, {}).get("facets") or {}).items():
            if name.startswith("lineage_"):
                yield place, name, facet


def check_events(events: Sequence[Mapping[str, Any]]) -> None:
    """Every event is accepted by our parser, by the official schemas (event and standard
    facets), and each custom facet by its own schema in schema/facets/ (with the
    ``_schemaURL`` that names it). Skips the schema checks when the spec is absent."""
    assert events, "nothing was emitted"
    for event in events:
        prepare(dict(event))
    official = spec()
    if official is None:
        pytest.skip(MISSING_SPEC)
    for event in events:
        assert official.rejection(event) == [], json.dumps(event, indent=1)[:2000]
        for where, name, facet in custom_facets(event):
            assert name in SCHEMA_FILES, f"{where}: {name} has no schema in schema/facets/"
            assert facet["_schemaURL"] == schema_url(name)
            errors = [e.message for e in facet_validator(name).iter_errors(facet)]
            assert errors == [], f"{where}.{name}: {errors}"


def facets_named(events: Sequence[Mapping[str, Any]]) -> set[str]:
    return {name for e in events for _, name, _ in custom_facets(e)}
