"""Producers for ML lineage: training runs, deployments and monitors as OpenLineage runs.

Everything here emits standard OpenLineage events through the openlineage-python client,
with the project's custom facets (``lineage_model``, ``lineage_deployment``,
``lineage_drift``; schemas in ``schema/facets/``). See ``integrations/README.md``.

Names are imported on first use, so that ``lineage``'s command line starts without
loading the client.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lineage.integrations.deployment import emit_deployment
    from lineage.integrations.emit import DatasetRef, NoDestination, openlineage_client
    from lineage.integrations.monitor import report_drift
    from lineage.integrations.training import TrainingRun, training_run
    from lineage.integrations.transport import RecordingTransport

_EXPORTS = {
    "DatasetRef": "emit",
    "NoDestination": "emit",
    "openlineage_client": "emit",
    "RecordingTransport": "transport",
    "TrainingRun": "training",
    "training_run": "training",
    "emit_deployment": "deployment",
    "report_drift": "monitor",
}

__all__ = [
    "DatasetRef",
    "NoDestination",
    "RecordingTransport",
    "TrainingRun",
    "emit_deployment",
    "openlineage_client",
    "report_drift",
    "training_run",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lineage.integrations' has no attribute {name!r}")
    return getattr(importlib.import_module(f"lineage.integrations.{module}"), name)
