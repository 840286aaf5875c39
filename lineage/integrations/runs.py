"""One run of an integration's job as OpenLineage events: the job with its ``jobType``, the
run id, and each state of the run (START, then COMPLETE, FAIL or ABORT) sent to the client.

>>> job = ml_job("monitoring", "monitor.scores", "MONITOR")  # doctest: +SKIP
>>> run = RunEmitter(sink, job, run_id_for(None, at))  # doctest: +SKIP
>>> run.start_and_complete(at, timedelta(seconds=5), inputs=[watched])  # doctest: +SKIP
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import error_message_run
from openlineage.client.generated.base import JobFacet, RunFacet

from lineage.integrations.emit import canonical_uuid, event_time, job_type, new_run_id
from lineage.integrations.facets import PRODUCER


def ml_job(
    namespace: str,
    name: str,
    kind: str,
    integration: str = "LINEAGE",
    facets: Mapping[str, JobFacet] | None = None,
) -> Job:
    """A job of ``kind`` (TRAINING, DEPLOYMENT, MONITOR, ...) with its ``jobType`` facet and
    any other ``facets``."""
    job_facets: dict[str, JobFacet] = {"jobType": job_type(kind, integration)}
    job_facets.update(facets or {})
    return Job(namespace=namespace, name=name, facets=job_facets)


def run_id_for(given: str | None, at: datetime | None) -> str:
    """``given`` in canonical form (ValueError when it is not a UUID), else a new UUIDv7 at
    ``at``."""
    return canonical_uuid(given) if given else new_run_id(at)


def error_facet(exc: BaseException) -> error_message_run.ErrorMessageRunFacet:
    """The ``errorMessage`` run facet of a run that failed with ``exc``."""
    return error_message_run.ErrorMessageRunFacet(
        message=f"{type(exc).__name__}: {exc}",
        programmingLanguage="python",
        stackTrace="".join(traceback.format_exception(exc)),
        producer=PRODUCER,
    )


@dataclass(frozen=True, slots=True)
class RunEmitter:
    """Sends the events of run ``run_id`` of ``job`` through ``sink``; ``facets`` are run
    facets every event carries."""

    sink: OpenLineageClient
    job: Job
    run_id: str
    facets: Mapping[str, RunFacet] = field(default_factory=dict)

    def emit(
        self,
        state: RunState,
        at: datetime | None,
        inputs: Sequence[InputDataset] = (),
        outputs: Sequence[OutputDataset] = (),
        facets: Mapping[str, RunFacet] | None = None,
    ) -> None:
        """The run's event in ``state`` at ``at`` (None: now), with ``facets`` added to the
        run's own."""
        self.sink.emit(
            RunEvent(
                eventType=state,
                eventTime=event_time(at),
                run=Run(runId=self.run_id, facets={**self.facets, **(facets or {})}),
                job=self.job,
                producer=PRODUCER,
                inputs=list(inputs),
                outputs=list(outputs),
            )
        )

    def start_and_complete(
        self,
        at: datetime | None,
        duration: timedelta,
        inputs: Sequence[InputDataset] = (),
        outputs: Sequence[OutputDataset] = (),
    ) -> None:
        """START at ``at`` (None: now) and COMPLETE ``duration`` later (None: now again)."""
        end = at + duration if at is not None else None
        for state, when in ((RunState.START, at), (RunState.COMPLETE, end)):
            self.emit(state, when, inputs, outputs)
