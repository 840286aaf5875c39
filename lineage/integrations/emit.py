"""Where the integrations send their events, and the pieces every event is built from.

Every helper takes ``client``, ``transport``, ``url`` and ``api_key`` and resolves them
in this order: a given client; a given transport; ``url`` (else ``OPENLINEAGE_URL``) with
``api_key`` (else ``OPENLINEAGE_API_KEY``) over the client's HttpTransport; else the
openlineage-python client's own configuration (``OPENLINEAGE_CONFIG``, ``openlineage.yml``
or ``OPENLINEAGE__TRANSPORT__*``). With none of these, :class:`NoDestination` says what to set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from openlineage.client import OpenLineageClient
from openlineage.client.facet_v2 import (
    dataset_version_dataset,
    job_type_job,
    schema_dataset,
)
from openlineage.client.generated.base import DatasetFacet
from openlineage.client.transport import Transport
from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport
from openlineage.client.uuid import generate_new_uuid, generate_static_uuid

from lineage.integrations.facets import PRODUCER


class NoDestination(RuntimeError):
    """No OpenLineage destination was given or configured."""


def openlineage_client(
    client: OpenLineageClient | None = None,
    transport: Transport | None = None,
    url: str | None = None,
    api_key: str | None = None,
) -> OpenLineageClient:
    """The client the integrations emit through (resolution order in the module docstring)."""
    if client is not None:
        return client
    if transport is not None:
        return OpenLineageClient(transport=transport)
    url = url or os.environ.get("OPENLINEAGE_URL")
    if url:
        key = api_key or os.environ.get("OPENLINEAGE_API_KEY")
        auth = ApiKeyTokenProvider({"apiKey": key}) if key else None
        config = HttpConfig(url=url, auth=auth) if auth else HttpConfig(url=url)
        return OpenLineageClient(transport=HttpTransport(config))
    configured = (
        os.environ.get("OPENLINEAGE_CONFIG")
        or any(name.startswith("OPENLINEAGE__TRANSPORT") for name in os.environ)
        or Path("openlineage.yml").exists()
    )
    if configured:
        return OpenLineageClient()
    raise NoDestination(
        "nowhere to send OpenLineage events: set OPENLINEAGE_URL (e.g. "
        "http://127.0.0.1:8000), or pass url=, transport= or client="
    )


@dataclass(frozen=True, slots=True)
class DatasetRef:
    """A dataset as an integration reports it: identity, and the version read or written.

    ``fields`` optionally gives its schema as ``{column: type}`` (type may be None).
    """

    namespace: str
    name: str
    version: str | None = None
    fields: Mapping[str, str | None] | None = None

    def facets(self) -> dict[str, DatasetFacet]:
        """The standard dataset facets this reference implies: ``version``, ``schema``."""
        facets: dict[str, DatasetFacet] = {}
        if self.version is not None:
            facets["version"] = dataset_version_dataset.DatasetVersionDatasetFacet(
                datasetVersion=self.version, producer=PRODUCER
            )
        if self.fields is not None:
            facets["schema"] = schema_facet(self.fields)
        return facets


DatasetLike = DatasetRef | tuple[str, str] | tuple[str, str, str]


def as_ref(value: DatasetLike, what: str) -> DatasetRef:
    """A :class:`DatasetRef` from one, or from ``(namespace, name[, version])``."""
    if isinstance(value, DatasetRef):
        return value
    if isinstance(value, tuple) and len(value) in (2, 3) and all(isinstance(v, str) for v in value):
        return DatasetRef(*value)
    raise TypeError(
        f"{what} must be a DatasetRef or a (namespace, name[, version]) tuple, got {value!r}"
    )


def schema_facet(fields: Mapping[str, str | None]) -> schema_dataset.SchemaDatasetFacet:
    return schema_dataset.SchemaDatasetFacet(
        fields=[schema_dataset.SchemaDatasetFacetFields(name=n, type=t) for n, t in fields.items()],
        producer=PRODUCER,
    )


def job_type(kind: str, integration: str = "LINEAGE") -> job_type_job.JobTypeJobFacet:
    """The ``jobType`` facet of an ML job: TRAINING, DEPLOYMENT, MONITOR, ..."""
    return job_type_job.JobTypeJobFacet(
        processingType="BATCH", integration=integration, jobType=kind, producer=PRODUCER
    )


def event_time(at: datetime | None) -> str:
    """ISO 8601 with a zone; a naive time is taken as UTC, None as now."""
    moment = at or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


def new_run_id(at: datetime | None = None, seed: str | None = None) -> str:
    """A run id: a UUIDv7 at ``at``; with ``seed``, the same id for the same (at, seed)."""
    if seed is not None:
        moment = at or datetime.now(UTC)
        return str(generate_static_uuid(moment, seed.encode()))
    return str(generate_new_uuid(at))


def canonical_uuid(value: str) -> str:
    """A run id in canonical form; raises ValueError naming the value when it is not a UUID."""
    try:
        return str(UUID(value))
    except ValueError as exc:
        raise ValueError(f"run_id must be a UUID, got {value!r}") from exc


def as_float_map(values: Mapping[str, Any] | None, what: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in (values or {}).items():
        try:
            out[str(key)] = float(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{what}[{key!r}] must be a number, got {value!r}") from exc
    return out


def names(values: Sequence[str] | None) -> list[str]:
    return [str(v) for v in values or ()]
