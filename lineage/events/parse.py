"""Turning decoded JSON into validated events, with every problem reported."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

import orjson
from pydantic import ValidationError

from lineage.events.errors import (
    EventValidationError,
    Loc,
    Problem,
    format_path,
    located_problems,
    problems_from,
)
from lineage.events.models import BaseEvent, DatasetEvent, JobEvent, LineageEvent, RunEvent

__all__ = ["MAX_NESTING", "nesting_problem", "parse_event", "parse_events"]

#: Deepest nesting of objects and arrays an event may hold. Real events nest about ten
#: levels; the raw event is stored re-encoded, and JSON encoders stop near 255 levels.
MAX_NESTING = 128

E = TypeVar("E", bound=BaseEvent)

_NOT_AN_OBJECT = "expected a JSON object (an OpenLineage event)"
_NO_KIND = (
    "not an OpenLineage event: expected `run` and `job` (a RunEvent), "
    "`dataset` (a DatasetEvent) or `job` (a JobEvent)"
)
_AMBIGUOUS = (
    "ambiguous event: it is both a valid DatasetEvent (`dataset`) and a valid JobEvent "
    "(`job`); send one of the two"
)


def nesting_problem(value: Any, limit: int = MAX_NESTING) -> Problem | None:
    """The first place ``value`` (decoded JSON) nests objects and arrays more than ``limit``
    levels deep, as a problem naming its path; None when it does not. Never recursive."""
    stack: list[tuple[Any, Loc]] = [(value, ())]
    while stack:
        item, loc = stack.pop()
        if isinstance(item, dict):
            children: Iterable[tuple[str | int, Any]] = item.items()
        elif isinstance(item, list):
            children = enumerate(item)
        else:
            continue
        if len(loc) >= limit:
            shown = format_path(loc[:6]) + ("..." if len(loc) > 6 else "")
            return Problem(
                shown,
                f"nested more than {limit} levels deep (objects and arrays within each other); "
                f"send at most {limit} levels",
            )
        stack.extend((child, (*loc, key)) for key, child in children)
    return None


def _may_nest_deeper(value: Any) -> bool:
    """The quick test every event takes: whether ``value`` may nest more than
    :data:`MAX_NESTING` levels. orjson refuses to encode past 254 levels, in C; wrapped in
    ``254 - MAX_NESTING`` lists, ``value`` fails to encode when it nests that deep (or when
    it cannot be encoded for another reason, which :func:`nesting_problem` then clears)."""
    wrapped = value
    for _ in range(_WRAP):
        wrapped = [wrapped]
    try:
        orjson.dumps(wrapped)
    except orjson.JSONEncodeError:
        return True
    return False


_WRAP = 254 - MAX_NESTING


def parse_event(raw: Any) -> LineageEvent:
    """Validate one decoded JSON event and return it as a RunEvent, DatasetEvent or JobEvent.

    ``raw`` is the decoded JSON (e.g. from ``orjson.loads``); it is not modified, and the
    returned event shares facet dicts and unknown values with it. The kind is decided the
    way the spec's ``oneOf`` decides it:

    * ``run`` and ``job`` present: a RunEvent;
    * ``dataset`` present and not both ``run`` and ``job``: a DatasetEvent;
    * ``job`` present without ``run``: a JobEvent;
    * ``dataset`` and ``job`` without ``run`` is whichever of the two validates, and is
      rejected as ambiguous when both do (the schema's ``oneOf`` rejects it too). As in
      that ``oneOf``, a reading that fails only inside standard facets counts as valid;
    * ``run`` alone is checked as a RunEvent, so the missing ``job`` is reported.

    Raises :class:`EventValidationError` listing every problem found, each with its path.
    """
    if not isinstance(raw, dict):
        raise EventValidationError([Problem("$", _NOT_AN_OBJECT)])
    if _may_nest_deeper(raw):
        deep = nesting_problem(raw)
        if deep is not None:
            raise EventValidationError([deep])
    if "run" in raw:
        if "job" in raw or "dataset" not in raw:
            return _validate(RunEvent, raw)
        return _validate(DatasetEvent, raw)
    if "dataset" in raw:
        if "job" in raw:
            return _dataset_or_job_event(raw)
        return _validate(DatasetEvent, raw)
    if "job" in raw:
        return _validate(JobEvent, raw)
    problems = [Problem("$", _NO_KIND)]
    try:
        BaseEvent.model_validate(raw)
    except ValidationError as exc:
        problems.extend(problems_from(exc))
    raise EventValidationError(problems)


def parse_events(raws: Iterable[Any]) -> list[LineageEvent | EventValidationError]:
    """Parse each item of a batch on its own: the event, or the error that rejected it.

    The result has one entry per input item, in order; one bad event does not affect the
    others.
    """
    results: list[LineageEvent | EventValidationError] = []
    for raw in raws:
        try:
            results.append(parse_event(raw))
        except EventValidationError as exc:
            results.append(exc)
    return results


def _validate(model: type[E], raw: dict[str, Any]) -> E:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise EventValidationError(problems_from(exc)) from None


def _attempt(model: type[E], raw: dict[str, Any]) -> E | list[tuple[Loc, str]]:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        return located_problems(exc)


def _dataset_or_job_event(raw: dict[str, Any]) -> DatasetEvent | JobEvent:
    as_dataset = _attempt(DatasetEvent, raw)
    as_job = _attempt(JobEvent, raw)
    chosen: DatasetEvent | JobEvent
    if isinstance(as_dataset, DatasetEvent):
        if isinstance(as_job, JobEvent):
            raise EventValidationError([Problem("$", _AMBIGUOUS)])
        chosen, other = as_dataset, as_job
    elif isinstance(as_job, JobEvent):
        chosen, other = as_job, as_dataset
    else:
        # Both readings fail; the problems they share (eventTime, ...) are listed once.
        both = dict.fromkeys(Problem(format_path(loc), m) for loc, m in [*as_dataset, *as_job])
        raise EventValidationError(both)
    if all(_in_standard_facet_content(loc) for loc, _ in other):
        # The other reading fails only on the content of standard facets, which the event
        # schema's oneOf does not look at: for it both readings match, so it rejects.
        raise EventValidationError(
            [Problem("$", _AMBIGUOUS)] + [Problem(format_path(loc), m) for loc, m in other]
        )
    return chosen


_FACET_MAPS = frozenset({"facets", "inputFacets", "outputFacets"})
_BASE_FACET_KEYS = frozenset({"_producer", "_schemaURL", "_deleted"})


def _in_standard_facet_content(loc: Loc) -> bool:
    """True for a location inside a facet, below its base properties.

    Only standard facets are checked that deep; ``OpenLineage.json`` itself checks facets
    no further than being objects with ``_producer`` and ``_schemaURL``.
    """
    if len(loc) >= 4 and loc[0] in ("job", "dataset") and loc[1] == "facets":
        inside = loc[3:]
    elif len(loc) >= 5 and loc[0] in ("inputs", "outputs") and loc[2] in _FACET_MAPS:
        inside = loc[4:]
    else:
        return False
    return inside[0] not in _BASE_FACET_KEYS
