"""What triage answers: the evidence found, the suspects it points at, the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from lineage.store.base import Node


class EvidenceKind(StrEnum):
    FAILED_ASSERTION = "FAILED_ASSERTION"
    METRIC_ANOMALY = "METRIC_ANOMALY"
    SCHEMA_CHANGE = "SCHEMA_CHANGE"
    RUN_FAILURE = "RUN_FAILURE"
    CODE_CHANGE = "CODE_CHANGE"
    STALE_INPUT = "STALE_INPUT"
    OPEN_INCIDENT = "OPEN_INCIDENT"


@dataclass(frozen=True, slots=True)
class Evidence:
    kind: EvidenceKind
    detail: str
    observed_at: float | None
    strength: float


@dataclass(slots=True)
class Suspect:
    node: str
    score: float
    evidence: list[Evidence]
    #: From the subject to the suspect (subject first): against the data flow, or from a
    #: parent run to its failed child.
    path: list[str]
    distance: int
    why: str = ""


@dataclass(slots=True)
class TriageReport:
    subject: Node
    incident: Node | None
    scope: str
    started_at: float
    since: float
    suspects: list[Suspect] = field(default_factory=list)
    raw_sources: list[str] = field(default_factory=list)
    #: What the trouble hurts downstream (see the module's docstring), nearest first.
    blast_radius: list[str] = field(default_factory=list)
    truncated: bool = False
    #: Every node the answer names, by id.
    nodes: dict[str, Node] = field(default_factory=dict)


#: (cause, effect, why): a suspect that explains another when seen no later than it.
Link = tuple[str, str, str]
