"""The property merge rules now live in :mod:`lineage.graph.props`; kept for imports."""

from lineage.graph.props import CHANGED, TIME_ONLY, UNCHANGED, apply_prop, feed_props

__all__ = ["CHANGED", "TIME_ONLY", "UNCHANGED", "apply_prop", "feed_props"]
