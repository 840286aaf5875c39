"""An openlineage-python transport that writes into a store in this process.

It goes through the same ingest path as ``POST /api/v1/lineage`` (parse, validate, map,
write), so events sent through it build exactly the graph a server would build.
"""

from __future__ import annotations

from typing import Any

import orjson
from openlineage.client.serde import Serde
from openlineage.client.transport import Transport
from openlineage.client.transport.transport import Config

from lineage.events.limits import DEFAULT_LIMITS, EventLimits
from lineage.ingest import prepare, write
from lineage.store.base import GraphStore


class StoreTransport(Transport):
    """Writes each event into ``store`` with the incidents it opens or resolves, as the
    server does; raises ``EventValidationError`` for an invalid event (``EventTooLarge``
    for one over ``limits``).

    ``sent`` keeps every event written, as JSON, in order (the demo and tests read it).
    """

    kind = "lineage_store"
    config_class = Config

    def __init__(
        self, store: GraphStore, *, auto_resolve: bool = True, limits: EventLimits = DEFAULT_LIMITS
    ) -> None:
        self.store = store
        self.auto_resolve = auto_resolve
        self.limits = limits
        self.sent: list[dict[str, Any]] = []
        self.name = "lineage_store"
        self.priority = 0

    def emit(self, event: Any) -> None:
        raw = Serde.to_dict(event)
        item = prepare(raw, orjson.dumps(raw), self.limits)
        # The ingest path's write: incidents open and resolve as on a server.
        write(self.store, [item])
        self.sent.append(raw)
