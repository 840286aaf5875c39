"""The contract every store keeps: persist mutations and raw events, read and expand.

Stores only persist and expand. Ranking, path reasoning and diffs live in
``lineage.analysis``, on the subgraphs a store returns.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import orjson

from lineage.graph.model import PROJECTION_EDGES, EdgeKind, LedgerEntry, Mutation, NodeKind

if TYPE_CHECKING:
    from collections.abc import Callable

    from lineage.store.prune import PruneReport
    from lineage.store.search import Hit
    from lineage.store.traversal import Level, Traversal


class StoreError(Exception):
    """A store could not do what was asked; the message says what to check."""


class StoreUnavailable(StoreError):
    """The store cannot be reached right now; the caller may retry later."""


class DecisionConflict(StoreError):
    """Another writer decided incidents since this write's decisions were made: they must
    be made again from what is stored now (see :meth:`GraphStore.decisions`)."""


class Direction(StrEnum):
    UPSTREAM = "UPSTREAM"  # against edge direction
    DOWNSTREAM = "DOWNSTREAM"  # along edge direction
    BOTH = "BOTH"


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    kind: NodeKind
    props: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Edge:
    id: str
    kind: EdgeKind
    src: str
    dst: str
    props: Mapping[str, Any]

    def valid_at(self, at: float | None) -> bool:
        """Whether a projection edge's validity interval holds at ``at`` (None: now)."""
        if self.kind not in PROJECTION_EDGES:
            return True
        until = self.props.get("until")
        if at is None:
            return until is None
        since = self.props.get("since")
        return (since is None or since <= at) and (until is None or at < until)


@dataclass(slots=True)
class Subgraph:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: dict[str, Edge] = field(default_factory=dict)
    truncated: bool = False
    #: Nodes whose neighbours were not all explored because a budget ran out.
    frontier: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class IngestItem:
    """One accepted event: its raw bytes, a few indexed fields, and its mutations."""

    body: bytes
    event_time: float
    event_type: str | None
    run_id: str | None
    job_namespace: str | None
    job_name: str | None
    mutations: Sequence[Mutation]
    #: Check outcomes the event reported (``lineage.graph.incidents.Observation``): ingest
    #: turns them into incident mutations before the write; stores ignore them.
    observations: Sequence[Any] = ()
    #: SQL a child run ran in an event naming no dataset (``lineage.child_sql.SqlRan``):
    #: ingest turns it into its parent's column lineage before the write; stores ignore it.
    sql_ran: Sequence[Any] = ()

    @property
    def is_event(self) -> bool:
        """False for writes that are not events (a person acknowledging an incident):
        stores apply their mutations but keep no raw event for them."""
        return bool(self.body)


@dataclass(frozen=True, slots=True)
class StoredEvent:
    seq: int
    received_at: float
    event_time: float
    body: bytes


@dataclass(frozen=True, slots=True)
class LedgerAsk:
    """What :meth:`GraphStore.ledger_before` looks for in one ledger: the entries before
    (``at``, ``key``), and among them the latest whose body's ``version`` is not
    ``version``."""

    at: float
    key: str
    version: Any


def entry_before(entries: Sequence[LedgerEntry], ask: LedgerAsk) -> LedgerEntry | None:
    """In a whole ledger (oldest first, by ``at`` then ``key``): the latest entry before
    the ask's (``at``, ``key``) whose body's ``version`` differs from the ask's, else the
    earliest entry before them; None when none is before them."""
    bound = (ask.at, ask.key)
    found: LedgerEntry | None = None
    for entry in reversed(entries):
        if (entry.at, entry.key) >= bound:
            continue
        found = entry
        if orjson.loads(entry.body).get("version") != ask.version:
            break
    return found


@runtime_checkable
class GraphStore(Protocol):
    """Persistence and bounded traversal of the lineage graph."""

    def write(self, items: Sequence[IngestItem], *, decided_at: int | None = None) -> None:
        """Durably store the raw events and apply their mutations, all or nothing.

        Returns only once everything is durable. Raises ``StoreUnavailable`` when
        nothing could be written. ``decided_at``: the items carry incident decisions made
        when :meth:`decisions` answered this; if another writer's decisions committed
        since, nothing is written and ``DecisionConflict`` is raised.
        """

    def decisions(self) -> int:
        """How many writes with incident decisions the store holds: a version that every
        such write bumps, so that writers in several processes decide one after another."""

    def get_nodes(self, ids: Iterable[str]) -> dict[str, Node]:
        """The nodes that exist among ``ids`` (missing ids are left out)."""

    def edges_of(
        self,
        ids: Iterable[str],
        direction: Direction,
        kinds: Collection[EdgeKind] | None = None,
        as_of: float | None = None,
        include_closed: bool = False,
    ) -> list[Edge]:
        """Edges touching ``ids`` one hop away, filtered by kind and validity."""

    def expand(
        self,
        starts: Sequence[str],
        direction: Direction,
        kinds: Collection[EdgeKind],
        max_depth: int,
        as_of: float | None = None,
        node_limit: int = 10_000,
    ) -> Subgraph:
        """Breadth-first expansion up to ``max_depth`` hops over edges of ``kinds``.

        Projection edges are kept when valid at ``as_of`` (None: currently valid).
        Stops adding nodes at ``node_limit`` and then sets ``truncated``.
        """

    def traverse(
        self,
        starts: Sequence[str],
        level: Level,
        direction: Direction,
        depth: int,
        as_of: float | None = None,
        node_budget: int = 5_000,
        *,
        indirect: bool = True,
        check: Callable[[], None] | None = None,
    ) -> Traversal:
        """The bounded lineage subgraph around ``starts``, in one call (one read
        transaction on Neo4j), with light nodes: identity, kind, validity and state, no
        facets, schemas or SQL (``get_nodes`` fetches those for what an answer shows).

        The walk is :func:`lineage.store.traversal.walk`: ``depth`` hops at ``level``,
        edges valid at ``as_of`` (``since <= as_of < until``; None: still open), aliases
        merged, at most ``node_budget`` shown nodes (then ``truncated``). ``check`` is
        called between reads; what it raises ends the call.
        """

    def search(
        self,
        text: str,
        kinds: Collection[NodeKind] | None = None,
        namespace: str | None = None,
        limit: int = 20,
    ) -> list[Node]:
        """Nodes whose name, namespace or description contains ``text``, best first."""

    def search_hits(
        self,
        text: str,
        kinds: Collection[NodeKind] | None = None,
        namespace: str | None = None,
        limit: int = 20,
    ) -> list[Hit]:
        """What :meth:`search` finds, in the same order, without reading whole nodes: each
        with the few properties that rank it (see :class:`lineage.store.search.Hit`)."""

    def nodes_of_kind(self, kind: NodeKind, limit: int = 100, offset: int = 0) -> list[Node]:
        """Nodes of one kind, in a stable order."""

    def events(
        self,
        since: float | None = None,
        until: float | None = None,
        limit: int = 100,
        offset: int = 0,
        run_id: str | None = None,
    ) -> list[StoredEvent]:
        """Stored raw events, newest event time first."""

    def ledger(self, since: Mapping[str, float | None]) -> dict[str, list[LedgerEntry]]:
        """The entries of each named ledger at or after its time (None: all of them), oldest
        first (by ``at``, then ``key``), preceded by the last entry before that time, if any.

        Every name asked for is in the answer (an empty list for an empty ledger).
        """

    def ledger_stored(self, keys: Mapping[str, Collection[str]]) -> set[tuple[str, str]]:
        """Which of these entries (ledger name -> entry keys) the store holds, as
        (ledger, key) pairs: a lookup by key, whatever the ledgers' length."""

    def ledger_before(self, asks: Mapping[str, LedgerAsk]) -> dict[str, LedgerEntry | None]:
        """For each named ledger, the entry :func:`entry_before` finds in it for its ask:
        the latest before the ask's time and key under another ``version``, else the
        earliest before them (None: no entry is before them). Every name asked for is in
        the answer."""

    def export(self) -> tuple[list[Node], list[Edge]]:
        """Every node and edge, sorted by id (for export, and to compare graphs)."""

    def count(self) -> Mapping[str, int]:
        """How many events, nodes and edges the store holds."""

    def prune(
        self, before: float, namespace: str | None = None, dry_run: bool = False
    ) -> PruneReport:
        """Drop the history before ``before``: raw events, runs, superseded versions and
        edges closed by then (``lineage.store.prune``), keeping every answer as of
        ``before`` or later. ``namespace`` limits it to one namespace's jobs and datasets;
        ``dry_run`` only counts."""

    def ping(self) -> None:
        """Raise ``StoreUnavailable`` with the reason if the store cannot serve."""

    def close(self) -> None:
        """Release files and connections."""
