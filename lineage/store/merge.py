"""How a property write combines with the stored value (see ``lineage.graph.model.Merge``).

Every rule is commutative, associative and idempotent, so a store that applies them
ends up with the same properties whatever order the events arrived in.
"""

from __future__ import annotations

from typing import Any

import orjson

from lineage.graph.model import RUN_STATE_RANK, Merge, Prop

_MISSING: Any = object()


def _canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def apply_prop(props: dict[str, Any], ats: dict[str, float], name: str, prop: Prop) -> bool:
    """Merge ``prop`` into ``props[name]`` (``ats`` holds LWW times). True if it changed."""
    current = props.get(name, _MISSING)
    value = prop.value
    rule = prop.merge
    if rule is Merge.LWW:
        if current is _MISSING:
            props[name] = value
            ats[name] = prop.at
            return True
        held = ats.get(name, 0.0)
        if prop.at > held:
            props[name] = value
            ats[name] = prop.at
            return True
        if prop.at < held or current == value:
            return False
        # Same time, different values: deletion first, then the larger canonical form.
        if current is None:
            return False
        if value is None or _canonical(value) > _canonical(current):
            props[name] = value
            return True
        return False
    if value is None:
        return False
    if current is _MISSING or current is None:
        props[name] = sorted(set(value)) if rule is Merge.UNION else value
        return True
    if rule is Merge.MIN:
        if value < current:
            props[name] = value
            return True
        return False
    if rule is Merge.MAX:
        if value > current:
            props[name] = value
            return True
        return False
    if rule is Merge.UNION:
        merged = set(current)
        before = len(merged)
        merged.update(value)
        if len(merged) != before:
            props[name] = sorted(merged)
            return True
        return False
    if rule is Merge.STATE:
        if RUN_STATE_RANK.get(value, -1) > RUN_STATE_RANK.get(current, -1):
            props[name] = value
            return True
        return False
    raise ValueError(f"unknown merge rule {rule!r}")
