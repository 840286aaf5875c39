"""Bringing a store written by an earlier version up to what this one reads.

Run when a store is opened to write (:func:`open_to_write`, or :func:`migrate` after a
background load); each step is idempotent, so running it on a store already migrated
changes nothing.

Data quality incidents, one per failed check. Stores written before that rule hold, for
QUALITY, one incident per dataset gathering all its failed checks, and one more on each
field a failed check named, with people's acknowledgements and resolutions tied to either.
Both are merged into the incidents of each (dataset, check), recomputed from the dataset's
ledger as new ingest would make them:

- the incident whose first failure is the old dataset incident's keeps its id (so its short
  id, ``INC-n`` or the digest one of an incident from before numbers, and its links stay);
  the others are new and numbered after the highest given;
- an action on an old incident (the dataset's or a field's) applies to every check's
  incident that its episode held at the time of the action (a field's failures are the
  dataset's, under the same keys);
- each incident names and links the fields its checks are about (from the fields' ledgers);
- the old field incidents are deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Final

from lineage.graph.incidents import IncidentKind
from lineage.graph.model import (
    DeleteNode,
    EdgeKind,
    LedgerEntry,
    Mutation,
    NodeKind,
    UpsertNode,
    dataset_id,
    split_id,
)
from lineage.ingest.incidents import (
    _LOCK,
    Entry,
    _decide,
    _keyed,
    _numbered,
    _reconcile,
    _stored_incidents,
    action_item,
    episodes,
    ledger_of,
)
from lineage.settings import Settings
from lineage.store import open_store
from lineage.store.base import Direction, GraphStore, IngestItem, Node, StoreError

log = logging.getLogger("lineage.migrations")

_PAGE: Final = 5_000


def migrate(store: GraphStore, *, auto_resolve: bool = True) -> int:
    """Every migration step on ``store``; the number of incidents changed or deleted.

    A store that cannot be reached or written now is left for the next open (logged, not
    raised: a server still starts, and answers 503 while its store is down)."""
    try:
        return quality_incidents_per_check(store, auto_resolve=auto_resolve)
    except StoreError as exc:
        log.warning("migration of incidents skipped, left for the next open: %s", exc)
        return 0


def open_to_write(
    url: str, settings: Settings | None = None, *, read_only: bool = False
) -> GraphStore:
    """:func:`lineage.store.open_store`, then, for a store opened to write, :func:`migrate`:
    what every command that writes a store opens it with."""
    store = open_store(url, settings, read_only=read_only)
    if not read_only:
        migrate(store, auto_resolve=settings.incident_auto_resolve if settings else True)
    return store


def _incidents(store: GraphStore) -> Iterator[Node]:
    offset = 0
    while True:
        page = store.nodes_of_kind(NodeKind.INCIDENT, limit=_PAGE, offset=offset)
        yield from page
        if len(page) < _PAGE:
            return
        offset += _PAGE


def old_quality_incidents(store: GraphStore) -> list[Node]:
    """QUALITY incidents recomputed from outcomes in the old shape: on a dataset for all
    its checks, or on a field (they carry no ``check``)."""
    return [n for n in _incidents(store) if _is_old(n)]


def _is_old(node: Node) -> bool:
    props = node.props
    return (
        props.get("kind") == "QUALITY"
        and props.get("opener") is not None
        and props.get("check") is None
    )


def quality_incidents_per_check(store: GraphStore, *, auto_resolve: bool = True) -> int:
    """Merge old-shape QUALITY incidents into one incident per (dataset, check); the number
    of incidents written or deleted."""
    old = old_quality_incidents(store)
    if not old:
        return 0
    by_dataset: dict[str, list[str]] = {}
    for node in old:
        subject = str(node.props.get("subject"))
        kind, parts = split_id(subject)
        if kind is NodeKind.FIELD:
            by_dataset.setdefault(dataset_id(parts[0], parts[1]), []).append(node.id)
        elif kind is NodeKind.DATASET:
            by_dataset.setdefault(subject, []).append(node.id)
    changed = 0
    with _LOCK:
        for dataset, ids in sorted(by_dataset.items()):

            def plan(dataset: str = dataset, ids: list[str] = ids) -> list[IngestItem]:
                # Read again at each try: another writer may have migrated some meanwhile.
                still = [n for n in store.get_nodes(ids).values() if _is_old(n)]
                return [action_item(_merged(store, dataset, still, auto_resolve=auto_resolve))]

            # Decided like any incident write: one writer after another.
            written = _decide(store, plan)
            changed += len(
                {m.id for m in written[0].mutations if isinstance(m, UpsertNode | DeleteNode)}
            )
    log.info("migrated %d QUALITY incidents to one per failed check", changed)
    return changed


def _merged(
    store: GraphStore, dataset: str, old: Sequence[Node], *, auto_resolve: bool
) -> list[Mutation]:
    """The mutations that turn ``dataset``'s old QUALITY incidents (``old``) into one per
    check (call under the incident lock)."""
    quality = IncidentKind.QUALITY
    fields = {e.dst for e in store.edges_of([dataset], Direction.DOWNSTREAM, [EdgeKind.HAS_FIELD])}
    fields |= {str(n.props["subject"]) for n in old if n.props.get("subject") != dataset}
    main_name = ledger_of(dataset, quality)
    names = {main_name: None, **{ledger_of(f, quality): None for f in sorted(fields)}}
    read = {name: [Entry.read(e) for e in found] for name, found in store.ledger(names).items()}
    main = read[main_name]
    if not old or not any(e.action is None for e in main):
        return []  # nothing to recompute them from: left as they are
    # A field's outcomes are the dataset's, under the same keys (an entry's key is its
    # time and content, and neither named the subject): they say which field each is about.
    field_of: dict[str, str] = {}
    for f in sorted(fields):
        for entry in read[ledger_of(f, quality)]:
            if entry.action is None:
                field_of.setdefault(entry.key, f)
    outcomes = [replace(e, field=e.field or field_of.get(e.key)) for e in main if e.action is None]
    actions = [e for e in main if e.action is not None]
    known = {e.key for e in main}
    added: dict[str, Entry] = {}
    # An action on an old incident (the dataset's, or a field's) covered every check its
    # episode held: it goes to each check's first failure in that episode at the time of the
    # action, so each check's incident is acknowledged or resolved as the old one was.
    for subject in [dataset, *sorted(fields)]:
        openers = {str(n.props["opener"]) for n in old if n.props.get("subject") == subject}
        if not openers:
            continue
        entries = read[ledger_of(subject, quality)]
        combined = {
            e.opener.key: e
            for e in episodes(subject, quality, entries, auto_resolve=auto_resolve)
            if e.opener.key in openers
        }
        for action in (e for e in entries if e.action is not None):
            episode = combined.get(str(action.anchor))
            if episode is None:
                continue
            first: dict[str, Entry] = {}
            for failure in sorted(episode.failures, key=Entry.order):
                if failure.at <= action.at:
                    first.setdefault(failure.check, failure)
            for _, failure in sorted(first.items()):
                spread = _keyed(replace(action, key="", anchor=failure.key), "a:")
                if spread.key not in known:
                    added[spread.key] = spread
    everything = outcomes + actions + list(added.values())
    checks = sorted({e.check for e in outcomes if e.ok is False})
    found = [
        episode
        for check in checks
        for episode in episodes(
            dataset,
            quality,
            [e for e in everything if e.action is not None or e.check == check],
            auto_resolve=auto_resolve,
        )
    ]
    stored = {n.id: n for n in old}
    for node in _stored_incidents(store, [dataset]).get((dataset, quality), []):
        stored.setdefault(node.id, node)
    out: list[Mutation] = [
        LedgerEntry(main_name, e.key, e.at, e.body())
        for e in sorted(added.values(), key=Entry.order)
    ]
    out.extend(
        _numbered(store, _reconcile(found, list(stored.values()), auto_resolve=auto_resolve))
    )
    return out
