"""Entity pages on the demo: a dataset, a job, a model and an endpoint, each at its own URL.

Each page is reached by its URL and by clicking from the graph's side panel (or search);
the screenshots land in tests/artifacts/web.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest

from lineage.api.graphql.ids import encode_id
from lineage.demo import ENDPOINT, MODEL, RAW_ORDERS
from lineage.graph.model import dataset_id, job_id
from tests.e2e.server import Server
from tests.factories import facet, new_run_id, run_event
from tests.web.conftest import ARTIFACTS
from tests.web.test_explorer import click_node, settle

pytestmark = pytest.mark.e2e

STG_ORDERS_JOB = ("dbt", "analytics.staging.acme_analytics.stg_orders.build.run")
TOTALS_JOB = ("warehouse", "build_order_totals")


def screenshot(page: Any, name: str) -> None:
    """The whole page, not only the viewport: these pages scroll."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def page_url(server: Server, kind: str, namespace: str, name: str) -> str:
    return f"{server.url}/#/{kind}/{quote(namespace, safe='')}/{quote(name, safe='')}"


def title(page: Any) -> str:
    heading = page.get_by_test_id("entity-title")
    heading.wait_for()
    return str(heading.inner_text())


def open_from_panel(page: Any, server: Server, node: str) -> None:
    """Draw the graph around ``node``, click it, and follow the panel's link to its page."""
    page.goto(f"{server.url}/?node={node}")
    settle(page)
    click_node(page, node)
    link = page.get_by_test_id("panel").get_by_test_id("entity-link")
    link.click()


def test_dataset_page_shows_schema_diff_versions_quality_and_consumers(
    demo_served: Server, page: Any
) -> None:
    page.goto(page_url(demo_served, "dataset", *RAW_ORDERS))
    assert title(page) == RAW_ORDERS[1]
    diff = page.get_by_test_id("schema-diff")
    retyped = diff.locator("tr.retyped")
    retyped.wait_for()
    assert retyped.inner_text().split("\t") == [
        "type changed",
        "amount",
        "DECIMAL(12,2)",
        "VARCHAR",
    ]
    assert "~1 retyped" in diff.locator("h3").inner_text()
    versions = page.get_by_test_id("versions").locator("tbody tr")
    assert versions.count() == 2
    assert "~1 retyped" in versions.nth(0).inner_text()
    assert "first" in versions.nth(1).inner_text()
    assert "No owner reported" in page.get_by_test_id("owners").inner_text()
    downstream = page.get_by_test_id("downstream")
    downstream.get_by_role("link", name="churn-scorer").wait_for()
    assert downstream.get_by_role("link", name=STG_ORDERS_JOB[1]).count() == 1
    assert "Incident history" in page.get_by_test_id("quality").inner_text()
    screenshot(page, "20-entity-dataset")

    # Comparing a version with itself: nothing changed.
    diff.get_by_label("Compare from").select_option(index=0)
    diff.get_by_text("The two versions have the same schema.").wait_for()

    # From the graph: the side panel links to the same page.
    open_from_panel(page, demo_served, encode_id(dataset_id(*RAW_ORDERS)))
    assert title(page) == RAW_ORDERS[1]
    assert "#/dataset/" in page.url


def test_dataset_page_quality_history_lists_failed_assertions_and_incidents(
    demo_served: Server, page: Any
) -> None:
    page.goto(page_url(demo_served, "dataset", RAW_ORDERS[0], "analytics.staging.stg_orders"))
    assert title(page) == "analytics.staging.stg_orders"
    quality = page.get_by_test_id("quality")
    quality.locator("td.fail").first.wait_for()
    assert "FAILING" in quality.locator("h3").inner_text()
    incidents = quality.get_by_test_id("incidents").locator("tbody tr")
    assert incidents.count() >= 1
    assert "QUALITY" in incidents.first.inner_text()
    quality.scroll_into_view_if_needed()
    screenshot(page, "21-entity-dataset-quality")


def test_job_page_shows_runs_with_durations_and_the_sql(demo_served: Server, page: Any) -> None:
    page.goto(page_url(demo_served, "job", *STG_ORDERS_JOB))
    assert title(page) == STG_ORDERS_JOB[1]
    runs = page.get_by_test_id("runs").locator("tbody tr")
    runs.first.wait_for()
    assert runs.count() == 2
    assert "COMPLETE" in runs.first.inner_text() and "1 min 0 s" in runs.first.inner_text()
    sql = page.get_by_test_id("sql")
    assert "The same in all 2 runs that reported it." in sql.inner_text()
    assert "try_cast(amount as decimal(12,2))" in sql.locator("pre").inner_text()
    screenshot(page, "22-entity-job")

    open_from_panel(page, demo_served, encode_id(job_id(*STG_ORDERS_JOB)))
    assert title(page) == STG_ORDERS_JOB[1]
    assert "#/job/" in page.url


def test_job_page_shows_the_sql_changes_between_runs(demo_served: Server, page: Any) -> None:
    source = [{"namespace": RAW_ORDERS[0], "name": RAW_ORDERS[1], "facets": {}}]
    target = [{"namespace": RAW_ORDERS[0], "name": "analytics.marts.order_totals", "facets": {}}]
    queries = [
        "select customer_id, sum(amount) as total\nfrom analytics.raw.orders\ngroup by 1",
        "select customer_id, sum(try_cast(amount as decimal(12,2))) as total\n"
        "from analytics.raw.orders\ngroup by 1",
    ]
    events = []
    for i, query in enumerate(queries):
        run = new_run_id()
        sql = {"sql": facet("SQLJobFacet", query=query)}
        events.append(
            run_event(
                "START", run, TOTALS_JOB, time=i * 60, inputs=source, outputs=target, job_facets=sql
            )
        )
        events.append(
            run_event(
                "FAIL" if i else "COMPLETE",
                run,
                TOTALS_JOB,
                time=i * 60 + 3,
                inputs=source,
                outputs=target,
            )
        )
    with httpx.Client(base_url=demo_served.url, timeout=30) as client:
        for event in events:
            assert client.post("/api/v1/lineage", json=event).status_code == 201

    page.goto(page_url(demo_served, "job", *TOTALS_JOB))
    assert title(page) == TOTALS_JOB[1]
    change = page.get_by_test_id("sql-change")
    change.wait_for()
    assert change.locator(".del").inner_text().startswith("- select customer_id, sum(amount)")
    assert "try_cast" in change.locator(".ins").inner_text()
    assert "Changed 1 time" in page.get_by_test_id("sql").locator("h3").inner_text()
    states = page.get_by_test_id("runs").locator("tbody tr .state").all_inner_texts()
    assert states == ["FAIL", "COMPLETE"]
    screenshot(page, "23-entity-job-sql-change")


def test_model_page_compares_versions_side_by_side(demo_served: Server, page: Any) -> None:
    page.goto(page_url(demo_served, "model", *MODEL))
    assert title(page) == MODEL[1]
    table = page.get_by_test_id("model-versions").locator("table")
    table.wait_for()
    heads = table.locator("thead th.version-head").all_inner_texts()
    assert [h.split()[1] for h in heads] == ["1", "2"]  # oldest on the left
    auc = table.locator("tr", has=page.locator("th", has_text="auc"))
    assert auc.locator("td").all_inner_texts() == ["0.86", "0.84 \u22120.02"]
    trained_on = table.locator("tr", has=page.locator("th", has_text="trained on"))
    # Each version was trained on the feature service and that day's features table.
    assert [t.strip().split("\n") for t in trained_on.locator("td").all_inner_texts()] == [
        ["analytics.features.churn_features@2026-11-23", "churn_service@run:01a2\u2026"],
        ["analytics.features.churn_features@2026-11-24", "churn_service@run:01a2\u2026"],
    ]
    deployed = table.locator("tr", has=page.locator("th", has_text="deployed to")).locator("td")
    assert (
        "churn-scorer" in deployed.nth(0).inner_text()
        and "2026-11-23" in deployed.nth(0).inner_text()
    )
    assert "2026-11-25" in deployed.nth(1).inner_text()
    n_estimators = table.locator("tr", has=page.locator("th", has_text="n_estimators"))
    assert n_estimators.locator("td").all_inner_texts() == ["300", "300"]
    screenshot(page, "24-entity-model")

    # From the model to the dataset it was trained on.
    trained_on.get_by_role("link").first.click()
    assert title(page) == "analytics.features.churn_features"

    open_from_panel(page, demo_served, encode_id(dataset_id(*MODEL)))
    assert title(page) == MODEL[1]
    assert "#/model/" in page.url


def test_endpoint_page_shows_which_model_version_served_when(
    demo_served: Server, page: Any
) -> None:
    page.goto(page_url(demo_served, "endpoint", *ENDPOINT))
    assert title(page) == ENDPOINT[1]
    serving = page.get_by_test_id("serving")
    rows = serving.locator("tbody tr")
    rows.first.wait_for()
    assert rows.count() == 2
    now, before = rows.nth(0).inner_text(), rows.nth(1).inner_text()
    assert "churn@2" in now and "still serving" in now and "Drift detected" in now
    assert "churn@1" in before and "2026-11-23 09:00 UTC" in before
    assert "2026-11-25 09:00 UTC" in before and "none" in before
    assert serving.locator(".timeline .span").count() == 2
    serving.get_by_label("Serving at").fill("2026-11-24T12:00")
    assert serving.get_by_test_id("served-at").inner_text() == "churn version 1"
    screenshot(page, "25-entity-endpoint")

    open_from_panel(page, demo_served, encode_id(dataset_id(*ENDPOINT)))
    assert title(page) == ENDPOINT[1]
    assert "#/endpoint/" in page.url


def test_search_opens_a_page_and_a_dataset_link_to_a_model_goes_to_its_page(
    demo_served: Server, page: Any
) -> None:
    page.goto(page_url(demo_served, "dataset", *RAW_ORDERS))
    assert title(page) == RAW_ORDERS[1]
    page.get_by_role("combobox", name="Search the lineage graph").fill("churn-scorer")
    page.get_by_role("option").filter(has_text="churn-scorer").first.wait_for()
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.hash.startsWith('#/endpoint/')")
    assert title(page) == ENDPOINT[1]

    # From the graph's search, the hit's own "page" link.
    page.goto(demo_served.url + "/")
    page.get_by_role("combobox", name="Search the lineage graph").fill("churn")
    hit = page.get_by_role("option").filter(has_text="model")
    hit.first.wait_for()
    screenshot(page, "26-entity-search-link")
    hit.first.get_by_role("link", name="page ▸").click()
    assert title(page) == MODEL[1]
    page.go_back()
    page.wait_for_function("() => !location.hash")
    page.get_by_role("combobox", name="Search the lineage graph").wait_for()


def test_an_unknown_page_says_so(demo_served: Server, page: Any) -> None:
    page.goto(page_url(demo_served, "dataset", "nowhere", "nothing"))
    error = page.locator(".entity .error")
    error.wait_for()
    assert "no dataset" in error.inner_text()
