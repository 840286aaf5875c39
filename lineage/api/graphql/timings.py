"""How long each GraphQL operation took, by operation type and top-level field, in the
server's metrics (``lineage_graphql_seconds``): the question a slow dashboard asks first."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from graphql import FieldNode, OperationDefinitionNode
from strawberry.extensions import SchemaExtension


class Timings(SchemaExtension):
    """Observes each operation's execution time in the app's ``Metrics``, labelled with the
    operation type and its first top-level field (a schema field, so the label values are
    bounded; operation names are the client's and are not used)."""

    def on_execute(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        request = getattr(self.execution_context.context, "request", None)
        metrics: Any = getattr(
            getattr(getattr(request, "app", None), "state", None), "metrics", None
        )
        if metrics is None:
            return
        kind, field = "query", "unknown"
        document = self.execution_context.graphql_document
        for definition in document.definitions if document is not None else ():
            if isinstance(definition, OperationDefinitionNode):
                kind = definition.operation.value
                first = next(
                    (s for s in definition.selection_set.selections if isinstance(s, FieldNode)),
                    None,
                )
                if first is not None:
                    field = first.name.value
                break
        errors = bool(self.execution_context.result and self.execution_context.result.errors)
        metrics.graphql_seconds.labels(kind, field, "error" if errors else "ok").observe(
            time.perf_counter() - started
        )
