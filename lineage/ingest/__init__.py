"""The ingest path shared by HTTP and the CLI: decode, parse, map, write.

Nothing is acknowledged before ``store.write`` returns, and the store writes the raw
events and their graph mutations in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from lineage.child_sql import LOCK as CHILD_SQL_LOCK
from lineage.child_sql import sql_ran, with_child_sql
from lineage.events import (
    EventValidationError,
    JobEvent,
    LineageEvent,
    Problem,
    RunEvent,
    parse_event,
)
from lineage.events.limits import DEFAULT_LIMITS, EventLimits, check_facets, check_shape
from lineage.events.separators import separator_problems
from lineage.graph.incidents import observations_for
from lineage.graph.mapping import mutations_for
from lineage.ingest.incidents import write as write_with_incidents
from lineage.store.base import GraphStore, IngestItem


@dataclass(frozen=True, slots=True)
class Rejection:
    index: int
    problems: list[Problem]

    def as_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "errors": [{"path": p.path, "message": p.message} for p in self.problems],
        }


@dataclass(slots=True)
class IngestResult:
    accepted: int = 0
    rejected: list[Rejection] = field(default_factory=list)


def prepare(
    raw: Any, body: bytes | None = None, limits: EventLimits = DEFAULT_LIMITS
) -> IngestItem:
    """Parse one decoded event into what the store writes.

    Raises EventValidationError, or its subclass EventTooLarge for an event over one of
    ``limits``; counts are checked before the event is parsed, so a too wide event is
    refused before it costs anything.
    """
    check_shape(raw, limits, body)
    event = parse_event(raw)
    if body is None:
        body = orjson.dumps(raw)
    check_facets(raw, limits, len(body))
    # JSON spells the control characters ids reserve as \u001f and \u001e: walk the event
    # for them only when its bytes hold such an escape.
    if b"\\u001" in body:
        reserved = separator_problems(raw)
        if reserved:
            raise EventValidationError(reserved)
    return item_for(event, body)


def item_for(event: LineageEvent, body: bytes) -> IngestItem:
    run_id = event.run.runId if isinstance(event, RunEvent) else None
    job = event.job if isinstance(event, RunEvent | JobEvent) else None
    return IngestItem(
        body=body,
        event_time=event.eventTime.timestamp(),
        event_type=event.eventType if isinstance(event, RunEvent) else None,
        run_id=run_id,
        job_namespace=job.namespace if job else None,
        job_name=job.name if job else None,
        mutations=mutations_for(event),
        observations=observations_for(event),
        sql_ran=sql_ran(event),
    )


def prepare_many(
    raws: Iterable[Any],
    limits: EventLimits = DEFAULT_LIMITS,
    start: int = 0,
    bodies: Sequence[bytes] | None = None,
) -> tuple[list[IngestItem], list[Rejection]]:
    """Prepare each event on its own; rejections are numbered from ``start``. ``bodies``:
    each event's bytes as received, in the same order (else they are encoded again)."""
    items: list[IngestItem] = []
    rejected: list[Rejection] = []
    for index, raw in enumerate(raws, start):
        try:
            body = bodies[index - start] if bodies is not None else None
            items.append(prepare(raw, body, limits=limits))
        except EventValidationError as exc:
            rejected.append(Rejection(index, exc.problems))
    return items, rejected


def write(store: GraphStore, items: Sequence[IngestItem], *, auto_resolve: bool = True) -> None:
    """Write accepted events with the incidents they open or resolve, and the column
    lineage of SQL their child runs ran, in one transaction."""
    with CHILD_SQL_LOCK:
        write_with_incidents(store, with_child_sql(store, items), auto_resolve=auto_resolve)


def ingest(
    store: GraphStore,
    raws: Sequence[Any],
    *,
    auto_resolve: bool = True,
    limits: EventLimits = DEFAULT_LIMITS,
    per_transaction: int | None = None,
) -> IngestResult:
    """Validate every event, write the valid ones, report the others by index.

    With ``per_transaction``, the events are prepared and written that many at a time, each
    group in its own transaction: memory holds one group, and readers wait for one group's
    write at most. A failed write raises after the groups before it were stored.
    """
    step = per_transaction or max(len(raws), 1)
    result = IngestResult()
    for start in range(0, len(raws), step):
        items, rejected = prepare_many(raws[start : start + step], limits, start)
        result.rejected.extend(rejected)
        if items:
            write(store, items, auto_resolve=auto_resolve)
        result.accepted += len(items)
    return result
