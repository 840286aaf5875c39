"""Producers for ML lineage: training runs, deployments and monitors as OpenLineage runs.

Everything here emits standard OpenLineage events through the openlineage-python client,
with the project's custom facets (``lineage_model``, ``lineage_deployment``,
``lineage_drift``; schemas in ``schema/facets/``). See ``integrations/README.md``.
"""

from lineage.integrations.deployment import emit_deployment
from lineage.integrations.emit import DatasetRef, NoDestination, openlineage_client
from lineage.integrations.monitor import report_drift
from lineage.integrations.training import TrainingRun, training_run
from lineage.integrations.transport import RecordingTransport, StoreTransport

__all__ = [
    "DatasetRef",
    "NoDestination",
    "RecordingTransport",
    "StoreTransport",
    "TrainingRun",
    "emit_deployment",
    "openlineage_client",
    "report_drift",
    "training_run",
]
