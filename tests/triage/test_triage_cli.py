"""`lineage incidents` and `lineage triage` from the command line, as a person runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from lineage.store.embedded import EmbeddedStore
from tests.triage.scenario import build


def lineage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lineage.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_listing_incidents_then_triaging_one_names_the_planted_cause(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "lineage.db")
    build(store, null_jump=True)
    store.close()
    url = f"sqlite:///{tmp_path / 'lineage.db'}"

    listed = lineage("incidents", "--kind", "DRIFT", "--format", "json", "--store", url)
    assert listed.returncode == 0, listed.stderr
    [drift] = json.loads(listed.stdout)
    assert drift["subject"]["name"] == "churn"

    text = lineage("triage", drift["id"], "--store", url)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == "Triage of DRIFT on churn (whole datasets)"
    assert lines[2] == "1. raw.events@e4  score 0.624"
    assert "null count of user_id 900" in lines[3]
    assert "Blast radius: stg.events, features, churn" in text.stdout

    markdown = lineage("triage", drift["id"], "--store", url, "--format", "markdown")
    assert "| 1 | `raw.events@e4` | 0.624 |" in markdown.stdout

    as_json = json.loads(lineage("triage", drift["id"], "--store", url, "--format", "json").stdout)
    assert as_json["suspects"][0]["evidence"][0]["kind"] == "METRIC_ANOMALY"


def test_triage_without_a_subject_is_a_usage_error(tmp_path: Path) -> None:
    done = lineage("triage", "--store", f"sqlite:///{tmp_path / 'x.db'}")
    assert done.returncode == 2
    assert "give an incident id, or --node" in done.stderr
    done = lineage("triage", "--node", "ns", "name", "--store", f"sqlite:///{tmp_path / 'x.db'}")
    assert done.returncode == 2 and "--since" in done.stderr
