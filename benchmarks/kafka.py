"""Kafka ingest benchmark: events/s through Kafka into a store, and end-to-end lag, as JSON.

    python benchmarks/kafka.py --bootstrap 127.0.0.1:9092
    python benchmarks/kafka.py --bootstrap 127.0.0.1:9092 --store neo4j://127.0.0.1:7687

Needs a running Kafka (``make kafka-start``). ``--store neo4j://...`` WIPES that database
before each workload: point it at a scratch server.

Workloads
- throughput: N synthetic warehouse events (benchmarks/synthetic.py) are produced to a fresh
  topic of 4 partitions, keyed by job as the OpenLineage KafkaTransport keys them; then 1
  and 2 consumers of one group (threads of this process, sharing the store) read them all.
  Reports events/s from the first poll to the last event stored.
- processes: the same, with 1 and 2 `lineage consume` PROCESSES of one group writing one
  store, as consumers are deployed. Each process opens the store and joins the group on the
  still empty topic; once the group has handed out all 4 partitions, the events are produced
  and timed from the first produced to the last stored (the processes' own counters, read at
  their /metrics). The embedded store takes one writing process, so with it only the single
  process runs; several processes need Neo4j (``--store neo4j://...``).
- lag: a producer sends at a steady rate for a while and one consumer keeps up; the number
  of produced-but-not-stored events is sampled every 100 ms. Reports its median and maximum,
  and the same in seconds at that rate.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.ingest import events, is_neo4j, store_url  # noqa: E402
from lineage.consume import KafkaOptions, LineageConsumer  # noqa: E402
from lineage.store import GraphStore, open_store  # noqa: E402


def new_topic(bootstrap: str, partitions: int) -> str:
    from confluent_kafka.admin import AdminClient, NewTopic

    name = f"bench-{uuid.uuid4().hex[:10]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, num_partitions=partitions)])[name].result(30)
    return name


def key(event: dict[str, Any]) -> bytes:
    job = event["job"]
    return f"run:{job['namespace']}/{job['name']}".encode()


def produce(bootstrap: str, topic: str, stream: list[dict[str, Any]]) -> None:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for event in stream:
        while True:
            try:
                producer.produce(topic, key=key(event), value=orjson.dumps(event))
                break
            except BufferError:
                producer.poll(0.1)
    assert producer.flush(60) == 0


def throughput(bootstrap: str, store: GraphStore, stream: list[dict[str, Any]], n: int) -> dict:
    topic = new_topic(bootstrap, 4)
    produce(bootstrap, topic, stream)
    options = KafkaOptions(bootstrap, [topic], group_id=f"g-{topic}", batch_size=500)
    consumers = [LineageConsumer(store, options) for _ in range(n)]
    before = store.count()["events"]
    started = time.perf_counter()
    threads = [threading.Thread(target=c.run, kwargs={"max_idle": 3}) for c in consumers]
    for thread in threads:
        thread.start()
    done_at = None
    assigned: list[int] = [0] * n
    while any(t.is_alive() for t in threads):
        assigned = [max(a, len(c.partitions)) for a, c in zip(assigned, consumers, strict=True)]
        if done_at is None and store.count()["events"] - before >= len(stream):
            done_at = time.perf_counter()
            for consumer in consumers:
                consumer.stop()
        time.sleep(0.05)
    for consumer in consumers:
        consumer.close()
    elapsed = (done_at or time.perf_counter()) - started
    stored = store.count()["events"] - before
    return {
        "consumers": n,
        "events": len(stream),
        "stored": stored,
        "seconds": round(elapsed, 2),
        "events_per_s": round(stored / elapsed, 1),
        "partitions_per_consumer": assigned,
        "load_average": os.getloadavg(),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def group_assignment(admin: Any, group: str) -> list[int]:
    """Partitions per member of a consumer group, once it is stable (else [])."""
    from confluent_kafka import ConsumerGroupState

    try:
        description = admin.describe_consumer_groups([group])[group].result(10)
    except Exception:  # the group does not exist yet
        return []
    if description.state != ConsumerGroupState.STABLE:
        return []
    return sorted(len(m.assignment.topic_partitions) for m in description.members)


def consumed(ports: list[int]) -> float:
    """Events the consumer processes stored, by their counters."""
    import urllib.request

    from prometheus_client.parser import text_string_to_metric_families

    total = 0.0
    for port in ports:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            text = answer.read().decode()
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == "lineage_kafka_events_consumed_total":
                    total += sample.value
    return total


def processes(bootstrap: str, url: str, stream: list[dict[str, Any]], n: int, log: Path) -> dict:
    """``n`` `lineage consume` processes of one group read a topic into the store at ``url``."""
    from confluent_kafka.admin import AdminClient

    topic = new_topic(bootstrap, 4)
    group = f"g-{topic}"
    ports = [free_port() for _ in range(n)]
    env = {
        **os.environ,
        # The consumers run this checkout's code, as the threads do.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        "LINEAGE_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "LINEAGE_KAFKA_BATCH_SIZE": "500",
        "LINEAGE_KAFKA_DEAD_LETTER_TOPIC": "",
    }
    command = [sys.executable, "-m", "lineage.cli", "consume", "--store", url]
    command += ["--topic", topic, "--group", group]
    output = log.open("ab")
    running = [
        subprocess.Popen(
            [*command, "--metrics-port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        for port in ports
    ]
    try:
        admin = AdminClient({"bootstrap.servers": bootstrap})
        deadline = time.monotonic() + 180
        assigned: list[int] = []
        while len(assigned) != n or sum(assigned) != 4:
            if time.monotonic() > deadline or any(p.poll() is not None for p in running):
                raise RuntimeError(f"the consumers did not join the group:\n{log.read_text()}")
            time.sleep(0.5)
            assigned = group_assignment(admin, group)
        started = time.perf_counter()
        produce(bootstrap, topic, stream)
        produced_in = time.perf_counter() - started
        stored = 0.0
        while stored < len(stream):
            if time.perf_counter() - started > 1800 or any(p.poll() is not None for p in running):
                raise RuntimeError(f"the consumers stopped short:\n{log.read_text()}")
            time.sleep(0.05)
            try:
                stored = consumed(ports)
            except OSError:
                continue
        elapsed = time.perf_counter() - started
    finally:
        for process in running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in running:
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
        output.close()
    reader = open_store(url, read_only=True)
    try:
        in_store = reader.count()["events"]
    finally:
        reader.close()
    return {
        "processes": n,
        "events": len(stream),
        "stored": int(stored),
        "events_in_store": in_store,
        "seconds": round(elapsed, 2),
        "produce_seconds": round(produced_in, 2),
        "events_per_s": round(stored / elapsed, 1),
        "partitions_per_process": assigned,
        "load_average": os.getloadavg(),
    }


def lag(bootstrap: str, store: GraphStore, stream: list[dict[str, Any]], rate: float) -> dict:
    from confluent_kafka import Producer

    topic = new_topic(bootstrap, 4)
    options = KafkaOptions(bootstrap, [topic], group_id=f"g-{topic}", batch_size=500)
    consumer = LineageConsumer(store, options)
    thread = threading.Thread(target=consumer.run)
    thread.start()
    while not consumer.partitions:
        time.sleep(0.05)
    before = store.count()["events"]
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    produced = 0
    samples: list[int] = []
    started = time.perf_counter()
    next_sample = started
    for event in stream:
        due = started + produced / rate
        while (now := time.perf_counter()) < due:
            if now >= next_sample:
                samples.append(produced - (store.count()["events"] - before))
                next_sample += 0.1
            time.sleep(min(0.005, due - now))
        producer.produce(topic, key=key(event), value=orjson.dumps(event))
        producer.poll(0)
        produced += 1
    producer.flush(60)
    while store.count()["events"] - before < produced and time.perf_counter() - started < 600:
        samples.append(produced - (store.count()["events"] - before))
        time.sleep(0.1)
    consumer.stop()
    thread.join(30)
    consumer.close()
    return {
        "rate_events_per_s": rate,
        "events": produced,
        "seconds": round(time.perf_counter() - started, 1),
        "lag_events_median": statistics.median(samples) if samples else 0,
        "lag_events_max": max(samples) if samples else 0,
        "lag_seconds_median": round((statistics.median(samples) if samples else 0) / rate, 3),
        "lag_seconds_max": round((max(samples) if samples else 0) / rate, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--store", default="embedded", help="'embedded' or a neo4j:// URL")
    parser.add_argument("--runs", type=int, default=2000, help="synthetic runs to produce")
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--rate", type=float, default=200.0, help="lag workload events/s")
    args = parser.parse_args()
    stream = events(args.runs, args.jobs)
    report: dict[str, Any] = {
        "store": "neo4j" if is_neo4j(args.store) else "embedded",
        "load_average": os.getloadavg(),
        "cpus": os.cpu_count(),
        "workloads": [],
    }
    with tempfile.TemporaryDirectory() as folder:
        for n in (1, 2):
            store = open_store(store_url(args.store, Path(folder), f"throughput-{n}"))
            try:
                report["workloads"].append(
                    {"throughput": throughput(args.bootstrap, store, stream, n)}
                )
            finally:
                store.close()
        neo4j = is_neo4j(args.store)
        for n in (1, 2):
            if n > 1 and not neo4j:
                report["workloads"].append(
                    {
                        "processes": {
                            "processes": n,
                            "skipped": "the embedded store takes one writing process; "
                            "run with --store neo4j://... for several consumer processes",
                        }
                    }
                )
                continue
            url = store_url(args.store, Path(folder), f"processes-{n}")
            log = Path(folder) / f"consume-{n}.log"
            report["workloads"].append(
                {"processes": processes(args.bootstrap, url, stream, n, log)}
            )
        store = open_store(store_url(args.store, Path(folder), "lag"))
        try:
            report["workloads"].append({"lag": lag(args.bootstrap, store, stream, args.rate)})
        finally:
            store.close()
    report["load_average_after"] = os.getloadavg()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
