"""Turning decoded JSON into validated events, with every problem reported."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from lineage.events._facet_map import NESTING_UNTESTED, NESTING_UNTESTED_ERROR
from lineage.events.errors import (
    EventValidationError,
    Loc,
    Problem,
    format_path,
    located_problems,
    problems_from,
)
from lineage.events.models import BaseEvent, DatasetEvent, JobEvent, LineageEvent, RunEvent
from lineage.events.nesting import MAX_NESTING, encoded_within, may_nest_deeper, nesting_problem

__all__ = ["MAX_NESTING", "nesting_problem", "parse_event", "parse_events"]

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
    model = _kind(raw) if isinstance(raw, dict) else None
    if model is None:
        return validated(raw)
    # Most events are valid: validated first, each facet map testing how deep it nests
    # while it is encoded to be looked up, instead of encoding the whole event for that.
    try:
        event = model.model_validate(raw, context=NESTING_UNTESTED)
    except ValidationError as exc:
        if any(error["type"] == NESTING_UNTESTED_ERROR for error in exc.errors()):
            return validated(raw)
        # What validated(raw) would find: the same problems, once the nesting is tested.
        _check_nesting(raw)
        raise EventValidationError(problems_from(exc)) from None
    if _unknown_values_may_nest_deeper(event):
        return validated(raw)
    return event


def validated(raw: Any) -> LineageEvent:
    """:func:`parse_event` the plain way: the event's nesting tested first, then the
    event validated. What :func:`parse_event` returns or raises, at a higher cost."""
    if not isinstance(raw, dict):
        raise EventValidationError([Problem("$", _NOT_AN_OBJECT)])
    _check_nesting(raw)
    model = _kind(raw)
    if model is not None:
        return _validate(model, raw)
    if "dataset" in raw and "job" in raw:
        return _dataset_or_job_event(raw)
    problems = [Problem("$", _NO_KIND)]
    try:
        BaseEvent.model_validate(raw)
    except ValidationError as exc:
        problems.extend(problems_from(exc))
    raise EventValidationError(problems)


def _check_nesting(raw: dict[str, Any]) -> None:
    if may_nest_deeper(raw):
        deep = nesting_problem(raw)
        if deep is not None:
            raise EventValidationError([deep])


def _unknown_values_may_nest_deeper(event: LineageEvent) -> bool:
    """Whether a property the models do not know (kept as is) may nest ``event`` too
    deep: the one part of an event validated under ``NESTING_UNTESTED`` that its facet
    maps did not test."""
    if _deep_unknown(event, 1):
        return True
    if isinstance(event, DatasetEvent):
        return _deep_unknown(event.dataset, 2)
    if isinstance(event, RunEvent) and _deep_unknown(event.run, 2):
        return True
    return (
        _deep_unknown(event.job, 2)
        or any(_deep_unknown(dataset, 3) for dataset in event.inputs)
        or any(_deep_unknown(dataset, 3) for dataset in event.outputs)
    )


def _deep_unknown(part: BaseModel, depth: int) -> bool:
    unknown = part.__pydantic_extra__
    if not unknown:
        return False
    return any(
        isinstance(value, dict | list) and encoded_within(value, depth) is None
        for value in unknown.values()
    )


def _kind(raw: dict[str, Any]) -> type[LineageEvent] | None:
    """The model ``raw`` is validated as; None for an event that is neither kind, or
    that may be a DatasetEvent or a JobEvent (``dataset`` and ``job`` without ``run``)."""
    if "run" in raw:
        return RunEvent if "job" in raw or "dataset" not in raw else DatasetEvent
    if "dataset" in raw:
        return None if "job" in raw else DatasetEvent
    return JobEvent if "job" in raw else None


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
