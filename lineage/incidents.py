"""Incidents: opened, deduplicated and resolved as events arrive; acknowledged by people.

An incident is a node (kind INCIDENT) with an ``ON`` edge to what it is about: a
dataset, a field, a job, a model or an endpoint. Ingest opens them from what events
report (:func:`observations_for` reads an event; :func:`incident_mutations` decides):

- QUALITY: a failed ``dataQualityAssertions`` entry, on the dataset and, when the
  assertion names a column, on that field;
- RUN_FAILURE: a run that ends in FAIL, on its job;
- SCHEMA_CHANGE: a schema that drops a field or changes a type against the dataset's
  version before it (breaking for readers; added fields are not);
- DRIFT: the ``lineage_drift`` dataset facet with ``drifted: true`` (and on each drifted
  column's field); assertions sent beside it on the same dataset are drift checks.

While an incident of a kind is open (OPEN or ACKNOWLEDGED) on a node, further failures
of that kind on it add evidence to it instead of opening another. With auto-resolve on,
an incident is resolved once every check that failed in it has passed again at a later
event time (schema changes are never resolved by themselves: a person resolves them).
A failure reported after the incident it belongs to was resolved (a late event) is
added to that incident as evidence and reopens nothing.

Unlike the graph mapping, this depends on the incidents already stored: it reads them
once per batch, in the same lock as the write, so one process never opens two incidents
for the same node and kind.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Final

import orjson

from lineage.events import DatasetEvent, LineageEvent, RunEvent, get_facet
from lineage.events import facets as F
from lineage.graph.mapping import observed_version_id, schema_fields
from lineage.graph.model import (
    EdgeKind,
    Merge,
    Mutation,
    NodeKind,
    Prop,
    UpsertEdge,
    UpsertNode,
    dataset_id,
    field_id,
    job_id,
    node_id,
    run_id,
    version_id,
)
from lineage.store.base import Direction, GraphStore, IngestItem, Node

DRIFT_FACET: Final = "lineage_drift"


class IncidentKind(StrEnum):
    DRIFT = "DRIFT"
    QUALITY = "QUALITY"
    RUN_FAILURE = "RUN_FAILURE"
    SCHEMA_CHANGE = "SCHEMA_CHANGE"
    MANUAL = "MANUAL"


class IncidentStatus(StrEnum):
    OPEN = "OPEN"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    RESOLVED = "RESOLVED"


class Severity(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


SEVERITY_OF: Final[Mapping[IncidentKind, Severity]] = {
    IncidentKind.DRIFT: Severity.HIGH,
    IncidentKind.QUALITY: Severity.MEDIUM,
    IncidentKind.RUN_FAILURE: Severity.HIGH,
    IncidentKind.SCHEMA_CHANGE: Severity.HIGH,
    IncidentKind.MANUAL: Severity.MEDIUM,
}

#: Prefix of the per-check properties of an incident: the latest outcome of each check.
CHECK_PREFIX: Final = "check:"
ACTIVE: Final = frozenset({IncidentStatus.OPEN, IncidentStatus.ACKNOWLEDGED})


@dataclass(frozen=True, slots=True)
class Observation:
    """One outcome of a check on a node, as an event reported it.

    ``ok`` None with a ``schema`` means "this schema was seen": whether it breaks
    anything depends on the version before it, which only the store knows.
    """

    subject: str
    kind: IncidentKind
    check: str
    ok: bool | None
    at: float
    detail: str
    run: str | None = None
    schema: tuple[tuple[str, str | None], ...] | None = None
    version: str | None = None
    #: A schema as a reader saw it (compared only with what readers saw before: a
    #: reader may report just the columns it selected).
    observed: bool = False


# -- reading events ---------------------------------------------------------------------


def observations_for(event: LineageEvent) -> tuple[Observation, ...]:
    """Every check outcome ``event`` reports (pure: looks at nothing but the event)."""
    at = event.eventTime.timestamp()
    if isinstance(event, DatasetEvent):
        static = event.dataset
        return tuple(
            _dataset_checks(static.namespace, static.name, [static.facets], at, None, None)
        )
    if not isinstance(event, RunEvent):
        return ()
    found: list[Observation] = []
    run = run_id(event.run.runId)
    state = (event.eventType or "").upper()
    if state in ("FAIL", "COMPLETE"):
        job = job_id(event.job.namespace, event.job.name)
        error = get_facet(event.run.facets, "errorMessage", F.ErrorMessageRunFacet)
        name = f"{event.job.namespace}/{event.job.name}"
        detail = (
            f"run {event.run.runId} of {name} failed"
            + (f": {error.message}" if error is not None else "")
            if state == "FAIL"
            else f"run {event.run.runId} of {name} completed"
        )
        found.append(
            Observation(job, IncidentKind.RUN_FAILURE, "run", state == "COMPLETE", at, detail, run)
        )
    for ds in event.inputs:
        version = get_facet(ds.facets, "version", F.DatasetVersionDatasetFacet)
        vid = (
            version_id(ds.namespace, ds.name, version.datasetVersion)
            if version
            else observed_version_id(ds.namespace, ds.name, schema_fields(ds.facets))
        )
        found.extend(
            _dataset_checks(
                ds.namespace, ds.name, [ds.facets, ds.inputFacets], at, run, vid, observed=True
            )
        )
    for out in event.outputs:
        version = get_facet(out.facets, "version", F.DatasetVersionDatasetFacet)
        vid = version_id(
            out.namespace, out.name, version.datasetVersion if version else "run:" + event.run.runId
        )
        found.extend(
            _dataset_checks(out.namespace, out.name, [out.facets, out.outputFacets], at, run, vid)
        )
    return tuple(found)


def _dataset_checks(
    namespace: str,
    name: str,
    facet_maps: Sequence[Mapping[str, Any]],
    at: float,
    run: str | None,
    version: str | None,
    *,
    observed: bool = False,
) -> Iterator[Observation]:
    dsid = dataset_id(namespace, name)
    drift = next((_drift(m) for m in facet_maps if _drift(m) is not None), None)
    kind = IncidentKind.DRIFT if drift is not None else IncidentKind.QUALITY
    if drift is not None:
        drifted, detail, columns = drift
        yield Observation(dsid, kind, "drift", not drifted, at, detail, run)
        for column, column_drifted, column_detail in columns:
            yield Observation(
                field_id(namespace, name, column),
                kind,
                "drift",
                not column_drifted,
                at,
                column_detail,
                run,
            )
    for facets in facet_maps:
        assertions = get_facet(facets, "dataQualityAssertions", F.DataQualityAssertionsFacet)
        for a in assertions.assertions if assertions is not None else ():
            where = f"{name}.{a.column}" if a.column else name
            outcome = "passed" if a.success else "failed"
            detail = f"assertion {a.assertion} {outcome} on {where}"
            if a.actual is not None or a.expected is not None:
                detail += f" (expected {a.expected}, actual {a.actual})"
            check = "assertion:" + a.assertion + (":" + a.column if a.column else "")
            yield Observation(dsid, kind, check, a.success, at, detail, run)
            if a.column:
                yield Observation(
                    field_id(namespace, name, a.column), kind, check, a.success, at, detail, run
                )
    for facets in facet_maps[:1]:
        schema = get_facet(facets, "schema", F.SchemaDatasetFacet)
        if schema is not None:
            yield Observation(
                dsid,
                IncidentKind.SCHEMA_CHANGE,
                "schema",
                None,
                at,
                f"schema of {name}",
                run,
                _flatten(schema.fields),
                version,
                observed,
            )


def _drift(facets: Mapping[str, Any]) -> tuple[bool, str, list[tuple[str, bool, str]]] | None:
    """The ``lineage_drift`` facet read leniently: (drifted, detail, drifted columns)."""
    raw = facets.get(DRIFT_FACET)
    if not isinstance(raw, Mapping) or raw.get("_deleted") is True:
        return None
    drifted = raw.get("drifted") is True
    method = raw.get("method") or "drift"
    score, threshold = raw.get("score"), raw.get("threshold")
    detail = f"{method} score {score} against threshold {threshold}: " + (
        "drifted" if drifted else "no drift"
    )
    columns = []
    for entry in raw.get("columns") or ():
        if isinstance(entry, Mapping) and isinstance(entry.get("name"), str):
            flag = entry.get("drifted") is True
            columns.append(
                (
                    entry["name"],
                    flag,
                    f"{method} score {entry.get('score')} on column {entry['name']}: "
                    + ("drifted" if flag else "no drift"),
                )
            )
    return drifted, detail, columns


def _flatten(
    fields: Iterable[F.SchemaField], prefix: str = ""
) -> tuple[tuple[str, str | None], ...]:
    flat: list[tuple[str, str | None]] = []
    for f in fields:
        flat.append((prefix + f.name, f.type))
        if f.fields:
            flat.extend(_flatten(f.fields, prefix + f.name + "."))
    return tuple(flat)


def breaking_changes(
    before: Mapping[str, str | None], after: Mapping[str, str | None]
) -> list[str]:
    """What in ``after`` breaks readers of ``before``: dropped fields and changed types."""
    found = [f"field {p} dropped" for p in before if p not in after]
    found += [
        f"field {p} changed type from {before[p]} to {after[p]}"
        for p in before
        if p in after and before[p] != after[p] and before[p] is not None and after[p] is not None
    ]
    return found


# -- deciding ---------------------------------------------------------------------------


@dataclass(slots=True)
class _State:
    """What this batch knows of one incident (stored or opened here)."""

    id: str
    kind: IncidentKind
    subject: str
    status: str
    opened_at: float
    resolved_at: float | None
    checks: dict[str, bool] = field(default_factory=dict)


_LOCK = threading.Lock()
_EMPTY: Final = Node("", NodeKind.DATASET, {})


def write(store: GraphStore, items: Sequence[IngestItem], *, auto_resolve: bool = True) -> None:
    """Write ``items`` with the incidents their observations open or resolve, all at once."""
    if not any(item.observations for item in items):
        store.write(items)
        return
    with _LOCK:
        store.write(with_incidents(store, items, auto_resolve=auto_resolve))


def with_incidents(
    store: GraphStore, items: Sequence[IngestItem], *, auto_resolve: bool = True
) -> list[IngestItem]:
    """``items`` with the incident mutations of their observations added to each."""
    observed = [(i, o) for i, item in enumerate(items) for o in item.observations]
    if not observed:
        return list(items)
    extra = incident_mutations(store, [o for _, o in observed], auto_resolve=auto_resolve)
    # Incident mutations ride with the batch's last item: the batch is one transaction.
    out = list(items)
    out[-1] = replace(out[-1], mutations=[*out[-1].mutations, *extra])
    return out


def incident_mutations(
    store: GraphStore, observations: Sequence[Observation], *, auto_resolve: bool = True
) -> list[Mutation]:
    """The mutations that open, extend or resolve incidents for ``observations``."""
    subjects = sorted({o.subject for o in observations})
    states = _stored_states(store, subjects)
    schema_seen = _SchemaHistory(store, observations)
    now = time.time()
    out: list[Mutation] = []
    # Stable: within one event, checks keep the order the event listed them in.
    for obs in sorted(observations, key=lambda o: o.at):
        if obs.kind is IncidentKind.SCHEMA_CHANGE:
            changes = schema_seen.breaking(obs)
            if not changes:
                continue
            obs = replace(obs, ok=False, detail=f"{obs.detail}: " + "; ".join(changes))
        key = (obs.subject, obs.kind)
        mine = states.setdefault(key, [])
        active = next((s for s in mine if s.status in ACTIVE), None)
        if obs.ok is False:
            if active is None:
                late = next(
                    (
                        s
                        for s in mine
                        if s.resolved_at is not None and s.opened_at <= obs.at <= s.resolved_at
                    ),
                    None,
                )
                if late is not None:
                    out.extend(_evidence(late, obs))
                    continue
                active = _open(obs)
                mine.append(active)
                out.extend(_opening(active, obs))
            active.checks[obs.check] = False
            out.extend(_evidence(active, obs))
        elif obs.ok is True and active is not None and obs.check in active.checks:
            if obs.at < active.opened_at:
                continue
            active.checks[obs.check] = True
            out.append(
                UpsertNode(
                    active.id,
                    NodeKind.INCIDENT,
                    {CHECK_PREFIX + obs.check: Prop(True, at=obs.at)},
                )
            )
            if auto_resolve and all(active.checks.values()) and obs.kind is not IncidentKind.MANUAL:
                active.status, active.resolved_at = IncidentStatus.RESOLVED, obs.at
                reason = f"resolved automatically: {obs.detail}"
                out.append(
                    _status(active.id, IncidentStatus.RESOLVED, max(now, obs.at), obs.at, reason)
                )
    return out


def _stored_states(
    store: GraphStore, subjects: list[str]
) -> dict[tuple[str, IncidentKind], list[_State]]:
    edges = store.edges_of(subjects, Direction.UPSTREAM, [EdgeKind.ON])
    nodes = store.get_nodes(sorted({e.src for e in edges}))
    states: dict[tuple[str, IncidentKind], list[_State]] = {}
    for node in nodes.values():
        state = state_of(node)
        if state is not None:
            states.setdefault((state.subject, state.kind), []).append(state)
    return states


def state_of(node: Node) -> _State | None:
    props = node.props
    try:
        kind = IncidentKind(str(props.get("kind")))
    except ValueError:
        return None
    checks = {
        name[len(CHECK_PREFIX) :]: bool(value)
        for name, value in props.items()
        if name.startswith(CHECK_PREFIX)
    }
    return _State(
        node.id,
        kind,
        str(props.get("subject")),
        str(props.get("status")),
        float(props.get("opened_at") or 0.0),
        props.get("resolved_at"),
        checks,
    )


def _open(obs: Observation) -> _State:
    digest = hashlib.sha1(f"{obs.subject}\x1f{obs.kind}\x1f{obs.at!r}".encode()).hexdigest()[:16]
    return _State(
        node_id(NodeKind.INCIDENT, digest), obs.kind, obs.subject, IncidentStatus.OPEN, obs.at, None
    )


def _title(obs: Observation) -> str:
    what = {
        IncidentKind.QUALITY: "Data quality check failed",
        IncidentKind.DRIFT: "Drift detected",
        IncidentKind.RUN_FAILURE: "Run failed",
        IncidentKind.SCHEMA_CHANGE: "Breaking schema change",
        IncidentKind.MANUAL: "Reported",
    }[obs.kind]
    return f"{what}: {obs.detail}"


def _opening(state: _State, obs: Observation) -> list[Mutation]:
    props = {
        "kind": Prop(obs.kind.value),
        "subject": Prop(obs.subject),
        "title": Prop(_title(obs)),
        "severity": Prop(SEVERITY_OF[obs.kind].value, at=obs.at),
        "status": Prop(IncidentStatus.OPEN.value, at=obs.at),
        "opened_at": Prop(obs.at, Merge.MIN),
        "origin": Prop("automatic"),
    }
    return [
        UpsertNode(state.id, NodeKind.INCIDENT, props),
        UpsertEdge(EdgeKind.ON, state.id, obs.subject),
    ]


def _evidence(state: _State, obs: Observation) -> list[Mutation]:
    entry = orjson.dumps(
        {
            "at": obs.at,
            "check": obs.check,
            "detail": obs.detail,
            "run": obs.run,
            "version": obs.version,
        },
        option=orjson.OPT_SORT_KEYS,
    ).decode()
    return [
        UpsertNode(
            state.id,
            NodeKind.INCIDENT,
            {
                "evidence": Prop([entry], Merge.UNION),
                "last_seen": Prop(obs.at, Merge.MAX),
                CHECK_PREFIX + obs.check: Prop(False, at=obs.at),
            },
        )
    ]


def _status(
    nid: str, status: IncidentStatus, at: float, when: float, reason: str | None
) -> UpsertNode:
    props = {"status": Prop(status.value, at=at)}
    if status is IncidentStatus.RESOLVED:
        props["resolved_at"] = Prop(when, at=at)
        props["resolution"] = Prop(reason, at=at)
    elif status is IncidentStatus.ACKNOWLEDGED:
        props["acknowledged_at"] = Prop(when, at=at)
    return UpsertNode(nid, NodeKind.INCIDENT, props)


class _SchemaHistory:
    """The schema a dataset had before a time, read from the store only when it may differ.

    Written versions are compared with the dataset's current version (a schema seen again
    in the same version, or older than the current version, is passed over: a late event
    never claims a change). What readers saw is compared with what readers saw before, and
    only when it is a schema not seen before: a reader may report just the columns it
    selected, so never with what a writer wrote.
    """

    def __init__(self, store: GraphStore, observations: Sequence[Observation]) -> None:
        from lineage.analysis.versions import versions_of

        schema_obs = [o for o in observations if o.kind is IncidentKind.SCHEMA_CHANGE]
        datasets = sorted({o.subject for o in schema_obs})
        versions = sorted({o.version for o in schema_obs if o.version})
        found = store.get_nodes([*datasets, *versions]) if datasets else {}
        current_ids = sorted(
            {
                str(n.props["current_version"])
                for n in found.values()
                if n.props.get("current_version")
            }
        )
        found.update(store.get_nodes([c for c in current_ids if c not in found]))
        self.nodes = found
        # What readers saw counts only for datasets no run wrote (raw sources): a writer's
        # schema is compared on the writer's side. New schemas are rare: one read for all.
        unwritten = sorted(
            {
                o.subject
                for o in schema_obs
                if o.observed
                and o.version not in found
                and not (found.get(o.subject) and found[o.subject].props.get("current_version"))
            }
        )
        self.observed_history = versions_of(store, unwritten) if unwritten else {}
        # A run whose START named its output without a schema: the version before it is
        # not the current one (that is the run's own), so read the history.
        unknown = sorted(
            {
                o.subject
                for o in schema_obs
                if not o.observed
                and (
                    n := found.get(
                        str((found.get(o.subject) or _EMPTY).props.get("current_version"))
                    )
                )
                is not None
                and n.id == o.version
                and n.props.get("schema") is None
            }
        )
        self.written_history = versions_of(store, unknown) if unknown else {}
        self.flat: dict[str, dict[str, str | None]] = {}
        #: What this batch has shown of each dataset so far: (at, version, observed, schema).
        self.batch: dict[str, list[tuple[float, str, bool, dict[str, str | None]]]] = {}

    def breaking(self, obs: Observation) -> list[str]:
        if obs.observed and obs.subject not in self.observed_history:
            return []  # a schema readers saw before, or a dataset a run writes
        after = dict(obs.schema or ())
        before = self._before(obs)
        self.batch.setdefault(obs.subject, []).append(
            (obs.at, obs.version or "", obs.observed, after)
        )
        return breaking_changes(before, after) if before is not None else []

    def _before(self, obs: Observation) -> dict[str, str | None] | None:
        from lineage.analysis.versions import flat_schema

        earlier = [
            h
            for h in self.batch.get(obs.subject, [])
            if h[0] <= obs.at and h[1] != obs.version and h[2] == obs.observed
        ]
        if earlier:
            return max(earlier, key=lambda h: (h[0], h[1]))[3]
        if obs.observed:
            olds = [
                v
                for v in self.observed_history[obs.subject]
                if v.props.get("observed")
                and v.props.get("schema") is not None
                and float(v.props.get("created_at") or 0.0) < obs.at
            ]
            return flat_schema(olds[-1].props["schema"]) if olds else None
        if obs.subject in self.written_history:
            olds = [
                v
                for v in self.written_history[obs.subject]
                if not v.props.get("observed")
                and v.id != obs.version
                and v.props.get("schema") is not None
                and float(v.props.get("created_at") or 0.0) < obs.at
            ]
            return flat_schema(olds[-1].props["schema"]) if olds else None
        dataset = self.nodes.get(obs.subject)
        current = self.nodes.get(str(dataset.props.get("current_version"))) if dataset else None
        if current is None or current.id == obs.version or current.props.get("schema") is None:
            return None
        if float(current.props.get("created_at") or 0.0) >= obs.at:
            return None  # a late event: the current version came after it
        if current.id not in self.flat:
            self.flat[current.id] = flat_schema(current.props["schema"])
        return self.flat[current.id]


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
    }
    store.write(
        [
            action_item(
                [UpsertNode(nid, NodeKind.INCIDENT, props), UpsertEdge(EdgeKind.ON, nid, subject)]
            )
        ]
    )
    return nid


def set_status(
    store: GraphStore, incident: str, status: IncidentStatus, reason: str | None = None
) -> None:
    """Acknowledge or resolve an incident by hand (a resolution needs a reason)."""
    if status is IncidentStatus.RESOLVED and not (reason or "").strip():
        raise ValueError("reason must say why the incident is resolved")
    now = time.time()
    with _LOCK:
        store.write([action_item([_status(incident, status, now, now, reason)])])
