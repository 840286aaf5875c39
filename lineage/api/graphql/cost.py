"""What a GraphQL query may cost: an estimate before it runs, and a count while it runs.

Depth alone does not bound a query: ``producedBy { inputs { producedBy { ... } } }`` on a
small cyclic graph multiplies at every list, and fragments that spread each other twice
double the document at every level. So, before validation, :func:`estimate` walks the
whole selection with fragments expanded (stopping at ``max_spreads`` spreads) and prices
every field at the product of the list sizes above it: a list field counts its page
(``first``, ``limit``, ``nodeBudget``, given or defaulted) or ``default_list`` items. While
the query runs, :class:`AnswerBudget` counts every list item a resolver returns, on every
path, and checks the deadline at every field.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_interface_type,
    is_object_type,
)
from graphql.type.definition import GraphQLNamedType, GraphQLOutputType
from strawberry.extensions import SchemaExtension

from lineage.analysis import AnalysisError, Timeout

#: Arguments that say how many items a list (or the lists of a page) holds.
PAGE_ARGUMENTS = ("first", "limit", "nodeBudget")


class QueryTooCostly(AnalysisError):
    """The query would do, or did, more work than the server's limits allow."""

    code = "INVALID_QUERY"


@dataclass(frozen=True, slots=True)
class CostLimits:
    """The limits one request is held to (from the ``LINEAGE_GRAPHQL_*`` settings)."""

    max_cost: int
    default_list: int
    max_spreads: int
    max_fields: int


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        limits: CostLimits,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.limits = limits
        self.spreads = 0
        self.fields = 0

    def _page(self, node: FieldNode, args: Mapping[str, Any]) -> int | None:
        for argument in node.arguments or ():
            if argument.name.value not in PAGE_ARGUMENTS:
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return max(int(value.value), 0)
            if isinstance(value, VariableNode):
                given = self.variables.get(value.name.value)
                if isinstance(given, int) and not isinstance(given, bool):
                    return max(given, 0)
        for name in PAGE_ARGUMENTS:
            default = getattr(args.get(name), "default_value", None)
            if isinstance(default, int) and not isinstance(default, bool):
                return default
        return None

    def selection(
        self, selections: SelectionSetNode | None, parent: GraphQLNamedType | None, page: int | None
    ) -> int:
        """The cost of a selection set on ``parent``; ``page`` sizes its list fields when a
        page argument was given on the field above (a connection or a lineage answer)."""
        if selections is None:
            return 0
        total = 0
        for node in selections.selections:
            if isinstance(node, FieldNode):
                total += self.field(node, parent, page)
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection(node.selection_set, inner, page)
            elif isinstance(node, FragmentSpreadNode):
                self.spreads += 1
                if self.spreads > self.limits.max_spreads:
                    raise QueryTooCostly(
                        f"the query spreads fragments more than {self.limits.max_spreads} times "
                        "once they are expanded (the LINEAGE_GRAPHQL_MAX_FRAGMENT_SPREADS "
                        "setting); spread each fragment fewer times or inline the fields"
                    )
                fragment = self.fragments.get(node.name.value)
                if fragment is not None:
                    inner = self.schema.get_type(fragment.type_condition.name.value)
                    total += self.selection(fragment.selection_set, inner, page)
            if total > self.limits.max_cost:
                return total  # already over: the exact figure does not matter
        return total

    def field(self, node: FieldNode, parent: GraphQLNamedType | None, page: int | None) -> int:
        self.fields += 1
        if self.fields > self.limits.max_fields:
            raise QueryTooCostly(
                f"the query selects more than {self.limits.max_fields} fields once its "
                "fragments are expanded; ask for fewer fields or spread fragments fewer times"
            )
        definition = None
        if parent is not None and (is_object_type(parent) or is_interface_type(parent)):
            definition = parent.fields.get(node.name.value)
        if definition is None:
            return 1 + self.selection(node.selection_set, None, None)
        own_page = self._page(node, definition.args)
        kind: GraphQLOutputType = definition.type
        if isinstance(kind, GraphQLNonNull):
            kind = kind.of_type
        if isinstance(kind, GraphQLList):
            if own_page is not None:
                items = own_page
            elif page is not None:
                items = page
            else:
                items = self.limits.default_list
            return items * (1 + self.selection(node.selection_set, get_named_type(kind), None))
        return 1 + self.selection(node.selection_set, get_named_type(kind), own_page)


def estimate(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    limits: CostLimits,
) -> int:
    """The estimated cost of the costliest operation in ``document``.

    Raises :class:`QueryTooCostly` when fragments expand past ``limits.max_spreads`` spreads
    or ``limits.max_fields`` fields; the walk stops there, so it is cheap on any document.
    """
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    walk = _Walk(schema, fragments, variables or {}, limits)
    worst = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            root = schema.get_root_type(definition.operation)
            worst = max(worst, walk.selection(definition.selection_set, root, None))
    return worst


def check(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    limits: CostLimits,
) -> None:
    """Raise :class:`QueryTooCostly`, saying which limit and how to ask for less, when the
    document costs more than ``limits`` allow."""
    cost = estimate(schema, document, variables, limits)
    if cost > limits.max_cost:
        raise QueryTooCostly(
            f"the query could return about {cost:,} values, over the limit of "
            f"{limits.max_cost:,} (the LINEAGE_GRAPHQL_MAX_COST setting): every list multiplies "
            f"what is nested in it (by its first/limit argument, or {limits.default_list} "
            "when it has none); nest fewer lists, or ask for smaller pages"
        )


class Budget:
    """What one request has spent: list items returned, against ``max_items``, and time,
    against ``deadline`` (``time.monotonic()``)."""

    def __init__(self, max_items: int | None, deadline: float | None) -> None:
        self.max_items = max_items
        self.deadline = deadline
        self.items = 0
        #: The first limit the request hit; once set, every further field fails at once.
        self.exceeded: AnalysisError | None = None


class AnswerBudget(SchemaExtension):
    """Refuses a costly document before validation, and counts every field's answer.

    Reads the limits from the request's context (``cost_limits`` and ``budget``); a context
    without them (a script's own) is not limited here.
    """

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context.context
        limits: CostLimits | None = getattr(context, "cost_limits", None)
        document = self.execution_context.graphql_document
        if limits is not None and document is not None:
            try:
                check(
                    self.execution_context.schema._schema,
                    document,
                    self.execution_context.variables,
                    limits,
                )
            except QueryTooCostly as exc:
                # Set before validation runs, so validation (whose depth rule expands
                # fragments too) is skipped.
                self.execution_context.pre_execution_errors = [
                    GraphQLError(str(exc), original_error=exc, extensions={"code": exc.code})
                ]
        yield

    def on_execute(self) -> Iterator[None]:
        yield
        budget: Budget | None = getattr(self.execution_context.context, "budget", None)
        result = self.execution_context.result
        if budget is None or budget.exceeded is None or result is None:
            return
        # One error saying which limit was hit, instead of one per field cut short.
        exc = budget.exceeded
        result.data = None
        result.errors = [GraphQLError(str(exc), original_error=exc)]

    def resolve(
        self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any
    ) -> Any:
        budget: Budget | None = getattr(info.context, "budget", None)
        if budget is None:
            return _next(root, info, *args, **kwargs)
        _spend(budget, None)
        result = _next(root, info, *args, **kwargs)
        if inspect.isawaitable(result):
            return _spend_later(budget, result)
        return _spend(budget, result)


def _spend(budget: Budget, result: Any) -> Any:
    if budget.exceeded is not None:
        raise budget.exceeded
    if budget.deadline is not None and time.monotonic() > budget.deadline:
        budget.exceeded = _timeout()
        raise budget.exceeded
    if isinstance(result, list):
        budget.items += len(result)
        if budget.max_items is not None and budget.items > budget.max_items:
            budget.exceeded = QueryTooCostly(
                f"the answer grew past {budget.max_items:,} list items (the "
                "LINEAGE_GRAPHQL_MAX_ITEMS setting), counted over every nested field; "
                "nest fewer lists, or ask for smaller pages, less depth or a narrower start"
            )
            raise budget.exceeded
    return result


async def _spend_later(budget: Budget, pending: Awaitable[Any]) -> Any:
    return _spend(budget, await pending)


def _timeout() -> AnalysisError:
    return Timeout(
        "the query ran past its time limit (the LINEAGE_GRAPHQL_TIMEOUT setting), counted "
        "over every field; ask for less depth, a narrower start, or fewer nested fields"
    )
