"""How deep an event may nest objects and arrays, and the quick tests of it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from lineage.events.errors import Loc, Problem, format_path

__all__ = ["MAX_NESTING", "encoded_within", "may_nest_deeper", "nesting_problem", "nests_within"]

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
    return not _encodes_within(value, 0)


def encoded_within(value: Any, depth: int) -> bytes | None:
    """``orjson.dumps(value)``, or None when ``value``, found ``depth`` levels deep in an
    event (``run.facets`` is 2 deep), may nest the event more than :data:`MAX_NESTING`
    levels, or cannot be encoded: the part of :func:`may_nest_deeper` that concerns
    ``value``."""
    try:
        body = orjson.dumps(value)
    except orjson.JSONEncodeError:
        return None
    return body if nests_within(value, body, depth) else None


def nests_within(value: Any, body: bytes, depth: int) -> bool:
    """Whether ``value``, found ``depth`` levels deep in an event, keeps the event within
    :data:`MAX_NESTING` levels. ``body`` is ``orjson.dumps(value)``: a value of few
    objects and arrays is judged by it alone, any other is encoded again, wrapped."""
    # Nesting k levels takes k opening brackets and 2k bytes: fewer is proof enough.
    room = MAX_NESTING - depth
    if len(body) <= 2 * room + 1 or body.count(b"{") + body.count(b"[") <= room:
        return True
    return _encodes_within(value, depth)


def _encodes_within(value: Any, depth: int) -> bool:
    wrapped = value
    for _ in range(_WRAP + depth):
        wrapped = [wrapped]
    try:
        orjson.dumps(wrapped)
    except orjson.JSONEncodeError:
        return False
    return True


_WRAP = 254 - MAX_NESTING
