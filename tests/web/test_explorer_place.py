"""The explorer keeps your place and says what it shows: a minimap and a count of what is out
of view, the node acted on stays put, names readable when zoomed out, datasets only, the
panel as of a time, search that says "No matches" and kinds as they are, impact titles whole,
the incident workflow. Screenshots go to each test's tmp dir."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from lineage.api.graphql.ids import encode_id
from lineage.graph.model import dataset_id, field_id
from tests.e2e.server import Server
from tests.web.fixture import NS, before_change
from tests.web.test_explorer import (
    BUILD,
    ENDPOINT,
    FEATURES,
    RAW_CUSTOMERS,
    STAGING,
    drawn,
    query,
    settle,
)

pytestmark = pytest.mark.e2e


def shot(page: Any, folder: Path, name: str) -> Path:
    """A screenshot in the test's tmp dir (its path printed, to be looked at)."""
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    print(f"screenshot: {path}")
    return path


def out_of_view(page: Any) -> list[str]:
    """Top-level nodes whose box is wholly outside the part of the graph on screen."""
    return list(
        page.evaluate(
            """() => { const cy = window.__cy; const v = cy.extent();
                 return cy.nodes().filter(n => !n.isChild()).filter(n => { const b = n.boundingBox();
                   return b.x2 < v.x1 || b.x1 > v.x2 || b.y2 < v.y1 || b.y1 > v.y2; }).map(n => n.id()); }"""
        )
    )


def rendered(page: Any, node: str) -> tuple[float, float]:
    x, y = page.evaluate(
        "id => { const p = window.__cy.getElementById(id).renderedPosition(); return [p.x, p.y]; }",
        node,
    )
    return float(x), float(y)


def test_depth_change_shows_the_new_nodes_with_a_minimap_and_readable_names(
    served: Server, page: Any, tmp_path: Path
) -> None:
    page.goto(served.url + f"/?node={ENDPOINT}&depth=1")
    settle(page)
    assert RAW_CUSTOMERS not in drawn(page)
    page.get_by_label("Depth").select_option("14")
    page.wait_for_function(
        "id => window.__cy.getElementById(id).length > 0", arg=RAW_CUSTOMERS, timeout=20000
    )
    settle(page)
    # The whole chain is fitted, or what is not is counted with a way to show it.
    outside = out_of_view(page)
    hint = page.get_by_test_id("offscreen")
    if outside:
        expect(hint).to_contain_text(f"{len(outside)} node")
    else:
        expect(hint).to_have_count(0)
    assert RAW_CUSTOMERS not in outside
    # Zoomed out, each node shows its short name, drawn big enough to read.
    detail = page.get_by_test_id("graph").get_attribute("data-detail")
    assert detail in ("names", "big-names"), detail
    label, size = page.evaluate(
        """id => { const n = window.__cy.getElementById(id);
                  return [n.style('label'), parseFloat(n.renderedStyle('font-size'))]; }""",
        FEATURES,
    )
    assert label in ("churn", "features.churn"), label
    assert size >= 10, size
    minimap = page.get_by_test_id("minimap")
    expect(minimap).to_be_visible()
    shot(page, tmp_path, "01-depth-14")

    # Zoomed in, the full labels are back; the minimap takes you anywhere.
    page.evaluate(
        "() => { const cy = window.__cy; cy.zoom({level: 1.2, position: {x: 0, y: 0}}); }"
    )
    page.wait_for_function("() => document.querySelector('[data-detail=full]') !== null")
    assert "\n" in page.evaluate("id => window.__cy.getElementById(id).style('label')", FEATURES)
    expect(page.get_by_test_id("offscreen")).to_be_visible()
    box = minimap.bounding_box()
    page.mouse.click(box["x"] + 6, box["y"] + box["height"] / 2)
    page.wait_for_timeout(100)
    assert RAW_CUSTOMERS not in out_of_view(page)
    assert ENDPOINT in out_of_view(page)
    shot(page, tmp_path, "02-minimap-jump")
    page.get_by_test_id("show-all").click()
    page.wait_for_timeout(100)
    assert len(out_of_view(page)) < len(drawn(page))


def test_show_columns_keeps_the_dataset_where_it_was(
    served: Server, page: Any, tmp_path: Path
) -> None:
    page.goto(served.url + f"/?node={FEATURES}&sel={STAGING}")
    settle(page)
    before = rendered(page, STAGING)
    root_before = rendered(page, FEATURES)
    page.get_by_role("button", name="Show columns").click()
    page.wait_for_function("id => window.__cy.getElementById(id).isParent()", arg=STAGING)
    settle(page)
    after = rendered(page, STAGING)
    assert abs(after[0] - before[0]) < 3 and abs(after[1] - before[1]) < 3, (before, after)
    # The view did not jump back to the start node.
    assert rendered(page, FEATURES) != root_before or before == root_before
    shot(page, tmp_path, "03-columns-in-place")
    # Expanding a level keeps the node acted on in place too.
    page.goto(served.url + f"/?node={FEATURES}&depth=1&sel={BUILD}")
    settle(page)
    before = rendered(page, BUILD)
    page.get_by_role("button", name=re.compile(r"Expand upstream")).click()
    page.wait_for_function("id => window.__cy.getElementById(id).length > 0", arg=STAGING)
    settle(page)
    after = rendered(page, BUILD)
    assert abs(after[0] - before[0]) < 3 and abs(after[1] - before[1]) < 3, (before, after)


def test_highlighted_columns_are_drawn_at_full_strength(
    served: Server, page: Any, tmp_path: Path
) -> None:
    tenure = encode_id(field_id(NS, "staging.customers", "tenure_days"))
    page.goto(served.url + f"/?node={FEATURES}&sel={tenure}&field={tenure}&cols={STAGING}")
    page.wait_for_function("id => window.__cy.getElementById(id).hasClass('hl')", arg=tenure)
    settle(page)
    # Everything else is dimmed, but not the column's dataset: it would fade the column.
    assert page.evaluate("id => window.__cy.getElementById(id).effectiveOpacity()", tenure) == 1
    dimmed = page.evaluate("() => window.__cy.nodes('.dim').length")
    assert dimmed > 0
    # A column path is shown with the columns' names.
    assert page.get_by_test_id("graph").get_attribute("data-detail") == "full"
    shot(page, tmp_path, "04a-column-highlight")


def test_datasets_only_folds_jobs_into_edges(served: Server, page: Any, tmp_path: Path) -> None:
    page.goto(served.url + f"/?node={FEATURES}&depth=14")
    settle(page)
    assert BUILD in drawn(page)
    zoom_with_jobs = page.evaluate("() => window.__cy.zoom()")
    page.get_by_test_id("datasets-only").check()
    page.wait_for_function("id => window.__cy.getElementById(id).length === 0", arg=BUILD)
    settle(page)
    assert query(page)["datasetsOnly"] == ["1"]
    kinds = set(page.evaluate("() => window.__cy.nodes().map(n => n.data('kind'))"))
    assert kinds == {"DATASET"}
    via = page.evaluate(
        """([s, t]) => window.__cy.edges().filter(e => e.source().id() === s && e.target().id() === t)
                        .map(e => e.data('via'))""",
        [STAGING, FEATURES],
    )
    assert via == ["build_features"]
    # Half the chain: the same graph fits at a larger zoom.
    assert page.evaluate("() => window.__cy.zoom()") > zoom_with_jobs
    shot(page, tmp_path, "04-datasets-only")


def test_panel_and_badges_follow_as_of(served: Server, page: Any, tmp_path: Path) -> None:
    # Now the feature table has an open drift incident: FAILING.
    page.goto(served.url + f"/?node={FEATURES}&sel={FEATURES}")
    settle(page)
    expect(page.get_by_test_id("health")).to_have_text("FAILING")
    assert page.evaluate("id => window.__cy.getElementById(id).data('health')", FEATURES) == (
        "FAILING"
    )
    # Before the drift was seen, it was not failing: neither the panel nor the node says so.
    page.goto(served.url + f"/?node={FEATURES}&sel={FEATURES}&asOf={quote(before_change())}")
    settle(page)
    expect(page.get_by_test_id("health")).to_have_text("OK")
    expect(page.get_by_role("heading", name=re.compile("Open incidents"))).to_have_count(0)
    assert page.evaluate("id => window.__cy.getElementById(id).data('health')", FEATURES) == "OK"
    expect(page.get_by_test_id("panel")).to_contain_text("as of")
    shot(page, tmp_path, "05-panel-as-of")


def test_search_says_no_matches_and_names_kinds(served: Server, page: Any, tmp_path: Path) -> None:
    page.goto(served.url + "/")
    search = page.get_by_role("combobox", name="Search the lineage graph")
    search.fill("zzzz-nothing-like-it")
    expect(page.get_by_test_id("no-matches")).to_contain_text("No matches")
    shot(page, tmp_path, "06-no-matches")
    search.fill("churn")
    page.get_by_role("option").first.wait_for()
    options = page.get_by_role("option")
    kinds = {}
    for i in range(options.count()):
        option = options.nth(i)
        kinds[option.locator(".name").inner_text()] = option.get_by_test_id("hit-kind").inner_text()
    assert kinds["models.churn_classifier"].upper() == "MODEL"
    assert kinds["churn-api/predict"].upper() == "ENDPOINT"
    assert kinds["features.churn"].upper() == "FEATURE SET"
    expect(page.get_by_test_id("no-matches")).to_have_count(0)
    shot(page, tmp_path, "07-search-kinds")


def test_search_moves_with_the_keys_closes_on_escape_and_opens_the_active_hit(
    served: Server, page: Any
) -> None:
    page.goto(served.url + "/")
    search = page.get_by_role("combobox", name="Search the lineage graph")
    search.fill("churn")
    options = page.get_by_role("listbox").get_by_role("option")
    options.first.wait_for()
    expect(search).to_have_attribute("aria-expanded", "true")

    def active() -> str:
        return str(page.locator(f"#{search.get_attribute('aria-activedescendant')}").inner_text())

    # The first hit is active as the hits come; the arrows move from it and back.
    first = options.nth(0).inner_text()
    assert active() == first
    page.keyboard.press("ArrowDown")
    assert active() == options.nth(1).inner_text()
    page.keyboard.press("ArrowUp")
    assert active() == first

    # Escape closes the list and keeps what was typed; a key down opens it again.
    page.keyboard.press("Escape")
    expect(search).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("option")).to_have_count(0)
    expect(search).to_have_value("churn")
    page.keyboard.press("ArrowDown")
    expect(search).to_have_attribute("aria-expanded", "true")

    # Enter opens the hit the arrows reached, not the first one.
    target, node = (
        ("churn-api/predict", ENDPOINT)
        if "churn-api" not in first
        else ("features.churn", FEATURES)
    )
    for _ in range(options.count()):
        if target in active():
            break
        page.keyboard.press("ArrowDown")
    assert target in active()
    page.keyboard.press("Enter")
    settle(page)
    assert query(page)["node"] == [node]
    expect(search).to_have_value("")


def test_facets_open_as_a_tree(served: Server, page: Any, tmp_path: Path) -> None:
    page.goto(served.url + f"/?node={STAGING}&sel={STAGING}")
    settle(page)
    facets = page.get_by_test_id("panel").locator(
        "section", has=page.get_by_role("heading", name="Facets")
    )
    tree = facets.get_by_role("tree")
    top = tree.get_by_role("treeitem").first
    expect(top).to_have_attribute("aria-expanded", "false")
    expect(facets).not_to_contain_text("ownership")
    top.get_by_role("button").first.click()
    expect(top).to_have_attribute("aria-expanded", "true")
    expect(facets).to_contain_text("ownership")
    tree.get_by_text(re.compile(r"^ownership:?$")).click()
    expect(facets).to_contain_text("OwnershipDatasetFacet.json")
    shot(page, tmp_path, "08-facets")


def test_impact_titles_do_not_break_inside_a_word(
    served: Server, page: Any, tmp_path: Path
) -> None:
    page.goto(served.url + f"/?node={STAGING}&sel={STAGING}&mode=impact&changeFields=tenure_days")
    page.get_by_test_id("impact-report").wait_for()
    broken = page.evaluate(
        """() => { const out = [];
            for (const h of document.querySelectorAll('.modepanel h2, .modepanel h3')) {
              const text = h.firstChild; if (!text || text.nodeType !== 3) continue;
              const re = /\\S+/g; let m;
              while ((m = re.exec(text.data))) { const r = document.createRange();
                r.setStart(text, m.index); r.setEnd(text, m.index + m[0].length);
                const lines = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
                if (lines.size > 1) out.push(m[0]); } }
            return out; }"""
    )
    assert broken == []
    shot(page, tmp_path, "08-impact-titles")


def test_incident_acknowledge_resolve_and_reopen(served: Server, page: Any, tmp_path: Path) -> None:
    page.goto(served.url + f"/?node={FEATURES}&mode=triage")
    settle(page)
    select = page.get_by_label("Open incident")
    option = select.locator("option", has_text="against threshold")
    option.wait_for(state="attached")
    incident = option.get_attribute("value")
    select.select_option(incident)
    status = page.get_by_test_id("incident-status")
    expect(status).to_have_text("OPEN")
    page.get_by_role("button", name="Acknowledge").click()
    expect(status).to_have_text("ACKNOWLEDGED")
    resolve = page.get_by_role("button", name="Resolve")
    expect(resolve).to_be_disabled()
    page.get_by_label("Resolution reason").fill("retrained on fixed data")
    resolve.click()
    expect(status).to_have_text("RESOLVED")
    # The side panel and the node's badge say so at once (the drift was its only incident).
    expect(page.get_by_test_id("health")).to_have_text("OK")
    page.wait_for_function(
        "id => window.__cy.getElementById(id).data('health') === 'OK'", arg=FEATURES
    )
    expect(page.get_by_test_id("incident-actions")).to_contain_text("retrained on fixed data")
    # Still chosen (though no longer open), so it can be reopened.
    assert query(page)["incident"] == [incident]
    shot(page, tmp_path, "09-incident-resolved")
    page.get_by_role("button", name="Reopen").click()
    expect(status).to_have_text("OPEN")
    expect(page.get_by_role("button", name="Acknowledge")).to_be_visible()
    expect(page.get_by_test_id("health")).to_have_text("FAILING")
    shot(page, tmp_path, "10-incident-reopened")


def test_model_panel_shows_metrics_and_parameters_as_tables(
    demo_served: Server, page: Any, tmp_path: Path
) -> None:
    from lineage.demo import ENDPOINT as DEMO_ENDPOINT
    from lineage.demo import MODEL as DEMO_MODEL

    model = encode_id(dataset_id(*DEMO_MODEL))
    page.goto(demo_served.url + f"/?node={model}&sel={model}")
    settle(page)
    metrics = page.get_by_test_id("model-metrics")
    expect(metrics).to_contain_text("auc")
    expect(page.get_by_test_id("model-params")).to_contain_text("n_estimators")
    row = metrics.locator("tr", has_text="auc")
    assert re.fullmatch(r"auc\s+0\.\d+", row.inner_text().strip()), row.inner_text()
    shot(page, tmp_path, "11-model-panel")
    endpoint = encode_id(dataset_id(*DEMO_ENDPOINT))
    page.goto(demo_served.url + f"/?node={endpoint}&sel={endpoint}")
    settle(page)
    expect(page.get_by_test_id("deployment-facts")).to_contain_text("serves")
