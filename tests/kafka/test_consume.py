"""`lineage consume`: the OpenLineage KafkaTransport's messages, read from a real Kafka.

Every stream here is produced by the openlineage-python client's own KafkaTransport (the
captured dbt-ol and Airflow streams, and events built with the client's classes), so the
messages, keys included, are the ones producers write.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import parent_run
from openlineage.client.serde import Serde
from openlineage.client.transport.kafka import KafkaConfig, KafkaTransport

from lineage.consume import REASON_HEADER, KafkaOptions, LineageConsumer
from lineage.ingest import prepare, write
from lineage.store import GraphStore, IngestItem, open_store
from lineage.store.embedded import EmbeddedStore
from tests.conftest import StoreFactory, graph_diff
from tests.graph.test_captured_streams import events, picture

STREAMS = ("dbt_classic_dev.jsonl", "dbt_classic_dev_failures.jsonl", "airflow_sqlite_sql.jsonl")


def produce(kafka: str, topic: str, stream: Sequence[Any]) -> None:
    """Send events through the client's KafkaTransport, as a producer configured for Kafka."""
    transport = KafkaTransport(
        KafkaConfig(config={"bootstrap.servers": kafka, "acks": "all"}, topic=topic, flush=False)
    )
    for event in stream:
        transport.emit(event)
    assert transport.close(30), "the producer could not deliver every message"


def as_sent(stream: Sequence[Any]) -> list[dict[str, Any]]:
    """The events as the transport encodes them (what a message carries)."""
    return [orjson.loads(Serde.to_json(event)) for event in stream]


def client_events(name: str = "daily_orders") -> list[RunEvent]:
    """A parent run and its child, built with the client's classes: the transport keys both
    by the parent's job, so they stay in order on one partition."""
    parent = Run(runId=str(uuid.uuid4()))
    parent_job = Job(namespace="airflow", name=name)
    child = Run(
        runId=str(uuid.uuid4()),
        facets={
            "parent": parent_run.ParentRunFacet(
                run=parent_run.Run(runId=parent.runId),
                job=parent_run.Job(namespace="airflow", name=name),
            )
        },
    )
    child_job = Job(namespace="airflow", name=f"{name}.load")
    now = datetime.now(UTC)
    produced = []
    for offset, (state, run, job) in enumerate(
        [
            (RunState.START, parent, parent_job),
            (RunState.START, child, child_job),
            (RunState.COMPLETE, child, child_job),
            (RunState.COMPLETE, parent, parent_job),
        ]
    ):
        produced.append(
            RunEvent(
                eventType=state,
                eventTime=now.replace(microsecond=offset).isoformat(),
                run=run,
                job=job,
                producer="https://example.com/tests",
                inputs=[InputDataset(namespace="postgres://db:5432", name="shop.public.orders")]
                if job is child_job
                else [],
                outputs=[OutputDataset(namespace="postgres://db:5432", name="shop.public.daily")]
                if job is child_job
                else [],
            )
        )
    return produced


def reference_picture(tmp_path: Path, stream: Sequence[dict[str, Any]]) -> Any:
    """The graph the same events give when posted over HTTP (the same ingest path)."""
    reference = EmbeddedStore(tmp_path / "reference.db")
    try:
        write(reference, [prepare(e) for e in stream])
        return picture(reference)
    finally:
        reference.close()


def consume_all(store: GraphStore, options: KafkaOptions, **kwargs: Any) -> LineageConsumer:
    consumer = LineageConsumer(store, options, **kwargs)
    try:
        consumer.run(max_idle=3)
    finally:
        consumer.close()
    return consumer


def test_the_transports_streams_build_the_graph_they_build_over_http(
    kafka: str, new_topic: Callable[[int], str], store_factory: StoreFactory, tmp_path: Path
) -> None:
    topic = new_topic(3)
    stream: list[Any] = [e for name in STREAMS for e in events(name)] + client_events()
    produce(kafka, topic, stream)
    store = store_factory()
    consumer = consume_all(
        store, KafkaOptions(kafka, [topic], group_id=f"g-{topic}", batch_size=25)
    )
    sent = as_sent(stream)
    differences = graph_diff(reference_picture(tmp_path, sent), picture(store))
    assert not differences, "\n".join(differences[:10])
    assert store.count()["events"] == len(sent)
    assert consumer.metrics.consumed._value.get() == len(sent)


class Crash(Exception):
    """The consumer dies after the store committed a batch, before Kafka did."""


def test_a_batch_read_again_after_a_crash_is_stored_once(
    kafka: str, new_topic: Callable[[int], str], tmp_path: Path
) -> None:
    topic = new_topic(1)
    stream = events("dbt_classic_dev.jsonl")
    produce(kafka, topic, stream)
    store = EmbeddedStore(tmp_path / "lineage.db")
    options = KafkaOptions(kafka, [topic], group_id=f"g-{topic}", batch_size=10)
    writes = 0

    def write_then_crash(items: Sequence[IngestItem]) -> None:
        nonlocal writes
        write(store, items)
        writes += 1
        if writes == 2:
            raise Crash

    crashed = LineageConsumer(store, options, writer=write_then_crash)
    with pytest.raises(Crash):
        crashed.run()
    crashed.close()
    assert store.count()["events"] == 20  # two batches stored, only the first committed
    consume_all(store, options)
    sent = as_sent(stream)
    assert store.count()["events"] == len(sent)
    assert not graph_diff(reference_picture(tmp_path, sent), picture(store))
    store.close()


def test_a_consumer_killed_mid_stream_and_restarted_stores_every_event_once(
    kafka: str, new_topic: Callable[[int], str], tmp_path: Path
) -> None:
    topic = new_topic(1)
    stream = [e for name in (*STREAMS, "dbt_classic_dev_structured.jsonl") for e in events(name)]
    produce(kafka, topic, stream)
    url = f"sqlite:///{tmp_path / 'lineage.db'}"
    # One event a transaction, so that the kill lands mid-stream.
    env = {
        **os.environ,
        "LINEAGE_KAFKA_BOOTSTRAP_SERVERS": kafka,
        "LINEAGE_KAFKA_BATCH_SIZE": "1",
        # The killed consumer's place in the group is given up after its session (the
        # broker's shortest) instead of librdkafka's default 45 s.
        "LINEAGE_KAFKA_CONFIG": '{"session.timeout.ms": 6000}',
    }
    command = [sys.executable, "-m", "lineage.cli", "consume", "--store", url, "--topic", topic]
    command += ["--group", f"g-{topic}"]
    log = (tmp_path / "consume.log").open("wb")
    first = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    stored = 0
    while stored < 5 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.02)
        try:  # the consumer may still be creating the file's tables
            reader = open_store(url, read_only=True)
        except Exception:
            continue
        stored = reader.count()["events"]
        reader.close()
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert 0 < stored < len(stream), f"killed after {stored} of {len(stream)} events"
    second = subprocess.run(
        [*command, "--max-idle", "3"], env=env, stdout=log, stderr=subprocess.STDOUT, timeout=120
    )
    assert second.returncode == 0, (tmp_path / "consume.log").read_text()
    store = open_store(url, read_only=True)
    sent = as_sent(stream)
    assert store.count()["events"] == len(sent)
    assert not graph_diff(reference_picture(tmp_path, sent), picture(store))
    store.close()


def test_two_consumers_in_one_group_split_the_partitions_and_store_everything_once(
    kafka: str, new_topic: Callable[[int], str], store_factory: StoreFactory, tmp_path: Path
) -> None:
    topic = new_topic(4)
    store = store_factory()
    options = KafkaOptions(kafka, [topic], group_id=f"g-{topic}", batch_size=5)
    consumers = [LineageConsumer(store, options) for _ in range(2)]
    threads = [threading.Thread(target=c.run, kwargs={"max_idle": 5}) for c in consumers]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while not all(c.partitions for c in consumers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assigned = [c.partitions for c in consumers]
    assert all(assigned) and not assigned[0] & assigned[1], assigned
    # Many jobs, so that the transport's job keys spread over the four partitions.
    stream = [e for i in range(8) for e in client_events(f"daily_{i}")]
    produce(kafka, topic, stream)
    for thread in threads:
        thread.join(120)
    counts = [c.metrics.consumed._value.get() for c in consumers]
    for consumer in consumers:
        consumer.close()
    assert sum(counts) == len(stream)
    assert all(count > 0 for count in counts), f"one consumer got no partition: {counts}"
    sent = as_sent(stream)
    assert store.count()["events"] == len(sent)
    assert not graph_diff(reference_picture(tmp_path, sent), picture(store))


def test_an_invalid_message_goes_to_the_dead_letter_topic_with_its_reason(
    kafka: str, new_topic: Callable[[int], str], tmp_path: Path
) -> None:
    from confluent_kafka import Consumer, Producer

    topic, dead = new_topic(1), new_topic(1)
    good = events("airflow_sqlite_sql.jsonl")
    producer = Producer({"bootstrap.servers": kafka})
    producer.produce(topic, value=orjson.dumps(good[0]))
    producer.produce(topic, key=b"run:x/y", value=b"{not json")
    producer.produce(topic, value=orjson.dumps({**good[1], "eventTime": "yesterday"}))
    producer.produce(topic, value=orjson.dumps(good[1]))
    assert producer.flush(30) == 0
    store = EmbeddedStore(tmp_path / "lineage.db")
    consumer = consume_all(
        store, KafkaOptions(kafka, [topic], group_id=f"g-{topic}", dead_letter_topic=dead)
    )
    assert store.count()["events"] == 2, "the valid events around the bad ones are stored"
    assert consumer.metrics.dead_lettered._value.get() == 2
    reader = Consumer(
        {"bootstrap.servers": kafka, "group.id": f"r-{dead}", "auto.offset.reset": "earliest"}
    )
    reader.subscribe([dead])
    letters = []
    deadline = time.monotonic() + 30
    while len(letters) < 2 and time.monotonic() < deadline:
        message = reader.poll(1)
        if message is not None and message.error() is None:
            letters.append(message)
    reader.close()
    reasons = [dict(m.headers() or [])[REASON_HEADER].decode() for m in letters]
    assert "not JSON" in reasons[0]
    assert letters[0].key() == b"run:x/y" and letters[0].value() == b"{not json"
    assert "eventTime" in reasons[1]
    store.close()
