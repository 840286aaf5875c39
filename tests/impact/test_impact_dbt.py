"""`lineage impact dbt`: the changes between two versions of the dbt test project, checked
against the lineage dbt-ol reported for the first one."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from lineage.analysis import NodeRef
from lineage.analysis.dbt_manifest import NodeChanges, dataset_name, manifest_changes
from lineage.analysis.impact import Change, ChangeKind, impact
from lineage.graph.model import dataset_id, field_id, job_id
from lineage.store import GraphStore
from lineage.store.embedded import EmbeddedStore
from tests.conftest import REPO, feed, skip_or_fail
from tests.test_cli_query import lineage_cli

DBT_VENV = Path(os.environ.get("DBT_VENV", REPO / ".venv-dbt"))
JOBS_NS = "dbt_test"


@dataclass(frozen=True)
class Projects:
    events: list[dict[str, Any]]  # what dbt-ol sent for a build of version 1
    base: Path  # version 1's manifest
    manifest: Path  # version 2's
    namespace: str


def _copy(project: Path, into: Path) -> Path:
    ignore = shutil.ignore_patterns("target", "logs", "*.duckdb", "*.duckdb.wal", "dbt-logs-*")
    shutil.copytree(project, into, ignore=ignore)
    return into


def _dbt(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=cwd,
        env={
            **os.environ,
            "PATH": f"{DBT_VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            "DBT_PROFILES_DIR": str(cwd),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> Projects:
    """Version 1 built under dbt-ol (events to a file), version 2 parsed."""
    if not (DBT_VENV / "bin" / "dbt-ol").exists():
        skip_or_fail(f"dbt-ol is not installed in {DBT_VENV}: run `make dbt-install` (make test does)")
    folder = tmp_path_factory.mktemp("dbt-impact")
    v1 = _copy(REPO / "tests" / "dbt_project", folder / "v1")
    v2 = _copy(REPO / "tests" / "dbt_project_v2", folder / "v2")
    events = folder / "events.jsonl"
    config = folder / "openlineage.yml"
    config.write_text(f"transport:\n  type: file\n  log_file_path: {events}\n  append: true\n")
    duckdb = folder / "jaffle_shop.duckdb"
    env = {
        "OPENLINEAGE_CONFIG": str(config),
        "OPENLINEAGE_NAMESPACE": JOBS_NS,
        "DBT_DUCKDB_PATH": str(duckdb),
    }
    built = _dbt(["dbt-ol", "build"], v1, env)
    # The project plants one failing data test, so a healthy build exits 1.
    assert built.returncode == 1, f"dbt-ol build exited {built.returncode}:\n{built.stdout}\n{built.stderr}"
    parsed = _dbt(["dbt", "parse"], v2, {"DBT_DUCKDB_PATH": str(duckdb)})
    assert parsed.returncode == 0, parsed.stdout + parsed.stderr
    lines = events.read_text().splitlines()
    return Projects(
        events=[orjson.loads(line) for line in lines if line.strip()],
        base=v1 / "target" / "manifest.json",
        manifest=v2 / "target" / "manifest.json",
        namespace=f"duckdb://{duckdb}",
    )


def name(model: str) -> str:
    return f"jaffle_shop.main.{model}"


def test_the_manifests_differ_by_the_changes_version_2_makes(projects: Projects) -> None:
    base, new = (orjson.loads(p.read_bytes()) for p in (projects.base, projects.manifest))
    assert manifest_changes(base, new) == [
        NodeChanges("model.jaffle_shop.customers", "model", name("customers"),
                    (Change(ChangeKind.DROP_DATASET),)),
        NodeChanges("model.jaffle_shop.orders", "model", name("orders"),
                    (Change(ChangeKind.DROP_FIELD, "gift_card_amount"),)),
        NodeChanges("model.jaffle_shop.stg_customers", "model", name("stg_customers"),
                    (Change(ChangeKind.RENAME_FIELD, "last_name", new_name="last_initial"),)),
        NodeChanges("model.jaffle_shop.stg_orders", "model", name("stg_orders"),
                    (Change(ChangeKind.ADD_FIELD, "is_returned"),)),
    ]  # fmt: skip


def test_the_changes_are_checked_against_what_dbt_ol_reported(
    projects: Projects, store: GraphStore
) -> None:
    feed(store, projects.events)
    base, new = (orjson.loads(p.read_bytes()) for p in (projects.base, projects.manifest))
    found: dict[str, dict[str, tuple[str, int]]] = {}
    for node in manifest_changes(base, new):
        report = impact(store, NodeRef(namespace=projects.namespace, name=node.name), list(node.changes))
        found[node.name] = {
            i.node.id: (i.severity.value, i.distance) for c in report.changes for i in c.items
        }
    ns = projects.namespace
    renamed = found[name("stg_customers")]
    assert renamed[field_id(ns, name("customers"), "last_name")] == ("BREAKING", 1)
    assert renamed[job_id(JOBS_NS, "jaffle_shop.main.jaffle_shop.customers.build.run")] == ("BREAKING", 1)
    assert field_id(ns, name("customers"), "first_name") not in renamed
    # dbt's test job reads the model without column lineage: it may or may not use the column.
    assert renamed[job_id(JOBS_NS, "jaffle_shop.main.jaffle_shop.stg_customers.build.test")] == ("POSSIBLE", 1)
    dropped = found[name("customers")]
    assert dropped[job_id(JOBS_NS, "jaffle_shop.main.jaffle_shop.customers.build.test")] == ("BREAKING", 1)
    assert "BREAKING" not in {s for s, _ in found[name("orders")].values()}  # nothing reads it
    assert found[name("stg_orders")] == {}  # a nullable column added
    assert dataset_id(ns, name("customers")) in renamed


def test_lineage_impact_dbt_gates_ci_with_a_markdown_comment(projects: Projects, tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "l.db")
    feed(store, projects.events)
    store.close()
    url = f"sqlite:///{tmp_path}/l.db"
    done = lineage_cli("impact", "dbt", "--manifest", str(projects.manifest), "--base",
                       str(projects.base), "--store", url, "--format", "markdown")  # fmt: skip
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("**lineage impact** of changes to `jaffle_shop.main.customers`, ")
    assert "**BREAKING**" in lines[0]
    row = (
        "| `jaffle_shop.main.stg_customers`: rename column last_name to last_initial "
        "| `jaffle_shop.main.customers.last_name` | field | 1 | analytics |"
    )
    assert row in lines
    # The same manifest on both sides changes nothing.
    same = lineage_cli("impact", "dbt", "--manifest", str(projects.base), "--base",
                       str(projects.base), "--store", url)  # fmt: skip
    assert same.returncode == 0, same.stderr
    assert "no dbt model, seed or snapshot changed" in same.stdout
    # A namespace the graph does not have: nothing can be checked, which is not breaking.
    elsewhere = lineage_cli("impact", "dbt", "--manifest", str(projects.manifest), "--base",
                            str(projects.base), "--store", url, "--namespace", "duckdb://other",
                            "--format", "json")  # fmt: skip
    assert elsewhere.returncode == 2
    assert "could not be checked" in elsewhere.stderr


def test_not_a_manifest_is_a_usage_error(tmp_path: Path) -> None:
    bogus = tmp_path / "manifest.json"
    bogus.write_text("{}")
    done = lineage_cli("impact", "dbt", "--manifest", str(bogus), "--base", str(bogus))
    assert done.returncode == 2 and "is not a dbt manifest" in done.stderr


def test_contract_types_and_not_null_constraints_become_changes() -> None:
    def manifest(columns: dict[str, dict[str, Any]], enforced: bool = True, **node: Any) -> dict[str, Any]:
        model = {"resource_type": "model", "name": "orders", "database": "shop", "schema": "main",
                 "alias": "orders", "config": {"contract": {"enforced": enforced}},
                 "columns": {k: {"name": k, **v} for k, v in columns.items()}, **node}  # fmt: skip
        return {"nodes": {"model.shop.orders": model}}

    base = manifest({"id": {"data_type": "int"}, "amount": {"data_type": "int"}, "note": {}})
    new = manifest({
        "id": {"data_type": "int"},
        "amount": {"data_type": "bigint"},
        "note": {"data_type": "varchar"},  # no type before: nothing to compare
        "region": {"data_type": "varchar", "constraints": [{"type": "not_null"}]},
    })  # fmt: skip
    (found,) = manifest_changes(base, new)
    assert found.changes == (
        Change(ChangeKind.CHANGE_TYPE, "amount", new_type="bigint", old_type="int"),
        Change(ChangeKind.ADD_FIELD, "region", new_type="varchar", nullable=False),
    )
    moved = manifest({"id": {}}, alias="orders_v2")
    (renamed,) = manifest_changes(base, moved)
    assert renamed.changes == (Change(ChangeKind.RENAME_DATASET, new_name="shop.main.orders_v2"),)
    assert dataset_name(moved["nodes"]["model.shop.orders"]) == "shop.main.orders_v2"
