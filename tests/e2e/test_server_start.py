"""Starting a server for a test: two minutes by default (a loaded machine is slow to
import and open a store), and a start that fails says why with the end of the log."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.server import START_TIMEOUT_VARIABLE, Server, start_timeout


def test_a_server_is_given_two_minutes_to_start_unless_the_environment_says_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(START_TIMEOUT_VARIABLE, raising=False)
    assert start_timeout() == 120
    monkeypatch.setenv(START_TIMEOUT_VARIABLE, "300")
    assert start_timeout() == 300


def test_a_server_that_does_not_answer_in_time_is_stopped_and_the_end_of_its_log_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "server.log"
    log.write_text("".join(f"earlier line {i}\n" for i in range(500)))
    monkeypatch.setenv(START_TIMEOUT_VARIABLE, "0")
    server = Server(f"sqlite:///{tmp_path / 'lineage.db'}", log)
    with pytest.raises(RuntimeError) as failed:
        server.start()
    message = str(failed.value)
    assert "did not answer within 0.0s" in message
    assert START_TIMEOUT_VARIABLE in message
    assert message.endswith("earlier line 499")
    assert "earlier line 0\n" not in message
    assert server.process is not None and server.process.poll() is not None
