"""Facet maps: the ``facets`` objects of runs, jobs and datasets, kept verbatim.

A facet map is validated in one pass when the event is parsed:

* every facet must be a JSON object carrying ``_producer`` and ``_schemaURL`` strings, as
  the spec's ``BaseFacet`` requires (``_deleted``, where the spec defines it, must be a
  boolean);
* a *standard* facet (one registered for that place, e.g. ``schema`` among dataset facets)
  must also parse into its typed model, unless it is a deletion marker
  (``"_deleted": true``), whose content is meaningless.

The result is a :class:`FacetMap`: a plain ``dict`` of the facets exactly as received
(custom facets included) that also remembers the typed models built while validating, so
:func:`get_facet` never validates the same facet twice.

Validating facets is most of the cost of parsing, and facets repeat from event to event:
the START and COMPLETE of a run carry the same ones, and so does every run of a job until
its code or data changes. Validation results are therefore shared between events through
:data:`SHARED_FACETS`, keyed by exact JSON content: a facet map seen before is not
validated again, and neither is a big facet (a schema, column lineage) seen before in
another map.

Encoding a map to look it up also tells how deep it nests, which
:func:`lineage.events.parse_event` relies on instead of encoding each event whole (see
:data:`NESTING_UNTESTED`): a map is stored only once it is known to nest shallowly enough
for the deepest place its kind takes in an event, so finding it is proof enough.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from typing import Any, Final, TypeVar

import orjson
from pydantic import BaseModel, PlainValidator, ValidationError
from pydantic_core import PydanticCustomError, core_schema

from lineage.events.errors import (
    FACET_PROBLEMS,
    EventValidationError,
    Loc,
    located_problems,
    problems_from,
)
from lineage.events.nesting import nests_within

__all__ = [
    "NESTING_UNTESTED",
    "NESTING_UNTESTED_ERROR",
    "SHARED_FACETS",
    "FacetMap",
    "SharedFacets",
    "facet_map_validator",
    "get_facet",
]

T = TypeVar("T", bound=BaseModel)

_ABSENT: Any = object()

#: Objects an entry of :class:`SharedFacets` holds that other entries may hold too, each
#: with its size as JSON.
Parts = tuple[tuple[object, int], ...]


class FacetMap(dict[str, dict[str, Any]]):
    """A ``dict`` of facets as received, plus a cache of their typed models.

    Behaves exactly like the ``dict`` it was built from (equality, iteration, JSON
    encoding). Treat it as read-only: the cache is not invalidated by mutation.
    """

    # No __init__ and a class-level default keep construction at dict speed; most facet
    # maps are empty or never asked for a typed facet.
    _typed: dict[tuple[str, type[BaseModel]], BaseModel] | None = None

    def cached(self, name: str, model: type[T]) -> T | None:
        """The ``model`` instance built for facet ``name``, if one was built before."""
        if self._typed is None:
            return None
        found = self._typed.get((name, model))
        return found if isinstance(found, model) else None

    def remember(self, name: str, model: type[BaseModel], instance: BaseModel) -> None:
        """Record the typed ``instance`` of facet ``name`` for later :meth:`cached` calls."""
        if self._typed is None:
            self._typed = {}
        self._typed[(name, model)] = instance


class SharedFacets:
    """Validation results by exact JSON content, shared between events (a bounded LRU).

    An entry is what validating some JSON produced, under a ``tag`` saying what it was
    validated as: a whole facet map (tagged with its validator) or one big facet (tagged
    with its model). Only JSON that validated is stored, and only JSON without ``null``:
    then the compact JSON text identifies the content exactly (NaN and infinities, which
    ``orjson`` writes as ``null``, cannot alias it). Memory is bounded by the total JSON
    size of what the entries hold, ``max_bytes``; the objects take roughly ten times that.

    An entry may hold objects that other entries hold too (a facet map's entry holds the
    typed facets that are entries of their own): each such ``part`` is counted once, for
    as long as some entry holds it. Counting it twice would make a working set of facet
    maps and their big facets look twice its size, and an LRU over a working set bigger
    than itself serves almost nothing.

    Typed facets are frozen, so sharing them is safe as long as nobody mutates the lists
    and dicts inside them, which no reader should.
    """

    def __init__(self, *, max_bytes: int = 4 << 20) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[Hashable, bytes], tuple[object, int, Parts]] = (
            OrderedDict()
        )
        #: id of each part held -> (the part, its size, how many entries hold it).
        self._parts: dict[int, tuple[object, int, int]] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def key_of(self, value: dict[str, Any], min_size: int = 0) -> bytes | None:
        """The cache key of ``value``, or None when it should not be cached."""
        body = _encoded(value)
        return None if body is None else self.key_from(body, min_size)

    def key_from(self, body: bytes, min_size: int = 0) -> bytes | None:
        """The cache key of the value ``body`` is ``orjson.dumps`` of, or None when it
        should not be cached."""
        if len(body) < min_size or len(body) > self.max_bytes or _has_null(body):
            return None
        return body

    def get(self, tag: Hashable, key: bytes) -> object | None:
        """What was stored for content ``key`` under ``tag``, if anything."""
        with self._lock:
            found = self._entries.get((tag, key))
            if found is None:
                return None
            self._entries.move_to_end((tag, key))
            return found[0]

    def put(
        self, tag: Hashable, key: bytes, value: object, parts: Parts = (), size: int | None = None
    ) -> None:
        """Store ``value`` for content ``key`` under ``tag``, evicting the oldest entries.

        ``parts`` are objects ``value`` holds that other entries may hold too, each with
        its JSON size; ``size`` is that of the rest of ``value`` (by default, of ``key``).
        """
        with self._lock:
            if (tag, key) in self._entries:
                return
            own = len(key) if size is None else size
            self._entries[(tag, key)] = (value, own, parts)
            self._bytes += own
            for part, part_size in parts:
                held = self._parts.get(id(part))
                if held is None:
                    self._parts[id(part)] = (part, part_size, 1)
                    self._bytes += part_size
                else:
                    self._parts[id(part)] = (part, held[1], held[2] + 1)
            while self._bytes > self.max_bytes and self._entries:
                _, (_, own, parts) = self._entries.popitem(last=False)
                self._bytes -= own
                for part, _ in parts:
                    part, part_size, count = self._parts[id(part)]
                    if count == 1:
                        del self._parts[id(part)]
                        self._bytes -= part_size
                    else:
                        self._parts[id(part)] = (part, part_size, count - 1)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._parts.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


def _has_null(body: bytes) -> bool:
    # In compact JSON a null value follows ':', '[' or ','; text such as dbt's "not_null"
    # does not match, and text that happens to (",null") only costs a cache miss.
    if b"null" not in body:
        return False
    return b":null" in body or b",null" in body or b"[null" in body


#: The process-wide cache of validated facet maps and typed facets.
SHARED_FACETS: Final = SharedFacets()

#: The ``context`` under which an event whose nesting was not tested is validated: each
#: facet map of its own then tests how deep it nests, and one that may nest too deep is
#: refused with :data:`NESTING_UNTESTED_ERROR` (the caller tests the event then).
NESTING_UNTESTED: Final = "nesting untested"
NESTING_UNTESTED_ERROR: Final = "facet_nesting_untested"

# A single facet is worth caching on its own (when its facet map as a whole is new) only
# when building its model costs clearly more than serialising it to look it up.
_FACET_MIN_SIZE: Final = 512


def facet_map_validator(
    registry: Mapping[str, type[BaseModel]], *, deletable: bool, depth: int | None = None
) -> PlainValidator:
    """Build the validator of one kind of facet map.

    ``registry`` maps the standard facet names valid in that place to their typed models;
    ``deletable`` says whether the spec gives facets there a boolean ``_deleted``
    (dataset and job facets) or not (run, input and output facets, where ``_deleted`` is
    just another property). ``depth`` is how deep in an event the map is found, at most
    (``run.facets`` is 2 deep), for a map of the event's own; None for one forwarded
    inside a facet.

    Under :data:`NESTING_UNTESTED`, a map of the event's own that is not in the cache
    tests how deep it nests (:func:`~lineage.events.nesting.nests_within`) before its
    facets are validated.
    """
    tag = object()  # what this validator's results are cached under

    def validate(value: Any, info: core_schema.ValidationInfo) -> FacetMap:
        if not isinstance(value, dict):
            raise PydanticCustomError("dict_type", "expected an object")
        result = FacetMap(value)
        if not value:
            return result
        body = _encoded(value)
        key = None if body is None else SHARED_FACETS.key_from(body)
        if key is not None:
            known = SHARED_FACETS.get(tag, key)
            if isinstance(known, dict):
                # Stored only once it was found to nest shallowly enough for this place.
                result._typed = dict(known)
                return result
        fits = depth is None or (body is not None and nests_within(value, body, depth))
        if not fits and info.context is NESTING_UNTESTED:
            raise PydanticCustomError(NESTING_UNTESTED_ERROR, "may nest too deep")
        problems: list[tuple[Loc, str]] = []
        shared: list[tuple[object, int]] = []
        for name, facet in value.items():
            if not isinstance(facet, dict):
                problems.append(((name,), "expected an object (a facet)"))
                continue
            deleted = facet.get("_deleted", _ABSENT)
            if deleted is not _ABSENT and deletable and not isinstance(deleted, bool):
                problems.append(((name, "_deleted"), "expected true or false"))
            model = registry.get(name)
            if model is None or deleted is True:
                _check_base(name, facet, problems)
                continue
            instance = _typed_facet(model, name, facet, problems, shared)
            if instance is not None:
                result.remember(name, model, instance)
        if problems:
            raise PydanticCustomError(
                FACET_PROBLEMS,
                "{count} problem(s) in facets",
                {"count": len(problems), "problems": problems},
            )
        if key is not None and fits:
            # The big facets inside are entries of their own: counted once, as parts.
            rest = len(key) - sum(size for _, size in shared)
            SHARED_FACETS.put(tag, key, dict(result._typed or {}), tuple(shared), rest)
        return result

    return PlainValidator(validate, json_schema_input_type=dict[str, dict[str, Any]])


def _encoded(value: dict[str, Any]) -> bytes | None:
    try:
        return orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError):
        return None


def _typed_facet(
    model: type[BaseModel],
    name: str,
    facet: dict[str, Any],
    problems: list[tuple[Loc, str]],
    shared: list[tuple[object, int]],
) -> BaseModel | None:
    """``facet`` as a ``model``, or None after adding its problems to ``problems``. A
    facet shared by content is added to ``shared`` with its size as JSON."""
    shareable = getattr(model, "share_by_content", False)
    key = SHARED_FACETS.key_of(facet, _FACET_MIN_SIZE) if shareable else None
    if key is not None:
        known = SHARED_FACETS.get(model, key)
        if isinstance(known, model):
            shared.append((known, len(key)))
            return known
    try:
        instance = model.model_validate(facet)
    except ValidationError as exc:
        problems.extend(located_problems(exc, (name,)))
        return None
    if key is not None:
        SHARED_FACETS.put(model, key, instance, ((instance, len(key)),), 0)
        shared.append((instance, len(key)))
    return instance


def _check_base(name: str, facet: dict[str, Any], problems: list[tuple[Loc, str]]) -> None:
    producer = facet.get("_producer", _ABSENT)
    schema_url = facet.get("_schemaURL", _ABSENT)
    if type(producer) is str and type(schema_url) is str:
        return
    for key, value in (("_producer", producer), ("_schemaURL", schema_url)):
        if value is _ABSENT:
            problems.append(((name, key), "missing"))
        elif not isinstance(value, str):
            problems.append(((name, key), "expected a string"))


def get_facet(facets: Mapping[str, Any], name: str, model: type[T]) -> T | None:
    """Return facet ``name`` of ``facets`` as a ``model``, or None.

    None means the facet is absent or is a deletion marker (``"_deleted": true``). For a
    facet map of a parsed event the typed model built during parsing is returned as is;
    any other facet (a custom facet read with its own model, or a plain mapping) is
    validated once and, on a parsed event's facet map, cached.

    Raises :class:`EventValidationError` (paths relative to ``facets``) when the facet is
    present but does not fit ``model``; for the standard facets of a parsed event that
    cannot happen, parsing already checked them.
    """
    raw = facets.get(name)
    if raw is None:
        return None
    if isinstance(facets, FacetMap):
        # Only facets that are not deletion markers are ever typed and remembered.
        found = facets.cached(name, model)
        if found is not None:
            return found
    if isinstance(raw, (dict, Mapping)) and raw.get("_deleted") is True:
        return None
    try:
        instance = model.model_validate(raw)
    except ValidationError as exc:
        raise EventValidationError(problems_from(exc, (name,))) from None
    if isinstance(facets, FacetMap):
        facets.remember(name, model, instance)
    return instance
