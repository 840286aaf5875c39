"""A live Spark job under the OpenLineage Spark listener, sending to a real `lineage serve` over
HTTP and, in the second test, to a real Kafka read by `lineage consume`.

tools/spark/run.sh runs tools/spark/job.py (a jaffle_shop in Spark SQL: CTEs that `select *`,
joins on shared keys, GROUP BY, a window, CREATE TABLE ... AS and INSERT INTO, and two planted
failures) with the listener 1.53.0 on PySpark 4.3.0. The answers are checked against what the SQL
means, with the expectations of tests/graph/test_captured_spark.py (which replays a captured
stream of the same job).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from lineage.consume import KafkaOptions, LineageConsumer
from lineage.graph.model import NodeKind
from lineage.store import GraphStore
from lineage.store.embedded import EmbeddedStore
from tests.conftest import REPO, skip_or_fail
from tests.e2e.server import Server
from tests.graph import test_captured_spark as spark_sql

RUN = REPO / "tools" / "spark" / "run.sh"


def run_spark(*transport: str) -> None:
    if not shutil.which("java") or not shutil.which("mvn"):
        skip_or_fail("the Spark tests need Java 17 and Maven (apt-get install openjdk-17-jdk maven)")
    done = subprocess.run(
        ["bash", str(RUN), *transport], capture_output=True, text=True, timeout=1200
    )
    assert done.returncode == 0, done.stderr[-6000:]


def check(store: GraphStore) -> None:
    """The graph answers what the job's SQL means: column lineage of every mart column, the
    tables each statement reads and writes, and the run that failed."""
    for output in sorted(spark_sql.FIELDS):
        want = spark_sql.meaning(
            spark_sql.FIELDS[output],
            spark_sql.merged(
                spark_sql.ROWS.get(output, {}), spark_sql.OPTIMIZER_FILTERS.get(output, {})
            ),
        )
        assert spark_sql.upstream(store, output, spark_sql.WRITER[output]) == want, output
    spark_sql.test_each_statement_reads_and_writes_the_warehouse_tables_it_names(store)
    failed = spark_sql.job(spark_sql.FAILED)
    runs = [
        n
        for n in store.export()[0]
        if n.kind == NodeKind.RUN and n.props.get("job") == failed
    ]
    assert [r.props["state"] for r in runs] == ["FAIL"]
    nodes, _ = store.export()
    incidents = [n for n in nodes if n.kind == NodeKind.INCIDENT]
    assert [(i.props["subject"], i.props["status"]) for i in incidents] == [(failed, "OPEN")]
    assert "CAST_INVALID_INPUT" in str(incidents[0].props["title"])


def test_a_spark_job_posting_to_the_server_builds_the_lineage_its_sql_means(
    tmp_path: Path,
) -> None:
    server = Server(f"sqlite:///{tmp_path / 'lineage.db'}", tmp_path / "server.log").start()
    try:
        run_spark("http", server.url)
    finally:
        server.stop()
    store = EmbeddedStore(tmp_path / "lineage.db")
    try:
        check(store)
    finally:
        store.close()


def test_a_spark_job_writing_to_kafka_builds_the_same_lineage_through_lineage_consume(
    kafka: str, new_topic: Callable[[int], str], tmp_path: Path
) -> None:
    topic = new_topic(2)
    run_spark("kafka", kafka, topic)
    store = EmbeddedStore(tmp_path / "lineage.db")
    try:
        consumer = LineageConsumer(store, KafkaOptions(kafka, [topic], group_id=f"g-{topic}"))
        consumer.run(max_idle=3)
        consumer.close()
        assert consumer.metrics.consumed._value.get() > 50
        assert consumer.metrics.dead_lettered._value.get() == 0
        check(store)
    finally:
        store.close()
