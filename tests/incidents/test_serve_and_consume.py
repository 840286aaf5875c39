"""Servers and a Kafka consumer writing one Neo4j decide incidents as one process would.

Two `lineage serve` processes and one `lineage consume` process share one Neo4j. The captured
producer streams of test_several_writers (dbt-ol and Airflow, passing and failing runs) are
split into three interleaved parts, sent at the same time the ways producers send them: one
part to each server by the openlineage-python client's HttpTransport (one event a request),
the third to the topic the consumer reads by its KafkaTransport. The graph and its incidents
are those a single writer builds from the whole stream, and no two incidents share a number.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import orjson
from openlineage.client.serde import Serde
from openlineage.client.transport.http import HttpConfig, HttpTransport
from openlineage.client.transport.kafka import KafkaConfig, KafkaTransport
from openlineage.client.transport.transport import Transport
from prometheus_client.parser import text_string_to_metric_families

from lineage.graph.model import NodeKind
from lineage.ingest import prepare, write
from lineage.store.embedded import EmbeddedStore
from tests.conftest import graph_diff, snapshot
from tests.e2e.server import Server, free_port
from tests.graph.test_captured_streams import events
from tests.incidents.test_several_writers import STREAMS, neo4j_url, without_order

# A guard against a hung process, not a measure of speed.
PATIENCE = 600.0


def send_all(transport: Transport, part: Sequence[dict[str, Any]]) -> None:
    for event in part:
        transport.emit(event)
    transport.close(60)


def consumer_counts(metrics_url: str) -> dict[str, float]:
    """The consumer's stored and dead-lettered counts, read from its /metrics."""
    text = httpx.get(metrics_url, timeout=5).text
    counts = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in (
                "lineage_kafka_events_consumed_total",
                "lineage_kafka_events_dead_lettered_total",
            ):
                counts[sample.name] = sample.value
    return counts


def joined(kafka: str, group: str, consumer: subprocess.Popen[bytes], log: Path) -> None:
    """Wait until the consumer's group is stable with every partition assigned."""
    from confluent_kafka import ConsumerGroupState
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": kafka})
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        assert consumer.poll() is None, log.read_text()[-3000:]
        try:
            group_state = admin.describe_consumer_groups([group])[group].result(10)
        except Exception:  # the group is not there yet
            group_state = None
        stable = group_state is not None and group_state.state == ConsumerGroupState.STABLE
        if stable and sum(len(m.assignment.topic_partitions) for m in group_state.members) == 3:
            return
        time.sleep(0.2)
    raise AssertionError(f"the consumer did not join its group:\n{log.read_text()[-3000:]}")


def test_two_servers_and_a_consumer_on_one_neo4j_decide_incidents_as_one_writer(
    kafka: str, new_topic: Callable[[int], str], tmp_path: Path
) -> None:
    url = neo4j_url()
    from lineage.store.neo4j import Neo4jStore

    stream = [e for name in STREAMS for e in events(name)]
    # The events as both transports encode them (what a request or a message carries).
    sent = [orjson.loads(Serde.to_json(e)) for e in stream]
    reference = EmbeddedStore(tmp_path / "reference.db")
    for event in sent:
        write(reference, [prepare(event)])
    want = without_order(snapshot(reference))
    stored_events = reference.count()["events"]
    reference.close()

    Neo4jStore(url, reset_for_tests=True).close()
    topic, dead = new_topic(3), new_topic(1)
    metrics_port = free_port()
    consumer_log = (tmp_path / "consume.log").open("wb")
    command = [sys.executable, "-m", "lineage.cli", "consume", "--store", url, "--topic", topic]
    command += ["--group", f"g-{topic}", "--metrics-port", str(metrics_port)]
    consumer = subprocess.Popen(
        command,
        env={
            **os.environ,
            "LINEAGE_KAFKA_BOOTSTRAP_SERVERS": kafka,
            "LINEAGE_KAFKA_DEAD_LETTER_TOPIC": dead,
            # Small batches, so that its writes interleave with the servers'.
            "LINEAGE_KAFKA_BATCH_SIZE": "5",
        },
        stdout=consumer_log,
        stderr=subprocess.STDOUT,
    )
    servers = [Server(url, tmp_path / f"serve-{i}.log") for i in (0, 1)]
    try:
        for server in servers:
            server.start()
        assert servers[0].port != servers[1].port
        # The consumer writes while the servers do: it has its partitions before anything is sent.
        joined(kafka, f"g-{topic}", consumer, tmp_path / "consume.log")
        transports: list[Transport] = [
            HttpTransport(HttpConfig(url=server.url, timeout=120)) for server in servers
        ]
        transports.append(
            KafkaTransport(
                KafkaConfig(
                    config={"bootstrap.servers": kafka, "acks": "all"}, topic=topic, flush=True
                )
            )
        )
        parts = [stream[i::3] for i in range(3)]
        failures: list[BaseException] = []

        def run(transport: Transport, part: Sequence[dict[str, Any]]) -> None:
            try:
                send_all(transport, part)
            except BaseException as exc:  # reported by the test's thread
                failures.append(exc)

        senders = [
            threading.Thread(target=run, args=(transport, part))
            for transport, part in zip(transports, parts, strict=True)
        ]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(PATIENCE)
        assert not any(s.is_alive() for s in senders), "a sender did not finish"
        assert not failures, failures

        # The servers answered each request once it was stored; the consumer has stored its
        # part once its counter says so.
        metrics = f"http://127.0.0.1:{metrics_port}/metrics"
        deadline = time.monotonic() + PATIENCE
        counts: dict[str, float] = {}
        while time.monotonic() < deadline and consumer.poll() is None:
            try:
                counts = consumer_counts(metrics)
            except httpx.HTTPError:
                counts = {}
            if counts.get("lineage_kafka_events_consumed_total", 0) >= len(parts[2]):
                break
            time.sleep(0.2)
        assert consumer.poll() is None, (tmp_path / "consume.log").read_text()[-3000:]
        assert counts.get("lineage_kafka_events_consumed_total") == len(parts[2]), counts
        assert counts.get("lineage_kafka_events_dead_lettered_total") == 0, counts
    finally:
        for server in servers:
            server.stop()
        if consumer.poll() is None:
            consumer.send_signal(signal.SIGTERM)
            try:
                consumer.wait(30)
            except subprocess.TimeoutExpired:
                consumer.kill()
                consumer.wait(10)
        consumer_log.close()
    assert consumer.returncode == 0, (tmp_path / "consume.log").read_text()[-3000:]

    store = Neo4jStore(url)
    try:
        got = snapshot(store)
        assert store.count()["events"] == stored_events
    finally:
        store.close()
    differences = graph_diff(want, without_order(got))
    assert not differences, "\n".join(differences[:10])
    incidents = [props for _, kind, props in got[0] if kind == NodeKind.INCIDENT]
    assert incidents, "the failing runs and tests open incidents"
    numbers = [props["number"] for props in incidents]
    assert len(set(numbers)) == len(numbers), f"incident numbers repeat: {sorted(numbers)}"
