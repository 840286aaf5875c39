"""OpenLineage 2-0-2 events: models, standard facets, parsing and validation.

``parse_event(raw)`` turns one decoded JSON event into a :class:`RunEvent`,
:class:`DatasetEvent` or :class:`JobEvent`, or raises :class:`EventValidationError`
whose ``problems`` name every violation with its path (``run.runId: not a UUID``).

What is accepted is what the official JSON Schemas accept (``OpenLineage.json`` for the
event, ``facets/*.json`` for the standard facets), with two deliberate exceptions:
``format: uri`` values are not syntax-checked, and a facet marked ``"_deleted": true`` is
not checked against its standard model (it only has to be a facet). Facets are kept
verbatim; ``get_facet(mapping, name, Model)`` reads one as its typed model from
:mod:`lineage.events.facets`.

Parsed events are immutable and may share typed facets (and the objects inside them) with
other events whose facets have the same JSON content: treat everything read from an event
as read-only.
"""

from lineage.events import facets
from lineage.events._facet_map import FacetMap, get_facet
from lineage.events.errors import EventValidationError, Problem
from lineage.events.models import (
    EVENT_TYPES,
    BaseEvent,
    Dataset,
    DatasetEvent,
    EventType,
    InputDataset,
    Job,
    JobEvent,
    LineageEvent,
    OutputDataset,
    Run,
    RunEvent,
    StaticDataset,
)
from lineage.events.parse import MAX_NESTING, nesting_problem, parse_event, parse_events

__all__ = [
    "EVENT_TYPES",
    "MAX_NESTING",
    "BaseEvent",
    "Dataset",
    "DatasetEvent",
    "EventType",
    "EventValidationError",
    "FacetMap",
    "InputDataset",
    "Job",
    "JobEvent",
    "LineageEvent",
    "OutputDataset",
    "Problem",
    "Run",
    "RunEvent",
    "StaticDataset",
    "facets",
    "get_facet",
    "nesting_problem",
    "parse_event",
    "parse_events",
]
