"""Kafka ingest: OpenLineage events read from topics into the store, at least once.

The messages are the ones the OpenLineage clients' ``KafkaTransport`` writes: one event as
JSON per message, keyed by job (``run:<namespace>/<name>``) so that a job's events keep their
order within a partition. A batch of messages is parsed, its valid events are written to the
store in one transaction, its invalid ones are sent to the dead-letter topic with the reason
in their headers, and only then are the batch's offsets committed. A consumer killed before
the commit reads the batch again after its restart; writing an event twice changes nothing in
the graph, so the store ends up with every event exactly once.

Several consumers with one group id split the topics' partitions between them (Kafka's
consumer groups); each writes to the same store (for several processes, a Neo4j store).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from lineage.events import EventValidationError, Problem
from lineage.events.limits import DEFAULT_LIMITS, EventLimits
from lineage.ingest import prepare, write
from lineage.store.base import GraphStore, IngestItem, StoreUnavailable

if TYPE_CHECKING:
    from confluent_kafka import Consumer, Message, Producer

log = logging.getLogger("lineage.consume")

REASON_HEADER = "lineage.error"
# Seconds a consumer with max_idle waits for the group to give it partitions at all.
JOIN_GRACE = 90.0


class ConsumeError(Exception):
    """The consumer cannot go on (Kafka refused its configuration, the dead-letter topic
    cannot be written): the message says what to fix."""


@dataclass(frozen=True)
class KafkaOptions:
    bootstrap_servers: str
    topics: Sequence[str]
    group_id: str = "lineage"
    dead_letter_topic: str | None = "openlineage.dead-letter"
    batch_size: int = 500
    batch_timeout: float = 1.0
    # Passed through to librdkafka as given: security.protocol, sasl.*, ssl.* ...
    config: dict[str, Any] = field(default_factory=dict)


class ConsumerMetrics:
    """What `/metrics` shows of a consumer: lag, batch sizes, write latency, rejects."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.consumed = Counter(
            "lineage_kafka_events_consumed",
            "Events read from Kafka and stored.",
            registry=self.registry,
        )
        self.dead_lettered = Counter(
            "lineage_kafka_events_dead_lettered",
            "Messages that were not valid OpenLineage, sent to the dead-letter topic.",
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "lineage_kafka_batch_size",
            "Messages in one consumed batch.",
            buckets=(1, 10, 50, 100, 250, 500, 1000, 2500, 5000),
            registry=self.registry,
        )
        self.write_seconds = Histogram(
            "lineage_kafka_write_seconds",
            "Time to store one consumed batch (parse, write, dead letters, offset commit).",
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.lag = Gauge(
            "lineage_kafka_lag",
            "Messages in the partition not yet consumed by this consumer.",
            ["topic", "partition"],
            registry=self.registry,
        )


@dataclass(slots=True)
class BatchResult:
    messages: int = 0
    stored: int = 0
    dead_lettered: int = 0


def _where(message: Message) -> tuple[str, int, int]:
    """A consumed message's topic, partition and offset (always set on one without error)."""
    topic, partition, offset = message.topic(), message.partition(), message.offset()
    assert topic is not None and partition is not None and offset is not None
    return topic, partition, offset


def _kafka() -> Any:
    try:
        import confluent_kafka
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ConsumeError(
            "Kafka ingest needs the confluent-kafka package: pip install 'lineage[kafka]'"
        ) from exc
    return confluent_kafka


def parse_message(value: bytes | None, limits: EventLimits = DEFAULT_LIMITS) -> IngestItem:
    """One message's event, or EventValidationError naming what is wrong with it."""
    if not value:
        raise EventValidationError([Problem("$", "the message is empty; expected one event")])
    try:
        raw = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise EventValidationError([Problem("$", f"the message is not JSON: {exc}")]) from exc
    if not isinstance(raw, dict):
        raise EventValidationError(
            [Problem("$", "expected one OpenLineage event (a JSON object) per message")]
        )
    return prepare(raw, value, limits=limits)


class LineageConsumer:
    """Reads batches from Kafka into a store; see the module's docstring for the guarantees."""

    def __init__(
        self,
        store: GraphStore,
        options: KafkaOptions,
        *,
        metrics: ConsumerMetrics | None = None,
        writer: Callable[[Sequence[IngestItem]], None] | None = None,
        limits: EventLimits = DEFAULT_LIMITS,
    ) -> None:
        kafka = _kafka()
        self.store = store
        self.options = options
        self.metrics = metrics or ConsumerMetrics()
        self.limits = limits
        self._write = writer or (lambda items: write(store, items))
        common = {"bootstrap.servers": options.bootstrap_servers, **options.config}
        try:
            self._consumer: Consumer = kafka.Consumer(
                {
                    **common,
                    "group.id": options.group_id,
                    "enable.auto.commit": False,
                    "enable.auto.offset.store": False,
                    "auto.offset.reset": "earliest",
                    "enable.partition.eof": False,
                }
            )
            self._producer: Producer | None = (
                kafka.Producer({**common, "enable.idempotence": True, "acks": "all"})
                if options.dead_letter_topic
                else None
            )
        except kafka.KafkaException as exc:
            raise ConsumeError(f"Kafka refused the consumer's configuration: {exc}") from exc
        self.partitions: frozenset[tuple[str, int]] = frozenset()
        self._consumer.subscribe(
            list(options.topics), on_assign=self._assigned, on_revoke=self._revoked
        )
        self._stop = threading.Event()

    def _assigned(self, _consumer: Any, partitions: list[Any]) -> None:
        self.partitions = self.partitions | {(p.topic, p.partition) for p in partitions}
        log.info("assigned %s", sorted(self.partitions))

    def _revoked(self, _consumer: Any, partitions: list[Any]) -> None:
        self.partitions = self.partitions - {(p.topic, p.partition) for p in partitions}

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self._consumer.close()
        if self._producer is not None:
            self._producer.flush(10)

    def run(self, *, max_idle: float | None = None, retry_after: float = 1.0) -> None:
        """Consume until stop() (or, with max_idle, until no message came for that long).

        While the store is unavailable the batch is read again after ``retry_after``
        seconds: nothing is committed that was not stored."""
        started = idle_since = time.monotonic()
        while not self._stop.is_set():
            try:
                result = self.poll_batch()
            except StoreUnavailable as exc:
                log.warning("store unavailable, retrying the batch: %s", exc)
                self._stop.wait(retry_after)
                continue
            now = time.monotonic()
            if result.messages:
                idle_since = now
            elif not self.partitions:
                # Not idle but waiting for partitions: a group rebalances (and waits out a
                # dead member's session) before it hands them out.
                idle_since = now
                if max_idle is not None and now - started >= max_idle + JOIN_GRACE:
                    return
            elif max_idle is not None and now - idle_since >= max_idle:
                return

    def poll_batch(self) -> BatchResult:
        """Read one batch, store it, dead-letter what is invalid, then commit its offsets."""
        messages = self._consumer.consume(
            num_messages=self.options.batch_size, timeout=self.options.batch_timeout
        )
        result = BatchResult()
        if not messages:
            self._observe_lag()
            return result
        started = time.perf_counter()
        kafka = _kafka()
        items: list[IngestItem] = []
        rejects: list[tuple[Message, str]] = []
        for message in messages:
            error = message.error()
            if error is not None:
                if error.fatal():
                    raise ConsumeError(f"Kafka consumer failed: {error}")
                log.warning("Kafka reported: %s", error)
                continue
            result.messages += 1
            try:
                items.append(parse_message(message.value(), self.limits))
            except EventValidationError as exc:
                reason = "; ".join(f"{p.path}: {p.message}" for p in exc.problems)
                rejects.append((message, reason))
        try:
            if items:
                self._write(items)
        except StoreUnavailable:
            self._rewind(messages)
            raise
        if rejects:
            self._dead_letter(rejects)
        offsets: dict[tuple[str, int], int] = {}
        for message in messages:
            if message.error() is None:
                topic, partition, offset = _where(message)
                key = (topic, partition)
                offsets[key] = max(offsets.get(key, -1), offset + 1)
        self._consumer.commit(
            offsets=[kafka.TopicPartition(t, p, o) for (t, p), o in sorted(offsets.items())],
            asynchronous=False,
        )
        result.stored = len(items)
        result.dead_lettered = len(rejects)
        self.metrics.consumed.inc(len(items))
        self.metrics.dead_lettered.inc(len(rejects))
        self.metrics.batch_size.observe(result.messages)
        self.metrics.write_seconds.observe(time.perf_counter() - started)
        self._observe_lag()
        return result

    def _rewind(self, messages: Sequence[Message]) -> None:
        """Seek each partition back to the batch's first message, to read it again."""
        kafka = _kafka()
        first: dict[tuple[str, int], int] = {}
        for message in messages:
            if message.error() is None:
                topic, partition, offset = _where(message)
                first[(topic, partition)] = min(first.get((topic, partition), offset), offset)
        for (topic, partition), offset in first.items():
            self._consumer.seek(kafka.TopicPartition(topic, partition, offset))

    def _dead_letter(self, rejects: Sequence[tuple[Message, str]]) -> None:
        if self._producer is None or not self.options.dead_letter_topic:
            for message, reason in rejects:
                log.warning(
                    "dropped invalid message %s[%d]@%d: %s",
                    message.topic(),
                    message.partition(),
                    message.offset(),
                    reason,
                )
            return
        failures: list[str] = []

        def delivered(error: Any, _message: Any) -> None:
            if error is not None:
                failures.append(str(error))

        for message, reason in rejects:
            self._producer.produce(
                self.options.dead_letter_topic,
                value=message.value(),
                key=message.key(),
                headers=[
                    (REASON_HEADER, reason.encode()),
                    ("lineage.source.topic", str(message.topic()).encode()),
                    ("lineage.source.partition", str(message.partition()).encode()),
                    ("lineage.source.offset", str(message.offset()).encode()),
                ],
                on_delivery=delivered,
            )
        remaining = self._producer.flush(30)
        if remaining or failures:
            # Not committing keeps the invalid messages where they are: they are read (and
            # dead-lettered) again, never lost.
            self._rewind([m for m, _ in rejects])
            raise ConsumeError(
                f"could not write {remaining or len(failures)} message(s) to the dead-letter "
                f"topic {self.options.dead_letter_topic!r}: {failures[:1] or 'timed out'}"
            )

    def _observe_lag(self) -> None:
        try:
            assignment = self._consumer.assignment()
            if not assignment:
                return
            for position in self._consumer.position(assignment):
                _low, high = self._consumer.get_watermark_offsets(position, cached=True)
                if position.offset >= 0 and high >= 0:
                    self.metrics.lag.labels(position.topic, str(position.partition)).set(
                        max(0, high - position.offset)
                    )
        except Exception as exc:  # lag is a metric: never stop consuming over it
            log.debug("could not read consumer lag: %s", exc)
