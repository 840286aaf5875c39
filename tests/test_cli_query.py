"""`lineage upstream|downstream|query|export|schema export`: lineage questions from the
command line, against a store or a running server."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import networkx as nx
import orjson
import pytest

from lineage.analysis import Granularity
from lineage.analysis.export import Format
from lineage.api.graphql import schema
from lineage.cli import FormatChoice, GranularityChoice, KindChoice, StatusChoice
from lineage.graph.incidents import IncidentKind, IncidentStatus
from lineage.store import GraphStore
from lineage.store.embedded import EmbeddedStore
from tests.analysis import graphs
from tests.analysis.graphs import NS, ts
from tests.conftest import REPO
from tests.e2e.server import Server


def lineage_cli(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lineage.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def store_with(tmp_path: Path, *builders: Callable[[GraphStore], object]) -> str:
    """A store URL whose graph ``builders`` made."""
    store = EmbeddedStore(tmp_path / "l.db")
    for build in builders:
        build(store)
    store.close()
    return f"sqlite:///{tmp_path}/l.db"


def test_upstream_prints_a_tree_of_what_feeds_a_dataset(tmp_path: Path) -> None:
    url = store_with(tmp_path, graphs.diamond)
    done = lineage_cli("upstream", NS, "d", "--store", url)
    assert done.returncode == 0, done.stderr
    lines = [line.rstrip() for line in done.stdout.splitlines()]
    assert lines == [
        f"d {NS}",
        "└── job join etl",
        f"    ├── b {NS}",
        "    │   └── job left etl",
        f"    │       └── a {NS}",
        f"    └── c {NS}",
        "        └── job right etl",
        f"            └── a {NS} (see above)",
        "7 nodes, 7 edges upstream",
    ]


def test_depth_bounds_the_tree(tmp_path: Path) -> None:
    url = store_with(tmp_path, graphs.chain)
    done = lineage_cli("upstream", NS, "mart.orders", "--depth", "2", "--store", url)
    assert done.returncode == 0, done.stderr
    assert "stg.orders" in done.stdout and "raw.orders" not in done.stdout


def test_downstream_of_a_column_shows_how_each_column_derives_from_it(tmp_path: Path) -> None:
    url = store_with(tmp_path, graphs.column_lineage_with_a_filter)
    done = lineage_cli("downstream", NS, "stg.orders", "--field", "status", "--store", url)
    assert done.returncode == 0, done.stderr
    assert f"mart.customers.total {NS} INDIRECT/FILTER" in done.stdout
    assert f"mart.customers.customer_id {NS} INDIRECT/FILTER" in done.stdout


def test_upstream_of_a_job(tmp_path: Path) -> None:
    url = store_with(tmp_path, graphs.chain)
    done = lineage_cli("upstream", "etl", "build_mart", "--job", "--depth", "1", "--store", url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:2] == ["job build_mart etl", f"└── stg.orders {NS}"]


def test_json_output_is_the_graphql_lineage_answer(tmp_path: Path) -> None:
    url = store_with(tmp_path, graphs.chain)
    done = lineage_cli(
        "upstream", NS, "mart.orders", "--format", "json", "--depth", "2", "--store", url
    )
    assert done.returncode == 0, done.stderr
    answer = orjson.loads(done.stdout)
    assert answer["truncated"] is False
    assert sorted(n["name"] for n in answer["nodes"]) == ["build_mart", "mart.orders", "stg.orders"]
    assert {e["kind"] for e in answer["edges"]} == {"INPUT_TO", "PRODUCES"}


def test_as_of_answers_as_the_graph_stood_then(tmp_path: Path) -> None:
    url = store_with(tmp_path, graphs.job_drops_an_input)
    then = datetime.fromtimestamp(ts(5), UTC).isoformat()
    before = lineage_cli("upstream", NS, "report", "--as-of", then, "--store", url)
    now = lineage_cli("upstream", NS, "report", "--store", url)
    assert before.returncode == now.returncode == 0, before.stderr + now.stderr
    assert "raw.legacy" in before.stdout
    assert "raw.legacy" not in now.stdout and "raw.orders" in now.stdout


def test_an_unknown_dataset_exits_1_naming_it(tmp_path: Path) -> None:
    url = store_with(tmp_path, graphs.chain)
    done = lineage_cli("upstream", NS, "mart.order", "--store", url)
    assert done.returncode == 1
    assert f"no dataset 'mart.order' in namespace '{NS}'" in done.stderr
    assert "NOT_FOUND" in done.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    url = store_with(tmp_path, graphs.chain)
    bad_time = lineage_cli("upstream", NS, "mart.orders", "--as-of", "yesterday", "--store", url)
    assert bad_time.returncode == 2
    assert "--as-of must be an ISO 8601 time" in bad_time.stderr
    both = lineage_cli(
        "downstream", NS, "raw.orders", "--store", url, "--server", "http://127.0.0.1:9"
    )
    assert both.returncode == 2
    assert "not both" in both.stderr


def test_query_runs_any_graphql_with_variables(tmp_path: Path) -> None:
    url = store_with(tmp_path, graphs.chain)
    document = "query($ns: String!, $name: String!) { dataset(namespace: $ns, name: $name) { producedBy { name } } }"
    done = lineage_cli(
        "query", document, "--var", f"ns={NS}", "--var", "name=mart.orders", "--store", url
    )
    assert done.returncode == 0, done.stderr
    assert orjson.loads(done.stdout) == {"dataset": {"producedBy": [{"name": "build_mart"}]}}
    from_stdin = lineage_cli(
        "query", "-", "--store", url, stdin='{ job(namespace: "etl", name: "nope") { name } }'
    )
    assert from_stdin.returncode == 1
    assert "no job 'nope' in namespace 'etl' (NOT_FOUND)" in from_stdin.stderr


def test_export_writes_the_same_formats_as_the_api(tmp_path: Path) -> None:
    url = store_with(tmp_path, graphs.chain)
    start = f"dataset:{NS}:mart.orders"
    mermaid = lineage_cli(
        "export", "--start", start, "--direction", "UPSTREAM", "--format", "mermaid", "--store", url
    )
    assert mermaid.returncode == 0, mermaid.stderr
    assert mermaid.stdout.startswith("flowchart LR\n")
    assert mermaid.stdout.count(" --> ") == 4
    target = tmp_path / "lineage.graphml"
    done = lineage_cli("export", "--format", "graphml", "-o", str(target), "--store", url)
    assert done.returncode == 0, done.stderr
    graph = nx.read_graphml(target)
    assert start in graph and graph.number_of_edges() == 4


def test_export_warns_when_the_limit_cut_it(tmp_path: Path) -> None:
    url = store_with(tmp_path, graphs.chain)
    done = lineage_cli("export", "--limit", "2", "--store", url)
    assert done.returncode == 0, done.stderr
    assert len(orjson.loads(done.stdout)["nodes"]) == 2
    assert "stopped at --limit 2 nodes" in done.stderr


def test_export_of_an_unknown_start_exits_1(tmp_path: Path) -> None:
    url = store_with(tmp_path, graphs.chain)
    done = lineage_cli("export", "--start", f"dataset:{NS}:nope", "--store", url)
    assert done.returncode == 1
    assert f"no dataset 'nope' in namespace '{NS}'" in done.stderr


def test_questions_to_a_running_server_send_the_token(tmp_path: Path) -> None:
    url = store_with(tmp_path, graphs.chain)
    server = Server(
        url, tmp_path / "server.log", env={"LINEAGE_TOKENS": "reader-secret=read"}
    ).start()
    try:
        refused = lineage_cli("upstream", NS, "mart.orders", "--server", server.url)
        assert refused.returncode == 1
        assert "refused the token" in refused.stderr
        token = {"LINEAGE_TOKEN": "reader-secret"}
        tree = lineage_cli("upstream", NS, "mart.orders", "--server", server.url, env=token)
        assert tree.returncode == 0, tree.stderr
        local = lineage_cli("upstream", NS, "mart.orders", "--store", url)
        assert tree.stdout == local.stdout
        exported = lineage_cli(
            "export", "--format", "csv", "--server", server.url, "--token", "reader-secret"
        )
        assert exported.returncode == 0, exported.stderr
        assert exported.stdout.startswith("source,source_kind,")
        assert len(exported.stdout.splitlines()) == 5
        missing = lineage_cli(
            "export", "--start", f"dataset:{NS}:nope", "--server", server.url, env=token
        )
        assert missing.returncode == 1
        assert "no dataset 'nope'" in missing.stderr
        queried = lineage_cli(
            "query",
            '{ job(namespace: "etl", name: "build_mart") { name } }',
            "--server",
            server.url,
            env=token,
        )
        assert orjson.loads(queried.stdout) == {"job": {"name": "build_mart"}}
    finally:
        server.stop()


def test_schema_export_prints_the_graphql_schema(tmp_path: Path) -> None:
    done = lineage_cli("schema", "export")
    assert done.returncode == 0, done.stderr
    assert done.stdout == schema.as_str() + "\n"
    target = tmp_path / "schema.graphql"
    assert lineage_cli("schema", "export", "-o", str(target)).returncode == 0
    assert target.read_text() == done.stdout


@pytest.mark.parametrize(
    ("offered", "known"),
    [
        (FormatChoice, Format),
        (GranularityChoice, Granularity),
        (StatusChoice, IncidentStatus),
        (KindChoice, IncidentKind),
    ],
)
def test_the_cli_offers_every_export_format_and_granularity(offered: type, known: type) -> None:
    assert [c.value for c in offered] == [k.value for k in known]


def test_columns_follows_every_column_of_a_dataset(tmp_path: Path) -> None:
    url = store_with(tmp_path, graphs.column_lineage_with_a_filter)
    done = lineage_cli("upstream", NS, "mart.customers", "--columns", "--format", "json", "--store", url)
    assert done.returncode == 0, done.stderr
    answer = orjson.loads(done.stdout)
    paths = {(n["dataset"]["name"], n["path"]) for n in answer["nodes"] if n["kind"] == "FIELD"}
    assert ("mart.customers", "total") in paths and ("stg.orders", "status") in paths


def test_dot_output_is_a_graphviz_digraph_of_the_answer(tmp_path: Path) -> None:
    url = store_with(tmp_path, graphs.diamond)
    done = lineage_cli("upstream", NS, "d", "--format", "dot", "--store", url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("digraph lineage {")
    assert done.stdout.count(" -> ") == 7
    assert 'label="join", shape=ellipse' in done.stdout
