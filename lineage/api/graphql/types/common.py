"""What every GraphQL type shares: the request's Info, the enums and scalars, the Node
interface and the one map from node kinds to object types, pages, and the values datasets,
jobs and lineage edges all show (owners, tags, transformations)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, Generic, NewType, TypeVar, cast, overload

import orjson
import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info as StrawberryInfo
from strawberry.types.scalar import ScalarDefinition

from lineage.analysis import FLOWS_TO, Granularity, InvalidArgument
from lineage.analysis.incidents import Health, is_active
from lineage.analysis.incidents import health as health_of
from lineage.api.graphql.context import Context
from lineage.api.graphql.ids import decode_cursor, encode_cursor, encode_id
from lineage.graph.incidents import IncidentKind, IncidentStatus, Severity
from lineage.graph.mapping import FACET_PREFIX
from lineage.graph.model import EdgeKind as StoredEdgeKind
from lineage.graph.model import NodeKind, RunState
from lineage.store import Direction
from lineage.store import Node as StoredNode

if TYPE_CHECKING:
    from lineage.api.graphql.types.incidents import Incident

#: Incident in this module's annotations: its module imports this one, so it is named lazily.
IncidentType = Annotated["Incident", strawberry.lazy("lineage.api.graphql.types.incidents")]

Info = StrawberryInfo[Context, None]

# The domain's own enums are the API's: one list of kinds, states and directions.
strawberry.enum(NodeKind, description="What a node is.")
strawberry.enum(
    Direction,
    description="UPSTREAM: what feeds the start; DOWNSTREAM: what it feeds; BOTH: the two "
    "(without siblings).",
)
strawberry.enum(
    Granularity,
    description="DATASET: datasets and jobs; COLUMN: fields; RUN: runs and exact versions.",
)
strawberry.enum(RunState, description="Where a run is in its life.")
strawberry.enum(Health, description="OK, WARNING (acknowledged incidents), FAILING (open ones).")
strawberry.enum(IncidentKind, description="What kind of trouble an incident is.")
strawberry.enum(IncidentStatus, description="OPEN, ACKNOWLEDGED by a person, or RESOLVED.")
strawberry.enum(Severity, description="How bad an incident is.")

BigInt = NewType("BigInt", int)
#: Registered in the schema's ``scalar_map``, so BigInt stays a real type for mypy.
SCALARS: dict[object, ScalarDefinition] = {
    BigInt: strawberry.scalar(
        name="BigInt",
        description="An integer that may not fit in 32 bits (row counts, sizes in bytes).",
        serialize=int,
        parse_value=int,
    )
}

_F = TypeVar("_F", bound=Callable[..., Any])


def described(description: str) -> Callable[[_F], _F]:
    """``@strawberry.field(description=...)``, typed so the resolver keeps its signature."""
    return cast(Callable[[_F], _F], strawberry.field(description=description))


MAX_PAGE = 500
DEFAULT_PAGE = 20


@strawberry.enum(description="What an edge says; every lineage edge points the way data flows.")
class EdgeKind(Enum):
    READ = "READ"
    WROTE = "WROTE"
    VERSION_OF = "VERSION_OF"
    RUN_OF = "RUN_OF"
    CHILD_OF = "CHILD_OF"
    INPUT_TO = "INPUT_TO"
    PRODUCES = "PRODUCES"
    HAS_FIELD = "HAS_FIELD"
    FEEDS = "FEEDS"
    ALIAS_OF = "ALIAS_OF"
    RENAMED_FROM = "RENAMED_FROM"
    ON = "ON"
    FLOWS_TO = FLOWS_TO


# -- helpers ----------------------------------------------------------------------------


def timestamp(value: Any) -> datetime | None:
    return datetime.fromtimestamp(float(value), UTC) if value is not None else None


@overload
def epoch(value: datetime) -> float: ...
@overload
def epoch(value: None) -> None: ...
@overload
def epoch(value: datetime | None) -> float | None: ...


def epoch(value: datetime | None) -> float | None:
    """A DateTime argument as epoch seconds; a time without a zone is taken as UTC."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def text(props: Mapping[str, Any], key: str) -> str | None:
    value = props.get(key)
    return None if value is None else str(value)


def facets_of(props: Mapping[str, Any]) -> dict[str, Any]:
    return {k[len(FACET_PREFIX) :]: v for k, v in props.items() if k.startswith(FACET_PREFIX)}


# -- fields that show a stored property ------------------------------------------------------


def str_field(key: str, description: str | None = None) -> Any:
    """A field showing property ``key`` of the node as text, empty when it is absent."""

    def resolve(root: Node) -> str:
        return str(root.raw.props.get(key, ""))

    return strawberry.field(resolver=resolve, description=description)


def text_field(key: str, description: str | None = None) -> Any:
    """A field showing property ``key`` of the node as text, null when it is absent."""

    def resolve(root: Node) -> str | None:
        return text(root.raw.props, key)

    return strawberry.field(resolver=resolve, description=description)


def time_field(key: str, description: str | None = None) -> Any:
    """A field showing property ``key`` of the node (epoch seconds) as a DateTime."""

    def resolve(root: Node) -> datetime | None:
        return timestamp(root.raw.props.get(key))

    return strawberry.field(resolver=resolve, description=description)


def facets_field(description: str) -> Any:
    """A field showing every facet kept with the node, verbatim, by name."""

    def resolve(root: Node) -> JSON:
        return JSON(facets_of(root.raw.props))

    return strawberry.field(resolver=resolve, description=description)


def owners_field() -> Any:
    """A field showing the node's owners (ownership facet)."""

    def resolve(root: Node) -> list[Owner]:
        return owners_of(root.raw.props)

    return strawberry.field(resolver=resolve)


def tags_field() -> Any:
    """A field showing the node's tags (tags facet)."""

    def resolve(root: Node) -> list[Tag]:
        return tags_of(root.raw.props)

    return strawberry.field(resolver=resolve)


# -- the object type of each node kind ------------------------------------------------------

#: The object type that shows each node kind, each registered by its module (:func:`shows`).
_TYPES: dict[NodeKind, type[Node]] = {}
_KINDS: dict[type[Node], NodeKind] = {}


def shows(kind: NodeKind) -> Callable[[type[N]], type[N]]:
    """Class decorator: the decorated type is the object of every stored node of ``kind``."""

    def register(cls: type[N]) -> type[N]:
        _TYPES[kind] = cls
        _KINDS[cls] = kind
        return cls

    return register


def type_of(kind: NodeKind) -> type[Any]:
    """The object type of ``kind``: how a type names one whose module imports its own."""
    return _TYPES[kind]


def to_object(node: StoredNode, as_of: float | None = None) -> Node:
    """The GraphQL object for a stored node."""
    cls = _TYPES.get(node.kind) or _TYPES[NodeKind.INCIDENT]
    return cls(id=strawberry.ID(encode_id(node.id)), kind=node.kind, raw=node, as_of=as_of)


def objects(nodes: Sequence[StoredNode], cls: type[N], as_of: float | None = None) -> list[N]:
    return [
        cls(id=strawberry.ID(encode_id(n.id)), kind=n.kind, raw=n, as_of=as_of)
        for n in nodes
        if n.kind is _KINDS[cls]
    ]


def one(node: StoredNode | None, cls: type[N], as_of: float | None = None) -> N | None:
    """The object for ``node`` when it is of the kind ``cls`` shows, else None."""
    found = objects([node], cls, as_of) if node is not None else []
    return found[0] if found else None


def page_bounds(first: int | None, after: str | None) -> tuple[int, int]:
    """(offset, count) for a page; InvalidArgument for a bad ``first`` or cursor."""
    count = DEFAULT_PAGE if first is None else first
    if not 0 <= count <= MAX_PAGE:
        raise InvalidArgument(f"first must be between 0 and {MAX_PAGE} (got {count})")
    start = decode_cursor(after) + 1 if after is not None else 0
    return start, count


# -- pages ------------------------------------------------------------------------------

T = TypeVar("T")
N = TypeVar("N", bound="Node")


@strawberry.type(description="Where a page sits in its list.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(name="Edge", description="One item of a page, with its cursor.")
class PageEdge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="A page of a list: pass pageInfo.endCursor as `after` for the next.")
class Connection(Generic[T]):
    edges: list[PageEdge[T]]
    page_info: PageInfo
    total_count: int = strawberry.field(description="How many items the whole list holds.")

    @described("The items of this page, without cursors.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


def paginate(items: Sequence[T], first: int | None, after: str | None) -> Connection[T]:
    """One page of ``items``, which must be in a stable order."""
    start, count = page_bounds(first, after)
    return page_of(items[start : start + count], start, len(items))


def page_of(chosen: Sequence[T], start: int, total: int) -> Connection[T]:
    """The page holding ``chosen``, the items from ``start`` on of a list of ``total``."""
    edges = [PageEdge(cursor=encode_cursor(start + i), node=item) for i, item in enumerate(chosen)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=start + len(chosen) < total,
            has_previous_page=start > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )


# -- small value types --------------------------------------------------------------------


@strawberry.type(description="Who owns a dataset or job (ownership facet).")
class Owner:
    name: str
    type: str | None


@strawberry.type(description="A tag (tags facet).")
class Tag:
    key: str
    value: str | None
    source: str | None


def owners_of(props: Mapping[str, Any]) -> list[Owner]:
    return [
        Owner(name=str(o.get("name", "")), type=text(o, "type"))
        for o in props.get("owners") or ()
        if isinstance(o, Mapping)
    ]


def tags_of(props: Mapping[str, Any]) -> list[Tag]:
    return [
        Tag(key=str(t.get("key", "")), value=text(t, "value"), source=text(t, "source"))
        for t in props.get("tags") or ()
        if isinstance(t, Mapping)
    ]


@strawberry.type(description="How a column is derived from another (OpenLineage column lineage).")
class Transformation:
    type: str = strawberry.field(description="DIRECT or INDIRECT.")
    subtype: str | None = strawberry.field(
        description="IDENTITY, TRANSFORMATION, AGGREGATION, FILTER, JOIN, GROUP_BY, SORT, ..."
    )
    description: str | None
    masking: bool | None
    scope: str | None = strawberry.field(
        description="FIELD, or DATASET for a dependency of every column (filters, joins)."
    )
    via: str | None = strawberry.field(
        description="The name the producer used for the source when it was not a dataset "
        "(a CTE, an alias)."
    )
    origin: str | None = strawberry.field(
        default=None,
        description="`reported` when the producer's column lineage said it, `derived` when "
        "it was read from the job's SQL (the producer's word wins where both exist).",
    )


def transformations_of(props: Mapping[str, Any]) -> list[Transformation]:
    found = []
    for raw in props.get("transformations") or ():
        try:
            t = orjson.loads(raw) if isinstance(raw, str | bytes) else raw
        except orjson.JSONDecodeError:
            continue
        if isinstance(t, Mapping):
            found.append(
                Transformation(
                    type=str(t.get("type", "DIRECT")),
                    subtype=text(t, "subtype"),
                    description=text(t, "description"),
                    masking=t.get("masking") if isinstance(t.get("masking"), bool) else None,
                    scope=text(props, "scope"),
                    via=text(props, "via"),
                    origin=text(props, "origin"),
                )
            )
    return found


def transformation_of(props: Mapping[str, Any]) -> Transformation | None:
    """The transformation that best describes a FEEDS edge (its DIRECT one, if any)."""
    if "type" not in props:
        return None
    details = transformations_of(props)
    match = next(
        (t for t in details if t.type == props["type"] and t.subtype == props.get("subtype")),
        None,
    )
    return Transformation(
        type=str(props["type"]),
        subtype=text(props, "subtype"),
        description=match.description if match else None,
        masking=match.masking if match else None,
        scope=text(props, "scope"),
        via=text(props, "via"),
        origin=text(props, "origin"),
    )


# -- nodes --------------------------------------------------------------------------------


@strawberry.interface(description="Anything in the lineage graph.")
class Node:
    id: strawberry.ID = strawberry.field(
        description="Opaque and stable: the same node always has the same id. Use with node(id:)."
    )
    kind: NodeKind
    raw: strawberry.Private[StoredNode]
    as_of: strawberry.Private[float | None]

    async def _neighbours(
        self, info: Info, direction: Direction, kind: StoredEdgeKind, as_of: float | None = None
    ) -> list[StoredNode]:
        """The stored nodes one ``kind`` edge away in ``direction`` (edges valid at ``as_of``)."""
        return await info.context.loaders.neighbours(self.raw.id, direction, kind, as_of=as_of)

    async def _related(
        self,
        info: Info,
        direction: Direction,
        kind: StoredEdgeKind,
        cls: type[N],
        as_of: float | None = None,
    ) -> list[N]:
        """The objects of type ``cls`` one ``kind`` edge away in ``direction``; with
        ``as_of``, over the edges valid then, each shown as of then."""
        return objects(await self._neighbours(info, direction, kind, as_of), cls, as_of)

    async def _named(self, info: Info, key: str) -> StoredNode | None:
        """The stored node whose id this node's property ``key`` holds (None: none)."""
        return await info.context.loaders.node(text(self.raw.props, key))

    @described("Every incident on this node, open or not, newest first.")
    async def incidents(self, info: Info) -> list[IncidentType]:
        found = await self._neighbours(info, Direction.UPSTREAM, StoredEdgeKind.ON)
        found.sort(key=lambda n: (-float(n.props.get("opened_at") or 0.0), n.id))
        return objects(found, type_of(NodeKind.INCIDENT))

    @described(
        "The incidents on this node that are OPEN or ACKNOWLEDGED, newest first (inside an "
        "answer asked asOf a time: those open then)."
    )
    async def open_incidents(self, info: Info) -> list[IncidentType]:
        return [i for i in await self.incidents(info) if is_active(i.raw, self.as_of)]

    @described(
        "FAILING while an incident on this node is OPEN, WARNING while its incidents are "
        "only ACKNOWLEDGED, else OK (inside an answer asked asOf a time: as things stood then)."
    )
    async def health(self, info: Info) -> Health:
        return health_of([i.raw for i in await self.incidents(info)], self.as_of)
