"""Prometheus metrics, one registry per app so several apps can live in one process."""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        # CPU seconds, resident memory, open files and the Python version of this process.
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self.graphql_seconds = Histogram(
            "lineage_graphql_seconds",
            "Time to execute one GraphQL operation, by operation type, first top-level field "
            "and outcome.",
            ["operation", "field", "outcome"],
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self.accepted = Counter("lineage_events_accepted", "Events stored.", registry=self.registry)
        self.rejected = Counter(
            "lineage_events_rejected",
            "Events refused, by reason.",
            ["reason"],
            registry=self.registry,
        )
        self.ingest_seconds = Histogram(
            "lineage_ingest_seconds",
            "Time to handle one ingest request, from body read to answer.",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.store_write_seconds = Histogram(
            "lineage_store_write_seconds",
            "Time the store took to durably write one batch.",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
            registry=self.registry,
        )
        self.requests_per_transaction = Histogram(
            "lineage_requests_per_transaction",
            "Ingest requests written together in one store transaction (group commit).",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128),
            registry=self.registry,
        )
