"""`lineage demo --store` prints a link that opens the explorer on the cause of the drift."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.e2e.server import Server
from tests.web.conftest import require_browser, screenshot


def test_the_demo_s_link_opens_triage_of_the_drift_with_its_causes_ranked(
    tmp_path: Path, page: Any
) -> None:
    require_browser()
    store = f"sqlite:///{tmp_path}/lineage.db"
    done = subprocess.run(
        [sys.executable, "-m", "lineage.cli", "demo", "--store", store],
        capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stderr
    found = re.search(r"see why the endpoint drifts:.*then open http://127\.0\.0\.1:8000(\S+)", done.stdout)
    assert found, done.stdout
    path = found.group(1)
    assert "mode=triage" in path and "incident=" in path
    server = Server(store, tmp_path / "server.log").start()
    try:
        page.goto(server.url + path)
        report = page.get_by_test_id("triage-report")
        report.wait_for()
        suspects = report.get_by_test_id("suspect")
        suspects.first.wait_for()
        assert suspects.count() >= 1
        assert suspects.first.inner_text().strip()
        screenshot(page, "demo-link-triage")
    finally:
        server.stop()
