"""The domain model of the lineage graph: node and edge kinds, identities, mutations.

Every mutation is idempotent and commutative: properties carry a merge rule
(last-writer-wins by event time, min, max, union, or the run state order), so
applying the mutations of a set of events in any order, any number of times,
yields the same graph. Stores apply mutations; they never interpret events.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final


class NodeKind(StrEnum):
    DATASET = "DATASET"
    DATASET_VERSION = "DATASET_VERSION"
    FIELD = "FIELD"
    JOB = "JOB"
    RUN = "RUN"
    INCIDENT = "INCIDENT"


class EdgeKind(StrEnum):
    # Exact, run-level history.
    READ = "READ"  # Run -> DatasetVersion
    WROTE = "WROTE"  # Run -> DatasetVersion
    VERSION_OF = "VERSION_OF"  # DatasetVersion -> Dataset
    RUN_OF = "RUN_OF"  # Run -> Job
    CHILD_OF = "CHILD_OF"  # Run -> parent Run
    # Job-level projection, each edge valid over [since, until).
    INPUT_TO = "INPUT_TO"  # Dataset -> Job
    PRODUCES = "PRODUCES"  # Job -> Dataset
    # Columns.
    HAS_FIELD = "HAS_FIELD"  # Dataset -> Field
    FEEDS = "FEEDS"  # Field -> Field (keyed per job)
    # Identity.
    ALIAS_OF = "ALIAS_OF"  # Dataset -> Dataset (symlinks)
    RENAMED_FROM = "RENAMED_FROM"  # Dataset -> its previous identifier
    ON = "ON"  # Incident -> any node


#: Edges that carry a validity interval and are closed by later completed runs.
PROJECTION_EDGES: Final = frozenset({EdgeKind.INPUT_TO, EdgeKind.PRODUCES, EdgeKind.FEEDS})


class RunState(StrEnum):
    NEW = "NEW"
    START = "START"
    RUNNING = "RUNNING"
    OTHER = "OTHER"
    COMPLETE = "COMPLETE"
    FAIL = "FAIL"
    ABORT = "ABORT"


#: A later state never regresses to an earlier one: the state with the highest
#: rank wins, whatever order the events arrive in. Terminal states outrank the rest;
#: among them FAIL outranks ABORT outranks COMPLETE, so a run reported both as
#: completed and failed is shown as failed.
RUN_STATE_RANK: Final[Mapping[str, int]] = {
    RunState.NEW: 0,
    RunState.OTHER: 1,
    RunState.START: 2,
    RunState.RUNNING: 3,
    RunState.COMPLETE: 4,
    RunState.ABORT: 5,
    RunState.FAIL: 6,
}

TERMINAL_STATES: Final = frozenset({RunState.COMPLETE, RunState.FAIL, RunState.ABORT})

_SEP: Final = "\x1f"


def node_id(kind: NodeKind, *parts: str) -> str:
    """The stable internal identity of a node: its kind and key parts, unambiguously joined."""
    # A StrEnum member is its value: joined as it is, without the slower ``.value``.
    return _SEP.join((kind, *parts))


def split_id(nid: str) -> tuple[NodeKind, tuple[str, ...]]:
    """Inverse of :func:`node_id`. Raises ``ValueError`` for an id no node can have."""
    kind, *parts = nid.split(_SEP)
    return NodeKind(kind), tuple(parts)


def dataset_id(namespace: str, name: str) -> str:
    return node_id(NodeKind.DATASET, namespace, name)


def job_id(namespace: str, name: str) -> str:
    return node_id(NodeKind.JOB, namespace, name)


def run_id(run_uuid: str) -> str:
    return node_id(NodeKind.RUN, run_uuid)


def field_id(namespace: str, name: str, path: str) -> str:
    return node_id(NodeKind.FIELD, namespace, name, path)


def version_id(namespace: str, name: str, version: str) -> str:
    return node_id(NodeKind.DATASET_VERSION, namespace, name, version)


def edge_id(kind: EdgeKind, src: str, dst: str, key: str = "") -> str:
    return "\x1e".join((kind, src, dst, key))


class Merge(StrEnum):
    """How a property's new value combines with the stored one."""

    # The value with the latest event time wins. On a tie a deletion (None) wins, then
    # the larger value by canonical JSON, so the outcome never depends on arrival order.
    LWW = "lww"
    MIN = "min"
    MAX = "max"
    UNION = "union"  # list values, kept as a sorted set
    STATE = "state"  # run states, by RUN_STATE_RANK


@dataclass(frozen=True, slots=True)
class Prop:
    value: Any
    merge: Merge = Merge.LWW
    at: float = 0.0  # event time, seconds since the epoch; used by LWW


@dataclass(frozen=True, slots=True)
class UpsertNode:
    id: str
    kind: NodeKind
    props: Mapping[str, Prop] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class UpsertEdge:
    kind: EdgeKind
    src: str
    dst: str
    key: str = ""
    props: Mapping[str, Prop] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return edge_id(self.kind, self.src, self.dst, self.key)


@dataclass(frozen=True, slots=True)
class ReadDataset:
    """A run read a dataset at time ``at``.

    The store points the READ edge at ``version`` when the producer named it, else at
    the version current at ``at`` (the latest version written at or before then), else
    at the ``observed`` version: one derived from what the reader saw of it.
    """

    run: str
    dataset: str
    at: float
    version: str | None
    observed: str
    observed_props: Mapping[str, Prop] = field(default_factory=dict)
    #: Whether ``observed`` was derived from a schema the reader saw; a known
    #: observation outranks an unknown one whatever order they arrive in.
    observed_known: bool = False
    edge_props: Mapping[str, Prop] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Sighting:
    """A job was seen using a dataset (or a field feeding a field) at ``at``.

    Upserts a projection edge: ``since`` is its first sighting, ``last_seen`` its latest.
    ``run`` ties the sighting to a run, so the run's completion counts as a sighting too.
    A run's sightings are also what it reported, over all its events: the datasets it wrote
    (its ``PRODUCES`` sightings, kept as the run's ``outputs``), the namespaces of every
    dataset it named (``scopes``), and the outputs each input was read for (the
    ``INPUT_TO`` edge's ``read_for``: the outputs of every run that read it, and those a
    static ``JobEvent`` states beside it, which it sends as an edge property).
    """

    edge: UpsertEdge
    job: str
    at: float
    run: str | None = None


@dataclass(frozen=True, slots=True)
class Completion:
    """A job's run completed (or a static JobEvent stated the job's edges) at ``at``.

    A projection edge of the job is closed (``until``) at the job's earliest completion
    after the edge's last sighting that closes it (``lineage.graph.validity.closes``), which
    depends on the whole run, all its events, not on the completing event alone:

    - a static JobEvent (``run`` None) closes every edge it does not restate;
    - ``Job -PRODUCES-> D`` is closed only by a run that wrote nothing at all. A run that
      writes other outputs (another partition of the work, another target) never closes
      it: a job that moved from writing ``A`` to writing ``A2`` keeps showing ``A`` until
      its static lineage says otherwise, since hiding a real writer would make impact
      analysis give a false all-clear;
    - ``X -INPUT_TO-> Job`` is read for the outputs of the runs that read it, and is closed
      by a run that wrote every one of them without reading ``X``; one read for nothing
      (by runs that wrote nothing) is closed by any run that did not read it;
    - where the run's outputs do not decide (it wrote nothing, or the input was read for
      nothing), a completion closes only edges into datasets of the namespaces its run
      reported (all when it reported none), so the same job run against a second target
      leaves the first target's lineage open.

    ``covers`` lists the output datasets whose column lineage this run reported, so
    that a completion closes only column lineage reports about datasets it reported on.
    """

    job: str
    at: float
    run: str | None
    covers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EnsureFields:
    """A dataset has these fields (dotted paths for nested ones).

    Field nodes hold only their identity; a field's type and description are read from
    the schema of the dataset (or of one of its versions), where they are versioned.
    ``names``, when given (from a schema), holds each field's own name, parallel to
    ``paths``: a name may itself hold dots (``user.id``), so it is not read off the path.
    """

    dataset: str
    namespace: str
    name: str
    paths: tuple[str, ...]
    names: tuple[str, ...] = ()

    def field_name(self, index: int) -> str:
        """The name of the field at ``paths[index]``: the schema's name for it, else the
        path whole (a column lineage or an assertion names a field as one string)."""
        return self.names[index] if self.names else self.paths[index]


@dataclass(frozen=True, slots=True)
class Feed:
    """One column-level dependency: ``src`` field feeds ``dst`` field.

    ``type`` is DIRECT or INDIRECT, None when neither the producer nor the job's SQL says;
    ``origin`` is ``reported`` (the producer's column lineage said it) or ``derived`` (read
    from the job's SQL)."""

    src: str
    dst: str
    type: str | None
    subtype: str | None
    scope: str  # FIELD, or DATASET for dataset-wide dependencies (filters, joins)
    transformations: tuple[str, ...]  # canonical JSON of each transformation
    origin: str = "reported"


@dataclass(frozen=True, slots=True)
class ColumnLineage:
    """A run of ``job`` reported the column lineage of ``output`` at ``at``.

    The whole report is one unit, identified by ``digest``: while a job keeps reporting
    the same column lineage for a dataset, only the report's last sighting moves, so the
    common case costs the same whatever the number of columns. A report is closed, like
    a job-level edge, by the job's first later completed run that reported a different
    one for the same dataset; a FEEDS edge is valid while any report holding it is.
    """

    job: str
    run: str
    output: str
    at: float
    digest: str
    feeds: tuple[Feed, ...]


@dataclass(frozen=True, slots=True)
class UnresolvedReference:
    """Column lineage named something that is not a dataset (e.g. a dbt CTE).

    The store resolves it to the one input of the run that has ``field``, if exactly one
    has; until then it is kept, flagged, and never shown as an upstream table.
    """

    run: str
    job: str
    namespace: str
    name: str
    field: str
    output: str  # the dataset whose column lineage named it
    report: str  # digest of the ColumnLineage report it belongs to
    target_field: str  # field id the reference feeds
    transformations: tuple[Mapping[str, Any], ...]
    at: float


@dataclass(frozen=True, slots=True)
class DeleteNode:
    """Remove an incident node and its edges: one a recomputation of its subject's incidents
    no longer has (two episodes a late event joined). Stores refuse any other kind."""

    id: str


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One entry of a ledger the store keeps beside the graph, never shown as a node: the
    check outcomes and people's actions that incidents are recomputed from.

    ``(ledger, key)`` identifies an entry, and the writer derives ``key`` from ``at`` and
    ``body``: writing an entry again changes nothing, so a ledger holds the same entries
    whatever order they arrive in.
    """

    ledger: str
    key: str
    at: float
    body: bytes


Mutation = (
    UpsertNode
    | UpsertEdge
    | ReadDataset
    | Sighting
    | Completion
    | EnsureFields
    | ColumnLineage
    | UnresolvedReference
    | DeleteNode
    | LedgerEntry
)
