"""An openlineage-python transport that keeps the events it is given (dry runs, tests).

The transport that writes into a store in this process is the ingest path's:
:class:`lineage.ingest.transport.StoreTransport`.
"""

from __future__ import annotations

from typing import Any

from openlineage.client.serde import Serde
from openlineage.client.transport import Transport
from openlineage.client.transport.transport import Config


class RecordingTransport(Transport):
    """Keeps every event as JSON, sends nothing (for dry runs and tests)."""

    kind = "lineage_recording"
    config_class = Config

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.name = "lineage_recording"
        self.priority = 0

    def emit(self, event: Any) -> None:
        self.sent.append(Serde.to_dict(event))
