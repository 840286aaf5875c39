"""What a namespace-scoped token may see: the one place answers are filtered.

A token's scope may name namespaces (``read:ns1,ns2``; see ``LINEAGE_TOKENS``). A request
let in by such a scope reads the store through a :class:`VisibleStore`: a view of the
store in which every node outside those namespaces does not exist. Every answer (REST,
GraphQL, the explorer, exports, search, impact, triage, incidents, raw events) is built
from that view, so nothing outside the namespaces can be named, counted or suggested.

Which namespace a node is in:

- datasets, dataset versions, fields and jobs: the namespace in their identity;
- runs: their job's;
- incidents: their subject's.

Edges to hidden nodes are cut, not shown as stubs: a lineage walk does not pass through a
hidden node, so what lies beyond it is not reached that way. When an answer left an edge
out, the response says so without naming anything: the ``X-Lineage-Hidden: true`` header
(set by :class:`HiddenHeader`). Ids of hidden nodes inside the properties of visible ones
(a run's outputs, an input's ``read_for``) are dropped too. A raw event is shown only when
every namespace it names is visible.

Writes: an ingest token scoped to namespaces is refused (403, naming the namespace) an
event that names any other namespace, anywhere in it (:func:`foreign_namespace`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import orjson
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lineage.graph.model import EdgeKind, LedgerEntry, NodeKind, split_id
from lineage.store.base import (
    Direction,
    Edge,
    GraphStore,
    IngestItem,
    LedgerAsk,
    Node,
    StoredEvent,
    Subgraph,
)
from lineage.store.search import Hit, read_whole
from lineage.store.traversal import Level, Traversal, walk

if TYPE_CHECKING:
    from lineage.store.prune import PruneReport

#: The header that says an answer left something out (without saying what).
HIDDEN_HEADER: Final = "X-Lineage-Hidden"

_NAMED: Final = frozenset(
    {NodeKind.DATASET, NodeKind.DATASET_VERSION, NodeKind.FIELD, NodeKind.JOB}
)
_SEP: Final = "\x1f"
#: A value left out of an answer.
_GONE: Final = object()
#: Store pages read while filtering a paged listing.
_PAGE: Final = 500


def namespaces_of(request: HTTPConnection) -> frozenset[str] | None:
    """The namespaces the request's token may reach through the scope that let it in
    (None: all of them)."""
    found: frozenset[str] | None = getattr(request.state, "namespaces", None)
    return found


def store_for(request: HTTPConnection) -> GraphStore:
    """The store as the request's token may see it: the app's store for an unscoped token
    (or a server without tokens), else a :class:`VisibleStore` kept for the request."""
    store: GraphStore = request.app.state.store
    namespaces = namespaces_of(request)
    if namespaces is None:
        return store
    view: VisibleStore | None = getattr(request.state, "visible_store", None)
    if view is None or view.base is not store:
        view = VisibleStore(store, namespaces)
        request.state.visible_store = view
    return view


def event_namespaces(event: Any) -> set[str]:
    """Every namespace an OpenLineage event names, anywhere in it (job, datasets, parent
    runs, symlinks, column lineage)."""
    found: set[str] = set()
    stack = [event]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "namespace" and isinstance(item, str):
                    found.add(item)
                elif isinstance(item, dict | list):
                    stack.append(item)
        elif isinstance(value, list):
            stack.extend(v for v in value if isinstance(v, dict | list))
    return found


def foreign_namespace(event: Any, allowed: frozenset[str] | None) -> str | None:
    """The first namespace (in sorted order) ``event`` names outside ``allowed`` (None:
    every namespace is allowed), else None."""
    if allowed is None:
        return None
    outside = sorted(event_namespaces(event) - allowed)
    return outside[0] if outside else None


def refusal(namespace: str, allowed: frozenset[str], where: str = "the event") -> str:
    """Why a scoped token may not write ``namespace``."""
    return (
        f"{where} names namespace {namespace!r}, which this token may not write "
        f"(its ingest scope is limited to: {', '.join(sorted(allowed))})"
    )


def _holds_json_id(text: str) -> bool:
    """Whether ``text`` is a JSON object that may hold a node id (its separator escaped)."""
    return text.startswith("{") and "\\u001f" in text


class VisibleStore:
    """``base`` as seen by a token limited to ``namespaces``: the nodes outside them, the
    edges touching those, and the raw events naming them do not exist. Writes and
    housekeeping pass through; ``hidden`` counts what answers left out."""

    def __init__(self, base: GraphStore, namespaces: Collection[str]) -> None:
        self.base = base
        self.namespaces = frozenset(namespaces)
        #: How many edges to hidden nodes were cut so far (answers say that some were).
        self.hidden = 0
        self._seen: dict[str, bool] = {}

    # Which ids are visible ----------------------------------------------------------------

    def _visible(self, ids: Iterable[str], rounds: int = 3) -> set[str]:
        """The visible ones among ``ids`` (a run or an incident is looked up once)."""
        ids = set(ids)
        unknown = []
        # Item by item: another thread of the same request may be adding to the cache.
        for nid in [i for i in ids if i not in self._seen]:
            try:
                kind, parts = split_id(nid)
            except ValueError:
                self._seen[nid] = False
                continue
            if kind in _NAMED and parts:
                self._seen[nid] = parts[0] in self.namespaces
            elif kind in (NodeKind.RUN, NodeKind.INCIDENT) and rounds > 0:
                unknown.append(nid)
            else:
                self._seen[nid] = False
        if unknown:
            found = self.base.get_nodes(unknown)
            owners: dict[str, str] = {}
            for nid in unknown:
                node = found.get(nid)
                key = "job" if node is not None and node.kind is NodeKind.RUN else "subject"
                owner = node.props.get(key) if node is not None else None
                if isinstance(owner, str) and owner != nid:
                    owners[nid] = owner
                else:
                    self._seen[nid] = False
            # A run takes its job's namespace, an incident its subject's (maybe a run's).
            visible = self._visible(owners.values(), rounds - 1) if owners else set()
            for nid, owner in owners.items():
                self._seen[nid] = owner in visible
        return {i for i in ids if self._seen.get(i, False)}

    def _scrub(self, props: Mapping[str, Any]) -> Mapping[str, Any]:
        """``props`` without what names a hidden node: ids of hidden nodes (and namespaces
        out of reach) that some properties list, and the parts of facets that name another
        namespace (a facet whose every mention is hidden is left out whole)."""
        named: set[str] = set()
        structured = False
        for value in props.values():
            for item in value if isinstance(value, list) else (value,):
                if isinstance(item, str) and _holds_json_id(item):
                    structured = True  # an incident's evidence: JSON naming a run
                elif isinstance(item, str) and _SEP in item:
                    named.add(item)
                elif isinstance(item, dict | list):
                    structured = True
        refs = "column_refs" in props
        if not named and not structured and "scopes" not in props and not refs:
            return props
        visible = self._visible(named) if named else set()

        def keep(key: str, item: Any) -> Any:
            """``item`` as shown, or _GONE."""
            if isinstance(item, dict | list):
                return self._json(item)
            if not isinstance(item, str):
                return item
            if _holds_json_id(item):
                try:
                    decoded = orjson.loads(item)
                except orjson.JSONDecodeError:
                    return item
                shown = self._json(decoded)
                if shown is _GONE:
                    return _GONE
                return item if shown == decoded else orjson.dumps(shown).decode()
            if key == "scopes":
                return item if item in self.namespaces else _GONE
            if item in named:
                return item if item in visible else _GONE
            if key == "column_refs":
                return item if self._ref_visible(item) else _GONE
            return item

        out: dict[str, Any] = {}
        for key, value in props.items():
            if isinstance(value, list) and not any(isinstance(v, dict | list) for v in value):
                out[key] = [v for v in value if keep(key, v) is not _GONE]
                continue
            shown = keep(key, value)
            if shown is not _GONE:
                out[key] = shown
        return out

    def _json(self, value: Any) -> Any:
        """A facet's JSON without what names another namespace: an object naming one is
        dropped from the list holding it, else the whole value it is part of goes
        (_GONE)."""
        if isinstance(value, dict):
            namespace = value.get("namespace")
            if isinstance(namespace, str) and namespace not in self.namespaces:
                return _GONE
            out: dict[str, Any] = {}
            for key, item in value.items():
                shown = self._json(item)
                if shown is _GONE:
                    return _GONE
                out[key] = shown
            return out
        if isinstance(value, list):
            return [shown for v in value if (shown := self._json(v)) is not _GONE]
        if isinstance(value, str) and _SEP in value:
            return value if self._visible([value]) else _GONE
        return value

    def _ref_visible(self, body: str) -> bool:
        try:
            ref = orjson.loads(body)
        except orjson.JSONDecodeError:
            return False
        return isinstance(ref, dict) and not (event_namespaces(ref) - self.namespaces)

    def _node(self, node: Node) -> Node:
        props = self._scrub(node.props)
        return node if props is node.props else Node(node.id, node.kind, props)

    def _edge(self, edge: Edge) -> Edge:
        props = self._scrub(edge.props)
        return edge if props is edge.props else Edge(edge.id, edge.kind, edge.src, edge.dst, props)

    def _edges(self, edges: Iterable[Edge]) -> list[Edge]:
        edges = list(edges)
        visible = self._visible({e.src for e in edges} | {e.dst for e in edges})
        kept = [self._edge(e) for e in edges if e.src in visible and e.dst in visible]
        self.hidden += len(edges) - len(kept)
        return kept

    # Reads --------------------------------------------------------------------------------

    def get_nodes(self, ids: Iterable[str]) -> dict[str, Node]:
        visible = self._visible(ids)
        if not visible:
            return {}
        return {nid: self._node(n) for nid, n in self.base.get_nodes(visible).items()}

    def edges_of(
        self,
        ids: Iterable[str],
        direction: Direction,
        kinds: Collection[EdgeKind] | None = None,
        as_of: float | None = None,
        include_closed: bool = False,
    ) -> list[Edge]:
        visible = self._visible(ids)
        if not visible:
            return []
        return self._edges(
            self.base.edges_of(sorted(visible), direction, kinds, as_of, include_closed)
        )

    def expand(
        self,
        starts: Sequence[str],
        direction: Direction,
        kinds: Collection[EdgeKind],
        max_depth: int,
        as_of: float | None = None,
        node_limit: int = 10_000,
    ) -> Subgraph:
        answer = Subgraph()
        answer.nodes.update(self.get_nodes(starts))
        frontier = list(answer.nodes)
        for _ in range(max_depth):
            if not frontier:
                break
            nxt: list[str] = []
            for edge in self.edges_of(frontier, direction, kinds, as_of):
                answer.edges[edge.id] = edge
                for end in (edge.src, edge.dst):
                    if end not in answer.nodes and end not in nxt:
                        nxt.append(end)
            room = max(node_limit - len(answer.nodes), 0)
            if len(nxt) > room:
                answer.truncated = True
                answer.frontier = sorted(frontier)
                nxt = nxt[:room]
            answer.nodes.update(self.get_nodes(nxt))
            frontier = nxt
        answer.edges = {
            k: e for k, e in answer.edges.items() if e.src in answer.nodes and e.dst in answer.nodes
        }
        return answer

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
        """The same walk as every store's, over this view (so it never passes through a
        hidden node)."""
        return walk(
            _LightView(self),
            starts,
            level,
            direction,
            depth,
            as_of,
            node_budget,
            indirect=indirect,
            check=check,
        )

    def search(
        self,
        text: str,
        kinds: Collection[NodeKind] | None = None,
        namespace: str | None = None,
        limit: int = 20,
    ) -> list[Node]:
        return read_whole(self, (h.node for h in self.search_hits(text, kinds, namespace, limit)))

    def search_hits(
        self,
        text: str,
        kinds: Collection[NodeKind] | None = None,
        namespace: str | None = None,
        limit: int = 20,
    ) -> list[Hit]:
        if namespace is not None and namespace not in self.namespaces:
            return []
        if namespace is None and len(self.namespaces) == 1:
            [namespace] = self.namespaces
        kept: list[Hit] = []
        for widen in (1, 4, 16, 64):
            asked = limit * widen
            found = self.base.search_hits(text, kinds, namespace, asked)
            visible = self._visible(h.node.id for h in found)
            kept = [h._replace(node=self._node(h.node)) for h in found if h.node.id in visible]
            if len(kept) >= limit or len(found) < asked:
                break
        return kept[:limit]

    def nodes_of_kind(self, kind: NodeKind, limit: int = 100, offset: int = 0) -> list[Node]:
        out: list[Node] = []
        skipped = 0
        at = 0
        while len(out) < limit:
            page = self.base.nodes_of_kind(kind, _PAGE, at)
            at += len(page)
            visible = self._visible(n.id for n in page)
            for node in page:
                if node.id not in visible:
                    continue
                if skipped < offset:
                    skipped += 1
                    continue
                out.append(self._node(node))
                if len(out) == limit:
                    break
            if len(page) < _PAGE:
                break
        return out

    def events(
        self,
        since: float | None = None,
        until: float | None = None,
        limit: int = 100,
        offset: int = 0,
        run_id: str | None = None,
    ) -> list[StoredEvent]:
        out: list[StoredEvent] = []
        skipped = 0
        at = 0
        while len(out) < limit:
            page = self.base.events(since, until, _PAGE, at, run_id)
            at += len(page)
            for event in page:
                if not self._event_visible(event.body):
                    continue
                if skipped < offset:
                    skipped += 1
                    continue
                out.append(event)
                if len(out) == limit:
                    break
            if len(page) < _PAGE:
                break
        return out

    def _event_visible(self, body: bytes) -> bool:
        try:
            event = orjson.loads(body)
        except orjson.JSONDecodeError:
            return False
        named = event_namespaces(event)
        return bool(named) and named <= self.namespaces

    def _hidden_ledgers(self, names: Iterable[str]) -> set[str]:
        """The ledgers among ``names`` whose subject this view does not show. A subject's
        ledger is named '<kind>\x1e<subject id>'; others (incident numbers) name no node."""
        subjects = {name: name.rpartition("\x1e")[2] for name in names if "\x1e" in name}
        visible = self._visible(subjects.values())
        return {name for name, subject in subjects.items() if subject not in visible}

    def ledger(self, since: Mapping[str, float | None]) -> dict[str, list[LedgerEntry]]:
        found = self.base.ledger(since)
        hidden = self._hidden_ledgers(found)
        return {name: ([] if name in hidden else entries) for name, entries in found.items()}

    def ledger_stored(self, keys: Mapping[str, Collection[str]]) -> set[tuple[str, str]]:
        found = self.base.ledger_stored(keys)
        hidden = self._hidden_ledgers({name for name, _ in found})
        return {(name, key) for name, key in found if name not in hidden}

    def ledger_before(self, asks: Mapping[str, LedgerAsk]) -> dict[str, LedgerEntry | None]:
        found = self.base.ledger_before(asks)
        hidden = self._hidden_ledgers(found)
        return {name: (None if name in hidden else entry) for name, entry in found.items()}

    def export(self) -> tuple[list[Node], list[Edge]]:
        nodes, edges = self.base.export()
        visible = self._visible(n.id for n in nodes)
        shown = [self._node(n) for n in nodes if n.id in visible]
        kept = [self._edge(e) for e in edges if e.src in visible and e.dst in visible]
        return shown, kept

    def count(self) -> Mapping[str, int]:
        nodes, edges = self.export()
        return {
            "events": len(self.events(limit=1_000_000_000)),
            "nodes": len(nodes),
            "edges": len(edges),
        }

    # Writes and housekeeping: the token's scope decided these already ----------------------

    def write(self, items: Sequence[IngestItem], *, decided_at: int | None = None) -> None:
        self.base.write(items, decided_at=decided_at)

    def decisions(self) -> int:
        return self.base.decisions()

    def prune(
        self, before: float, namespace: str | None = None, dry_run: bool = False
    ) -> PruneReport:
        return self.base.prune(before, namespace, dry_run)

    def ping(self) -> None:
        self.base.ping()

    def close(self) -> None:
        """The view owns nothing; the store is closed by its owner."""


class _LightView:
    """The view, as the traversal walk reads it."""

    def __init__(self, view: VisibleStore) -> None:
        self.view = view

    def nodes(self, ids: Sequence[str]) -> dict[str, Node]:
        return self.view.get_nodes(ids)

    def edges(
        self,
        ids: Sequence[str],
        direction: Direction,
        kinds: Collection[EdgeKind],
        as_of: float | None,
    ) -> list[Edge]:
        return self.view.edges_of(ids, direction, kinds, as_of)


class HiddenHeader:
    """Adds ``X-Lineage-Hidden: true`` to an answer for which the request's view left an
    edge to a hidden node out (read when the answer starts, so a streamed export says what
    was cut before its first byte)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                view = scope.get("state", {}).get("visible_store")
                if isinstance(view, VisibleStore) and view.hidden:
                    MutableHeaders(scope=message)[HIDDEN_HEADER] = "true"
            await send(message)

        await self.app(scope, receive, sending)


def _keeps_contract(view: VisibleStore) -> GraphStore:
    """Checked by mypy: the view keeps the store's contract."""
    return view
