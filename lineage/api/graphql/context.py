"""Per-request state: the store, limits, a deadline, and the DataLoaders that batch reads.

Every read of a node or of a node's edges goes through a DataLoader, so resolving a field
on N objects of a list costs one store call, not N: an answer's cost grows with the
depth of the query, not with the number of nodes in it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import TypeVar

from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from lineage.analysis import Timeout, run_started
from lineage.analysis.diff import code_of
from lineage.analysis.errors import check_deadline
from lineage.api.graphql.cost import Budget, CostLimits
from lineage.graph.model import EdgeKind, NodeKind
from lineage.store import Direction, Edge, GraphStore, Node

T = TypeVar("T")

#: (node id, direction, edge kinds, as of, include closed edges)
EdgeKey = tuple[str, Direction, tuple[EdgeKind, ...], float | None, bool]


class Loaders:
    """Batching, per-request caches over the store's ``get_nodes`` and ``edges_of``."""

    def __init__(self, store: GraphStore, deadline: float | None) -> None:
        self.store = store
        self.deadline = deadline
        self.nodes = DataLoader[str, Node | None](load_fn=self._load_nodes)
        self.edges = DataLoader[EdgeKey, list[Edge]](load_fn=self._load_edges)
        #: The SQL each run's events reported (read from the stored events, all in one call).
        self.run_sql = DataLoader[Node, str | None](
            load_fn=self._load_run_sql, cache_key_fn=lambda run: run.id
        )

    async def call(self, fn: Callable[[], T]) -> T:
        """Run a blocking store call off the event loop, within the request's deadline."""
        check_deadline(self.deadline)
        if self.deadline is None:
            return await asyncio.to_thread(fn)
        try:
            return await asyncio.wait_for(
                asyncio.to_thread(fn), max(self.deadline - time.monotonic(), 0.001)
            )
        except TimeoutError:
            raise Timeout(
                "the query ran out of time; ask for less depth, a narrower start, "
                "or fewer nested fields"
            ) from None

    async def _load_nodes(self, ids: list[str]) -> list[Node | None]:
        found = await self.call(lambda: self.store.get_nodes(ids))
        return [found.get(nid) for nid in ids]

    async def _load_run_sql(self, runs: list[Node]) -> list[str | None]:
        return await self.call(lambda: [code_of(self.store, run)[0] for run in runs])

    async def _load_edges(self, keys: list[EdgeKey]) -> list[list[Edge]]:
        groups: dict[tuple[Direction, tuple[EdgeKind, ...], float | None, bool], list[str]] = {}
        for nid, direction, kinds, as_of, closed in keys:
            groups.setdefault((direction, kinds, as_of, closed), []).append(nid)
        by_key: dict[EdgeKey, list[Edge]] = {key: [] for key in keys}
        for (direction, kinds, as_of, closed), ids in groups.items():
            edges = await self.call(
                partial(self.store.edges_of, ids, direction, kinds, as_of, closed)
            )
            wanted = set(ids)
            for edge in edges:
                ends = []
                if direction in (Direction.DOWNSTREAM, Direction.BOTH):
                    ends.append(edge.src)
                if direction in (Direction.UPSTREAM, Direction.BOTH) and edge.dst != edge.src:
                    ends.append(edge.dst)
                for end in ends:
                    if end in wanted:
                        by_key[(end, direction, kinds, as_of, closed)].append(edge)
        return [by_key[key] for key in keys]

    # Conveniences ---------------------------------------------------------------------

    def prime(self, nodes: Iterable[Node]) -> None:
        """Nodes already in hand (from an analysis answer) need no store call."""
        self.nodes.prime_many({n.id: n for n in nodes})

    # Loads are shielded: their futures are shared by every field asking for the same key,
    # so one field cancelled (a sibling failed, a limit was hit) must not cancel them for
    # the others.

    async def node(self, nid: str | None) -> Node | None:
        return await asyncio.shield(self.nodes.load(nid)) if nid else None

    async def many(self, ids: Sequence[str]) -> list[Node]:
        found = await asyncio.shield(self.nodes.load_many(list(ids)))
        return [n for n in found if n is not None]

    async def edges_of(
        self,
        nid: str,
        direction: Direction,
        *kinds: EdgeKind,
        as_of: float | None = None,
        include_closed: bool = False,
    ) -> list[Edge]:
        key = (nid, direction, tuple(sorted(kinds)), as_of, include_closed)
        return await asyncio.shield(self.edges.load(key))

    async def neighbours(
        self, nid: str, direction: Direction, *kinds: EdgeKind, as_of: float | None = None
    ) -> list[Node]:
        """The nodes one hop away over ``kinds`` (valid at ``as_of``), sorted by id."""
        edges = await self.edges_of(nid, direction, *kinds, as_of=as_of)
        others = sorted({e.dst if e.src == nid else e.src for e in edges})
        return await self.many(others)

    async def versions(self, dataset: str) -> list[Node]:
        """Every version of a dataset, newest first."""
        versions = await self.neighbours(dataset, Direction.UPSTREAM, EdgeKind.VERSION_OF)
        versions.sort(key=lambda v: (v.props.get("created_at") or 0.0, v.id), reverse=True)
        return versions

    async def runs_of(self, job: str) -> list[Node]:
        """Every run of a job, latest first."""
        runs = await self.neighbours(job, Direction.UPSTREAM, EdgeKind.RUN_OF)
        runs = [r for r in runs if r.kind is NodeKind.RUN]
        runs.sort(key=lambda r: (run_started(r) or 0.0, r.id), reverse=True)
        return runs


class Context(BaseContext):
    """What every resolver gets as ``info.context``."""

    def __init__(
        self,
        store: GraphStore,
        *,
        node_budget: int,
        max_depth: int,
        timeout: float | None,
        can_write: bool = True,
        cost_limits: CostLimits | None = None,
        max_items: int | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        #: Whether the caller may change things (incidents): its token has the incidents or
        #: admin scope, or the server has no tokens.
        self.can_write = can_write
        self.node_budget = node_budget
        self.max_depth = max_depth
        self.deadline = time.monotonic() + timeout if timeout is not None else None
        self.loaders = Loaders(store, self.deadline)
        #: What the query may cost before it runs (None: not checked) ...
        self.cost_limits = cost_limits
        #: ... and what it has spent while it runs, on every field.
        self.budget = (
            Budget(max_items, self.deadline)
            if max_items is not None or self.deadline is not None
            else None
        )

    async def offload(self, fn: Callable[[], T]) -> T:
        """Run an analysis off the event loop; it stops itself at the request's deadline."""
        return await self.loaders.call(fn)
