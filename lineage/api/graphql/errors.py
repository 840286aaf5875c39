"""Every GraphQL error carries a machine-readable ``extensions.code``.

NOT_FOUND, INVALID_ARGUMENT, TIMEOUT: the question could not be answered as asked.
INVALID_QUERY: the document or its variables are malformed, too deep or too large.
UNAVAILABLE: the store cannot be reached; retry later. INTERNAL: a bug; the message is
hidden from the caller and the server log has the details.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from lineage.analysis import AnalysisError
from lineage.store import StoreUnavailable

log = logging.getLogger("lineage.graphql")

INTERNAL_MESSAGE = "internal error while answering; the server log has the details"


def code_of(error: GraphQLError) -> str:
    original = error.original_error
    if isinstance(original, AnalysisError):
        return original.code
    if isinstance(original, StoreUnavailable):
        return "UNAVAILABLE"
    if original is None or isinstance(original, GraphQLError):
        existing = (error.extensions or {}).get("code")
        if isinstance(existing, str):
            return existing
        return "INVALID_QUERY" if error.path is None else "INVALID_ARGUMENT"
    return "INTERNAL"


def with_code(error: GraphQLError) -> GraphQLError:
    code = code_of(error)
    message = error.message
    if code == "INTERNAL":
        log.error("GraphQL resolver failed", exc_info=error.original_error)
        message = INTERNAL_MESSAGE
    extensions: dict[str, Any] = {**(error.extensions or {}), "code": code}
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None if code == "INTERNAL" else error.original_error,
        extensions=extensions,
    )


class ErrorCodes(SchemaExtension):
    """Puts a code on every error of a result, and hides the text of unexpected ones."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            result.errors = [with_code(e) for e in errors]
