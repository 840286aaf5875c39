"""One object for each repeated property value of the embedded store's graph in memory.

A graph of millions of records repeats a few values endlessly: a column lineage edge's
scope, origin, type and transformations, the job it belongs to, the time its report
started. Read from a row, or made from an event, each would be an object of its own (a
short string costs 50 bytes and more, a list of one 150); :class:`Sharing` gives equal
values one object. Strings are interned, so an id held in a property is the very string
the node table is keyed by.

Values are shared only because nothing changes one in place: the merge rules
(``lineage.graph.props``) replace a property's value, they never append to a list or
update a dict they hold, and readers are given copies of the property dicts, not of
their values.
"""

from __future__ import annotations

import sys
from typing import Any, Final

#: Values a store's :class:`Sharing` remembers between writes before it starts anew (the
#: floats and lists it knows are kept alive by it: a bound on what that costs).
WRITE_LIMIT: Final = 1 << 16


class Sharing:
    """Equal strings, positive floats and lists of strings, as one object each.

    ``limit``: how many floats and lists to remember (None: all, for a load, which drops
    its :class:`Sharing` when done)."""

    __slots__ = ("_floats", "_limit", "_lists")

    def __init__(self, limit: int | None = None) -> None:
        self._limit = limit
        self._floats: dict[float, float] = {}
        self._lists: dict[tuple[str, ...], list[str]] = {}

    def props(self, props: dict[str, Any]) -> None:
        """Replace each value of ``props`` by its shared equal, in place."""
        intern = sys.intern
        floats = self._floats
        for name, value in props.items():
            kind = type(value)
            if kind is str:
                props[name] = intern(value)
            elif kind is float:
                # Only positive ones: 0.0 and -0.0 are equal (and NaN equals nothing).
                if value > 0.0:
                    props[name] = floats.setdefault(value, value)
            elif kind is list and value:
                props[name] = self._list(value)
        self._bound()

    def value(self, value: Any) -> Any:
        """The shared equal of one value."""
        kind = type(value)
        if kind is str:
            return sys.intern(value)
        if kind is float:
            if value > 0.0:
                value = self._floats.setdefault(value, value)
        elif kind is list and value:
            value = self._list(value)
        else:
            return value
        self._bound()
        return value

    def _bound(self) -> None:
        if self._limit is not None and len(self._floats) + len(self._lists) > self._limit:
            self._floats.clear()
            self._lists.clear()

    def _list(self, value: list[Any]) -> list[Any]:
        try:
            held = self._lists.get(tuple(value))
        except TypeError:  # an item that is not hashable (so not a string)
            return value
        if held is not None:  # equal to strings: strings (or of a kind of str)
            return held
        for item in value:
            if type(item) is not str:
                return value
        intern = sys.intern
        value[:] = [intern(item) for item in value]
        self._lists[tuple(value)] = value
        return value
