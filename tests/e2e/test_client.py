"""The Python client and LINEAGE_SERVER, against a real `lineage serve` (uvicorn) on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys

import orjson
import pytest

from lineage import demo as D
from lineage.client import Client, LineageError, Unreachable
from tests.e2e.server import Server, free_port


def cli(*args: str, server: str) -> subprocess.CompletedProcess[str]:
    """``lineage ARGS`` with LINEAGE_SERVER set and no --store or --server."""
    env = {k: v for k, v in os.environ.items() if k != "LINEAGE_STORE"}
    env["LINEAGE_SERVER"] = server
    return subprocess.run(
        [sys.executable, "-m", "lineage.cli", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )


def test_the_client_asks_a_running_server_and_lineage_server_routes_the_cli(
    server: Server,
) -> None:
    # LINEAGE_SERVER makes `lineage demo` (an ingest) post to the server.
    loaded = cli("demo", server=server.url)
    assert loaded.returncode == 0, loaded.stderr
    assert "demo: 70 events sent" in loaded.stdout

    with Client(server.url) as lineage:
        up = lineage.upstream(*D.CHURN_FEATURES, depth=4)
        names = {n.get("name") for n in up["nodes"] if n["kind"] == "DATASET"}
        assert {D.STG_ORDERS[1], D.STG_CUSTOMERS[1]} <= names
        assert up["start"][0]["id"] and not up["truncated"]

        down = lineage.downstream(*D.SOURCE_ORDERS, depth=20)
        assert D.ENDPOINT[1] in {n.get("name") for n in down["nodes"]}

        columns = lineage.upstream(*D.CHURN_FEATURES, field="avg_order_value", depth=6)
        assert any(n["kind"] == "FIELD" for n in columns["nodes"])

        report = lineage.impact(
            *D.SOURCE_ORDERS, changes=[{"kind": "DROP_FIELD", "field": D.CHANGED_COLUMN}]
        )
        assert report["breaking"] is True
        assert report["summary"]["datasets"] >= 1

        incidents = lineage.incidents(status="OPEN")
        assert incidents and all(i["status"] == "OPEN" for i in incidents)
        drift = next(i for i in incidents if i["incidentKind"] == "DRIFT")
        assert drift["shortId"].startswith("INC-") and drift["shortId"][4:].isdigit()

        triage = lineage.triage(drift["shortId"])
        assert triage["incident"] is not None and triage["incident"]["id"] == drift["id"]
        assert triage["suspects"]

        acknowledged = lineage.acknowledge(drift["shortId"])
        assert acknowledged["status"] == "ACKNOWLEDGED"
        resolved = lineage.resolve(drift["id"], "retrained on fixed features")
        assert resolved["status"] == "RESOLVED"

        with pytest.raises(LineageError) as missing:
            lineage.upstream("nowhere://", "nothing")
        assert missing.value.code == "NOT_FOUND"

    # The CLI's reads and incident actions go to the server too.
    listed = cli("incidents", "--format", "json", server=server.url)
    assert listed.returncode == 0, listed.stderr
    by_short = {i["shortId"]: i for i in orjson.loads(listed.stdout)}
    assert by_short[drift["shortId"]]["status"] == "RESOLVED"
    reopened = cli("incident", "reopen", drift["shortId"], server=server.url)
    assert reopened.returncode == 0, reopened.stderr
    assert reopened.stdout.startswith(f"{drift['shortId']}  OPEN")
    acked = cli("incident", "ack", drift["shortId"], server=server.url)
    assert acked.stdout.startswith(f"{drift['shortId']}  ACKNOWLEDGED"), acked.stderr
    again = cli("incident", "reopen", drift["shortId"], server=server.url)
    assert again.returncode == 1 and "not resolved" in again.stderr
    walked = cli(
        "upstream", *D.CHURN_FEATURES, "--depth", "4", "--format", "json", server=server.url
    )
    assert walked.returncode == 0, walked.stderr
    assert {n["id"] for n in orjson.loads(walked.stdout)["nodes"]} == {n["id"] for n in up["nodes"]}


def test_a_server_that_is_not_there_is_reported_as_unreachable() -> None:
    with Client(f"http://127.0.0.1:{free_port()}") as lineage, pytest.raises(Unreachable):
        lineage.incidents()
    gone = cli("incidents", server=f"http://127.0.0.1:{free_port()}")
    assert gone.returncode == 1 and "cannot reach" in gone.stderr
