"""The explorer in a real browser against a real server: search, expand, columns, time
travel, paths, impact and triage, keyboard and export. Screenshots go to tests/artifacts/web."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlparse

import pytest
from playwright.sync_api import expect

from lineage.api.graphql.ids import encode_id
from lineage.graph.model import dataset_id, field_id, job_id
from tests.e2e.server import Server
from tests.web.conftest import screenshot
from tests.web.fixture import ML, NS, before_change

pytestmark = pytest.mark.e2e

FEATURES = encode_id(dataset_id(NS, "features.churn"))
STAGING = encode_id(dataset_id(NS, "staging.customers"))
RAW_CUSTOMERS = encode_id(dataset_id(NS, "raw.customers"))
RAW_EVENTS = encode_id(dataset_id(NS, "raw.events"))
MODEL = encode_id(dataset_id(ML, "models.churn_classifier"))
ENDPOINT = encode_id(dataset_id("https://serving.example.com", "churn-api/predict"))
BUILD = encode_id(job_id("etl", "build_features"))
TENURE = encode_id(field_id(NS, "features.churn", "tenure_days"))


def settle(page: Any) -> None:
    """Wait until the graph is drawn and nothing is loading."""
    page.wait_for_function(
        "() => window.__cy && window.__cy.nodes().length > 0 && !document.querySelector('.busy')"
    )
    page.wait_for_timeout(150)


def drawn(page: Any) -> set[str]:
    return set(page.evaluate("() => window.__cy.nodes().map(n => n.id())"))


def classes_of(page: Any, element: str) -> list[str]:
    return list(page.evaluate("id => window.__cy.getElementById(id).classes()", element))


def click_node(page: Any, node: str) -> None:
    x, y = page.evaluate(
        """id => { const cy = window.__cy; const n = cy.getElementById(id); cy.center(n);
                   const p = n.renderedPosition(); const r = cy.container().getBoundingClientRect();
                   return [r.left + p.x, r.top + p.y]; }""",
        node,
    )
    page.mouse.click(x, y)


def query(page: Any) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def test_search_open_expand_columns_and_time_travel(served: Server, page: Any) -> None:
    page.goto(served.url + "/")
    page.get_by_role("combobox", name="Search the lineage graph").fill("features.churn")
    option = page.get_by_role("option").filter(has_text="features.churn").first
    option.wait_for()
    page.keyboard.press("Enter")
    settle(page)
    assert query(page)["node"] == [FEATURES]
    assert {FEATURES, BUILD, STAGING, MODEL} <= drawn(page)
    screenshot(page, "01-opened")

    # One level at a time: depth 1 shows the feature table's own jobs; expanding the
    # feature job's upstream adds its two inputs, with the count shown before.
    page.get_by_label("Depth").select_option("1")
    settle(page)
    assert STAGING not in drawn(page)
    click_node(page, BUILD)
    expand = page.get_by_role("button", name=re.compile(r"Expand upstream \(2\)"))
    expand.wait_for()
    assert "◂2" in page.evaluate("id => window.__cy.getElementById(id).data('label')", BUILD)
    expand.click()
    settle(page)
    assert {STAGING, RAW_EVENTS} <= drawn(page)
    assert query(page)["ops"] == [f"+u:{BUILD}"]
    screenshot(page, "02-expanded")
    page.get_by_role("button", name="Collapse upstream").click()
    settle(page)
    assert STAGING not in drawn(page)

    # Columns: select a column of the feature table, its column lineage lights up, the
    # INDIRECT dependency (a filter) drawn dashed.
    page.get_by_label("Depth").select_option("4")
    settle(page)
    click_node(page, FEATURES)
    page.get_by_role("button", name="tenure_days").click()
    settle(page)
    assert query(page)["field"] == [TENURE]
    upstream_tenure = encode_id(field_id(NS, "staging.customers", "tenure_days"))
    signup = encode_id(field_id(NS, "raw.customers", "signup_date"))
    assert {TENURE, upstream_tenure, signup} <= drawn(page)
    assert "hl" in classes_of(page, signup)
    edges = page.evaluate(
        "() => window.__cy.edges('.hl').map(e => [e.data('transformation'), e.style('line-style')])"
    )
    assert ["DIRECT", "solid"] in edges
    assert ["INDIRECT", "dashed"] in edges
    # The column drifted: its panel lists the open incident and says FAILING.
    expect(page.get_by_test_id("health")).to_have_text("FAILING")
    screenshot(page, "03-columns")

    # Time travel: the slider's first point in time draws another graph, and the feature
    # job before it started reading raw.events does not reach raw.events.
    page.goto(served.url + f"/?node={FEATURES}")
    settle(page)
    now = drawn(page)
    assert RAW_EVENTS in now
    slider = page.get_by_test_id("time-slider")
    slider.focus()
    page.keyboard.press("Home")
    settle(page)
    assert query(page).get("asOf")
    assert drawn(page) != now
    page.goto(served.url + f"/?node={FEATURES}&asOf={quote(before_change())}")
    settle(page)
    then = drawn(page)
    assert STAGING in then
    assert RAW_EVENTS not in then
    assert page.get_by_test_id("as-of").inner_text() != "now"
    screenshot(page, "04-as-of")


def test_impact_mode_shows_breaking_items_and_a_markdown_report(served: Server, page: Any) -> None:
    page.goto(served.url + f"/?node={STAGING}&sel={STAGING}&mode=impact")
    settle(page)
    panel = page.get_by_test_id("modepanel")
    panel.get_by_label("tenure_days").check()
    report = page.get_by_test_id("impact-report")
    report.wait_for()
    breaking = report.locator("li[data-severity=BREAKING]")
    item = breaking.filter(
        has=page.locator("strong", has_text=re.compile(r"^features\.churn\.tenure_days$"))
    )
    assert item.count() == 1
    assert "team:ml-features" in item.inner_text()
    page.wait_for_function(
        "id => window.__cy.getElementById(id).hasClass('impact-BREAKING')", arg=FEATURES
    )
    assert query(page)["changeFields"] == ["tenure_days"]
    page.get_by_role("button", name="Copy markdown report").click()
    page.get_by_role("button", name="Copied").wait_for()
    markdown = page.get_by_test_id("impact-markdown").text_content()
    assert "| BREAKING | `features.churn.tenure_days`" in markdown
    screenshot(page, "05-impact")

    # A rename from the URL alone: the view is shareable.
    page.goto(
        served.url
        + f"/?node={STAGING}&sel={STAGING}&mode=impact&change=RENAME_FIELD&changeFields=plan&changeTo=tier"
    )
    page.get_by_test_id("impact-report").wait_for()
    assert "rename" in page.get_by_test_id("impact-report").inner_text().lower()


def test_triage_mode_ranks_the_failing_check_first(served: Server, page: Any) -> None:
    page.goto(served.url + f"/?node={FEATURES}&mode=triage")
    settle(page)
    select = page.get_by_label("Open incident")
    select.locator("option", has_text="against threshold").wait_for(state="attached")
    value = select.locator("option", has_text="against threshold").get_attribute("value")
    select.select_option(value)
    report = page.get_by_test_id("triage-report")
    report.wait_for()
    first = report.get_by_test_id("suspect").first
    assert "staging.customers" in first.inner_text()
    assert "FAILED_ASSERTION" in first.inner_text()
    page.wait_for_function("id => window.__cy.getElementById(id).hasClass('suspect')", arg=STAGING)
    assert "blast" in classes_of(page, MODEL)
    assert query(page)["incident"] == [value]
    screenshot(page, "06-triage")


def test_path_mode_highlights_the_paths_between_two_nodes(served: Server, page: Any) -> None:
    page.goto(served.url + f"/?node={FEATURES}&depth=6&mode=path")
    settle(page)
    click_node(page, RAW_CUSTOMERS)
    click_node(page, ENDPOINT)
    result = page.get_by_test_id("path-result")
    result.wait_for()
    text = result.inner_text()
    assert "raw.customers" in text and "churn-api/predict" in text
    page.wait_for_function("id => window.__cy.getElementById(id).hasClass('hl')", arg=MODEL)
    assert "hl" not in classes_of(page, RAW_EVENTS)
    screenshot(page, "07-path")


def test_keyboard_and_export(served: Server, page: Any) -> None:
    page.goto(served.url + f"/?node={FEATURES}&sel={FEATURES}")
    settle(page)
    page.get_by_test_id("graph").focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("id => !location.search.includes('sel=' + id)", arg=FEATURES)
    assert query(page)["sel"] == [BUILD]
    page.keyboard.press("[")
    settle(page)
    assert STAGING in drawn(page)
    page.get_by_text("Export").click()
    with page.expect_download() as png:
        page.get_by_role("button", name="View as PNG").click()
    assert png.value.suggested_filename == "lineage.png"
    with page.expect_download() as csv:
        page.get_by_role("link", name="Graph as CSV").click()
    path = csv.value.path()
    assert path and "staging.customers" in Path(path).read_text()
    with page.expect_download() as graph_json:
        page.get_by_role("link", name="Graph as JSON").click()
    body = json.loads(Path(graph_json.value.path()).read_text())
    assert body["nodes"]
    screenshot(page, "08-keyboard")
