"""The explorer on the demo story: the endpoint's drift triaged back to the changed source."""

from __future__ import annotations

from typing import Any

import pytest

from lineage.api.graphql.ids import encode_id
from lineage.demo import ENDPOINT, SOURCE_ORDERS
from lineage.graph.model import dataset_id
from tests.e2e.server import Server
from tests.web.conftest import screenshot
from tests.web.test_explorer import settle

pytestmark = pytest.mark.e2e


def test_demo_search_and_triage_rank_the_planted_cause_first(
    demo_served: Server, page: Any
) -> None:
    page.goto(demo_served.url + "/")
    page.get_by_role("combobox", name="Search the lineage graph").fill("churn-scorer")
    page.get_by_role("option").filter(has_text="churn-scorer").first.wait_for()
    page.keyboard.press("Enter")
    settle(page)
    endpoint = encode_id(dataset_id(*ENDPOINT))
    assert f"node={endpoint}" in page.url
    screenshot(page, "10-demo-endpoint")

    page.get_by_test_id("mode-triage").click()
    select = page.get_by_label("Open incident")
    option = select.locator("option", has_text="against threshold")
    option.wait_for(state="attached")
    select.select_option(option.get_attribute("value"))
    report = page.get_by_test_id("triage-report")
    report.wait_for()
    first = report.get_by_test_id("suspect").first
    assert SOURCE_ORDERS[1] in first.inner_text()
    source = encode_id(dataset_id(*SOURCE_ORDERS))
    page.wait_for_function("id => window.__cy.getElementById(id).hasClass('suspect')", arg=source)
    screenshot(page, "11-demo-triage")
