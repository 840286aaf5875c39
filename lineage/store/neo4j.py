"""The Neo4j store: the same graph, contract and merge rules as the embedded store, in Neo4j 5.

``neo4j://host:7687`` (or ``bolt://``, ``neo4j+s://``, ...). Credentials and database come
from the arguments, else ``LINEAGE_NEO4J_USER``, ``LINEAGE_NEO4J_PASSWORD`` and
``LINEAGE_NEO4J_DATABASE`` (default ``neo4j``), else ``user:password@`` in the URL.

How the graph is laid out
- Every graph node has the label ``:Entity`` and its kind's label (``:Dataset``,
  ``:DatasetVersion``, ``:Field``, ``:Job``, ``:Run``, ``:Incident``); ``id`` is its
  identity. All its properties are in ``props`` (JSON, so nested facets and the
  difference between a missing and a null value survive), last-writer-wins times in
  ``ats``; the natural keys and what queries filter on (``namespace``, ``name``,
  ``runId``, ``dataset``, ``created_at``, ``completed_at``, ...) are copied into real
  properties, under uniqueness constraints and indexes (``schema/neo4j``).
- Every edge is a relationship of its kind's type, with ``id``, ``key``, ``props`` and
  ``ats`` the same way, and ``since`` / ``until`` as real properties for as-of reads.
- An empty ``key``, ``props`` or ``ats`` is not stored (most edges, and most nodes' ``ats``,
  hold nothing): reads take a missing one as empty, and read one stored empty (as stores
  written before kept them) the same.
- Raw events are ``(:Event {seq, received_at, event_time, run_id, body, ...})``, written in
  the transaction that writes their graph changes.
- Ledger entries are ``(:LedgerEntry {ledger, key, at, body, version})``: ``version`` is the
  body's version as JSON text, so that a read seeks one version's entries by time.

Writes are serialised: in this process by a lock, across processes by the first
statement of every write transaction, which bumps the ``(:Counter {name: 'events'})``
node and so holds its write lock until commit. Reads never wait for writes.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, TypeVar
from urllib.parse import unquote, urlsplit, urlunsplit

import orjson
from neo4j import READ_ACCESS, WRITE_ACCESS, Driver, GraphDatabase, ManagedTransaction, Query
from neo4j import unit_of_work as _unit_of_work
from neo4j.exceptions import (
    AuthError,
    ClientError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)

from lineage.graph.model import (
    PROJECTION_EDGES,
    EdgeKind,
    LedgerEntry,
    NodeKind,
    dataset_id,
    split_id,
)
from lineage.store.base import (
    DecisionConflict,
    Direction,
    Edge,
    IngestItem,
    LedgerAsk,
    Node,
    StoredEvent,
    StoreError,
    StoreUnavailable,
    Subgraph,
    entry_before,
)
from lineage.store.breaker import CircuitBreaker
from lineage.store.neo4j_apply import (
    EDGE_COLUMNS,
    LABELS,
    NODE_COLUMNS,
    WorkingSet,
    edge_kind_of,
    loaded_json,
    search_terms,
)
from lineage.store.neo4j_walk import IdentityView
from lineage.store.prune import PruneReport, prune_neo4j
from lineage.store.search import (
    OVERLAP,
    Hit,
    hit,
    lucene_substring,
    match_rank,
    read_whole,
    searchable,
)
from lineage.store.traversal import LIGHT_PROPS, Level, LightGraph, Traversal, walk

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_DATABASE: Final = "neo4j"
#: Where the constraint and index statements live, applied in file name order.
SCHEMA_DIR: Final = Path(
    os.environ.get("LINEAGE_NEO4J_SCHEMA", Path(__file__).resolve().parents[2] / "schema" / "neo4j")
)
_PROJECTION: Final = sorted(k.value for k in PROJECTION_EDGES)
_COUNTER: Final = "events"
# Bumped by every write that carries incident decisions: writers in several processes
# decide one after another (a write decided before another's commit is refused).
_DECISIONS: Final = "decisions"
_FIELD_CACHE_MAX: Final = 2_000_000
#: Counts 1 once every node has the texts search looks inside; nodes filled per page.
_SEARCH_TERMS: Final = "search_terms"
_SEARCH_PAGE: Final = 10_000
#: Counts 1 once every ledger entry has its version (``version``); entries filled per page.
_LEDGER_VERSIONS: Final = "ledger_versions"
_LEDGER_PAGE: Final = 10_000
#: Fresh connections tried after a quick connection error before the server counts as down:
#: a restarted server leaves broken connections in the pool, and a refused one fails at once.
_RECONNECTS: Final = 2


def _connectivity(exc: BaseException) -> bool:
    """Whether an error says the server cannot be reached (rather than that it refused)."""
    return isinstance(exc, ServiceUnavailable | SessionExpired | OSError)


# -- statements ----------------------------------------------------------------------------
# Labels and relationship types come from our enums only; every value is a parameter.
# A node looked up by id for each row of a list says ``USING INDEX SEEK``: planned right
# after a large write, while the index's statistics still describe the store before it,
# such a lookup was planned as a scan of the whole index per row (18 s instead of 50 ms
# for a thousand ids after the first 500 events of a fresh store).


def _node_upsert(kind: NodeKind) -> str:
    columns = ", ".join(f"n.{c} = row.{c}" for c in NODE_COLUMNS)
    return (
        f"UNWIND $rows AS row MERGE (n:Entity:{LABELS[kind]} {{id: row.id}}) "
        f"SET n.props = row.props, n.ats = row.ats, n.search = row.search, {columns}"
    )


def _edge_upsert(kind: EdgeKind) -> str:
    columns = ", ".join(f"r.{c} = row.{c}" for c in EDGE_COLUMNS)
    return (
        "UNWIND $rows AS row MATCH (a:Entity {id: row.src}) USING INDEX SEEK a:Entity(id) "
        "MATCH (b:Entity {id: row.dst}) USING INDEX SEEK b:Entity(id) "
        f"MERGE (a)-[r:{kind.value} {{id: row.id}}]->(b) "
        f"SET r.key = row.key, r.props = row.props, r.ats = row.ats, {columns}"
    )


def _node_create(kind: NodeKind) -> str:
    # A row holds exactly what the upsert sets (a null is not set): the node is the row.
    return f"UNWIND $rows AS row CREATE (n:Entity:{LABELS[kind]}) SET n = row"


def _edge_create(kind: EdgeKind) -> str:
    # The row without its ends: what the upsert sets. (A SET from a map would plan an Eager.)
    kept = ", ".join(f"{c}: row.{c}" for c in ("id", "key", "props", "ats", *EDGE_COLUMNS))
    return (
        "UNWIND $rows AS row MATCH (a:Entity {id: row.src}) USING INDEX SEEK a:Entity(id) "
        "MATCH (b:Entity {id: row.dst}) USING INDEX SEEK b:Entity(id) "
        f"CREATE (a)-[r:{kind.value} {{{kept}}}]->(b)"
    )


def _edge_delete(kind: EdgeKind) -> str:
    # The hint keeps the unique-index seek whatever the statistics say: with a scan and a
    # filter instead (chosen once a kind has many edges), the planner puts an Eager before
    # the delete.
    return (
        f"MATCH ()-[r:{kind.value}]->() USING INDEX r:{kind.value}(id) WHERE r.id IN $ids DELETE r"
    )


NODE_UPSERT: Final = {kind: _node_upsert(kind) for kind in NodeKind}
EDGE_UPSERT: Final = {kind: _edge_upsert(kind) for kind in EdgeKind}
#: For records the write transaction read and did not find: no lookup, no MERGE lock.
NODE_CREATE: Final = {kind: _node_create(kind) for kind in NodeKind}
EDGE_CREATE: Final = {kind: _edge_create(kind) for kind in EdgeKind}
EDGE_DELETE: Final = {kind: _edge_delete(kind) for kind in EdgeKind}
NODE_DELETE: Final = "MATCH (n:Entity) USING INDEX n:Entity(id) WHERE n.id IN $ids DETACH DELETE n"
LOCK: Final = "MATCH (c:Counter {name: $name}) SET c.value = c.value + $n"
COUNTER_VALUE: Final = "MATCH (c:Counter {name: $name}) RETURN c.value AS value"
COUNTER_CREATE: Final = "MERGE (c:Counter {name: $name}) ON CREATE SET c.value = $start"
ALREADY_WRITTEN: Final = "MATCH (e:Event {write_id: $write_id}) RETURN e.seq AS seq LIMIT 1"
REPORT_UPSERT: Final = (
    "UNWIND $rows AS row MERGE (r:ColumnLineageReport {key: row.key}) "
    "SET r.job = row.job, r.output = row.output, r.since = row.since, "
    "r.last_seen = row.last_seen, r.until = row.until, r.feeds = row.feeds, "
    "r.feeds_since = row.feeds_since"
)
RUN_STATE_UPSERT: Final = (
    "UNWIND $rows AS row MERGE (s:RunState {run: row.run}) "
    "SET s.sighted = row.sighted, s.unresolved = row.unresolved"
)
#: A ledger entry is written once: its key names its content. Its body's version is kept
#: beside it (``_version_text``), so that a read seeks one version's entries by time.
LEDGER_UPSERT: Final = (
    "UNWIND $rows AS row MERGE (l:LedgerEntry {ledger: row.ledger, key: row.key}) "
    "ON CREATE SET l.at = row.at, l.body = row.body, l.version = row.version"
)
# Ledgers read from a time on, and ledgers read whole, are separate statements: a branch
# that a filter on ``w.since`` would discard still seeks its index for every ledger. Each
# branch seeks an index on the ledger's name (an OR of the two cases in one branch cannot
# use one, and the planner then scans every entry); the two branches are disjoint.
LEDGER_FROM: Final = (
    "UNWIND $wanted AS w CALL (w) { "
    "MATCH (l:LedgerEntry) USING INDEX l:LedgerEntry(ledger, at) "
    "WHERE l.ledger = w.ledger AND l.at < w.since "
    "RETURN l ORDER BY l.at DESC, l.key DESC LIMIT 1 "
    "UNION ALL "
    "MATCH (l:LedgerEntry) USING INDEX l:LedgerEntry(ledger, at) "
    "WHERE l.ledger = w.ledger AND l.at >= w.since RETURN l } "
    "RETURN w.ledger AS ledger, l.key AS key, l.at AS at, l.body AS body"
)
LEDGER_WHOLE: Final = (
    "UNWIND $names AS name MATCH (l:LedgerEntry) USING INDEX l:LedgerEntry(ledger, key) "
    "WHERE l.ledger = name AND l.key IS NOT NULL "
    "RETURN l.ledger AS ledger, l.key AS key, l.at AS at, l.body AS body"
)
# What ``ledger_before`` reads, for all its asks at once. An entry is before an ask when
# its (at, key) is: ``l.at <= a.at`` is the part an index seeks, and the rest is a CASE,
# not an OR, which the planner would split into a union of two seeks whose rows it then
# sorts. Each ORDER BY starts with the properties the index seeks by equality: only then
# does the planner take the index's order and stop after LIMIT rows.
_BEFORE: Final = (
    "l.ledger = a.ledger AND l.at <= a.at "
    "AND CASE WHEN l.at < a.at THEN true ELSE l.key < a.key END"
)
_ENTRY: Final = "a.ledger AS ledger, l.key AS key, l.at AS at, l.body AS body, l.version AS version"
#: The latest few entries before each ask.
LEDGER_RECENT: Final = (
    "UNWIND $asks AS a CALL (a) { "
    f"MATCH (l:LedgerEntry) USING INDEX l:LedgerEntry(ledger, at) WHERE {_BEFORE} "
    "RETURN l ORDER BY l.ledger DESC, l.at DESC, l.key DESC LIMIT $recent } "
    f"RETURN {_ENTRY}"
)
#: For each ask, the ledger's next version after ``a.after`` (versions are texts, in text
#: order) and that version's latest entry before the ask (null when none is before it).
LEDGER_NEXT_VERSION: Final = (
    "UNWIND $asks AS a CALL (a) { "
    "MATCH (v:LedgerEntry) USING INDEX v:LedgerEntry(ledger, version, at) "
    "WHERE v.ledger = a.ledger AND v.version > a.after AND v.at IS NOT NULL "
    "RETURN v.version AS next ORDER BY v.ledger, v.version LIMIT 1 } "
    "CALL (a, next) { "
    "OPTIONAL MATCH (l:LedgerEntry) USING INDEX l:LedgerEntry(ledger, version, at) "
    f"WHERE l.version = next AND {_BEFORE} "
    "RETURN l ORDER BY l.ledger DESC, l.version DESC, l.at DESC, l.key DESC LIMIT 1 } "
    f"RETURN next, {_ENTRY}"
)
#: The earliest entry before each ask.
LEDGER_EARLIEST: Final = (
    "UNWIND $asks AS a CALL (a) { "
    f"MATCH (l:LedgerEntry) USING INDEX l:LedgerEntry(ledger, at) WHERE {_BEFORE} "
    "RETURN l ORDER BY l.ledger, l.at, l.key LIMIT 1 } "
    f"RETURN {_ENTRY}"
)
#: A page of ledger entries after (``$ledger``, ``$key``), with the body of each that has
#: no version yet (entries written before they kept one).
LEDGER_PAGE: Final = (
    "CALL () { "
    "MATCH (l:LedgerEntry) USING INDEX l:LedgerEntry(ledger, key) "
    "WHERE l.ledger = $ledger AND l.key > $key RETURN l ORDER BY l.ledger, l.key LIMIT $page "
    "UNION ALL "
    "MATCH (l:LedgerEntry) USING INDEX l:LedgerEntry(ledger, key) "
    "WHERE l.ledger > $ledger AND l.key IS NOT NULL "
    "RETURN l ORDER BY l.ledger, l.key LIMIT $page } "
    "RETURN l.ledger AS ledger, l.key AS key, "
    "CASE WHEN l.version IS NULL THEN l.body END AS body ORDER BY ledger, key LIMIT $page"
)
LEDGER_VERSION_SET: Final = (
    "UNWIND $rows AS row MATCH (l:LedgerEntry {ledger: row.ledger, key: row.key}) "
    "USING INDEX SEEK l:LedgerEntry(ledger, key) "
    "WHERE l.version IS NULL SET l.version = row.version"
)
#: Which of the entries ``$rows`` (ledger, key) are stored, each sought by its key.
LEDGER_STORED: Final = (
    "UNWIND $rows AS row MATCH (l:LedgerEntry {ledger: row.ledger, key: row.key}) "
    "USING INDEX SEEK l:LedgerEntry(ledger, key) "
    "RETURN l.ledger AS ledger, l.key AS key"
)
#: Every statement a ledger read may run (for plan checks).
LEDGER_READS: Final = (
    LEDGER_FROM,
    LEDGER_WHOLE,
    LEDGER_RECENT,
    LEDGER_NEXT_VERSION,
    LEDGER_EARLIEST,
    LEDGER_PAGE,
    LEDGER_STORED,
)
#: How many of the latest entries before an ask are read before the versions are.
_RECENT: Final = 16
# An event is stored once, whatever number of times it arrives (a producer's retry, a Kafka
# batch read again after a consumer's crash): its bytes' digest is its identity.
EVENT_CREATE: Final = (
    "UNWIND $rows AS row MERGE (e:Event {digest: row.digest}) "
    "ON CREATE SET e.seq = row.seq, e.received_at = row.received_at, "
    "e.event_time = row.event_time, e.event_type = row.event_type, e.run_id = row.run_id, "
    "e.job_namespace = row.job_namespace, e.job_name = row.job_name, e.body = row.body, "
    "e.write_id = row.write_id"
)


def write_statements() -> list[str]:
    """Every statement a write transaction may run (for plan checks)."""
    return [
        LOCK,
        COUNTER_CREATE,
        NODE_DELETE,
        *EDGE_DELETE.values(),
        *NODE_UPSERT.values(),
        *EDGE_UPSERT.values(),
        *NODE_CREATE.values(),
        *EDGE_CREATE.values(),
        REPORT_UPSERT,
        RUN_STATE_UPSERT,
        LEDGER_UPSERT,
        EVENT_CREATE,
    ]


def schema_statements(folder: Path = SCHEMA_DIR) -> list[str]:
    """The constraint and index statements of ``schema/neo4j/*.cypher``, in order."""
    statements = []
    for path in sorted(folder.glob("*.cypher")):
        text = "\n".join(
            line for line in path.read_text().splitlines() if not line.lstrip().startswith("//")
        )
        statements += [s.strip() for s in text.split(";") if s.strip()]
    return statements


def _version_text(version: Any) -> str | None:
    """A ledger entry's version as its ``version`` property holds it: JSON text, the same
    for versions Python counts equal (``1``, ``1.0``, ``true``), so that Cypher's ``=`` on
    it is Python's ``==``, and ``null`` for none (Cypher's ``=`` with null is null, and a
    missing property is in no index). None for a version the text cannot compare that way
    (a list, an object, NaN): an ask under it reads its ledger whole."""
    if isinstance(version, bool) or (
        isinstance(version, float) and version.is_integer() and -(2**63) <= version < 2**64
    ):
        version = int(version)
    if not (
        version is None
        or isinstance(version, str | int)
        or (isinstance(version, float) and math.isfinite(version))
    ):
        return None
    try:
        return orjson.dumps(version).decode()
    except orjson.JSONEncodeError:  # an integer beyond 64 bits
        return None


def _entry_version(body: bytes) -> str:
    """The ``version`` property of an entry with this body: the body's version when it is
    a JSON object, else none. A list or an object keeps its JSON, which no scalar's text
    equals (asks under one read the ledger whole)."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        value = None
    version = value.get("version") if isinstance(value, dict) else None
    text = _version_text(version)
    return text if text is not None else orjson.dumps(version, option=orjson.OPT_SORT_KEYS).decode()


def _types(kinds: Collection[EdgeKind] | None) -> str:
    """``:A|B`` for a relationship pattern, from EdgeKind values only."""
    chosen = sorted({EdgeKind(k).value for k in kinds}) if kinds is not None else []
    return ":" + "|".join(chosen) if chosen else ""


_VALID: Final = (
    "(NOT type(r) IN $projection OR CASE WHEN $as_of IS NULL THEN r.until IS NULL "
    "ELSE (r.since IS NULL OR r.since <= $as_of) AND (r.until IS NULL OR $as_of < r.until) END)"
)


def _node(nid: str, props: str) -> Node | None:
    try:
        kind, _ = split_id(nid)
    except ValueError:
        return None
    values = orjson.loads(props)
    return Node(nid, kind, {k: v for k, v in values.items() if v is not None})


def _edge(eid: str, src: str, dst: str, key: str | None, props: str | None) -> Edge:
    values = loaded_json(props)
    if key:
        values.setdefault("key", key)
    return Edge(eid, edge_kind_of(eid), src, dst, values)


#: The columns a light node is read from (``LIGHT_PROPS`` the writer copies out of ``props``).
_LIGHT_COLUMNS: Final = tuple(c for c in LIGHT_PROPS if c in NODE_COLUMNS)
_LIGHT_MAP: Final = ", ".join(f".{c}" for c in _LIGHT_COLUMNS)


def _light_fields(var: str, runs: bool) -> str:
    """The RETURN items of a light node: at RUN level its columns and a run's ``props``
    (when it started is in no column), else nothing but its id (identity is in the id);
    and whether its dataset has aliases."""
    light = (
        f"{var}{{{_LIGHT_MAP}}} AS light, CASE WHEN {var}:Run THEN {var}.props END AS run_props"
        if runs
        else "null AS light, null AS run_props"
    )
    return (
        f"{light}, CASE WHEN {var}:Dataset THEN EXISTS {{ ({var})-[:ALIAS_OF]-() }} "
        f"WHEN {var}:Field THEN EXISTS {{ (:Entity {{id: {var}.dataset}})-[:ALIAS_OF]-() }} "
        "END AS aliased"
    )


def _light_nodes(runs: bool) -> str:
    return (
        "UNWIND $ids AS id MATCH (n:Entity {id: id}) USING INDEX SEEK n:Entity(id) "
        f"RETURN n.id AS id, {_light_fields('n', runs)}"
    )


def _hop_queries(direction: Direction, types: str, runs: bool) -> list[str]:
    """Valid edges of ``types`` from the frontier ``$ids``, each with its far end light."""
    ret = (
        f"RETURN r.id AS id, a.id AS src, b.id AS dst, r.key AS key, r.props AS props, "
        f"far.id AS far, {_light_fields('far', runs)}"
    )
    queries = []
    if direction in (Direction.DOWNSTREAM, Direction.BOTH):
        queries.append(
            f"UNWIND $ids AS id MATCH (a:Entity {{id: id}})-[r{types}]->(b:Entity) "
            f"USING INDEX SEEK a:Entity(id) WHERE {_VALID} WITH r, a, b, b AS far {ret}"
        )
    if direction in (Direction.UPSTREAM, Direction.BOTH):
        queries.append(
            f"UNWIND $ids AS id MATCH (a:Entity)-[r{types}]->(b:Entity {{id: id}}) "
            f"USING INDEX SEEK b:Entity(id) WHERE {_VALID} WITH r, a, b, a AS far {ret}"
        )
    return queries


def _identity(kind: NodeKind, parts: tuple[str, ...]) -> dict[str, Any]:
    """The properties a node's id holds."""
    if kind is NodeKind.FIELD and len(parts) == 3:
        return {"dataset": dataset_id(parts[0], parts[1]), "path": parts[2]}
    if kind in (NodeKind.DATASET, NodeKind.JOB) and len(parts) == 2:
        return {"namespace": parts[0], "name": parts[1]}
    return {}


class _TxView:
    """The graph as :func:`~lineage.store.traversal.walk` reads it, inside one read
    transaction. Far ends come with the edges that reach them, and whether a dataset has
    aliases with the node, so most depths cost one query per direction."""

    def __init__(self, tx: ManagedTransaction, runs: bool) -> None:
        self._tx = tx
        self._runs = runs
        self._known: dict[str, Node] = {}
        self._unaliased: set[str] = set()

    def _learn(
        self, nid: str, light: Mapping[str, Any] | None, run_props: str | None, aliased: Any
    ) -> None:
        if nid in self._known:
            return
        try:
            kind, parts = split_id(nid)
        except ValueError:
            return
        if light is None:
            props = _identity(kind, parts)
        else:
            props = {k: v for k, v in light.items() if v is not None}
        if run_props:
            every = orjson.loads(run_props)
            props.update((k, every[k]) for k in LIGHT_PROPS if every.get(k) is not None)
        self._known[nid] = Node(nid, kind, props)
        if aliased is False:
            owner = props.get("dataset") if kind is NodeKind.FIELD else nid
            if isinstance(owner, str):
                self._unaliased.add(owner)

    def nodes(self, ids: Sequence[str]) -> dict[str, Node]:
        missing = [i for i in ids if i not in self._known]
        if missing:
            # Records are tuples: unpacking them is much cheaper than reading by key.
            for nid, light, run_props, aliased in self._tx.run(
                _light_nodes(self._runs), ids=missing
            ):
                self._learn(nid, light, run_props, aliased)
        return {i: self._known[i] for i in ids if i in self._known}

    def edges(
        self,
        ids: Sequence[str],
        direction: Direction,
        kinds: Collection[EdgeKind],
        as_of: float | None,
    ) -> list[Edge]:
        if set(kinds) == {EdgeKind.ALIAS_OF}:
            ids = [i for i in ids if i not in self._unaliased]
        if not ids or not kinds:
            return []
        found: dict[str, Edge] = {}
        for q in _hop_queries(Direction(direction), _types(kinds), self._runs):
            rows = self._tx.run(q, ids=list(ids), projection=_PROJECTION, as_of=as_of)
            for eid, src, dst, key, props, far, light, run_props, aliased in rows:
                self._learn(far, light, run_props, aliased)
                if eid not in found:
                    found[eid] = _edge(eid, src, dst, key, props)
        return list(found.values())


class Neo4jStore:
    """A :class:`~lineage.store.base.GraphStore` on a Neo4j 5 server (Community or Enterprise).

    ``reset_for_tests`` wipes the database first (Community has one database per server).
    Neo4j being down at start is not an error: the schema is applied once it answers,
    and until then ``write`` and ``ping`` raise ``StoreUnavailable``.
    """

    def __init__(
        self,
        url: str,
        *,
        user: str | None = None,
        password: str | None = None,
        database: str | None = None,
        query_timeout: float = 30.0,
        connection_timeout: float = 5.0,
        retry_seconds: float = 10.0,
        reset_for_tests: bool = False,
    ) -> None:
        parts = urlsplit(url)
        url_user = unquote(parts.username) if parts.username else None
        url_password = unquote(parts.password) if parts.password else None
        host = parts.hostname or "localhost"
        netloc = f"[{host}]" if ":" in host else host
        if parts.port:
            netloc += f":{parts.port}"
        self.url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
        self.database = database or os.environ.get("LINEAGE_NEO4J_DATABASE") or DEFAULT_DATABASE
        user = user or os.environ.get("LINEAGE_NEO4J_USER") or url_user
        password = password or os.environ.get("LINEAGE_NEO4J_PASSWORD") or url_password
        self.query_timeout = query_timeout
        self.retry_seconds = retry_seconds
        #: Open while Neo4j cannot be reached: calls then fail at once (``StoreOutage``).
        self.breaker = CircuitBreaker("Neo4j", probe_timeout=connection_timeout * 3)
        self._lock = threading.Lock()
        self._schema_ready = False
        self._stored_fields: set[str] = set()
        try:
            self._driver: Driver = GraphDatabase.driver(
                self.url,
                auth=(user or "neo4j", password) if password else None,
                connection_timeout=connection_timeout,
                connection_acquisition_timeout=connection_timeout * 2,
                max_transaction_retry_time=retry_seconds,
                notifications_min_severity="OFF",
            )
        except (DriverError, ValueError) as exc:
            raise StoreError(
                f"cannot use the Neo4j URL {self.url!r}: {exc}. Use neo4j://host:7687."
            ) from exc
        if reset_for_tests:
            self._wipe()
        try:
            self.migrate()
        except StoreUnavailable as exc:
            log.warning("Neo4j is not answering yet; the schema is applied later: %s", exc)

    # -- plumbing ----------------------------------------------------------------------

    def _unavailable(self, exc: Exception) -> StoreError:
        where = f"Neo4j at {self.url} (database {self.database!r})"
        if isinstance(exc, AuthError):
            return StoreUnavailable(
                f"{where} refused the credentials: {exc.message}. Set LINEAGE_NEO4J_USER and "
                "LINEAGE_NEO4J_PASSWORD."
            )
        if isinstance(exc, ServiceUnavailable | SessionExpired | TransientError):
            return StoreUnavailable(f"{where} cannot be reached: {exc}. Is the server running?")
        if (
            isinstance(exc, ClientError)
            and exc.code
            and ("DatabaseNotFound" in exc.code or "TransactionTimedOut" in exc.code)
        ):
            return StoreUnavailable(f"{where} cannot serve: {exc.message}")
        if isinstance(exc, Neo4jError):
            return StoreError(f"{where} failed: {exc.code}: {exc.message}")
        return StoreUnavailable(f"{where} cannot be used: {exc}")

    def _execute(
        self, access: str, work: Callable[[ManagedTransaction], T], timeout: float | None = None
    ) -> T:
        """Run ``work`` in a managed transaction, retried on transient failures for up to
        ``retry_seconds``; a server that cannot be reached fails at once and opens the
        breaker, which then fails later calls at once until a probe gets through."""

        @_unit_of_work(timeout=timeout or self.query_timeout)
        def transaction(tx: ManagedTransaction) -> T:
            return work(tx)

        def attempt() -> T:
            # The driver's own retry loop would keep retrying an unreachable server for the
            # whole budget: each attempt here is one try, and the loop is ours.
            with self._driver.session(
                database=self.database, default_access_mode=access, max_transaction_retry_time=-1
            ) as s:
                if access == WRITE_ACCESS:
                    return s.execute_write(transaction)
                return s.execute_read(transaction)

        return self._guarded(attempt, retry=True)

    def _guarded(self, attempt: Callable[[], T], *, retry: bool) -> T:
        """Run ``attempt`` behind the breaker, reporting to it what the server did."""
        probe = self.breaker.before()
        started = time.monotonic()
        deadline = started + self.retry_seconds
        reconnects = 0 if not probe else _RECONNECTS
        delay = 0.2
        while True:
            try:
                result = attempt()
            except (Neo4jError, DriverError, OSError) as exc:
                if _connectivity(exc):
                    # Only a quick failure (a refused or broken connection) is worth a fresh
                    # one; a connection that timed out would time out again.
                    if reconnects < _RECONNECTS and time.monotonic() - started < 1.0:
                        reconnects += 1
                        time.sleep(0.05 * reconnects)
                        continue
                    self.breaker.failed(f"{self.url} (database {self.database!r}): {exc}")
                    raise self.breaker.outage() from exc
                self.breaker.succeeded()  # it answered, if only to refuse
                retryable = not isinstance(exc, OSError) and exc.is_retryable()
                if retry and retryable and time.monotonic() + delay < deadline:
                    time.sleep(delay)
                    delay *= 2
                    continue
                raise self._unavailable(exc) from exc
            except BaseException:
                self.breaker.succeeded()  # the work itself failed, not the server
                raise
            self.breaker.succeeded()
            return result

    def _read(self, cypher: str, **params: Any) -> list[dict[str, Any]]:
        def work(tx: ManagedTransaction) -> list[dict[str, Any]]:
            return tx.run(cypher, params).data()

        return self._execute(READ_ACCESS, work)

    def _autocommit(
        self, cypher: str, access: str = WRITE_ACCESS, **params: Any
    ) -> list[dict[str, Any]]:
        """One statement in its own transaction, not retried (schema changes, ping)."""

        def attempt() -> list[dict[str, Any]]:
            with self._driver.session(database=self.database, default_access_mode=access) as s:
                return s.run(Query(cypher, timeout=self.query_timeout), params).data()

        return self._guarded(attempt, retry=False)

    def _wipe(self) -> None:
        self._autocommit("MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS")
        self._stored_fields.clear()

    def migrate(self) -> None:
        """Apply ``schema/neo4j`` (idempotent: constraints and indexes IF NOT EXISTS).

        Raises ``StoreUnavailable`` if Neo4j cannot be reached.
        """
        for statement in schema_statements():
            try:
                self._autocommit(statement)
            except StoreError as exc:
                # Another process created the same constraint or index meanwhile.
                if not isinstance(exc.__cause__, ClientError) or "AlreadyExists" not in (
                    exc.__cause__.code or ""
                ):
                    raise
        self._autocommit("CALL db.awaitIndexes($seconds)", seconds=300)
        if not self._autocommit(COUNTER_VALUE, name=_COUNTER):
            top = self._autocommit("MATCH (e:Event) RETURN e.seq AS seq ORDER BY seq DESC LIMIT 1")
            self._autocommit(COUNTER_CREATE, name=_COUNTER, start=top[0]["seq"] if top else 0)
        self._autocommit(COUNTER_CREATE, name=_DECISIONS, start=0)
        self._add_search_terms()
        self._add_ledger_versions()
        self._schema_ready = True

    def _add_search_terms(self) -> None:
        """Nodes written before search had an index gain the texts it holds (``search``),
        a page at a time, once per database (the ``search_terms`` counter remembers)."""
        if self._autocommit(COUNTER_VALUE, name=_SEARCH_TERMS):
            return
        after = ""
        while rows := self._autocommit(
            "MATCH (n:Entity) WHERE n.id > $after RETURN n.id AS id, n.search IS NULL AS "
            "missing, n.props AS props ORDER BY n.id LIMIT $page",
            after=after,
            page=_SEARCH_PAGE,
        ):
            after = rows[-1]["id"]
            filled = [
                {"id": row["id"], "search": terms}
                for row in rows
                if row["missing"] and (terms := search_terms(orjson.loads(row["props"])))
            ]
            if filled:
                # A node written meanwhile already has its own.
                self._autocommit(
                    "UNWIND $rows AS row MATCH (n:Entity {id: row.id}) "
                    "USING INDEX SEEK n:Entity(id) WHERE n.search IS NULL SET n.search = row.search",
                    rows=filled,
                )
        self._autocommit(COUNTER_CREATE, name=_SEARCH_TERMS, start=1)

    def _add_ledger_versions(self) -> None:
        """Ledger entries written before entries kept their version gain it (``version``),
        a page at a time in (ledger, key) order, once per database (the
        ``ledger_versions`` counter remembers): ``ledger_before`` seeks versions through an
        index that holds only entries that have one. Servers starting at once set the same
        values, in the same order."""
        if self._autocommit(COUNTER_VALUE, name=_LEDGER_VERSIONS):
            return
        ledger, key = "", ""
        while rows := self._autocommit(LEDGER_PAGE, ledger=ledger, key=key, page=_LEDGER_PAGE):
            ledger, key = rows[-1]["ledger"], rows[-1]["key"]
            missing = [
                {"ledger": row["ledger"], "key": row["key"], "version": _entry_version(body)}
                for row in rows
                if (body := row["body"]) is not None
            ]
            if missing:
                self._autocommit(LEDGER_VERSION_SET, rows=missing)
        self._autocommit(COUNTER_CREATE, name=_LEDGER_VERSIONS, start=1)

    # -- writing -----------------------------------------------------------------------

    def decisions(self) -> int:
        with self._lock:
            if not self._schema_ready:
                self.migrate()
        rows = self._autocommit(COUNTER_VALUE, name=_DECISIONS)
        return int(rows[0]["value"]) if rows else 0

    def write(self, items: Sequence[IngestItem], *, decided_at: int | None = None) -> None:
        if not items:
            return
        mutations = [m for item in items for m in item.mutations if not isinstance(m, LedgerEntry)]
        ledger = [
            {
                "ledger": m.ledger,
                "key": m.key,
                "at": m.at,
                "body": m.body.decode(),
                "version": _entry_version(m.body),
            }
            for item in items
            for m in item.mutations
            if isinstance(m, LedgerEntry)
        ]
        events = [item for item in items if item.is_event]
        write_id = uuid.uuid4().hex
        received_at = time.time()
        done: list[WorkingSet] = []  # the attempt that committed is the last one

        def work(tx: ManagedTransaction) -> None:
            tx.run(LOCK, name=_COUNTER, n=len(events)).consume()
            counter = tx.run(COUNTER_VALUE, name=_COUNTER).single()
            if counter is None:
                raise StoreError("the Neo4j schema is missing its event counter: run migrate()")
            if tx.run(ALREADY_WRITTEN, write_id=write_id).single() is not None:
                return  # a retry of a transaction that did commit
            if decided_at is not None:
                # Every write holds the events counter's lock from here to its commit, so
                # the decisions counter read now is the last committed one.
                decided = tx.run(COUNTER_VALUE, name=_DECISIONS).single()
                if decided is None or decided["value"] != decided_at:
                    raise DecisionConflict("incidents were decided meanwhile: decide again")
                tx.run(LOCK, name=_DECISIONS, n=1).consume()
            first_seq = counter["value"] - len(events) + 1

            def read(cypher: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
                return tx.run(cypher, dict(params)).data()

            working = WorkingSet(read, self._stored_fields)
            working.prefetch(mutations)
            working.apply_all(mutations)
            for kind, ids in sorted(working.deleted_edge_ids().items()):
                tx.run(EDGE_DELETE[kind], ids=ids).consume()
            if working.deleted_nodes:
                tx.run(NODE_DELETE, ids=sorted(working.deleted_nodes)).consume()
            for (nkind, new), rows in sorted(working.node_rows().items()):
                tx.run((NODE_CREATE if new else NODE_UPSERT)[nkind], rows=rows).consume()
            for (ekind, new), rows in sorted(working.edge_rows().items()):
                tx.run((EDGE_CREATE if new else EDGE_UPSERT)[ekind], rows=rows).consume()
            if report_rows := working.report_rows():
                tx.run(REPORT_UPSERT, rows=report_rows).consume()
            if state_rows := working.run_state_rows():
                tx.run(RUN_STATE_UPSERT, rows=state_rows).consume()
            if ledger:
                tx.run(LEDGER_UPSERT, rows=ledger).consume()
            if events:
                tx.run(
                    EVENT_CREATE,
                    rows=[
                        {
                            "seq": first_seq + i,
                            "received_at": received_at,
                            "event_time": item.event_time,
                            "event_type": item.event_type,
                            "run_id": item.run_id,
                            "job_namespace": item.job_namespace,
                            "job_name": item.job_name,
                            "body": bytes(item.body),
                            "digest": hashlib.sha256(item.body).hexdigest(),
                            "write_id": write_id,
                        }
                        for i, item in enumerate(events)
                    ],
                ).consume()
            done.append(working)

        with self._lock:
            if not self._schema_ready:
                self.migrate()
            # Large batches read and write more than a point query: allow for it.
            self._execute(WRITE_ACCESS, work, timeout=self.query_timeout + len(items) * 0.05)
            if done:
                if len(self._stored_fields) > _FIELD_CACHE_MAX:
                    self._stored_fields.clear()
                self._stored_fields.update(done[-1].fields())

    # -- reading -----------------------------------------------------------------------

    def get_nodes(self, ids: Iterable[str]) -> dict[str, Node]:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        rows = self._read(
            "UNWIND $ids AS id MATCH (n:Entity {id: id}) USING INDEX SEEK n:Entity(id) "
            "RETURN n.id AS id, n.props AS props",
            ids=wanted,
        )
        found = {row["id"]: node for row in rows if (node := _node(row["id"], row["props"]))}
        return {nid: found[nid] for nid in wanted if nid in found}

    def _edge_queries(self, direction: Direction, types: str, filtered: bool) -> list[str]:
        where = f"WHERE {_VALID} " if filtered else ""
        ret = (
            "RETURN id AS at, r.id AS id, a.id AS src, b.id AS dst, r.key AS key, r.props AS props"
        )
        queries = []
        if direction in (Direction.DOWNSTREAM, Direction.BOTH):
            queries.append(
                f"UNWIND $ids AS id MATCH (a:Entity {{id: id}})-[r{types}]->(b:Entity) "
                f"USING INDEX SEEK a:Entity(id) {where}{ret}"
            )
        if direction in (Direction.UPSTREAM, Direction.BOTH):
            queries.append(
                f"UNWIND $ids AS id MATCH (a:Entity)-[r{types}]->(b:Entity {{id: id}}) "
                f"USING INDEX SEEK b:Entity(id) {where}{ret}"
            )
        return queries

    def edges_of(
        self,
        ids: Iterable[str],
        direction: Direction,
        kinds: Collection[EdgeKind] | None = None,
        as_of: float | None = None,
        include_closed: bool = False,
    ) -> list[Edge]:
        wanted = list(dict.fromkeys(ids))
        if not wanted or (kinds is not None and not kinds):
            return []
        queries = self._edge_queries(Direction(direction), _types(kinds), not include_closed)

        def work(tx: ManagedTransaction) -> list[dict[str, Any]]:
            rows: list[dict[str, Any]] = []
            for q in queries:
                rows += tx.run(q, ids=wanted, projection=_PROJECTION, as_of=as_of).data()
            return rows

        result: dict[str, Edge] = {}
        for row in self._execute(READ_ACCESS, work):
            result[row["id"]] = _edge(row["id"], row["src"], row["dst"], row["key"], row["props"])
        return [result[k] for k in sorted(result)]

    def expand(
        self,
        starts: Sequence[str],
        direction: Direction,
        kinds: Collection[EdgeKind],
        max_depth: int,
        as_of: float | None = None,
        node_limit: int = 10_000,
    ) -> Subgraph:
        """Breadth-first, one query per depth with the frontier as a parameter.

        Each level is one indexed lookup of the frontier and its valid edges, so the
        cost follows the size of the answer, never the number of paths; the node budget
        is applied between levels exactly as the embedded store applies it.
        """
        direction = Direction(direction)
        types = _types(kinds)
        queries = self._edge_queries(direction, types, True) if types else []
        # A hub can have more edges than any answer may hold: cap what one level reads.
        cap = max(10_000, node_limit * 20)
        fetch = (
            "UNWIND $ids AS id MATCH (n:Entity {id: id}) USING INDEX SEEK n:Entity(id) "
            "RETURN n.id AS id, n.props AS props"
        )

        def work(tx: ManagedTransaction) -> Subgraph:
            graph = Subgraph()
            start_ids = list(dict.fromkeys(starts))
            for row in tx.run(fetch, ids=start_ids).data():
                if (node := _node(row["id"], row["props"])) is not None:
                    graph.nodes[row["id"]] = node
            level = [nid for nid in start_ids if nid in graph.nodes]
            depth = 0
            while level and depth < max_depth and queries:
                by_node: dict[str, list[dict[str, Any]]] = {}
                total = 0
                for q in queries:
                    rows = tx.run(
                        q + " LIMIT $cap", ids=level, projection=_PROJECTION, as_of=as_of, cap=cap
                    ).data()
                    total = max(total, len(rows))
                    for row in rows:
                        by_node.setdefault(row["at"], []).append(row)
                added: list[str] = []
                for nid in level:
                    for row in sorted(by_node.get(nid, ()), key=lambda r: r["id"]):
                        other = row["dst"] if row["src"] == nid else row["src"]
                        if other not in graph.nodes and other not in added:
                            if len(graph.nodes) + len(added) >= node_limit:
                                graph.truncated = True
                                if nid not in graph.frontier:
                                    graph.frontier.append(nid)
                                continue
                            added.append(other)
                        graph.edges[row["id"]] = _edge(
                            row["id"], row["src"], row["dst"], row["key"], row["props"]
                        )
                if total >= cap:
                    graph.truncated = True
                    graph.frontier.extend(n for n in level if n not in graph.frontier)
                for row in tx.run(fetch, ids=added).data():
                    if (node := _node(row["id"], row["props"])) is not None:
                        graph.nodes[row["id"]] = node
                level = added
                depth += 1
            return graph

        return self._execute(READ_ACCESS, work)

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
        """The walk in one read transaction: a query per depth and direction, returning
        the edges with the light columns of their far ends (no JSON ``props`` of nodes);
        at DATASET and COLUMN level one record per query (:mod:`.neo4j_walk`)."""

        def work(tx: ManagedTransaction) -> Traversal:
            runs = Level(level) is Level.RUN
            view: LightGraph = _TxView(tx, runs=True) if runs else IdentityView(tx)
            return walk(
                view,
                starts,
                level,
                direction,
                depth,
                as_of,
                node_budget,
                indirect=indirect,
                check=check,
            )

        return self._execute(READ_ACCESS, work)

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
        """Candidates from the full-text index ``entity_search`` (a wildcard query, every
        character of the text escaped), ranked by :func:`lineage.store.search.match_rank`;
        the empty text, and one longer than the index's windows overlap, are looked for
        node by node."""
        needle = text.lower()
        wanted = sorted(set(kinds) if kinds else {NodeKind.DATASET, NodeKind.JOB})
        if not needle or len(needle) > OVERLAP:
            return self._search_every_node(needle, wanted, namespace, limit)
        rows = self._read(
            "CALL db.index.fulltext.queryNodes('entity_search', $query) YIELD node "
            "WHERE any(label IN labels(node) WHERE label IN $labels) "
            "AND ($namespace IS NULL OR node.namespace = $namespace) "
            "RETURN node.id AS id, node.name AS name, node.path AS path, "
            "node.namespace AS namespace, node.description AS description, "
            # A job's type (in its JSON only) tells whether it is a part of another.
            "CASE WHEN node:Job THEN node.props END AS job_props",
            query=lucene_substring(needle),
            labels=[LABELS[k] for k in wanted],
            namespace=namespace,
        )
        scored = sorted(
            (
                (score, row["id"], row)
                for row in rows
                if (score := match_rank(needle, *searchable(row))) is not None
            ),
            key=lambda s: s[:2],
        )[:limit]
        hits = []
        for score, nid, row in scored:
            try:
                kind, _ = split_id(nid)
            except ValueError:
                continue
            props = dict(row)
            if row["job_props"] is not None:
                props["job_type"] = orjson.loads(row["job_props"]).get("job_type")
            hits.append(hit(nid, kind, props, score))
        return hits

    def _search_every_node(
        self, needle: str, wanted: list[NodeKind], namespace: str | None, limit: int
    ) -> list[Hit]:
        name = (
            "toLower(toString(CASE WHEN n.name IS NOT NULL AND n.name <> '' THEN n.name "
            "WHEN n.path IS NOT NULL AND n.path <> '' THEN n.path ELSE '' END))"
        )
        scored: list[tuple[int, str, str]] = []

        def work(tx: ManagedTransaction) -> None:
            for kind in wanted:
                cypher = (
                    f"MATCH (n:{LABELS[NodeKind(kind)]}) "
                    "WHERE $namespace IS NULL OR n.namespace = $namespace "
                    f"WITH n, {name} AS name "
                    "WITH n, CASE WHEN name = $needle THEN 0 "
                    "WHEN name STARTS WITH $needle OR last(split(name, '.')) STARTS WITH $needle "
                    "THEN 1 WHEN name CONTAINS $needle THEN 2 "
                    "WHEN toLower(toString(coalesce(n.namespace, ''))) CONTAINS $needle THEN 3 "
                    "WHEN toLower(toString(coalesce(n.description, ''))) CONTAINS $needle THEN 4 "
                    "END AS score WHERE score IS NOT NULL "
                    "RETURN score, n.id AS id, n.props AS props ORDER BY score, id LIMIT $limit"
                )
                for row in tx.run(cypher, needle=needle, namespace=namespace, limit=limit):
                    scored.append((row["score"], row["id"], row["props"]))

        self._execute(READ_ACCESS, work)
        scored.sort()
        return [
            hit(n.id, n.kind, n.props, score)
            for score, nid, props in scored[:limit]
            if (n := _node(nid, props))
        ]

    def nodes_of_kind(self, kind: NodeKind, limit: int = 100, offset: int = 0) -> list[Node]:
        rows = self._read(
            f"MATCH (n:{LABELS[NodeKind(kind)]}) RETURN n.id AS id, n.props AS props "
            "ORDER BY id SKIP $offset LIMIT $limit",
            offset=offset,
            limit=limit,
        )
        return [n for row in rows if (n := _node(row["id"], row["props"])) is not None]

    def events(
        self,
        since: float | None = None,
        until: float | None = None,
        limit: int = 100,
        offset: int = 0,
        run_id: str | None = None,
    ) -> list[StoredEvent]:
        rows = self._read(
            "MATCH (e:Event) WHERE ($since IS NULL OR e.event_time >= $since) "
            "AND ($until IS NULL OR e.event_time < $until) "
            "AND ($run_id IS NULL OR e.run_id = $run_id) "
            "RETURN e.seq AS seq, e.received_at AS received_at, e.event_time AS event_time, "
            "e.body AS body ORDER BY event_time DESC, seq DESC SKIP $offset LIMIT $limit",
            since=since,
            until=until,
            run_id=run_id,
            offset=offset,
            limit=limit,
        )
        return [
            StoredEvent(row["seq"], row["received_at"], row["event_time"], bytes(row["body"]))
            for row in rows
        ]

    def ledger(self, since: Mapping[str, float | None]) -> dict[str, list[LedgerEntry]]:
        found: dict[str, list[LedgerEntry]] = {name: [] for name in since}
        if not found:
            return found
        wanted = [{"ledger": n, "since": at} for n, at in sorted(since.items()) if at is not None]
        whole = sorted(n for n, at in since.items() if at is None)

        def work(tx: ManagedTransaction) -> list[dict[str, Any]]:
            rows: list[dict[str, Any]] = []
            if wanted:
                rows += tx.run(LEDGER_FROM, wanted=wanted).data()
            if whole:
                rows += tx.run(LEDGER_WHOLE, names=whole).data()
            return rows

        for row in self._execute(READ_ACCESS, work):
            found[row["ledger"]].append(
                LedgerEntry(row["ledger"], row["key"], row["at"], row["body"].encode())
            )
        for entries in found.values():
            entries.sort(key=lambda e: (e.at, e.key))
        return found

    def ledger_stored(self, keys: Mapping[str, Collection[str]]) -> set[tuple[str, str]]:
        rows = [{"ledger": name, "key": key} for name, named in keys.items() for key in named]
        if not rows:
            return set()

        def work(tx: ManagedTransaction) -> set[tuple[str, str]]:
            found = tx.run(LEDGER_STORED, rows=rows).data()
            return {(row["ledger"], row["key"]) for row in found}

        return self._execute(READ_ACCESS, work)

    def ledger_before(self, asks: Mapping[str, LedgerAsk]) -> dict[str, LedgerEntry | None]:
        """:func:`entry_before` through the indexes, in one transaction: the latest few
        entries before each ask first (a version that changed lately is found there); past
        them, the latest entry of each other version, a seek per version
        (``ledger_entry_version``), so a long run of one version is not read."""
        if not asks:
            return {}
        if not self._schema_ready:  # entries written before they kept a version gain it
            with self._lock:
                if not self._schema_ready:
                    self.migrate()
        texts = {name: _version_text(ask.version) for name, ask in asks.items()}
        whole = sorted(name for name, text in texts.items() if text is None)
        wanted: list[dict[str, Any]] = [
            {"ledger": name, "at": ask.at, "key": ask.key}
            for name, ask in sorted(asks.items())
            if texts[name] is not None
        ]

        def found(row: Mapping[str, Any]) -> LedgerEntry:
            return LedgerEntry(row["ledger"], row["key"], row["at"], row["body"].encode())

        def work(tx: ManagedTransaction) -> dict[str, LedgerEntry | None]:
            answer: dict[str, LedgerEntry | None] = dict.fromkeys(asks)
            ledgers: dict[str, list[LedgerEntry]] = {name: [] for name in whole}
            for row in tx.run(LEDGER_WHOLE, names=whole).data() if whole else []:
                ledgers[row["ledger"]].append(found(row))
            for name, entries in ledgers.items():
                entries.sort(key=lambda e: (e.at, e.key))
                answer[name] = entry_before(entries, asks[name])
            recent: dict[str, list[dict[str, Any]]] = {w["ledger"]: [] for w in wanted}
            for row in tx.run(LEDGER_RECENT, asks=wanted, recent=_RECENT).data() if wanted else []:
                recent[row["ledger"]].append(row)
            after: dict[str, str] = {}  # the asks a long run of their version ends in
            for name, rows in recent.items():
                rows.sort(key=lambda row: (row["at"], row["key"]), reverse=True)
                other = next((row for row in rows if row["version"] != texts[name]), None)
                if other is not None:
                    answer[name] = found(other)
                elif len(rows) < _RECENT:  # every entry before the ask is under its version
                    answer[name] = found(rows[-1]) if rows else None
                else:
                    after[name] = ""  # every version text sorts after it
            latest: dict[str, dict[str, Any]] = {}
            pending = [w for w in wanted if w["ledger"] in after]
            while pending:
                for w in pending:
                    w["after"] = after[w["ledger"]]
                rows = tx.run(LEDGER_NEXT_VERSION, asks=pending).data()
                for row in rows:
                    name = row["ledger"]
                    after[name] = row["next"]
                    if row["key"] is None or row["next"] == texts[name]:
                        continue
                    best = latest.get(name)
                    if best is None or (row["at"], row["key"]) > (best["at"], best["key"]):
                        latest[name] = row
                returned = {row["ledger"] for row in rows}  # the others have no versions left
                pending = [w for w in pending if w["ledger"] in returned]
            for name, row in latest.items():
                answer[name] = found(row)
            if earliest := [
                w for w in wanted if w["ledger"] in after and w["ledger"] not in latest
            ]:
                for row in tx.run(LEDGER_EARLIEST, asks=earliest).data():
                    answer[row["ledger"]] = found(row)
            return answer

        return self._execute(READ_ACCESS, work)

    def export(self) -> tuple[list[Node], list[Edge]]:
        def work(tx: ManagedTransaction) -> tuple[list[Node], list[Edge]]:
            nodes = [
                n
                for row in tx.run("MATCH (n:Entity) RETURN n.id AS id, n.props AS props")
                if (n := _node(row["id"], row["props"])) is not None
            ]
            edges = [
                _edge(row["id"], row["src"], row["dst"], row["key"], row["props"])
                for row in tx.run(
                    "MATCH (a:Entity)-[r]->(b:Entity) RETURN r.id AS id, a.id AS src, "
                    "b.id AS dst, r.key AS key, r.props AS props"
                )
            ]
            return nodes, edges

        nodes, edges = self._execute(READ_ACCESS, work)
        nodes.sort(key=lambda n: n.id)
        edges.sort(key=lambda e: e.id)
        return nodes, edges

    def count(self) -> Mapping[str, int]:
        def work(tx: ManagedTransaction) -> dict[str, int]:
            def one(cypher: str) -> int:
                record = tx.run(cypher).single()
                return int(record["n"]) if record is not None else 0

            return {
                "events": one("MATCH (e:Event) RETURN count(e) AS n"),
                "nodes": one("MATCH (n:Entity) RETURN count(n) AS n"),
                # Only graph nodes have relationships: the count store answers this.
                "edges": one("MATCH ()-[r]->() RETURN count(r) AS n"),
            }

        return self._execute(READ_ACCESS, work)

    def ping(self) -> None:
        # Not retried: a health check should answer now, not after the retry budget.
        self._autocommit("RETURN 1 AS ok", READ_ACCESS)
        if not self._schema_ready:
            with self._lock:
                if not self._schema_ready:
                    self.migrate()

    def prune(
        self, before: float, namespace: str | None = None, dry_run: bool = False
    ) -> PruneReport:
        return prune_neo4j(self, before, namespace, dry_run)

    def close(self) -> None:
        self._driver.close()
