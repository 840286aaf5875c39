"""Errors a caller of :mod:`lineage.analysis` can hit, each written for the person asking."""

from __future__ import annotations

import time


class AnalysisError(Exception):
    """A question about the graph could not be answered; the message says why."""

    #: A machine-readable code, the same one the GraphQL API puts in ``extensions.code``.
    code = "INVALID_ARGUMENT"


class NotFound(AnalysisError):
    """The node a question starts from is not in the graph."""

    code = "NOT_FOUND"


class InvalidArgument(AnalysisError):
    """An argument is out of range or does not fit the question asked."""

    code = "INVALID_ARGUMENT"


class Timeout(AnalysisError):
    """The answer took longer than the caller allowed."""

    code = "TIMEOUT"


def check_deadline(deadline: float | None) -> None:
    """Raise :class:`Timeout` once ``time.monotonic()`` has passed ``deadline`` (None: never)."""
    if deadline is not None and time.monotonic() > deadline:
        raise Timeout(
            "the query ran out of time; ask for less depth, a narrower start, or a kinds filter"
        )
