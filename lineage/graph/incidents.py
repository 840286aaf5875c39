"""The incident vocabulary, and the check outcomes an event reports (pure).

An incident is a node (kind INCIDENT) with an ``ON`` edge to what it is about: a
dataset, a field, a job, a model or an endpoint. Events report check outcomes
(:func:`observations_for` reads an event):

- QUALITY: ``dataQualityAssertions`` entries, and Great Expectations'
  ``greatExpectations_assertions``, on the dataset: one incident per failed check, which
  names the field the check is about (``fields``) and is linked to it (``ON``) as well;
- RUN_FAILURE: a run that ends in FAIL fails the job's check, one that ends in COMPLETE
  passes it (a run's own COMPLETE after its FAIL passes nothing); a statement's run (``statement_of``) fails its parent's job and passes nothing;
- SCHEMA_CHANGE: a schema that drops a field or changes a type against the dataset's
  version before it (breaking for readers; added fields are not);
- DRIFT: the ``lineage_drift`` dataset facet (``drifted: true`` fails, on the dataset and on
  each drifted column's field); assertions sent beside it on the same dataset are drift
  checks.

How outcomes become incidents at ingest is :mod:`lineage.ingest.incidents`; reading
them is :mod:`lineage.analysis.incidents`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import orjson

from lineage.events import DatasetEvent, EventValidationError, LineageEvent, RunEvent, get_facet
from lineage.events import facets as F
from lineage.graph.mapping import derived, error_message, observed_version_of, statement_of
from lineage.graph.model import dataset_id, field_id, job_id, run_id, version_id

DRIFT_FACET: Final = "lineage_drift"
GREAT_EXPECTATIONS_FACET: Final = "greatExpectations_assertions"


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
#: Kinds a passing check resolves (with auto-resolve on); a person resolves the others.
SELF_RESOLVING: Final = frozenset(
    {IncidentKind.QUALITY, IncidentKind.DRIFT, IncidentKind.RUN_FAILURE}
)


@dataclass(frozen=True, slots=True)
class Observation:
    """One outcome of a check on a node, as an event reported it.

    ``ok`` None with a ``schema`` means "this schema was seen": whether it breaks
    anything depends on the schema before it, which the dataset's ledger holds.
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
    #: The field a data quality check is about (its incident is on the dataset, linked to it).
    field: str | None = None


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
        error = error_message(event)
        name = f"{event.job.namespace}/{event.job.name}"
        detail = (
            f"run {event.run.runId} of {name} failed" + (f": {error}" if error is not None else "")
            if state == "FAIL"
            else f"run {event.run.runId} of {name} completed"
        )
        # A statement's run (`.sql.N`, `.query.N`) is part of its parent's: its failure is
        # evidence of the parent job's, and its completion says nothing about that job.
        statement = statement_of(event)
        if statement is None or state == "FAIL":
            ok = state == "COMPLETE"
            subject = statement or job
            found.append(Observation(subject, IncidentKind.RUN_FAILURE, "run", ok, at, detail, run))
    for ds in event.inputs:
        version = get_facet(ds.facets, "version", F.DatasetVersionDatasetFacet)
        vid = (
            version_id(ds.namespace, ds.name, version.datasetVersion)
            if version
            else observed_version_of(ds.namespace, ds.name, ds.facets)
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


def assertion_check(
    assertion: str,
    column: str | None = None,
    *,
    name: str | None = None,
    params: Mapping[str, Any] | None = None,
) -> str:
    """The identity of a data quality check: only the same check passing resolves its failure.

    It is the assertion's kind and column, plus what the producer says about *which* test of
    that kind it is: its ``name`` and its ``params``. dbt-ol (1.54) sends the test's unique
    name, which spells out the test's arguments (``accepted_values_orders_status__placed__
    shipped``; dbt shortens long ones with a hash, still one per test), and an empty
    ``params``. So ``accepted_values`` on a column is not resolved by a passing ``not_null``
    on it, nor by ``accepted_values`` with other values. ``expected`` is not part of it: dbt-ol
    leaves it out for tests dbt skipped (reported as failed) and sends it once they run, and
    a producer may derive it from the data. Great Expectations reports no arguments in
    ``greatExpectations_assertions``: its expectations are told apart by type and column only.

    >>> assertion_check("not_null", "status")
    'assertion:not_null:status'
    >>> assertion_check("accepted_values", "status", name="accepted_values_orders_status__a__b")
    'assertion:accepted_values:status [accepted_values_orders_status__a__b]'
    >>> assertion_check("row_count", params={"min": 1})
    'assertion:row_count [params={"min":1}]'
    """
    check = "assertion:" + assertion + (":" + column if column else "")
    qualifiers = []
    if name and name != assertion:
        qualifiers.append(name)
    if params:
        qualifiers.append("params=" + orjson.dumps(params, option=orjson.OPT_SORT_KEYS).decode())
    return check + (" [" + "; ".join(qualifiers) + "]" if qualifiers else "")


@dataclass(frozen=True, slots=True)
class _Check:
    """One data quality outcome, whichever facet reported it."""

    check: str
    label: str
    ok: bool
    column: str | None
    expected: str | None = None
    actual: str | None = None


def _quality_checks(facets: Mapping[str, Any]) -> Iterator[_Check]:
    assertions = get_facet(facets, "dataQualityAssertions", F.DataQualityAssertionsFacet)
    for a in assertions.assertions if assertions is not None else ():
        check = assertion_check(a.assertion, a.column, name=a.name, params=a.params)
        yield _Check(check, a.name or a.assertion, a.success, a.column, a.expected, a.actual)
    try:
        expectations = get_facet(
            facets, GREAT_EXPECTATIONS_FACET, F.GreatExpectationsAssertionsFacet
        )
    except EventValidationError:
        expectations = None  # a custom facet of another shape: kept verbatim, not read
    for e in expectations.assertions if expectations is not None else ():
        check = assertion_check(e.expectationType, e.column)
        yield _Check(check, e.expectationType, e.success, e.column)


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
        for c in _quality_checks(facets):
            where = f"{name}.{c.column}" if c.column else name
            detail = f"assertion {c.label} {'passed' if c.ok else 'failed'} on {where}"
            if c.actual is not None or c.expected is not None:
                detail += f" (expected {c.expected}, actual {c.actual})"
            on_field = field_id(namespace, name, c.column) if c.column else None
            if kind is IncidentKind.QUALITY:
                # One incident per failed check, on the dataset, with the field as detail.
                yield Observation(dsid, kind, c.check, c.ok, at, detail, run, field=on_field)
                continue
            yield Observation(dsid, kind, c.check, c.ok, at, detail, run)
            if on_field is not None:
                yield Observation(on_field, kind, c.check, c.ok, at, detail, run)
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
                derived(schema, "flat", lambda s: _flatten(s.fields)),
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


#: The ledger of short incident numbers: key the incident's id, ``at`` its number.
NUMBERS: Final = "incident-number"
