"""Validation problems and the exception that carries them.

Every problem names the place in the event where it was found, as a path of dotted keys
and ``[i]`` list indexes relative to the event root (``outputs[0].facets.schema``), or
``$`` for the event as a whole. Keys that would not read unambiguously after a dot are
written as quoted JSON strings in brackets (``fields["order id"]``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

__all__ = [
    "FACET_PROBLEMS",
    "EventValidationError",
    "Loc",
    "Problem",
    "format_path",
    "located_problems",
    "problems_from",
]

#: A location inside a JSON document: object keys and list indexes, outermost first.
Loc = tuple[str | int, ...]

#: Error type of the pydantic error that a facet map raises to hand over several
#: located problems at once (pydantic lets a validator function raise only one error).
FACET_PROBLEMS = "facet_problems"

_PLAIN_KEY = re.compile(r"[A-Za-z_$@][A-Za-z0-9_$@\-]*", re.ASCII)


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason an event was rejected: where (``path``) and what is expected (``message``).

    ``str(problem)`` is ``"<path>: <message>"``, e.g. ``run.runId: not a UUID``.
    """

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class EventValidationError(Exception):
    """An event does not conform to the OpenLineage spec; ``problems`` lists every reason.

    ``problems`` is never empty and is ordered as the problems were found, roughly in
    document order.
    """

    problems: list[Problem]

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        if not self.problems:
            raise ValueError("an EventValidationError needs at least one problem")
        super().__init__(self._summary())

    def _summary(self) -> str:
        count = len(self.problems)
        head = "invalid OpenLineage event" + (f" ({count} problems)" if count > 1 else "")
        return head + ": " + "; ".join(map(str, self.problems))

    def __reduce__(self) -> tuple[type[EventValidationError], tuple[list[Problem]]]:
        # The default reduction replays the formatted message into __init__.
        return (type(self), (self.problems,))


def format_path(loc: Sequence[str | int]) -> str:
    """Render a location as ``a.b[0].c``; the empty location is the root, ``$``."""
    if not loc:
        return "$"
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif _PLAIN_KEY.fullmatch(item):
            parts.append(f".{item}" if parts else item)
        else:
            parts.append(f"[{json.dumps(item, ensure_ascii=False)}]")
    return "".join(parts)


def problems_from(exc: ValidationError, prefix: Loc = ()) -> list[Problem]:
    """Translate a pydantic ``ValidationError`` into problems, locations under ``prefix``."""
    return [Problem(format_path(loc), message) for loc, message in located_problems(exc, prefix)]


def located_problems(exc: ValidationError, prefix: Loc = ()) -> list[tuple[Loc, str]]:
    """Like :func:`problems_from`, but keeps locations as tuples for further nesting."""
    found: list[tuple[Loc, str]] = []
    for error in exc.errors(include_url=False, include_input=False):
        loc = prefix + tuple(error["loc"])
        if error["type"] == FACET_PROBLEMS:
            nested: list[tuple[Loc, str]] = error.get("ctx", {}).get("problems", [])
            found.extend((loc + sub, message) for sub, message in nested)
        else:
            found.append((loc, _message(error)))
    return found


_MESSAGES = {
    "missing": "missing",
    "string_type": "expected a string",
    "int_type": "expected an integer",
    "int_from_float": "expected an integer",
    "float_type": "expected a number",
    "bool_type": "expected true or false",
    "list_type": "expected a list",
    "dict_type": "expected an object",
    "model_type": "expected an object",
    "model_attributes_type": "expected an object",
    "dataclass_type": "expected an object",
}


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    if kind == "greater_than_equal":
        return f"expected a number >= {ctx.get('ge')}"
    if kind == "literal_error":
        return f"expected one of {ctx.get('expected')}"
    # Our own validators raise PydanticCustomError with a finished, human message.
    return error["msg"]
