"""Several processes writing one Neo4j decide incidents as one process would.

Two `lineage ingest --store neo4j://...` processes load the two halves of captured producer
streams (dbt-ol and Airflow, passing and failing runs), interleaved, one event a transaction,
at the same time. Incident decisions read what is stored and write what follows from it; the
store refuses a decision made before another process's decision committed, so the graph and
its incidents are those a single writer builds, and no two incidents share a number.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

from lineage.graph.model import NodeKind
from lineage.ingest import prepare, write
from lineage.store.embedded import EmbeddedStore
from tests.conftest import graph_diff, skip_or_fail, snapshot
from tests.graph.test_captured_streams import events

STREAMS = (
    "dbt_classic_dev.jsonl",
    "dbt_classic_dev_failures.jsonl",
    "dbt_classic_dev.jsonl",
    "airflow_sqlite_sql.jsonl",
    "airflow_sqlite_sql_failure.jsonl",
)


def without_order(picture: tuple[list[Any], list[Any]]) -> tuple[list[Any], list[Any]]:
    """An incident's number and revision count arrivals and writes, not states."""
    nodes, edges = picture
    skip = ("number", "revision")
    return [(i, k, {p: v for p, v in props.items() if p not in skip}) for i, k, props in nodes], edges


def neo4j_url() -> str:
    """The Neo4j these tests write (skipped outside CI without one)."""
    url = os.environ.get("LINEAGE_TEST_NEO4J")
    if not url:
        skip_or_fail(
            "needs a running Neo4j: run `make neo4j-start` and set "
            "LINEAGE_TEST_NEO4J=neo4j://127.0.0.1:7687 (make test does both)"
        )
    assert url is not None
    return url


def test_two_processes_writing_one_neo4j_decide_incidents_as_one_writer(tmp_path: Path) -> None:
    url = neo4j_url()
    from lineage.store.neo4j import Neo4jStore

    stream = [e for name in STREAMS for e in events(name)]
    reference = EmbeddedStore(tmp_path / "reference.db")
    for event in stream:
        write(reference, [prepare(event)])
    want = without_order(snapshot(reference))
    reference.close()

    Neo4jStore(url, reset_for_tests=True).close()
    halves = []
    for part in (0, 1):
        path = tmp_path / f"half-{part}.jsonl"
        path.write_bytes(b"\n".join(orjson.dumps(e) for e in stream[part::2]) + b"\n")
        halves.append(path)
    writers = [
        subprocess.Popen(
            [sys.executable, "-m", "lineage.cli", "ingest", str(path), "--store", url,
             "--batch-size", "1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for path in halves
    ]
    for writer in writers:
        out, _ = writer.communicate(timeout=900)
        assert writer.returncode == 0, out.decode()[-3000:]

    store = Neo4jStore(url)
    try:
        got = snapshot(store)
    finally:
        store.close()
    differences = graph_diff(want, without_order(got))
    assert not differences, "\n".join(differences[:10])
    incidents = [props for _, kind, props in got[0] if kind == NodeKind.INCIDENT]
    assert incidents, "the failing runs and tests open incidents"
    numbers = [props["number"] for props in incidents]
    assert len(set(numbers)) == len(numbers), f"incident numbers repeat: {sorted(numbers)}"
