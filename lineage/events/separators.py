"""Node and edge ids join their parts with the control characters ``\\x1f`` and ``\\x1e``
(:mod:`lineage.graph.model`), so no name that goes into an id may hold one: a dataset
named ``a\\x1fb`` would read back as another node. Events carrying them are refused (422)
with the path of each string that does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from lineage.events.errors import Problem

_RESERVED: Final = ("\x1f", "\x1e")
#: The parts of an event whose strings (keys included) name nodes: jobs, datasets, their
#: fields and column lineage, the parent run's job.
_NAMING: Final = ("job", "dataset", "inputs", "outputs")


def separator_problems(raw: Any) -> list[Problem]:
    """Every string in the naming parts of decoded event ``raw`` holding a reserved
    control character, as a problem at its path."""
    if not isinstance(raw, dict):
        return []
    found = [p for key in _NAMING if key in raw for p in _walk(raw[key], key)]
    run = raw.get("run")
    if isinstance(run, dict) and isinstance(run.get("facets"), dict):
        parent = run["facets"].get("parent")
        if parent is not None:
            found += _walk(parent, "run.facets.parent")
    return [
        Problem(path, f"holds the control character {char!r}, which node ids reserve; remove it")
        for path, char in found
    ]


def _walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        for char in _RESERVED:
            if char in value:
                yield path, char
                return
    elif isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}"
            if any(char in key for char in _RESERVED):
                yield here, next(c for c in _RESERVED if c in key)
            yield from _walk(item, here)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")
