"""How a property write combines with the stored value (see ``lineage.graph.model.Merge``).

Every rule is commutative, associative and idempotent, so a store that applies them
ends up with the same properties whatever order the events arrived in.
"""

from __future__ import annotations

from typing import Any

import orjson

from lineage.graph.model import RUN_STATE_RANK, Feed, Merge, Prop

_MISSING: Any = object()


def _canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


UNCHANGED = 0
TIME_ONLY = 1  # the value stayed, its last-writer-wins time moved
CHANGED = 2


def apply_prop(props: dict[str, Any], ats: dict[str, float], name: str, prop: Prop) -> int:
    """Merge ``prop`` into ``props[name]`` (``ats`` holds LWW times).

    Returns UNCHANGED, TIME_ONLY or CHANGED, so a store can persist only what moved.
    """
    current = props.get(name, _MISSING)
    value = prop.value
    rule = prop.merge
    if rule is Merge.LWW:
        if current is _MISSING:
            props[name] = value
            if prop.at:
                ats[name] = prop.at
            return CHANGED
        held = ats.get(name, 0.0)
        if prop.at > held:
            ats[name] = prop.at
            if current is value or current == value:
                return TIME_ONLY
            props[name] = value
            return CHANGED
        if prop.at < held or current is value or current == value:
            return UNCHANGED
        # Same time, different values: deletion first, then the larger canonical form.
        if current is None:
            return UNCHANGED
        if value is None or _canonical(value) > _canonical(current):
            props[name] = value
            return CHANGED
        return UNCHANGED
    if value is None:
        return UNCHANGED
    if current is _MISSING or current is None:
        props[name] = sorted(set(value)) if rule is Merge.UNION else value
        return CHANGED
    if rule is Merge.MIN:
        if value < current:
            props[name] = value
            return CHANGED
        return UNCHANGED
    if rule is Merge.MAX:
        if value > current:
            props[name] = value
            return CHANGED
        return UNCHANGED
    if rule is Merge.UNION:
        if not value or (len(value) == 1 and value[0] in current):
            return UNCHANGED
        merged = set(current)
        before = len(merged)
        merged.update(value)
        if len(merged) != before:
            props[name] = sorted(merged)
            return CHANGED
        return UNCHANGED
    if rule is Merge.STATE:
        if RUN_STATE_RANK.get(value, -1) > RUN_STATE_RANK.get(current, -1):
            props[name] = value
            return CHANGED
        return UNCHANGED
    raise ValueError(f"unknown merge rule {rule!r}")


def feed_props(job: str, feed: Feed) -> dict[str, Prop]:
    """The properties of the FEEDS edge one column lineage report writes.

    Every report holding an edge writes them with no event time, so a disagreement between
    reports settles the same way whatever order they arrive in (the larger value: INDIRECT
    over DIRECT, ``reported`` over ``derived``); the union of ``transformations`` keeps what
    each said. A report that does not know how a column feeds another writes no ``type``.
    """
    props = {
        "job": Prop(job),
        "scope": Prop(feed.scope),
        "origin": Prop(feed.origin),
        "transformations": Prop(list(feed.transformations), Merge.UNION),
    }
    if feed.type is not None:
        props["type"] = Prop(feed.type)
    if feed.subtype is not None:
        props["subtype"] = Prop(feed.subtype)
    return props
