"""Ranking: every suspect's score, strength x proximity x recency x precedence, and
its ``why`` (see :mod:`lineage.analysis.triage`)."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from typing import Final

from lineage.analysis.triage.report import Link, Suspect

RECENCY_SCALE: Final = 3 * 86_400.0


def rank(
    suspects: list[Suspect],
    t0: float,
    walked: Collection[str],
    links: Sequence[Link],
    anchor: tuple[str, float] | None,
) -> None:
    """Score every suspect and sort them, most likely first, in place. ``walked``: the
    nodes of the walk upstream, whose paths say what is upstream of what; ``links``: other
    ways one suspect explains another; ``anchor``: the failed run the walk started from,
    and when it failed."""
    by_node = {s.node: s for s in suspects}
    causes: dict[str, list[tuple[str, str]]] = {}
    for cause, effect, why in links:
        causes.setdefault(effect, []).append((cause, why))
    for s in suspects:
        strength = _strength(s)
        proximity = 1 / (1 + 0.1 * s.distance)
        times = [e.observed_at for e in s.evidence if e.observed_at is not None]
        closest = min((abs(t - t0) for t in times), default=RECENCY_SCALE)
        recency = math.exp(-closest / RECENCY_SCALE)
        first = _first_seen(s)
        reason: str | None = None
        # A suspect whose own path runs through ``s`` is upstream of it.
        if s.node in walked and any(
            o.node in walked and s.node in o.path[:-1] and _came_first(o, s) for o in suspects
        ):
            reason = "an upstream suspect came first"
        for cause, why in causes.get(s.node, ()):
            if reason is None and _came_first(by_node.get(cause), s):
                reason = why
        if reason is None and anchor is not None and s.node != anchor[0] and first > anchor[1]:
            reason = "first seen after the run failed"
        precedence = 0.5 if reason else 1.0
        s.score = round(strength * proximity * recency * precedence, 4)
        s.why = (
            f"strength {strength:.2f} x proximity {proximity:.2f} ({s.distance} datasets away)"
            f" x recency {recency:.2f}" + (f" x 0.5 ({reason})" if reason else "")
        )
    suspects.sort(key=lambda s: (-s.score, s.distance, s.node))


def _came_first(other: Suspect | None, s: Suspect) -> bool:
    """Whether ``other``, strong enough to explain ``s``, was seen no later than it."""
    return (
        other is not None
        and other is not s
        and _first_seen(other) <= _first_seen(s)
        and _strength(other) >= 0.5
    )


def _first_seen(s: Suspect) -> float:
    return min((e.observed_at for e in s.evidence if e.observed_at is not None), default=math.inf)


def _strength(s: Suspect) -> float:
    return 1 - math.prod(1 - e.strength for e in s.evidence)
