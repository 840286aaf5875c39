"""MLflow runs as OpenLineage training runs, without changing the training code.

Enable it one of two ways:

- ``LINEAGE_MLFLOW_AUTOLOG=true`` in the environment (with ``OPENLINEAGE_URL``): the
  package registers an MLflow run-context plugin (entry point
  ``mlflow.run_context_provider``) that turns the integration on at the first run;
- or call :func:`autolog` once, optionally with a client or transport.

Then every MLflow run, when it ends, becomes a TRAINING run (job = the experiment, in
namespace ``mlflow``): each dataset logged with ``mlflow.log_input`` is an input whose
version is the dataset's digest (and whose schema is the logged one); each registered
model version is a MODEL output whose version is the registry version; a logged model
that was not registered is a MODEL output named after the run, whose version is the
model id. Metrics and params go into the ``lineage_model`` facet, and the model
signature's input columns get column lineage from the input columns of the same name.
A model version registered after its run ended re-emits that run with the new output.

:func:`emit_run` does the same for any finished run, e.g. to backfill history.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse
from uuid import NAMESPACE_URL, UUID, uuid5

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import RunState
from openlineage.client.generated.base import RunFacet
from openlineage.client.transport import Transport

from lineage.integrations.emit import DatasetRef, openlineage_client
from lineage.integrations.runs import RunEmitter, error_facet, ml_job
from lineage.integrations.training import TrainingRun

log = logging.getLogger(__name__)

JOB_NAMESPACE = "mlflow"
ENV_FLAG = "LINEAGE_MLFLOW_AUTOLOG"

_STATES = {"FINISHED": RunState.COMPLETE, "FAILED": RunState.FAIL, "KILLED": RunState.ABORT}


def emit_run(
    mlflow_run_id: str,
    *,
    client: OpenLineageClient | None = None,
    transport: Transport | None = None,
    url: str | None = None,
    api_key: str | None = None,
    tracking_uri: str | None = None,
    namespace: str = JOB_NAMESPACE,
    model_namespace: str | None = None,
) -> list[dict[str, Any]]:
    """Emit START and the final event (COMPLETE, FAIL or ABORT) of a finished MLflow run.

    Returns a summary of each event sent. The run id is the MLflow run id as a UUID.
    ``model_namespace`` defaults to ``mlflow://<registry host>`` (``mlflow://local`` for a
    file or local registry).
    """
    import mlflow
    from mlflow.tracking import MlflowClient

    tracking = MlflowClient(tracking_uri=tracking_uri)
    run = tracking.get_run(mlflow_run_id)
    experiment = tracking.get_experiment(run.info.experiment_id)
    registry_ns = model_namespace or _registry_namespace(mlflow.get_registry_uri())
    inputs = [_input(di.dataset) for di in (run.inputs.dataset_inputs if run.inputs else [])]
    training = TrainingRun(_run_uuid(mlflow_run_id), namespace, experiment.name, inputs)
    metrics = dict(run.data.metrics)
    params = dict(run.data.params)
    registered: set[str] = set()
    for mv in tracking.search_model_versions(f"run_id='{mlflow_run_id}'"):
        info = _model_info(f"models:/{mv.name}/{mv.version}")
        registered.add(str(getattr(mv, "model_id", "") or mv.source))
        training.log_model(
            mv.name,
            str(mv.version),
            _framework(info),
            metrics,
            params,
            namespace=registry_ns,
            features=_features(info, training),
            registry_uri=f"models:/{mv.name}/{mv.version}",
        )
    outputs = getattr(run, "outputs", None)
    for output in getattr(outputs, "model_outputs", None) or []:
        if output.model_id in registered:
            continue
        logged = tracking.get_logged_model(output.model_id)
        info = _model_info(logged.model_uri)
        training.log_model(
            f"{experiment.name}/{logged.name}",
            output.model_id,
            _framework(info),
            metrics,
            params,
            namespace=registry_ns,
            features=_features(info, training),
            registry_uri=logged.model_uri,
        )

    sink = openlineage_client(client, transport, url, api_key)
    emitter = RunEmitter(
        sink, ml_job(namespace, experiment.name, "TRAINING", "MLFLOW"), training.run_id
    )
    final = _STATES.get(run.info.status, RunState.RUNNING)
    started = _time(run.info.start_time)
    ended = _time(run.info.end_time) if run.info.end_time else datetime.now(UTC)
    sent: list[dict[str, Any]] = []
    for state, at in ((RunState.START, started), (final, ended)):
        facets: dict[str, RunFacet] = {}
        if state is RunState.FAIL:
            facets["errorMessage"] = error_facet(RuntimeError(f"MLflow run {mlflow_run_id} failed"))
        inputs_now, outputs_now = training.datasets(state)
        emitter.emit(state, at, inputs_now, outputs_now, facets)
        sent.append(
            {"eventType": state.value, "runId": training.run_id, "outputs": len(outputs_now)}
        )
    return sent


_installed: dict[str, Any] = {}


def autolog(
    *,
    client: OpenLineageClient | None = None,
    transport: Transport | None = None,
    url: str | None = None,
    api_key: str | None = None,
    model_namespace: str | None = None,
) -> None:
    """Emit every MLflow run of this process when it ends (idempotent; the last call's
    destination wins). Failures to emit are logged, never raised into the training code."""
    import mlflow
    import mlflow.tracking.fluent as fluent
    from mlflow.tracking import MlflowClient

    options = {
        "client": client,
        "transport": transport,
        "url": url,
        "api_key": api_key,
        "model_namespace": model_namespace,
    }
    if _installed:
        _installed["options"] = options
        return
    _installed["options"] = options
    original_end: Callable[..., Any] = fluent.end_run
    original_register: Callable[..., Any] = MlflowClient.create_model_version

    def end_run(*args: Any, **kwargs: Any) -> Any:
        active = mlflow.active_run()
        result = original_end(*args, **kwargs)
        if active is not None:
            _emit_quietly(active.info.run_id)
        return result

    def create_model_version(self: Any, *args: Any, **kwargs: Any) -> Any:
        version = original_register(self, *args, **kwargs)
        rid = getattr(version, "run_id", None)
        if rid:
            run = self.get_run(rid)
            if run.info.status in _STATES:  # registered after its run ended
                _emit_quietly(rid)
        return version

    fluent.end_run = end_run
    mlflow.end_run = end_run
    MlflowClient.create_model_version = create_model_version  # type: ignore[method-assign]
    _installed["originals"] = (original_end, original_register)


def disable() -> None:
    """Undo :func:`autolog`."""
    import mlflow
    import mlflow.tracking.fluent as fluent
    from mlflow.tracking import MlflowClient

    if "originals" not in _installed:
        return
    original_end, original_register = _installed["originals"]
    fluent.end_run = original_end
    mlflow.end_run = original_end
    MlflowClient.create_model_version = original_register  # type: ignore[method-assign]
    _installed.clear()


def _emit_quietly(mlflow_run_id: str) -> None:
    options = _installed.get("options", {})
    try:
        emit_run(mlflow_run_id, **options)
    except Exception:
        log.warning("lineage: could not emit MLflow run %s", mlflow_run_id, exc_info=True)


class LineageRunContext:
    """The ``mlflow.run_context_provider`` plugin: turns :func:`autolog` on when
    ``LINEAGE_MLFLOW_AUTOLOG`` is true. It adds no tags to runs."""

    def in_context(self) -> bool:
        if os.environ.get(ENV_FLAG, "").lower() in ("1", "true", "yes", "on"):
            autolog()
        return False

    def tags(self) -> dict[str, str]:
        return {}


# -- reading MLflow's records -----------------------------------------------------------


def _run_uuid(mlflow_run_id: str) -> str:
    try:
        return str(UUID(hex=mlflow_run_id))
    except ValueError:
        return str(uuid5(NAMESPACE_URL, f"mlflow-run:{mlflow_run_id}"))


def _time(millis: int | None) -> datetime:
    if not millis:
        return datetime.now(UTC)
    return datetime.fromtimestamp(millis / 1000, UTC)


def _registry_namespace(uri: str | None) -> str:
    parsed = urlparse(uri or "")
    host = parsed.netloc if parsed.scheme not in ("", "file", "sqlite") else ""
    return f"mlflow://{host or 'local'}"


def _input(dataset: Any) -> DatasetRef:
    """An MLflow dataset as an OpenLineage dataset: identity from its source (naming spec),
    version = its digest, schema from its ``mlflow_colspec``."""
    namespace, name = _identity(dataset)
    fields: dict[str, str | None] | None = None
    try:
        colspec = json.loads(dataset.schema or "{}").get("mlflow_colspec")
    except ValueError:
        colspec = None
    if isinstance(colspec, list):
        fields = {
            str(c["name"]): c.get("type") for c in colspec if isinstance(c, Mapping) and "name" in c
        }
    return DatasetRef(namespace, name, dataset.digest or None, fields)


def _identity(dataset: Any) -> tuple[str, str]:
    try:
        source = json.loads(dataset.source or "{}")
    except ValueError:
        source = {}
    uri = next(
        (source[k] for k in ("uri", "url", "path") if isinstance(source, dict) and source.get(k)),
        None,
    )
    if not uri:
        return ("mlflow-dataset", dataset.name)
    parsed = urlparse(str(uri))
    if parsed.scheme in ("", "file"):
        return ("file", parsed.path or str(uri))
    if parsed.netloc:
        return (f"{parsed.scheme}://{parsed.netloc}", parsed.path.lstrip("/"))
    return (parsed.scheme, parsed.path)


def _model_info(uri: str) -> Any:
    from mlflow.models import get_model_info

    try:
        return get_model_info(uri)
    except Exception:  # an unreadable artifact leaves framework and features unknown
        log.debug("lineage: no model info for %s", uri, exc_info=True)
        return None


def _framework(info: Any) -> str | None:
    flavors = [f for f in (getattr(info, "flavors", None) or {}) if f != "python_function"]
    return flavors[0] if flavors else None


def _features(info: Any, run: TrainingRun) -> list[str] | None:
    """The model signature's input columns that an input dataset of the run has."""
    signature = getattr(info, "signature", None)
    if signature is None or signature.inputs is None:
        return None
    try:
        wanted = [str(n) for n in signature.inputs.input_names()]
    except Exception:
        return None
    known = {c for d in run.inputs if d.fields for c in d.fields}
    found = [c for c in wanted if c in known]
    return found or None
