"""The JSON Schema of what a GraphQL document answers, for the REST routes that run one
(:mod:`lineage.api.analysis`): derived from the document and the GraphQL schema, so the
OpenAPI description of those routes follows the documents as they change.

A field selected only under a type condition (``... on Dataset { namespace }``) is optional:
it is there for nodes of that type. Every object allows only the keys selected.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    NamedTypeNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)

Json = dict[str, Any]

#: How each scalar is written in an answer.
SCALARS: Final[Mapping[str, Json]] = {
    "String": {"type": "string"},
    "ID": {"type": "string"},
    "Int": {"type": "integer"},
    "BigInt": {"type": "integer"},
    "Float": {"type": "number"},
    "Boolean": {"type": "boolean"},
    "DateTime": {"type": "string", "format": "date-time"},
    "JSON": {},
}

_Composite = GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType


def answer_schema(schema: GraphQLSchema, document: str, field: str) -> Json:
    """The JSON Schema of ``data[field]`` in the answer to ``document``'s operation.

    Raises KeyError when the operation selects no ``field`` at its root.
    """
    parsed = parse(document)
    fragments = {
        d.name.value: d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operation = next(d for d in parsed.definitions if isinstance(d, OperationDefinitionNode))
    root = schema.get_root_type(operation.operation)
    assert root is not None
    for selection in operation.selection_set.selections:
        if isinstance(selection, FieldNode) and _key(selection) == field:
            definition = root.fields[selection.name.value]
            return _Shapes(schema, fragments).of(definition.type, selection.selection_set)
    raise KeyError(field)


def _key(node: FieldNode) -> str:
    return node.alias.value if node.alias else node.name.value


class _Shapes:
    def __init__(
        self, schema: GraphQLSchema, fragments: Mapping[str, FragmentDefinitionNode]
    ) -> None:
        self.schema = schema
        self.fragments = fragments

    def of(self, kind: GraphQLOutputType, selected: SelectionSetNode | None) -> Json:
        if isinstance(kind, GraphQLNonNull):
            return self._present(kind.of_type, selected)
        return {"anyOf": [self._present(kind, selected), {"type": "null"}]}

    def _present(self, kind: GraphQLOutputType, selected: SelectionSetNode | None) -> Json:
        if isinstance(kind, GraphQLList):
            return {"type": "array", "items": self.of(kind.of_type, selected)}
        if isinstance(kind, GraphQLEnumType):
            return {"type": "string", "enum": sorted(kind.values)}
        if isinstance(kind, GraphQLScalarType):
            return dict(SCALARS.get(kind.name, {}))
        assert isinstance(kind, _Composite) and selected is not None
        properties: dict[str, list[Json]] = {}
        always: set[str] = set()
        self._collect(kind, selected, properties, always, conditional=False)
        return {
            "type": "object",
            "properties": {
                key: found[0] if len(found) == 1 else {"anyOf": found}
                for key, found in properties.items()
            },
            "required": sorted(always),
            "additionalProperties": False,
        }

    def _collect(
        self,
        parent: _Composite,
        selected: SelectionSetNode,
        properties: dict[str, list[Json]],
        always: set[str],
        *,
        conditional: bool,
    ) -> None:
        for selection in selected.selections:
            if isinstance(selection, FieldNode):
                key = _key(selection)
                if selection.name.value == "__typename":
                    shape: Json = {"type": "string"}
                else:
                    assert not isinstance(parent, GraphQLUnionType)
                    definition = parent.fields[selection.name.value]
                    shape = self.of(definition.type, selection.selection_set)
                found = properties.setdefault(key, [])
                if shape not in found:
                    found.append(shape)
                if not conditional:
                    always.add(key)
                continue
            condition: NamedTypeNode | None
            if isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                condition, inner = fragment.type_condition, fragment.selection_set
            else:
                assert isinstance(selection, InlineFragmentNode)
                condition, inner = selection.type_condition, selection.selection_set
            target = parent
            if condition is not None:
                named = self.schema.get_type(condition.name.value)
                assert isinstance(named, _Composite)
                target = named
            self._collect(
                target, inner, properties, always, conditional=conditional or target is not parent
            )
