"""`lineage impact`: a CI gate on schema changes (exit 0, 1 when something breaks, 4 when
nothing is known to break but some reader's use is unknown, 2 on usage errors), with text,
JSON and markdown (a pull-request comment) output."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests.impact import graphs
from tests.impact.graphs import NS
from tests.test_cli_query import lineage_cli, store_with


@pytest.fixture
def url(tmp_path: Path) -> str:
    return store_with(tmp_path, graphs.shop)


def impact(url: str, *args: str, dataset: str = "raw.orders") -> tuple[int, str, str]:
    done = lineage_cli("impact", "--dataset", NS, dataset, *args, "--store", url)
    return done.returncode, done.stdout, done.stderr


def test_a_breaking_change_exits_1_and_lists_what_breaks(url: str) -> None:
    code, out, err = impact(url, "--drop", "amount")
    assert code == 1, err
    lines = out.splitlines()
    assert lines[0].startswith(f"raw.orders {NS}: BREAKING (9 breaking, 0 likely, 6 possible")
    assert "drop column amount" in out
    assert any(
        line.split()[:3] == ["BREAKING", "field", "stg.orders.amount"] and "staging" in line
        for line in lines
    )
    assert "owners to notify: analytics (BREAKING)" in out


def test_markdown_is_a_pull_request_comment(url: str) -> None:
    code, out, _ = impact(url, "--drop", "amount", "--rename", "id=order_id", "--format", "markdown")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == (
        "**lineage impact** of changes to `raw.orders`: **BREAKING** "
        "(10 breaking, 0 likely, 6 possible)"
    )
    assert "| change | breaks | kind | distance | owners |" in lines
    assert "| `raw.orders`: drop column amount | `stg.orders.amount` | field | 1 | staging |" in lines
    assert "| `raw.orders`: rename column id to order_id | `stg.orders.id` | field | 1 | staging |" in lines
    assert not any("`lake.orders_copy`" in line and line.startswith("|") for line in lines)
    assert "<details>" in lines and "</details>" in lines
    assert any(line.startswith("<summary>All ") for line in lines)
    assert "  - **POSSIBLE** endpoint `endpoints.churn` (owners: serving): " in out
    assert "Owners to notify: analytics (BREAKING)" in out


def test_nothing_breaking_exits_0(url: str, tmp_path: Path) -> None:
    proposed = tmp_path / "schema.json"
    proposed.write_bytes(orjson.dumps({"fields": [
        {"name": "id", "type": "INT"}, {"name": "amount", "type": "INT"},
        {"name": "status", "type": "VARCHAR"}, {"name": "customer_id", "type": "INT"},
        {"name": "note", "type": "VARCHAR", "nullable": True},
    ]}))  # fmt: skip
    code, out, err = impact(url, "--schema", str(proposed), "--format", "markdown")
    assert code == 0, err
    assert out.splitlines()[0].endswith("nothing breaks (0 breaking, 0 likely, 0 possible)")
    assert "adding a nullable column breaks no reader" in out
    assert "Completeness: every reader's use of the changed columns is known." in out
    # A LIKELY change does not fail the gate as BREAKING; export_orders, which reports no
    # column lineage, leaves it uncertain.
    code, out, _ = impact(url, "--type", "customer_id=VARCHAR")
    assert code == 4 and "LIKELY" in out and "BREAKING" not in out


def test_a_type_change_to_the_type_a_column_has_is_no_change_and_exits_0(url: str) -> None:
    code, out, err = impact(url, "--type", "amount=int")
    assert code == 0, err
    assert "BREAKING" not in out and "POSSIBLE" not in out
    assert "column amount is already INT: nothing changes" in out


def test_dropping_a_join_key_fails_the_gate(url: str) -> None:
    code, out, _ = impact(url, "--drop", "customer_id")
    assert code == 1
    assert any(line.split()[:3] == ["BREAKING", "job", "stage_orders:"] for line in out.splitlines())


def test_a_change_only_a_reader_of_unknown_column_use_may_feel_is_uncertain_and_exits_4(
    url: str,
) -> None:
    # build_kpis reads only mart.revenue.total; train_churn reports no column lineage.
    code, out, _ = impact(url, "--drop", "status", "--format", "markdown", dataset="mart.revenue")
    assert code == 4, out
    lines = out.splitlines()
    assert lines[0].startswith("**lineage impact** of changes to `mart.revenue`: **uncertain**")
    assert "nothing breaks" not in lines[0]
    assert any(line.startswith("Completeness: the column use of 1 reader job(s)") and "`train_churn`" in line for line in lines)


def test_json_output_is_the_graphql_report(url: str) -> None:
    code, out, _ = impact(url, "--type", "status=INT", "--format", "json")
    assert code == 1
    report = orjson.loads(out)
    assert report["breaking"] is True
    change = report["changes"][0]
    assert change["change"] == {
        "kind": "CHANGE_TYPE", "field": "status", "newName": None, "newType": "INT",
        "oldType": "VARCHAR", "nullable": True,
        "description": "change the type of column status from VARCHAR to INT",
    }  # fmt: skip
    likely = [i for i in change["items"] if i["severity"] == "LIKELY"]
    assert {i["node"]["path"] for i in likely if i["node"]["kind"] == "FIELD"} == {
        "total",
        "revenue",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--drop", "amout"], "no column 'amout'"),
        (["--rename", "id"], "must look like OLD=NEW"),
        ([], "say what changes"),
        (["--drop", "id", "--schema", "x.json"], "not both"),
        (["--schema", "missing.json"], "cannot read the schema"),
    ],
)
def test_usage_errors_exit_2(url: str, args: list[str], message: str) -> None:
    code, _, err = impact(url, *args)
    assert code == 2
    assert message in err


def test_an_unknown_dataset_exits_2_and_one_that_cannot_be_asked_3(url: str) -> None:
    done = lineage_cli("impact", "--dataset", NS, "raw.order", "--drop", "id", "--store", url)
    assert done.returncode == 2 and "no dataset 'raw.order'" in done.stderr
    done = lineage_cli("impact", "--dataset", NS, "raw.orders", "--drop", "id",
                       "--server", "http://127.0.0.1:9")  # fmt: skip
    assert done.returncode == 3 and "cannot reach" in done.stderr
