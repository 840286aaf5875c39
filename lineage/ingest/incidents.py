"""Incidents: recomputed from every check outcome reported, whatever order events arrive in.

Events report check outcomes: :func:`lineage.graph.incidents.observations_for` reads an
event, and that module names the incident kinds and what makes each. This module writes
them with the incidents they open or resolve, and people's actions on incidents.

How the incidents follow from the outcomes (the same for any arrival order or batching):

- Every outcome is kept, in the batch's transaction, in a *ledger* of its node and incident
  kind (``LedgerEntry``; a replayed event adds nothing). When a batch adds to a ledger, that
  node's incidents of that kind are recomputed from the ledger (:func:`episodes`), and the
  stored ones are brought in line: changed, created, or deleted when a late event joined
  two of them into one.
- Outcomes are taken in event-time order (at one time: passes, then failures, then
  people's actions; then by check and entry key). An episode opens at a failure while none
  is open and gathers every failure until each check that failed in it has passed at a
  later event time (with auto-resolve on). Its id is a digest of the node, the kind, and the
  event time and ledger key of the failure that opened it.
- A check is what :func:`lineage.graph.incidents.assertion_check` says: the assertion's
  kind, name, column and parameters, so only the same check passing resolves a failure.
- Schema changes are never resolved by a pass: each schema seen is compared with the one
  before it in event time (a writer's with the previous written version, a reader's with the
  previous schema readers saw, and readers' only until a run writes the dataset), and the
  comparisons that break something are the failures.
- Incidents are recomputed per node and kind; QUALITY ones per node and check.
- Each incident gets a short number when it is created (``INC-42``): one more than the
  highest given in the store (the ``incident-number`` ledger), under the same lock.
- People's actions are ledger entries too, tied to the failure that opened the episode
  they acted on: a resolution closes the episode holding that failure at the time of the
  action (later failures open a new one), an acknowledgement marks it. Incidents opened by
  hand (``open_incident``) are not recomputed.

Deciding reads the ledgers and incidents of the nodes a batch touches, under one lock per
process; only the part of a ledger from the start of the episode open at the batch's
earliest outcome is read.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final

import orjson

from lineage.graph.incidents import (
    CHECK_PREFIX,
    NUMBERS,
    SELF_RESOLVING,
    SEVERITY_OF,
    IncidentKind,
    IncidentStatus,
    Observation,
    Severity,
    breaking_changes,
)
from lineage.graph.model import (
    DeleteNode,
    EdgeKind,
    LedgerEntry,
    Merge,
    Mutation,
    NodeKind,
    Prop,
    UpsertEdge,
    UpsertNode,
    node_id,
)
from lineage.store.base import (
    DecisionConflict,
    Direction,
    GraphStore,
    IngestItem,
    LedgerAsk,
    Node,
    StoreUnavailable,
)

# -- the ledger -------------------------------------------------------------------------

_ACKNOWLEDGE: Final = "acknowledge"
_RESOLVE: Final = "resolve"
_REOPEN: Final = "reopen"


@dataclass(frozen=True, slots=True)
class Entry:
    """One ledger entry read back: a check outcome, a schema seen, or a person's action."""

    at: float
    key: str
    check: str = ""
    #: True a pass, False a failure, None a schema seen or an action.
    ok: bool | None = None
    detail: str = ""
    run: str | None = None
    version: str | None = None
    schema: tuple[tuple[str, str | None], ...] | None = None
    action: str | None = None
    #: The ledger key of the failure that opened the episode a person acted on.
    anchor: str | None = None
    reason: str | None = None
    by: str | None = None
    #: The field a data quality check is about.
    field: str | None = None

    def order(self) -> tuple[float, int, bool, str, str]:
        """Event time; then passes, failures, actions; then a drift, run or schema verdict
        before the assertions reported beside it; then check and key."""
        rank = 2 if self.action is not None else 0 if self.ok else 1
        return (self.at, rank, self.check.startswith("assertion:"), self.check, self.key)

    def body(self) -> bytes:
        content: dict[str, Any]
        if self.action is not None:
            content = {
                "action": self.action,
                "anchor": self.anchor,
                "reason": self.reason,
                "by": self.by,
            }
        elif self.schema is not None:
            content = {
                "schema": [list(f) for f in self.schema],
                "detail": self.detail,
                "run": self.run,
                "version": self.version,
            }
        else:
            content = {
                "check": self.check,
                "ok": self.ok,
                "detail": self.detail,
                "run": self.run,
                "version": self.version,
            }
            if self.field is not None:
                content["field"] = self.field
        return orjson.dumps(content, option=orjson.OPT_SORT_KEYS)

    @staticmethod
    def read(entry: LedgerEntry) -> Entry:
        """The entry a stored one holds. Entries never change once written, and each write
        rereads the open episodes' ledgers, so what was read is kept, by ledger and key
        (which identify an entry, and are derived from its content)."""
        cache_key = (entry.ledger, entry.key, entry.at)
        found = _READ.get(cache_key)
        if found is None:
            if len(_READ) >= _READ_MAX:
                _READ.clear()
            found = _READ[cache_key] = Entry._decode(entry)
        return found

    @staticmethod
    def _decode(entry: LedgerEntry) -> Entry:
        c = orjson.loads(entry.body)
        schema = c.get("schema")
        return Entry(
            at=entry.at,
            key=entry.key,
            check=c.get("check") or ("schema" if schema is not None else ""),
            ok=c.get("ok"),
            detail=c.get("detail") or "",
            run=c.get("run"),
            version=c.get("version"),
            schema=_shared_schema(schema) if schema is not None else None,
            action=c.get("action"),
            anchor=c.get("anchor"),
            reason=c.get("reason"),
            by=c.get("by"),
            field=c.get("field"),
        )


_READ: dict[tuple[str, str, float], Entry] = {}
_READ_MAX: Final = 65536
# A dataset's schema is the same in most of its entries: one tuple for all of them.
_SCHEMAS: dict[tuple[tuple[str, str | None], ...], tuple[tuple[str, str | None], ...]] = {}
_SCHEMAS_MAX: Final = 4096


def _shared_schema(fields: Sequence[Sequence[Any]]) -> tuple[tuple[str, str | None], ...]:
    schema = tuple((p, t) for p, t in fields)
    found = _SCHEMAS.get(schema)
    if found is None:
        if len(_SCHEMAS) >= _SCHEMAS_MAX:
            _SCHEMAS.clear()
        found = _SCHEMAS[schema] = schema
    return found


def _key(at: float, body: bytes, prefix: str) -> str:
    """The key of the entry at ``at`` with ``body``: a digest of both."""
    return prefix + hashlib.sha1(f"{at!r}\x1f".encode() + body).hexdigest()[:24]


def _keyed(entry: Entry, prefix: str) -> Entry:
    return replace(entry, key=_key(entry.at, entry.body(), prefix))


def ledger_of(subject: str, kind: IncidentKind, part: str = "") -> str:
    """The name of the ledger of ``subject``'s outcomes of ``kind`` (``part``: a schema class)."""
    return f"{kind.value}{':' + part if part else ''}\x1e{subject}"


_WRITTEN: Final = "written"
_OBSERVED: Final = "observed"


def _ledger_entries(observation: Observation) -> tuple[str, Entry, bytes]:
    """The ledger an observation goes to, its entry there, and the entry's body (encoded
    once: it is both the key's digest and what is stored)."""
    o = observation

    def entry(key: str) -> Entry:
        if o.kind is IncidentKind.SCHEMA_CHANGE:
            return Entry(o.at, key, "schema", None, o.detail, o.run, o.version, o.schema or ())
        return Entry(o.at, key, o.check, o.ok, o.detail, o.run, o.version, field=o.field)

    if o.kind is IncidentKind.SCHEMA_CHANGE:
        name = ledger_of(o.subject, o.kind, _OBSERVED if o.observed else _WRITTEN)
        prefix = "s:"
    else:
        name, prefix = ledger_of(o.subject, o.kind), "o:"
    body = entry("").body()
    return name, entry(_key(o.at, body, prefix)), body


# -- episodes ---------------------------------------------------------------------------


@dataclass(slots=True)
class Episode:
    """One incident as recomputed: the failures it gathered and how it ended."""

    subject: str
    kind: IncidentKind
    opener: Entry
    failures: list[Entry] = field(default_factory=list)
    #: The latest outcome, while it was open, of each check that failed in it.
    checks: dict[str, bool] = field(default_factory=dict)
    resolved_at: float | None = None
    resolution: str | None = None
    acknowledged_at: float | None = None
    _members: set[str] = field(default_factory=set)

    @property
    def id(self) -> str:
        o = self.opener
        raw = f"{self.subject}\x1f{self.kind.value}\x1f{o.at!r}\x1f{o.key}"
        return node_id(NodeKind.INCIDENT, hashlib.sha1(raw.encode()).hexdigest()[:16])

    @property
    def status(self) -> IncidentStatus:
        if self.resolved_at is not None:
            return IncidentStatus.RESOLVED
        if self.acknowledged_at is not None:
            return IncidentStatus.ACKNOWLEDGED
        return IncidentStatus.OPEN

    def holds(self, failure_key: str | None) -> bool:
        return failure_key in self._members

    def add(self, failure: Entry) -> None:
        self.failures.append(failure)
        self._members.add(failure.key)
        self.checks[failure.check] = False


def episodes(
    subject: str, kind: IncidentKind, entries: Iterable[Entry], *, auto_resolve: bool = True
) -> list[Episode]:
    """The incidents of one node and kind that its ledger entries make (pure).

    ``entries`` are check outcomes (``ok`` True or False) and people's actions, in any order:
    they are taken by :meth:`Entry.order`. A failure while no episode is open opens one; every
    failure while it is open joins it. A pass of a check that failed in the open episode
    marks that check passing again (unless the pass is by a run that failed in the episode);
    once all have, the episode is resolved at that pass's event time (only with ``auto_resolve``, and only for :data:`SELF_RESOLVING` kinds). A
    person's resolution closes the open episode if it holds the action's ``anchor``; an
    acknowledgement marks it (the first one counts). Other actions on episodes already
    closed change nothing; a reopening opens the latest episode again, when it holds the
    anchor and no other is open, with its checks failing until they pass again.

    >>> fail = Entry(10.0, "f", "not_null", False, "not_null failed")
    >>> ok = Entry(20.0, "p", "not_null", True, "not_null passed")
    >>> [(e.opener.key, e.resolved_at) for e in episodes("n", IncidentKind.QUALITY, [ok, fail])]
    [('f', 20.0)]
    """
    resolving = auto_resolve and kind in SELF_RESOLVING
    found: list[Episode] = []
    open_: Episode | None = None
    for e in sorted(entries, key=Entry.order):
        if e.action == _REOPEN:
            # Only the latest episode reopens, and only while no other is open.
            if open_ is None and found and found[-1].holds(e.anchor):
                open_ = found[-1]
                open_.resolved_at = open_.resolution = open_.acknowledged_at = None
                open_.checks = dict.fromkeys(open_.checks, False)
            continue
        if e.action is not None:
            if open_ is None or not open_.holds(e.anchor):
                continue
            if e.action == _RESOLVE:
                open_.resolved_at = e.at
                open_.resolution = e.reason
                open_ = None
            elif open_.acknowledged_at is None:
                open_.acknowledged_at = e.at
        elif e.ok is False:
            if open_ is None:
                open_ = Episode(subject, kind, e)
                found.append(open_)
            open_.add(e)
        elif e.ok is True and open_ is not None and e.check in open_.checks:
            if e.run is not None and any(f.run == e.run for f in open_.failures):
                # The OpenLineage Spark listener ends a failed Spark job with FAIL and, a few
                # milliseconds later, its SQL execution with COMPLETE, under one runId: a run
                # that failed does not pass its own check.
                continue
            open_.checks[e.check] = True
            if resolving and all(open_.checks.values()):
                open_.resolved_at = e.at
                open_.resolution = f"resolved automatically: {e.detail}"
                open_ = None
    return found


def schema_failures(written: Sequence[Entry], observed: Sequence[Entry]) -> list[Entry]:
    """The schemas seen that break readers, as failures (pure).

    Each schema a writer wrote is compared with the one written before it in event time
    under another version; each schema readers saw with the one readers saw before it, as
    long as no run has written the dataset yet (a reader may report just the columns it
    selected, so it is never compared with what a writer wrote; once a writer reports the
    dataset, the writer's schemas are the ones that count).

    >>> a = Entry(1.0, "a", "schema", None, "schema of t", version="v1", schema=(("x", "INT"),))
    >>> b = Entry(2.0, "b", "schema", None, "schema of t", version="v2", schema=())
    >>> [(f.key, f.detail) for f in schema_failures([a, b], [])]
    [('b', 'schema of t: field x dropped')]
    """
    found: list[Entry] = []
    first_written = min((e.at for e in written), default=float("inf"))
    for entries in (written, [e for e in observed if e.at < first_written]):
        ordered = sorted(entries, key=lambda e: (e.at, e.key))
        # The latest entry under another version than e's, carried along in one pass: the
        # entries of one version in a row share it.
        previous: Entry | None = None
        previous_before: Entry | None = None
        for e in ordered:
            if previous is None:
                before = None
            elif previous.version != e.version:
                before = previous
            else:
                before = previous_before
            previous, previous_before = e, before
            if before is None:
                continue
            changes = breaking_changes(dict(before.schema or ()), dict(e.schema or ()))
            if changes:
                found.append(
                    replace(e, ok=False, schema=None, detail=f"{e.detail}: " + "; ".join(changes))
                )
    return found


# -- deciding ---------------------------------------------------------------------------

# Decisions are made one at a time: in this process under this lock, and across processes
# writing one store by the store's decisions counter (see _decide).
_LOCK = threading.Lock()
_DECISION_ATTEMPTS: Final = 50


def _decide(store: GraphStore, plan: Callable[[], list[IngestItem]]) -> list[IngestItem]:
    """Decide from what is stored and write the decisions, as one writer after another:
    when another process's decisions were committed between the reading and the writing,
    the store refuses the write and the decisions are made again. Call under ``_LOCK``."""
    for _ in range(_DECISION_ATTEMPTS):
        seen = store.decisions()
        items = plan()
        try:
            store.write(items, decided_at=seen)
        except DecisionConflict:
            continue
        return items
    raise StoreUnavailable(
        f"other writers decided incidents {_DECISION_ATTEMPTS} times in a row while this "
        "write decided its own; nothing was stored, try again"
    )


def write(store: GraphStore, items: Sequence[IngestItem], *, auto_resolve: bool = True) -> None:
    """Write ``items`` with their outcomes and the incidents recomputed from them, at once."""
    if not any(item.observations for item in items):
        store.write(items)
        return
    with _LOCK:
        written = _decide(store, lambda: with_incidents(store, items, auto_resolve=auto_resolve))
    _changed(store, written[-1].mutations)


def with_incidents(
    store: GraphStore, items: Sequence[IngestItem], *, auto_resolve: bool = True
) -> list[IngestItem]:
    """``items`` with the ledger entries and incident mutations of their observations."""
    observed = [o for item in items for o in item.observations]
    if not observed:
        return list(items)
    extra = incident_mutations(store, observed, auto_resolve=auto_resolve)
    # They ride with the batch's last item: the batch is one transaction.
    out = list(items)
    out[-1] = replace(out[-1], mutations=[*out[-1].mutations, *extra])
    return out


def incident_mutations(
    store: GraphStore, observations: Sequence[Observation], *, auto_resolve: bool = True
) -> list[Mutation]:
    """The ledger entries of ``observations`` not stored yet, and the mutations that bring
    the incidents of every node and kind they add to in line with the ledgers."""
    batch: dict[str, dict[str, Entry]] = {}
    bodies: dict[str, bytes] = {}
    for o in observations:
        name, entry, body = _ledger_entries(o)
        bodies[entry.key] = body
        batch.setdefault(name, {})[entry.key] = entry
    # Entries stored already (a replayed event) change nothing: leaving them out before the
    # windows are chosen keeps a replay of old events from reading each ledger from then on.
    for name, key in store.ledger_stored(batch):
        del batch[name][key]
    units = {(o.subject, o.kind, _unit_check(o.kind, o.check)) for o in observations}
    return _recompute(store, units, batch, auto_resolve=auto_resolve, bodies=bodies)


#: What incidents are recomputed together: a node, a kind, and for QUALITY the one check
#: (one incident per failed check); for other kinds None (every check of the kind).
Unit = tuple[str, IncidentKind, str | None]


def _unit_check(kind: IncidentKind, check: str) -> str | None:
    return check if kind is IncidentKind.QUALITY else None


def _in_unit(entry: Entry, check: str | None) -> bool:
    return check is None or entry.action is not None or entry.check == check


def _of_unit(incidents: Sequence[Node], check: str | None) -> list[Node]:
    if check is None:
        return list(incidents)
    return [n for n in incidents if n.props.get("check") == check]


def _recompute(
    store: GraphStore,
    units: Iterable[Unit],
    batch: Mapping[str, Mapping[str, Entry]],
    *,
    auto_resolve: bool,
    back_to: float | None = None,
    bodies: Mapping[str, bytes] | None = None,
) -> list[Mutation]:
    """``back_to``: recompute from no later than this time (a reopening needs the episode
    it reopens, which may have closed before the action). ``bodies``: the batch's entries'
    bodies by key, where known."""
    bodies = bodies or {}
    keys = sorted(set(units), key=lambda u: (u[0], u[1], u[2] or ""))
    stored = _stored_incidents(store, sorted({s for s, _, _ in keys}))
    # Each unit is read from the start of its episode open at its earliest new entry.
    starts: dict[Unit, float] = {}
    since: dict[str, float] = {}
    for unit in keys:
        subject, kind, check = unit
        names = _ledgers(subject, kind)
        times = [e.at for n in names for e in batch.get(n, {}).values() if _in_unit(e, check)]
        if not times:
            continue
        mine = _of_unit(stored.get((subject, kind), []), check)
        earliest = min(times) if back_to is None else min(min(times), back_to)
        start = starts[unit] = _window_start(earliest, mine)
        for name in names:
            since[name] = min(since.get(name, start), start)
    ledgers = {n: [Entry.read(e) for e in found] for n, found in store.ledger(since).items()}
    fresh: dict[str, list[Entry]] = {}
    out: list[Mutation] = []
    for name in sorted(since):
        known = {e.key for e in ledgers[name]}
        fresh[name] = [e for k, e in batch.get(name, {}).items() if k not in known]
        out.extend(
            LedgerEntry(name, e.key, e.at, bodies.get(e.key) or e.body()) for e in fresh[name]
        )
    todo: list[tuple[Unit, float, dict[str, list[Entry]]]] = []
    for unit, start in starts.items():
        subject, kind, check = unit
        names = _ledgers(subject, kind)
        if not any(_in_unit(e, check) for n in names for e in fresh[n]):
            continue  # a replay: nothing new to decide
        merged = {n: [e for e in ledgers[n] + fresh[n] if _in_unit(e, check)] for n in names}
        todo.append((unit, start, merged))
    # The schema ledgers whose window starts under the version before it need the entry
    # that version started after: one read for the batch.
    baselines = store.ledger_before(
        {
            name: _baseline_ask(start, merged[name])
            for (subject, kind, _), start, merged in todo
            if kind is IncidentKind.SCHEMA_CHANGE
            for name in _ledgers(subject, kind)[1:]
            if _needs_baseline(start, merged[name])
        }
    )
    deleted: set[str] = set()
    for unit, start, merged in todo:
        subject, kind, check = unit
        names = _ledgers(subject, kind)
        if kind is IncidentKind.SCHEMA_CHANGE:
            written, observed = (
                _with_baseline(baselines.get(n), start, merged[n]) for n in names[1:]
            )
            outcomes = [e for e in schema_failures(written, observed) if e.at >= start]
        else:
            outcomes = [e for e in merged[names[0]] if e.action is None and e.at >= start]
        actions = [e for e in merged[names[0]] if e.action is not None and e.at >= start]
        found = episodes(subject, kind, outcomes + actions, auto_resolve=auto_resolve)
        before = [
            n
            for n in _of_unit(stored.get((subject, kind), []), check)
            if float(n.props.get("opened_at") or 0.0) >= start and n.id not in deleted
        ]
        changes = _reconcile(found, before, auto_resolve=auto_resolve)
        deleted.update(m.id for m in changes if isinstance(m, DeleteNode))
        out.extend(changes)
    return _numbered(store, out)


def _numbered(store: GraphStore, mutations: list[Mutation]) -> list[Mutation]:
    """``mutations`` with a number (``INC-<n>``) for each incident they create, one more
    than the highest given, in the order of the new incidents' ids (call under ``_LOCK``)."""
    new = sorted(
        m.id
        for m in mutations
        if isinstance(m, UpsertNode)
        and m.kind is NodeKind.INCIDENT
        and m.props.get("revision") is not None
        and m.props["revision"].value == 1
    )
    if not new:
        return mutations
    last = _last_number(store)
    numbers = {nid: last + i for i, nid in enumerate(new, start=1)}
    out: list[Mutation] = []
    for m in mutations:
        if isinstance(m, UpsertNode) and m.id in numbers:
            m = replace(m, props={**m.props, "number": Prop(numbers[m.id], Merge.MIN)})
        out.append(m)
    out.extend(LedgerEntry(NUMBERS, nid, float(n), b"") for nid, n in numbers.items())
    _LAST[id(store)] = max(numbers.values())
    return out


#: The highest number given, per store: where the next read of the numbers starts.
_LAST: dict[int, int] = {}


def _last_number(store: GraphStore) -> int:
    """The highest incident number given in ``store`` (0 when none)."""
    held = _LAST.get(id(store))
    # The answer holds the last entry before the time asked for: the true highest even
    # when the cached one belongs to a store that has gone.
    entries = store.ledger({NUMBERS: float(held) if held is not None else None})[NUMBERS]
    last = int(max((e.at for e in entries), default=0.0))
    _LAST[id(store)] = last
    return last


def _ledgers(subject: str, kind: IncidentKind) -> tuple[str, ...]:
    """Outcomes and people's actions first; a dataset's schemas, by class, after them."""
    if kind is IncidentKind.SCHEMA_CHANGE:
        return (
            ledger_of(subject, kind),
            ledger_of(subject, kind, _WRITTEN),
            ledger_of(subject, kind, _OBSERVED),
        )
    return (ledger_of(subject, kind),)


def _window_start(earliest: float, incidents: Sequence[Node]) -> float:
    """The latest time at or before ``earliest`` when no stored episode was open."""
    start = earliest
    moved = True
    while moved:
        moved = False
        for n in incidents:
            opened = float(n.props.get("opened_at") or 0.0)
            resolved = n.props.get("resolved_at")
            if opened < start and (resolved is None or start <= float(resolved)):
                start, moved = opened, True
    return start


def _needs_baseline(start: float, entries: Sequence[Entry]) -> bool:
    """Whether ``entries`` (from ``start`` on, plus the one before it) begin under the
    version of the first from ``start`` on: then the entries before them matter too."""
    window = sorted(entries, key=lambda e: (e.at, e.key))
    first = next((e for e in window if e.at >= start), None)
    return first is not None and window[0].at < start and window[0].version == first.version


def _baseline_ask(start: float, entries: Sequence[Entry]) -> LedgerAsk:
    """What :func:`_with_baseline` needs of the stored ledger, whose window (``entries``
    from ``start`` on, plus the one before it) :func:`_needs_baseline` says begins under the
    version of its first entry from ``start`` on."""
    window = sorted(entries, key=lambda e: (e.at, e.key))
    first = next(e for e in window if e.at >= start)
    return LedgerAsk(window[0].at, window[0].key, first.version)


def _with_baseline(baseline: LedgerEntry | None, start: float, entries: list[Entry]) -> list[Entry]:
    """``entries`` (from ``start`` on, plus the one before it) and, before them, the latest
    earlier entry under another version than the first from ``start`` on (else the earliest
    entry). ``baseline``: that entry, as the store found it for :func:`_baseline_ask`, when
    :func:`_needs_baseline` says it is needed.

    The entries between that one and the window are under the window's first version: what
    :func:`schema_failures` makes of the window is the same without them (each window entry
    is compared with the same one, and the earliest time is the same), and they are not
    carried along. The store finds the baseline through an index of versions, so neither
    the read nor the work grows with a dataset's history."""
    window = sorted(entries, key=lambda e: (e.at, e.key))
    if not _needs_baseline(start, window) or baseline is None:
        return window
    return [Entry.read(baseline), *window]


def _stored_incidents(
    store: GraphStore, subjects: Sequence[str]
) -> dict[tuple[str, IncidentKind], list[Node]]:
    """The recomputed (not hand-opened) incidents on ``subjects``, by node and kind."""
    edges = store.edges_of(subjects, Direction.UPSTREAM, [EdgeKind.ON])
    nodes = store.get_nodes(sorted({e.src for e in edges}))
    found: dict[tuple[str, IncidentKind], list[Node]] = {}
    for node in nodes.values():
        props = node.props
        if node.kind is not NodeKind.INCIDENT or props.get("opener") is None:
            continue  # opened by hand, or written before incidents were recomputed
        try:
            kind = IncidentKind(str(props.get("kind")))
        except ValueError:
            continue
        found.setdefault((str(props.get("subject")), kind), []).append(node)
    return found


def _title(kind: IncidentKind, detail: str) -> str:
    what = {
        IncidentKind.QUALITY: "Data quality check failed",
        IncidentKind.DRIFT: "Drift detected",
        IncidentKind.RUN_FAILURE: "Run failed",
        IncidentKind.SCHEMA_CHANGE: "Breaking schema change",
        IncidentKind.MANUAL: "Reported",
    }[kind]
    return f"{what}: {detail}"


def incident_props(episode: Episode, *, auto_resolve: bool = True) -> dict[str, Any]:
    """The properties of the incident node of ``episode`` (None: the property is absent)."""
    evidence = sorted(
        {
            orjson.dumps(
                {
                    "at": f.at,
                    "check": f.check,
                    "detail": f.detail,
                    "run": f.run,
                    "version": f.version,
                },
                option=orjson.OPT_SORT_KEYS,
            ).decode()
            for f in episode.failures
        }
    )
    props: dict[str, Any] = {
        "kind": episode.kind.value,
        "subject": episode.subject,
        "title": _title(episode.kind, episode.opener.detail),
        "severity": SEVERITY_OF[episode.kind].value,
        "status": episode.status.value,
        "opened_at": episode.opener.at,
        "resolved_at": episode.resolved_at,
        "resolution": episode.resolution,
        "acknowledged_at": episode.acknowledged_at,
        "origin": "automatic",
        "opener": episode.opener.key,
        "auto_resolve": auto_resolve,
        "evidence": evidence,
        "last_seen": max(f.at for f in episode.failures),
        # One QUALITY incident per failed check: the check, and the fields it is about.
        "check": episode.opener.check if episode.kind is IncidentKind.QUALITY else None,
        "fields": sorted({f.field for f in episode.failures if f.field}) or None,
    }
    for check, ok in episode.checks.items():
        props[CHECK_PREFIX + check] = ok
    return props


def _reconcile(
    found: Sequence[Episode], stored: Sequence[Node], *, auto_resolve: bool
) -> list[Mutation]:
    """Mutations that turn the ``stored`` incidents into ``found``: each property that differs
    is written under the node's next revision (so it wins whatever it held), ids no longer
    found are deleted."""
    by_id = {n.id: n for n in stored}
    out: list[Mutation] = []
    for episode in found:
        want = incident_props(episode, auto_resolve=auto_resolve)
        node = by_id.pop(episode.id, None)
        held = dict(node.props) if node is not None else {}
        revision = int(held.get("revision") or 0) + 1
        for name in held:
            if name.startswith(CHECK_PREFIX) and name not in want:
                want[name] = None
        if not want.get("fields") and held.get("fields"):
            # The fields a check was about stay known when the entries that named them are
            # not in this window (an incident migrated from the per-field shape, reopened).
            want["fields"] = held["fields"]
        changed = {
            name: Prop(value, at=float(revision))
            for name, value in want.items()
            if held.get(name) != value
        }
        if not changed:
            continue
        changed["revision"] = Prop(revision, at=float(revision))
        out.append(UpsertNode(episode.id, NodeKind.INCIDENT, changed))
        if node is None:
            out.append(UpsertEdge(EdgeKind.ON, episode.id, episode.subject))
        if "fields" in changed:
            # Linked to its fields too, so they show it (and their health) as theirs.
            out.extend(UpsertEdge(EdgeKind.ON, episode.id, f) for f in want["fields"] or ())
    out.extend(DeleteNode(nid) for nid in sorted(by_id))
    return out


# -- people -----------------------------------------------------------------------------


def action_item(mutations: Sequence[Mutation]) -> IngestItem:
    """A write that is not an event: stores keep no raw event for it."""
    return IngestItem(
        body=b"",
        event_time=time.time(),
        event_type=None,
        run_id=None,
        job_namespace=None,
        job_name=None,
        mutations=mutations,
    )


def open_incident(
    store: GraphStore,
    subject: str,
    title: str,
    *,
    severity: Severity = Severity.MEDIUM,
    kind: IncidentKind = IncidentKind.MANUAL,
    by: str | None = None,
) -> str:
    """Open an incident on ``subject`` by hand; returns its id. Raises ValueError on a blank title."""
    if not title.strip():
        raise ValueError("title must not be empty")
    now = time.time()
    nid = node_id(
        NodeKind.INCIDENT,
        hashlib.sha1(f"{subject}\x1f{now!r}\x1f{title}".encode()).hexdigest()[:16],
    )
    entry = orjson.dumps(
        {"at": now, "check": "manual", "detail": title, "by": by}, option=orjson.OPT_SORT_KEYS
    ).decode()
    props = {
        "kind": Prop(kind.value),
        "subject": Prop(subject),
        "title": Prop(title, at=now),
        "severity": Prop(severity.value, at=now),
        "status": Prop(IncidentStatus.OPEN.value, at=now),
        "opened_at": Prop(now, Merge.MIN),
        "origin": Prop("manual"),
        "evidence": Prop([entry], Merge.UNION),
        "revision": Prop(1, at=1.0),
    }
    with _LOCK:
        [written] = _decide(
            store,
            lambda: [
                action_item(
                    _numbered(
                        store,
                        [
                            UpsertNode(nid, NodeKind.INCIDENT, props),
                            UpsertEdge(EdgeKind.ON, nid, subject),
                        ],
                    )
                )
            ],
        )
    _changed(store, written.mutations)
    return nid


def set_status(
    store: GraphStore,
    incident: str,
    status: IncidentStatus,
    reason: str | None = None,
    *,
    by: str | None = None,
) -> None:
    """Acknowledge, resolve or reopen an incident by hand (a resolution needs a reason).

    On an incident recomputed from outcomes the action is kept in its ledger, tied to the
    failure that opened it, so it survives every later recomputation (see
    :func:`episodes`). Raises ValueError for a resolution without a reason, for reopening
    one that is not resolved, and for reopening one while a later incident of the same
    check is open (that one is the current one).
    """
    if status is IncidentStatus.RESOLVED and not (reason or "").strip():
        raise ValueError("reason must say why the incident is resolved")
    now = time.time()

    def plan() -> list[IngestItem]:
        return [action_item(_status_mutations(store, incident, status, reason, now, by))]

    with _LOCK:
        [written] = _decide(store, plan)
    _changed(store, written.mutations)


def _status_mutations(
    store: GraphStore,
    incident: str,
    status: IncidentStatus,
    reason: str | None,
    now: float,
    by: str | None,
) -> list[Mutation]:
    """What a person's action on an incident changes, decided from what is stored."""
    node = store.get_nodes([incident]).get(incident)
    if (
        status is IncidentStatus.OPEN
        and node is not None
        and node.props.get("status") != IncidentStatus.RESOLVED.value
    ):
        raise ValueError("only a resolved incident can be reopened; this one is not resolved")
    opener = node.props.get("opener") if node is not None else None
    if node is None or opener is None:
        return [_status(incident, status, now, reason)]
    kind = IncidentKind(str(node.props["kind"]))
    subject = str(node.props["subject"])
    actions = {
        IncidentStatus.RESOLVED: _RESOLVE,
        IncidentStatus.ACKNOWLEDGED: _ACKNOWLEDGE,
        IncidentStatus.OPEN: _REOPEN,
    }
    action = Entry(
        # Never before the failure it is about: the action covers what the person saw.
        max(now, float(node.props.get("opened_at") or 0.0)),
        "",
        action=actions[status],
        anchor=str(opener),
        reason=reason,
        by=by,
    )
    entry = _keyed(action, "a:")
    check = node.props.get("check")
    unit = (subject, kind, str(check) if check is not None else None)
    mutations = _recompute(
        store,
        [unit],
        {ledger_of(subject, kind): {entry.key: entry}},
        auto_resolve=bool(node.props.get("auto_resolve", True)),
        back_to=float(node.props.get("opened_at") or 0.0)
        if status is IncidentStatus.OPEN
        else None,
    )
    reopened = any(
        isinstance(m, UpsertNode)
        and m.id == incident
        and getattr(m.props.get("status"), "value", None) == IncidentStatus.OPEN.value
        for m in mutations
    )
    if status is IncidentStatus.OPEN and not reopened:
        raise ValueError("a later incident of the same check is open; act on that one instead")
    return mutations


def _status(nid: str, status: IncidentStatus, now: float, reason: str | None) -> UpsertNode:
    """A person's action on an incident opened by hand."""
    props = {"status": Prop(status.value, at=now)}
    if status is IncidentStatus.RESOLVED:
        props["resolved_at"] = Prop(now, at=now)
        props["resolution"] = Prop(reason, at=now)
    elif status is IncidentStatus.ACKNOWLEDGED:
        props["acknowledged_at"] = Prop(now, at=now)
    else:
        for name in ("resolved_at", "resolution", "acknowledged_at"):
            props[name] = Prop(None, at=now)
    return UpsertNode(nid, NodeKind.INCIDENT, props)


# -- watchers ---------------------------------------------------------------------------

#: An incident that changed in a way people hear about: what happened, and the node.
Change = tuple[str, Node]
Watcher = Callable[[Sequence[Change]], None]
_WATCHERS: dict[int, Watcher] = {}


def watch(store: GraphStore, watcher: Watcher | None) -> None:
    """Call ``watcher`` after each write to ``store`` that opens an incident or changes its
    status (None: stop). It gets ``("opened" | "acknowledged" | "resolved" | "reopened",
    incident node)`` pairs and must return quickly (queue the work; it runs on the write path)."""
    if watcher is None:
        _WATCHERS.pop(id(store), None)
    else:
        _WATCHERS[id(store)] = watcher


def _changed(store: GraphStore, mutations: Sequence[Mutation]) -> None:
    watcher = _WATCHERS.get(id(store))
    if watcher is None:
        return
    what: dict[str, str] = {}
    for m in mutations:
        if not isinstance(m, UpsertNode) or m.kind is not NodeKind.INCIDENT:
            continue
        status = m.props.get("status")
        if "number" in m.props:
            what[m.id] = "opened"
        elif status is not None:
            what[m.id] = {
                IncidentStatus.OPEN.value: "reopened",
                IncidentStatus.ACKNOWLEDGED.value: "acknowledged",
                IncidentStatus.RESOLVED.value: "resolved",
            }.get(str(status.value), "changed")
    if not what:
        return
    nodes = store.get_nodes(sorted(what))
    watcher([(what[nid], nodes[nid]) for nid in sorted(what) if nid in nodes])
