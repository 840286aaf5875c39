"""The official OpenLineage schemas as a test oracle, and generators built from them.

The spec folder lives beside the repository (``../shared/openlineage-spec``); it is read,
never copied. :class:`Spec` answers "does the official schema accept this document?" the
way this project's parser is meant to: ``OpenLineage.json`` for the event, plus the
standard facet schemas for the facets the parser checks (:data:`STANDARD_FACETS`), with
deletion markers (``"_deleted": true``) exempt from their facet schema.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from tests.events.builders import RUN_ID

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC_DIR = REPO_ROOT.parent / "shared" / "openlineage-spec"
MISSING_SPEC = (
    f"OpenLineage spec not found at {SPEC_DIR}; it is expected beside the repo at "
    "../shared/openlineage-spec"
)

# Where each standard facet sits in an event -> (facet schema file, definition). This is
# the parser's registry seen from the spec side; test_conformance checks the two agree.
STANDARD_FACETS: dict[str, dict[str, tuple[str, str]]] = {
    "dataset": {
        "schema": ("SchemaDatasetFacet", "SchemaDatasetFacet"),
        "columnLineage": ("ColumnLineageDatasetFacet", "ColumnLineageDatasetFacet"),
        "dataSource": ("DatasourceDatasetFacet", "DatasourceDatasetFacet"),
        "version": ("DatasetVersionDatasetFacet", "DatasetVersionDatasetFacet"),
        "lifecycleStateChange": (
            "LifecycleStateChangeDatasetFacet",
            "LifecycleStateChangeDatasetFacet",
        ),
        "symlinks": ("SymlinksDatasetFacet", "SymlinksDatasetFacet"),
        "ownership": ("OwnershipDatasetFacet", "OwnershipDatasetFacet"),
        "documentation": ("DocumentationDatasetFacet", "DocumentationDatasetFacet"),
        "storage": ("StorageDatasetFacet", "StorageDatasetFacet"),
        "datasetType": ("DatasetTypeDatasetFacet", "DatasetTypeDatasetFacet"),
        "tags": ("TagsDatasetFacet", "TagsDatasetFacet"),
        "dataQualityMetrics": ("DataQualityMetricsDatasetFacet", "DataQualityMetricsDatasetFacet"),
        "dataQualityAssertions": (
            "DataQualityAssertionsDatasetFacet",
            "DataQualityAssertionsDatasetFacet",
        ),
    },
    "input": {
        "dataQualityMetrics": (
            "DataQualityMetricsInputDatasetFacet",
            "DataQualityMetricsInputDatasetFacet",
        ),
        "dataQualityAssertions": (
            "DataQualityAssertionsDatasetFacet",
            "DataQualityAssertionsDatasetFacet",
        ),
        "inputStatistics": (
            "InputStatisticsInputDatasetFacet",
            "InputStatisticsInputDatasetFacet",
        ),
    },
    "output": {
        "outputStatistics": (
            "OutputStatisticsOutputDatasetFacet",
            "OutputStatisticsOutputDatasetFacet",
        ),
    },
    "job": {
        "jobType": ("JobTypeJobFacet", "JobTypeJobFacet"),
        "sql": ("SQLJobFacet", "SQLJobFacet"),
        "sourceCode": ("SourceCodeJobFacet", "SourceCodeJobFacet"),
        "sourceCodeLocation": ("SourceCodeLocationJobFacet", "SourceCodeLocationJobFacet"),
        "ownership": ("OwnershipJobFacet", "OwnershipJobFacet"),
        "documentation": ("DocumentationJobFacet", "DocumentationJobFacet"),
        "tags": ("TagsJobFacet", "TagsJobFacet"),
    },
    "run": {
        "parent": ("ParentRunFacet", "ParentRunFacet"),
        "errorMessage": ("ErrorMessageRunFacet", "ErrorMessageRunFacet"),
        "nominalTime": ("NominalTimeRunFacet", "NominalTimeRunFacet"),
        "processing_engine": ("ProcessingEngineRunFacet", "ProcessingEngineRunFacet"),
        "tags": ("TagsRunFacet", "TagsRunFacet"),
    },
}

# The spec's base facet definitions, and where a facet built on each one goes.
BASE_LOCATIONS = {
    "DatasetFacet": "dataset",
    "InputDatasetFacet": "input",
    "OutputDatasetFacet": "output",
    "JobFacet": "job",
    "RunFacet": "run",
}

PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.30.0/client/python"


@dataclass
class Spec:
    """The spec folder: the schemas, validators over them, and the oracle."""

    root: Path
    event_schema: dict[str, Any] = field(init=False)
    facet_schemas: dict[str, dict[str, Any]] = field(init=False)
    _facet_validators: dict[tuple[str, str], Draft202012Validator] = field(
        init=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        self.event_schema = json.loads((self.root / "OpenLineage.json").read_text())
        self.facet_schemas = {
            path.stem: json.loads(path.read_text())
            for path in sorted((self.root / "facets").glob("*.json"))
        }

    @cached_property
    def registry(self) -> Registry[Any]:
        docs = [self.event_schema, *self.facet_schemas.values()]
        return Registry().with_resources((doc["$id"], Resource.from_contents(doc)) for doc in docs)

    def validator(self, schema: Mapping[str, Any]) -> Draft202012Validator:
        # Without its optional checker, jsonschema silently accepts any string as a
        # date-time, and the oracle would stop judging event times at all.
        if "date-time" not in Draft202012Validator.FORMAT_CHECKER.checkers:
            raise RuntimeError(
                "jsonschema cannot check format: date-time; install rfc3339-validator "
                "(pip install -e '.[test]')"
            )
        return Draft202012Validator(
            schema, registry=self.registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        )

    @cached_property
    def event_validator(self) -> Draft202012Validator:
        return self.validator(self.event_schema)

    @cached_property
    def kind_validators(self) -> dict[str, Draft202012Validator]:
        base = self.event_schema["$id"]
        return {
            kind: self.validator({"$ref": f"{base}#/$defs/{kind}"})
            for kind in ("RunEvent", "DatasetEvent", "JobEvent")
        }

    def facet_validator(self, stem: str, definition: str) -> Draft202012Validator:
        """A validator of one facet definition, e.g. ("SQLJobFacet", "SQLJobFacet")."""
        key = (stem, definition)
        if key not in self._facet_validators:
            base = self.facet_schemas[stem]["$id"]
            self._facet_validators[key] = self.validator({"$ref": f"{base}#/$defs/{definition}"})
        return self._facet_validators[key]

    # -- the oracle ------------------------------------------------------------------------

    def kind(self, doc: Any) -> str | None:
        """The one event definition ``doc`` is valid against, or None (invalid event)."""
        if not self.event_validator.is_valid(doc):
            return None
        matches = [k for k, v in self.kind_validators.items() if v.is_valid(doc)]
        assert len(matches) == 1, matches
        return matches[0]

    def accepts(self, doc: Any) -> bool:
        """True when the official schemas accept ``doc`` (event and standard facets)."""
        kind = self.kind(doc)
        if kind is None:
            return False
        return all(
            self.facet_validator(*STANDARD_FACETS[place][name]).is_valid(facet)
            for place, name, facet in standard_facets(doc, kind)
        )

    def rejection(self, doc: Any) -> list[str]:
        """Why the official schemas reject ``doc`` (empty when they accept it)."""
        kind = self.kind(doc)
        if kind is None:
            return [e.message for e in self.event_validator.iter_errors(doc)] or ["rejected"]
        return [
            f"{place}.{name}: {e.message}"
            for place, name, facet in standard_facets(doc, kind)
            for e in self.facet_validator(*STANDARD_FACETS[place][name]).iter_errors(facet)
        ]

    def base_location(self, stem: str) -> set[str]:
        """Where a facet of schema file ``stem`` may be placed, from its base definitions."""
        text = json.dumps(self.facet_schemas[stem])
        return {place for base, place in BASE_LOCATIONS.items() if f'/$defs/{base}"' in text}

    # -- generation ------------------------------------------------------------------------

    def generation_schema(self, stem: str, definition: str) -> dict[str, Any]:
        """A self-contained schema of one facet definition, for hypothesis-jsonschema."""
        doc = self.facet_schemas[stem]
        inlined = _inline(doc["$defs"][definition], doc, self._docs_by_id, ())
        return _generation_formats(inlined)

    def event_generation_schema(self, kind: str) -> dict[str, Any]:
        return _generation_formats({"$defs": self.event_schema["$defs"], "$ref": f"#/$defs/{kind}"})

    @cached_property
    def _docs_by_id(self) -> dict[str, dict[str, Any]]:
        return {d["$id"]: d for d in (self.event_schema, *self.facet_schemas.values())}


def facet_maps(doc: Mapping[str, Any], kind: str) -> Iterator[tuple[str, Any]]:
    """Every facet map a ``kind`` event ``doc`` has, with its place (dataset, job, ...)."""

    def datasets(key: str, extra: str, place: str) -> Iterator[tuple[str, Any]]:
        items = doc.get(key)
        for ds in items if isinstance(items, list) else []:
            if isinstance(ds, dict):
                yield "dataset", ds.get("facets")
                yield place, ds.get(extra)

    if kind == "DatasetEvent":
        ds = doc.get("dataset")
        if isinstance(ds, dict):
            yield "dataset", ds.get("facets")
        return
    if kind == "RunEvent" and isinstance(doc.get("run"), dict):
        yield "run", doc["run"].get("facets")
    if isinstance(doc.get("job"), dict):
        yield "job", doc["job"].get("facets")
    yield from datasets("inputs", "inputFacets", "input")
    yield from datasets("outputs", "outputFacets", "output")


def standard_facets(doc: Mapping[str, Any], kind: str) -> Iterator[tuple[str, str, Any]]:
    """The standard facets the parser checks in ``doc``: (place, name, facet)."""
    for place, facets in facet_maps(doc, kind):
        if not isinstance(facets, dict):
            continue
        for name, facet in facets.items():
            standard = name in STANDARD_FACETS[place] and isinstance(facet, dict)
            if standard and facet.get("_deleted") is not True:
                yield place, name, facet


def _inline(
    node: Any,
    doc: dict[str, Any],
    docs: dict[str, dict[str, Any]],
    active: tuple[str, ...],
    *,
    names: bool = False,
) -> Any:
    """Replace every ``$ref`` by its target, cutting recursion after two levels.

    ``names`` says ``node`` maps property names to schemas (its keys are data, not
    keywords).
    """
    if isinstance(node, list):
        return [_inline(v, doc, docs, active) for v in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node and not names:
        base, _, pointer = node["$ref"].partition("#")
        target_doc = docs[base] if base else doc
        target: Any = target_doc
        for part in pointer.strip("/").split("/"):
            target = target[part]
        ref_id = f"{target_doc['$id']}#{pointer}"
        if active.count(ref_id) >= 2:
            # Deep enough: generated documents stop nesting here.
            return False
        resolved = _inline(target, target_doc, docs, (*active, ref_id))
        rest = {k: v for k, v in node.items() if k != "$ref"}
        if not rest:
            return resolved
        return {"allOf": [resolved, _inline(rest, doc, docs, active)]}
    if names:
        return {k: _inline(v, doc, docs, active) for k, v in node.items()}
    return {
        k: _inline(v, doc, docs, active, names=k in _NAME_MAPS)
        for k, v in node.items()
        if k not in _NOT_FOR_GENERATION
    }


# Keys that carry no constraint: dropped so that hypothesis-jsonschema, which serialises
# schemas over and over while generating, has less to chew on.
_NOT_FOR_GENERATION = frozenset(
    {"$schema", "$id", "$defs", "description", "example", "documentation", "deprecated"}
)
_NAME_MAPS = frozenset({"properties", "patternProperties", "$defs", "dependentRequired"})


def _generation_formats(node: Any, *, names: bool = False) -> Any:
    # hypothesis-jsonschema's own generators for these formats are slow (uri) or missing
    # (uuid); renamed formats pick the fast generators below. Maps (facet maps, column
    # metrics, ...) are kept small: big ones cost time and find nothing more.
    if isinstance(node, dict):
        if names:
            return {k: _generation_formats(v) for k, v in node.items()}
        out = {
            k: f"x-{v}"
            if k == "format" and v in FORMATS_RENAMED
            else _generation_formats(v, names=k in _NAME_MAPS)
            for k, v in node.items()
            if k not in _NOT_FOR_GENERATION or k == "$defs"
        }
        if isinstance(node.get("additionalProperties"), dict) and "maxProperties" not in node:
            out["maxProperties"] = 2
        return out
    if isinstance(node, list):
        return [_generation_formats(v) for v in node]
    return node


FORMATS_RENAMED = ("uri", "date-time", "uuid")


def _date_time(
    year: int, month: int, day: int, hms: tuple[int, int, int], fraction: str, t: str, offset: str
) -> str:
    h, m, s = hms
    return f"{year:04d}-{month:02d}-{day:02d}{t}{h:02d}:{m:02d}:{s:02d}{fraction}{offset}"


RFC3339 = st.builds(
    _date_time,
    st.integers(1, 9999),
    st.integers(1, 12),
    st.integers(1, 28),
    st.tuples(st.integers(0, 23), st.integers(0, 59), st.integers(0, 59)),
    st.one_of(st.just(""), st.integers(0, 10**12).map(lambda v: f".{v}")),
    st.sampled_from("Tt"),
    st.one_of(
        st.sampled_from(["Z", "z", "+00:00", "-00:00"]),
        st.builds(
            lambda sign, h, m: f"{sign}{h:02d}:{m:02d}",
            st.sampled_from("+-"),
            st.integers(0, 23),
            st.integers(0, 59),
        ),
    ),
)
UUIDS = st.one_of(st.uuids().map(str), st.uuids().map(lambda u: str(u).upper()))
URIS = st.one_of(
    st.sampled_from(
        [
            PRODUCER,
            "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
            "urn:example:producer",
            "s3://bucket/key",
        ]
    ),
    st.text(string.ascii_lowercase, min_size=1, max_size=8).map("https://{}.example/".format),
)
GENERATION_FORMATS = {"x-uri": URIS, "x-date-time": RFC3339, "x-uuid": UUIDS}

#: Any JSON value, for mutations.
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
    | RFC3339
    | UUIDS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)


def spots(node: Any, here: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Every location in a JSON document."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*here, key)
            yield from spots(value, (*here, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield (*here, i)
            yield from spots(value, (*here, i))


#: Strings the parser reads specially: event types, date-times, UUIDs and facet names.
SPECIAL_STRINGS = st.sampled_from(
    [
        "",
        "START",
        "start",
        "RENAME",
        "2024-05-01T12:00:00",
        "2024-05-01T12:00:00Z\n",
        "2024-05-01 12:00:00Z",
        RUN_ID.upper(),
        RUN_ID.replace("-", ""),
        "{" + RUN_ID + "}",
        "schema",
        "columnLineage",
    ]
)
