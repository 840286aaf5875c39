"""The command line as a person meets it: a version, output that pipes whole, choices and
settings errors that say what is wrong (exit 2), suggestions for a typo, and incidents
acknowledged and resolved from the shell. In process, except where the pipe is the point."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

import lineage
from lineage.cli import app
from lineage.graph.model import dataset_id
from lineage.ingest.incidents import open_incident
from lineage.store.embedded import EmbeddedStore
from tests.conftest import feed
from tests.factories import dataset, new_run_id, run_event
from tests.test_cli_query import lineage_cli

NS = "postgres://warehouse:5432"
LONG = "analytics.marts." + "very_long_table_name_" * 5 + "end"


@pytest.fixture
def url(tmp_path: Path) -> str:
    store = EmbeddedStore(tmp_path / "l.db")
    run = new_run_id()
    io = {"inputs": [dataset(NS, LONG)], "outputs": [dataset(NS, "analytics.marts.customers")]}
    feed(store, [run_event("COMPLETE", run, ("etl", "build_customers"), **io)])
    store.close()
    return f"sqlite:///{tmp_path}/l.db"


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_version() -> None:
    code, out = run("--version")
    assert code == 0 and out.strip() == f"lineage {lineage.__version__}"


def test_piped_output_is_never_cut_at_the_terminal_width(url: str) -> None:
    done = lineage_cli(
        "upstream", NS, "analytics.marts.customers", "--store", url, env={"COLUMNS": "80"}
    )
    assert done.returncode == 0, done.stderr
    assert f"{LONG} {NS}" in done.stdout


def test_a_choice_that_does_not_exist_is_a_usage_error(url: str) -> None:
    code, out = run("incidents", "--kind", "BOGUS", "--store", url)
    assert code == 2
    assert "'BOGUS' is not one of" in out and "GraphQL" not in out and "Variable" not in out
    code, _ = run("incidents", "--status", "open", "--store", url)
    assert code == 0


def test_a_bad_setting_names_its_environment_variable() -> None:
    code, out = run("serve", env={"LINEAGE_PORT": "abc"})
    assert code == 2
    assert "LINEAGE_PORT='abc'" in out and "integer" in out


def test_a_one_letter_typo_gets_a_suggestion(url: str) -> None:
    code, out = run("upstream", NS, "analytics.marts.custmers", "--store", url)
    assert code == 1
    assert f"similar names: 'analytics.marts.customers' in '{NS}'" in out


def test_incidents_have_short_ids_and_are_acknowledged_and_resolved_from_the_shell(url: str) -> None:
    path = url.removeprefix("sqlite:///")
    store = EmbeddedStore(path)
    open_incident(store, dataset_id(NS, "analytics.marts.customers"), "late rows")
    store.close()
    code, out = run("incidents", "--store", url)
    assert code == 0 and "late rows" in out
    nid = out.split()[0]  # the id `lineage incidents` prints: short, and taken everywhere
    assert re.fullmatch(r"INC-[0-9]+", nid)
    code, out = run("triage", nid.lower(), "--store", url)
    assert code == 0 and "late rows" in out, out

    code, out = run("incident", "ack", nid, "--store", url)
    assert code == 0, out
    assert out.strip() == f"{nid}  ACKNOWLEDGED: late rows"
    code, out = run("incident", "resolve", nid, "--reason", " ", "--store", url)
    assert code == 2 and "--reason must say why" in out
    code, out = run("incident", "resolve", nid, "--reason", "backfilled", "--store", url)
    assert code == 0, out
    assert out.strip() == f"{nid}  RESOLVED: late rows (backfilled)"
    code, out = run("incidents", "--status", "RESOLVED", "--store", url)
    assert nid in out
    code, out = run("incident", "reopen", nid, "--store", url)
    assert code == 0 and out.strip() == f"{nid}  OPEN: late rows", out
    code, out = run("incident", "reopen", nid, "--store", url)
    assert code == 1 and "not resolved" in out
    code, out = run("incident", "resolve", "no-such-id", "--reason", "x", "--store", url)
    assert code == 1 and "no-such-id" in out


def test_the_default_store_is_one_per_user_whatever_the_folder(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    run_id = new_run_id()
    io = {"inputs": [dataset(NS, "raw")], "outputs": [dataset(NS, "mart")]}
    events.write_text(orjson.dumps(run_event("COMPLETE", run_id, ("etl", "a"), **io)).decode())
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "LINEAGE_STORE": None}
    code, out = run("ingest", str(events), env=env)  # type: ignore[arg-type]
    assert code == 0, out
    assert f"into sqlite:///{tmp_path}/data/lineage/lineage.db" in out
    assert (tmp_path / "data" / "lineage" / "lineage.db").exists()
