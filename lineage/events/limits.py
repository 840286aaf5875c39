"""How large one event may be: inputs, outputs, schema fields of a dataset, bytes of a facet,
bytes of a name.

What one event costs to store grows with its inputs, outputs and schema fields, and the
store writes an event in one transaction: a single event with 100,000 inputs would hold
the store for every reader and writer for a minute and leave gigabytes resident. These
limits are checked on the decoded JSON before the event is parsed, so an event over one is
refused in about the time it takes to count.

Each limit is a setting (``LINEAGE_MAX_INPUTS``, ...; see :mod:`lineage.settings`); an
event over one raises :class:`EventTooLarge`, whose problem names the JSON path, the limit
and the setting that raises it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, Final

import msgspec
import orjson

from lineage.events.errors import EventValidationError, Loc, Problem, format_path

__all__ = [
    "DEFAULT_LIMITS",
    "SETTINGS",
    "EventLimits",
    "EventTooLarge",
    "check_facets",
    "check_limits",
    "check_shape",
]


@dataclass(frozen=True, slots=True)
class EventLimits:
    """The most one event may hold. Every limit is at least 1."""

    max_inputs: int = 10_000
    max_outputs: int = 10_000
    #: Schema fields of one dataset, nested fields included.
    max_schema_fields: int = 10_000
    #: Size of one facet as compact JSON.
    max_facet_bytes: int = 1024 * 1024
    #: UTF-8 bytes of one namespace or name (of a job, a dataset, a column): each is part
    #: of node ids, which the store keeps many copies of.
    max_name_bytes: int = 4096


DEFAULT_LIMITS: Final = EventLimits()

#: Each limit's setting, as an environment variable.
SETTINGS: Final = {
    "max_inputs": "LINEAGE_MAX_INPUTS",
    "max_outputs": "LINEAGE_MAX_OUTPUTS",
    "max_schema_fields": "LINEAGE_MAX_SCHEMA_FIELDS",
    "max_facet_bytes": "LINEAGE_MAX_FACET_BYTES",
    "max_name_bytes": "LINEAGE_MAX_NAME_BYTES",
}


class EventTooLarge(EventValidationError):
    """An event over one of the :class:`EventLimits`: ``limit`` is its name
    (``max_inputs``), ``setting`` the environment variable that raises it."""

    def __init__(self, path: str, message: str, limit: str) -> None:
        self.limit = limit
        self.setting = SETTINGS[limit]
        super().__init__([Problem(path, message)])

    def __reduce__(self) -> tuple[Any, ...]:
        problem = self.problems[0]
        return (type(self), (problem.path, problem.message, self.limit))


def check_limits(raw: Any, limits: EventLimits = DEFAULT_LIMITS) -> None:
    """Raise :class:`EventTooLarge` for the first limit decoded event ``raw`` is over.

    Anything that is not shaped like an event (not an object, ``inputs`` not a list, ...)
    passes: the parser reports it.
    """
    check_shape(raw, limits)
    check_facets(raw, limits)


def check_shape(raw: Any, limits: EventLimits = DEFAULT_LIMITS, body: bytes | None = None) -> None:
    """The limits on counts (inputs, outputs, schema fields) and on names: cheap, checked
    first. ``body``, when given, is ``raw`` as JSON (the bytes it was decoded from): names
    are then looked for in it first, in C, and walked only when one may be too long."""
    if not isinstance(raw, dict):
        return
    for key, limit in (("inputs", limits.max_inputs), ("outputs", limits.max_outputs)):
        datasets = raw.get(key)
        if isinstance(datasets, list) and len(datasets) > limit:
            name = f"max_{key}"
            raise EventTooLarge(
                key,
                f"{len(datasets)} {key}; one event holds at most {limit} {key} "
                f"({name}: raise {SETTINGS[name]} to accept more, or send them in several events)",
                name,
            )
    # A list of n items holds n - 1 commas: no schema in a body with fewer commas and
    # lists than the limit can hold more fields.
    if body is None or body.count(b",") + body.count(b"[") > limits.max_schema_fields:
        for loc, dataset in _datasets(raw):
            _check_schema(loc, dataset, limits.max_schema_fields)
    if body is None or not _names_are_short(body, limits.max_name_bytes):
        _check_names(raw, limits.max_name_bytes)


def _names_are_short(body: bytes, limit: int) -> bool:
    """True when no name :func:`_long_names` looks at in event ``body`` is longer than
    ``limit / 4`` characters, so that none can be over ``limit`` bytes; False when one may
    be, or when the event is not shaped as the quick test expects (the walk then decides).
    """
    try:
        _names_decoder(limit).decode(body)
    except (msgspec.MsgspecError, RecursionError):
        return False
    return True


# Types built at run time, as values (mypy would read list[...] of a variable as a type).
_LIST: Any = list
_DICT: Any = dict

#: Levels of nested schema fields the quick name test reads; a deeper schema is walked.
_SCHEMA_LEVELS: Final = 4


def _struct(name: str, fields: list[tuple[str, Any, Any]]) -> Any:
    # Untracked by the garbage collector: they hold only strings and each other.
    return msgspec.defstruct(name, fields, gc=False)


@lru_cache(maxsize=8)
def _names_decoder(limit: int) -> msgspec.json.Decoder[Any]:
    """Decodes an event keeping only the names :func:`_long_names` checks, each at most
    ``limit / 4`` characters: what is not one of them is skipped, in C."""
    short = Annotated[str, msgspec.Meta(max_length=limit // 4)]
    name = short | None
    level: Any = None  # the deepest level read: nested fields there go to the walk
    for _ in range(_SCHEMA_LEVELS):
        level = _struct(
            "SchemaField", [("name", name, None), ("fields", _LIST[level] | None, None)]
        )
    schema = _struct("Schema", [("fields", _LIST[level] | None, None)])
    source = _struct(
        "InputField", [("namespace", name, None), ("name", name, None), ("field", name, None)]
    )
    column = _struct("ColumnLineageField", [("inputFields", _LIST[source] | None, None)])
    lineage = _struct("ColumnLineage", [("fields", _DICT[short, column] | None, None)])
    facets = _struct(
        "DatasetFacets", [("schema", schema | None, None), ("columnLineage", lineage | None, None)]
    )
    dataset = _struct(
        "Dataset",
        [("namespace", name, None), ("name", name, None), ("facets", facets | None, None)],
    )
    job = _struct("Job", [("namespace", name, None), ("name", name, None)])
    root = _struct("ParentRoot", [("job", job | None, None)])
    parent = _struct("Parent", [("job", job | None, None), ("root", root | None, None)])
    run_facets = _struct("RunFacets", [("parent", parent | None, None)])
    run = _struct("Run", [("facets", run_facets | None, None)])
    event = _struct(
        "Event",
        [
            ("job", job | None, None),
            ("run", run | None, None),
            ("inputs", _LIST[dataset] | None, None),
            ("outputs", _LIST[dataset] | None, None),
            ("dataset", dataset | None, None),
        ],
    )
    return msgspec.json.Decoder(event)


def _check_names(raw: dict[str, Any], limit: int) -> None:
    """The namespaces and names of the job, its parent, the datasets, their schema fields
    and column lineage: each at most ``limit`` bytes of UTF-8."""
    for loc, name in _long_names(raw, limit):
        size = len(name.encode("utf-8", "surrogatepass"))
        if size > limit:
            raise EventTooLarge(
                format_path(loc),
                f"this name is {size} bytes (UTF-8); a namespace or name holds at most "
                f"{limit} bytes (max_name_bytes: raise {SETTINGS['max_name_bytes']} to "
                "accept more)",
                "max_name_bytes",
            )


def _long_names(raw: dict[str, Any], limit: int) -> Iterator[tuple[Loc, str]]:
    """The names :func:`_check_names` checks that may be over ``limit`` bytes, in document
    order, with their locations. A string of at most limit / 4 characters is within the
    limit whatever they are: an event has hundreds of names (schema fields, column
    lineage), so they are tested in place, and a location is made only for a long one."""

    def named(container: Any, loc: Loc, *keys: str) -> Iterator[tuple[Loc, str]]:
        if isinstance(container, dict):
            for key in keys:
                value = container.get(key)
                if isinstance(value, str) and len(value) * 4 > limit:
                    yield (*loc, key), value

    yield from named(raw.get("job"), ("job",), "namespace", "name")
    run = raw.get("run")
    facets = run.get("facets") if isinstance(run, dict) else None
    parent = facets.get("parent") if isinstance(facets, dict) else None
    if isinstance(parent, dict):
        loc: Loc = ("run", "facets", "parent")
        yield from named(parent.get("job"), (*loc, "job"), "namespace", "name")
        root = parent.get("root")
        if isinstance(root, dict):
            yield from named(root.get("job"), (*loc, "root", "job"), "namespace", "name")
    for loc, dataset in _datasets(raw):
        yield from named(dataset, loc, "namespace", "name")
        facets = dataset.get("facets")
        if not isinstance(facets, dict):
            continue
        schema = facets.get("schema")
        fields = schema.get("fields") if isinstance(schema, dict) else None
        pending: list[tuple[Loc, Any]] = [((*loc, "facets", "schema", "fields"), fields)]
        while pending:
            at, level = pending.pop()
            if not isinstance(level, list):
                continue
            for index, field in enumerate(level):
                if not isinstance(field, dict):
                    continue
                name = field.get("name")
                if isinstance(name, str) and len(name) * 4 > limit:
                    yield (*at, index, "name"), name
                nested = field.get("fields")
                if nested is not None:
                    pending.append(((*at, index, "fields"), nested))
        lineage = facets.get("columnLineage")
        outputs = lineage.get("fields") if isinstance(lineage, dict) else None
        if not isinstance(outputs, dict):
            continue
        for column, mapping in outputs.items():
            if isinstance(column, str) and len(column) * 4 > limit:
                yield (*loc, "facets", "columnLineage", "fields", column), column
            refs = mapping.get("inputFields") if isinstance(mapping, dict) else None
            if not isinstance(refs, list):
                continue
            for index, ref in enumerate(refs):
                if not isinstance(ref, dict):
                    continue
                for key in ("namespace", "name", "field"):
                    value = ref.get(key)
                    if isinstance(value, str) and len(value) * 4 > limit:
                        at = (*loc, "facets", "columnLineage", "fields", column)
                        yield (*at, "inputFields", index, key), value


def check_facets(raw: Any, limits: EventLimits = DEFAULT_LIMITS, size: int | None = None) -> None:
    """The limit on the size of each facet. ``size`` is the length of the whole event as
    JSON when known: no facet of an event that small can be over the limit, so facets are
    measured only in larger events."""
    if not isinstance(raw, dict) or (size is not None and size <= limits.max_facet_bytes):
        return
    for loc, facet in _facets(raw):
        length = _encoded_length(facet)
        if length > limits.max_facet_bytes:
            raise EventTooLarge(
                format_path(loc),
                f"this facet is {length} bytes as JSON; one facet holds at most "
                f"{limits.max_facet_bytes} bytes (max_facet_bytes: raise "
                f"{SETTINGS['max_facet_bytes']} to accept more)",
                "max_facet_bytes",
            )


def _datasets(raw: dict[str, Any]) -> Iterator[tuple[Loc, dict[str, Any]]]:
    for key in ("inputs", "outputs"):
        datasets = raw.get(key)
        if isinstance(datasets, list):
            for index, dataset in enumerate(datasets):
                if isinstance(dataset, dict):
                    yield (key, index), dataset
    dataset = raw.get("dataset")
    if isinstance(dataset, dict):
        yield ("dataset",), dataset


def _check_schema(loc: Loc, dataset: dict[str, Any], limit: int) -> None:
    facets = dataset.get("facets")
    schema = facets.get("schema") if isinstance(facets, dict) else None
    fields = schema.get("fields") if isinstance(schema, dict) else None
    if not isinstance(fields, list):
        return
    count = 0
    pending = [fields]
    while pending:
        level = pending.pop()
        count += len(level)
        if count > limit:
            raise EventTooLarge(
                format_path((*loc, "facets", "schema", "fields")),
                f"this dataset's schema has more than {limit} fields (nested fields "
                f"included); one dataset holds at most {limit} (max_schema_fields: raise "
                f"{SETTINGS['max_schema_fields']} to accept more)",
                "max_schema_fields",
            )
        for field in level:
            nested = field.get("fields") if isinstance(field, dict) else None
            if isinstance(nested, list):
                pending.append(nested)


def _facets(raw: dict[str, Any]) -> Iterator[tuple[Loc, Any]]:
    for key in ("run", "job"):
        yield from _facet_map(raw.get(key), (key,), "facets")
    for loc, dataset in _datasets(raw):
        for name in ("facets", "inputFacets", "outputFacets"):
            yield from _facet_map(dataset, loc, name)


def _facet_map(container: Any, loc: Loc, key: str) -> Iterator[tuple[Loc, Any]]:
    facets = container.get(key) if isinstance(container, dict) else None
    if isinstance(facets, dict):
        for name, facet in facets.items():
            yield (*loc, key, name), facet


def _encoded_length(value: Any) -> int:
    try:
        return len(orjson.dumps(value))
    except (orjson.JSONEncodeError, TypeError):
        # Not encodable (too deep, a huge integer): the parser reports why.
        return 0
