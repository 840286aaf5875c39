"""How deep an event may nest objects and arrays, and the quick tests of it."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

import orjson

from lineage.events.errors import Loc, Problem, format_path

__all__ = ["MAX_NESTING", "encoded_within", "may_nest_deeper", "nesting_problem"]

#: Deepest nesting of objects and arrays an event may hold. Real events nest about ten
#: levels; the raw event is stored re-encoded, and JSON encoders stop near 255 levels.
MAX_NESTING = 128


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


def may_nest_deeper(value: Any) -> bool:
    """The quick test every event takes: whether ``value`` may nest more than
    :data:`MAX_NESTING` levels. orjson refuses to encode past 254 levels, in C; wrapped in
    ``254 - MAX_NESTING`` lists, ``value`` fails to encode when it nests that deep (or when
    it cannot be encoded for another reason, which :func:`nesting_problem` then clears)."""
    return encoded_within(value, 0) is None


_WRAP = 254 - MAX_NESTING

# The lists each thread wraps values in, by depth: the outermost and the innermost.
_wrappers = threading.local()


def encoded_within(value: Any, depth: int) -> bytes | None:
    """``orjson.dumps(value)``, or None when ``value``, found ``depth`` levels deep in an
    event (``run.facets`` is 2 deep), may nest the event more than :data:`MAX_NESTING`
    levels, or cannot be encoded. The part of an event's quick test (:func:`may_nest_deeper`)
    that concerns ``value``, and the value encoded, in one pass."""
    known: dict[int, tuple[list[Any], list[Any]]] | None = getattr(_wrappers, "by_depth", None)
    if known is None:
        known = _wrappers.by_depth = {}
    wraps = _WRAP + depth
    found = known.get(wraps)
    if found is None:
        outer: list[Any] = []
        inner = outer
        for _ in range(wraps - 1):
            inner.append([])
            inner = inner[0]
        found = known[wraps] = (outer, inner)
    outer, inner = found
    inner.append(value)
    try:
        body = orjson.dumps(outer)
    except orjson.JSONEncodeError:
        return None
    finally:
        inner.pop()
    return body[wraps:-wraps]
