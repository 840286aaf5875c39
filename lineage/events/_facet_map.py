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
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, PlainValidator, ValidationError
from pydantic_core import PydanticCustomError

from lineage.events.errors import (
    FACET_PROBLEMS,
    EventValidationError,
    Loc,
    located_problems,
    problems_from,
)

__all__ = ["FacetMap", "facet_map_validator", "get_facet"]

T = TypeVar("T", bound=BaseModel)

_ABSENT: Any = object()


class FacetMap(dict[str, dict[str, Any]]):
    """A ``dict`` of facets as received, plus a cache of their typed models.

    Behaves exactly like the ``dict`` it was built from (equality, iteration, JSON
    encoding). Treat it as read-only: the cache is not invalidated by mutation.
    """

    __slots__ = ("_typed",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._typed: dict[tuple[str, type[BaseModel]], BaseModel] = {}

    def cached(self, name: str, model: type[T]) -> T | None:
        """The ``model`` instance built for facet ``name``, if one was built before."""
        found = self._typed.get((name, model))
        return found if isinstance(found, model) else None

    def remember(self, name: str, model: type[BaseModel], instance: BaseModel) -> None:
        self._typed[(name, model)] = instance


def facet_map_validator(
    registry: Mapping[str, type[BaseModel]], *, deletable: bool
) -> PlainValidator:
    """Build the validator of one kind of facet map.

    ``registry`` maps the standard facet names valid in that place to their typed models;
    ``deletable`` says whether the spec gives facets there a boolean ``_deleted``
    (dataset and job facets) or not (run, input and output facets, where ``_deleted`` is
    just another property).
    """

    def validate(value: Any) -> FacetMap:
        if not isinstance(value, dict):
            raise PydanticCustomError("dict_type", "expected an object")
        problems: list[tuple[Loc, str]] = []
        result = FacetMap(value)
        for name, facet in value.items():
            if not isinstance(facet, dict):
                problems.append(((name,), "expected an object (a facet)"))
                continue
            deleted = facet.get("_deleted", _ABSENT)
            if deletable and deleted is not _ABSENT and not isinstance(deleted, bool):
                problems.append(((name, "_deleted"), "expected true or false"))
            model = registry.get(name)
            if model is None or deleted is True:
                _check_base(name, facet, problems)
                continue
            try:
                result.remember(name, model, model.model_validate(facet))
            except ValidationError as exc:
                problems.extend(located_problems(exc, (name,)))
        if problems:
            raise PydanticCustomError(
                FACET_PROBLEMS,
                "{count} problem(s) in facets",
                {"count": len(problems), "problems": problems},
            )
        return result

    return PlainValidator(validate, json_schema_input_type=dict[str, dict[str, Any]])


def _check_base(name: str, facet: dict[str, Any], problems: list[tuple[Loc, str]]) -> None:
    for key in ("_producer", "_schemaURL"):
        value = facet.get(key, _ABSENT)
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
    if isinstance(raw, Mapping) and raw.get("_deleted") is True:
        return None
    if isinstance(facets, FacetMap):
        found = facets.cached(name, model)
        if found is not None:
            return found
    try:
        instance = model.model_validate(raw)
    except ValidationError as exc:
        raise EventValidationError(problems_from(exc, (name,))) from None
    if isinstance(facets, FacetMap):
        facets.remember(name, model, instance)
    return instance
