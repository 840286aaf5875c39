"""Exports stay safe and well-formed whatever a producer names its datasets: hostile names
are read back by real parsers as names, never as directives, formulas or broken markup."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lineage.api.app import create_app
from lineage.settings import Settings
from lineage.store.embedded import EmbeddedStore
from tests.conftest import feed
from tests.factories import dataset, pipeline_run

NS = "pg://db"
INJECTION = 'x\n%%{init: {"securityLevel": "loose"}}%%\nclick n0 "javascript:alert(1)"\rend'
FORMULAS = ["=HYPERLINK(\"http://evil\")", "+1+2", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]
CONTROL = "bad\x01\x02\x7fname"
QUOTED = 'q"uo\\te\\'
HOSTILE = [INJECTION, *FORMULAS, CONTROL, QUOTED]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    store = EmbeddedStore(tmp_path / "lineage.db")
    events = []
    for i, name in enumerate(HOSTILE):
        events += pipeline_run(("etl", f"job{i}"), [dataset(NS, "source")], [dataset(NS, name)], start=i)
    feed(store, events)
    with TestClient(create_app(Settings(tokens=[]), store=store)) as c:
        yield c
    store.close()


def export(client: TestClient, fmt: str) -> str:
    response = client.get("/api/v1/export", params={"format": fmt})
    assert response.status_code == 200, response.text
    return response.text


def test_mermaid_lines_hold_no_injected_directives_or_click_handlers(client: TestClient) -> None:
    text = export(client, "mermaid")
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    for line in lines[1:]:
        stripped = line.strip()
        assert not stripped.startswith("%%{"), line
        assert not re.match(r"(click|style|classDef|class|linkStyle|end)\b", stripped), line
        # Every line is a comment, a node or an edge.
        assert re.match(r"%% n\d+: |n\d+[\[({/]|n\d+ -", stripped), line


def test_csv_cells_never_start_a_formula(client: TestClient) -> None:
    rows = list(csv.reader(io.StringIO(export(client, "csv"))))
    cells = [cell for row in rows[1:] for cell in row]
    for cell in cells:
        assert not cell or cell[0] not in "=+-@\t\r", repr(cell)
    labels = {row[5] for row in rows[1:]}
    assert "'=HYPERLINK(\"http://evil\")" in labels


def test_graphml_is_well_formed_and_gives_the_names_back(client: TestClient) -> None:
    root = ET.fromstring(export(client, "graphml"))
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    keys = {k.get("id"): k.get("attr.name") for k in root.findall("g:key", ns)}
    names = set()
    for node in root.iter("{http://graphml.graphdrawing.org/xmlns}node"):
        for data in node.findall("g:data", ns):
            if keys.get(data.get("key")) == "name":
                names.add(data.text)
    assert QUOTED in names
    assert "bad\\u0001\\u0002\x7fname" in names


def test_dot_keeps_each_name_inside_its_quotes(client: TestClient) -> None:
    text = export(client, "dot")
    for line in text.splitlines()[3:-1]:
        # A node or edge statement: quoted strings, and nothing that ends a string early.
        assert re.fullmatch(r'\s+"(?:[^"\\]|\\.)*"(?: -> "(?:[^"\\]|\\.)*")?(?: \[.*\])?;', line), line
    assert "\x01" not in text
