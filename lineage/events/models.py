"""The OpenLineage 2-0-2 event models: RunEvent, DatasetEvent and JobEvent.

The models mirror ``OpenLineage.json``. They validate decoded JSON strictly (no type
coercion), keep unknown properties (``extra="allow"``, see ``model_extra``) and are
frozen. Normalisations: ``eventTime`` becomes an aware UTC datetime and ``runId`` a
canonical lowercase UUID string. Facet maps (``facets``, ``inputFacets``,
``outputFacets``) are kept verbatim as dicts of dicts; read standard facets through
:func:`lineage.events.get_facet`.

Build events from received JSON with :func:`lineage.events.parse_event`, which picks the
event kind and reports problems with their paths; ``model_validate`` works too but raises
pydantic's own error.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, PlainValidator

from lineage.events._facet_map import FacetMap, facet_map_validator
from lineage.events._json import DateTime, Uuid, one_of
from lineage.events.facets import (
    DATASET_FACETS,
    INPUT_FACETS,
    JOB_FACETS,
    OUTPUT_FACETS,
    RUN_FACETS,
)

__all__ = [
    "EVENT_TYPES",
    "BaseEvent",
    "Dataset",
    "DatasetEvent",
    "EventType",
    "InputDataset",
    "Job",
    "JobEvent",
    "LineageEvent",
    "OutputDataset",
    "Run",
    "RunEvent",
    "StaticDataset",
]

EventType: TypeAlias = Literal["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"]

#: The run state transitions a RunEvent may report, in the spec's order.
EVENT_TYPES: Final[tuple[EventType, ...]] = (
    "START",
    "RUNNING",
    "COMPLETE",
    "ABORT",
    "FAIL",
    "OTHER",
)

# Each map with the deepest place it has in an event: run.facets, job.facets,
# inputs[i].facets (dataset.facets is less deep), inputs[i].inputFacets, ...
RunFacets = Annotated[
    dict[str, dict[str, Any]], facet_map_validator(RUN_FACETS, deletable=False, depth=2)
]
JobFacets = Annotated[
    dict[str, dict[str, Any]], facet_map_validator(JOB_FACETS, deletable=True, depth=2)
]
DatasetFacets = Annotated[
    dict[str, dict[str, Any]], facet_map_validator(DATASET_FACETS, deletable=True, depth=3)
]
InputFacets = Annotated[
    dict[str, dict[str, Any]], facet_map_validator(INPUT_FACETS, deletable=False, depth=3)
]
OutputFacets = Annotated[
    dict[str, dict[str, Any]], facet_map_validator(OUTPUT_FACETS, deletable=False, depth=3)
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True, frozen=True)


class Run(_Model):
    """The run an event reports on: ``runId`` (canonical lowercase UUID) and run facets."""

    runId: Uuid
    facets: RunFacets = Field(default_factory=FacetMap)


class Job(_Model):
    """A job, identified by ``namespace`` and ``name`` (any strings, as in the spec)."""

    namespace: str
    name: str
    facets: JobFacets = Field(default_factory=FacetMap)


class Dataset(_Model):
    """A dataset, identified by ``namespace`` and ``name``, with its dataset facets."""

    namespace: str
    name: str
    facets: DatasetFacets = Field(default_factory=FacetMap)


class InputDataset(Dataset):
    """A dataset a job reads; ``inputFacets`` describe this particular read."""

    inputFacets: InputFacets = Field(default_factory=FacetMap)


class OutputDataset(Dataset):
    """A dataset a job writes; ``outputFacets`` describe this particular write."""

    outputFacets: OutputFacets = Field(default_factory=FacetMap)


class StaticDataset(Dataset):
    """The dataset a DatasetEvent describes, outside of any run."""


class BaseEvent(_Model):
    """What every event carries: when it happened and who produced it.

    ``eventTime`` is aware and in UTC. ``producer`` and ``schemaURL`` are kept as sent;
    the spec calls them URIs but their syntax is not checked.
    """

    eventTime: DateTime
    producer: str
    schemaURL: str


class RunEvent(BaseEvent):
    """A run's state transition (``eventType``) with the datasets it reads and writes.

    ``eventType`` is None when the producer left it out; it is never ``null`` in valid
    input and always one of :data:`EVENT_TYPES`.
    """

    eventType: Annotated[EventType | None, PlainValidator(one_of(*EVENT_TYPES))] = None
    run: Run
    job: Job
    inputs: list[InputDataset] = Field(default_factory=list)
    outputs: list[OutputDataset] = Field(default_factory=list)


class DatasetEvent(BaseEvent):
    """Static metadata about one dataset, outside of any run."""

    dataset: StaticDataset


class JobEvent(BaseEvent):
    """Static metadata about a job and the datasets it is declared to read and write."""

    job: Job
    inputs: list[InputDataset] = Field(default_factory=list)
    outputs: list[OutputDataset] = Field(default_factory=list)


LineageEvent: TypeAlias = RunEvent | DatasetEvent | JobEvent
