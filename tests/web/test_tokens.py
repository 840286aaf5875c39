"""On a server with tokens, the explorer asks for one once and then works as usual."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.server import Server
from tests.web.conftest import require_browser, screenshot
from tests.web.fixture import events

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    require_browser()
    folder: Path = tmp_path_factory.mktemp("web-tokens")
    server = Server(
        f"sqlite:///{folder}/lineage.db",
        folder / "server.log",
        env={"LINEAGE_TOKENS": "reader=read,writer=ingest"},
    ).start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for event in events():
                headers = {"Authorization": "Bearer writer"}
                assert (
                    client.post("/api/v1/lineage", json=event, headers=headers).status_code == 201
                )
        yield server
    finally:
        server.stop()


def test_the_explorer_asks_for_a_token_once_and_sends_it(
    guarded: Server, browser_context: Any
) -> None:
    page = browser_context.new_page()
    asked: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda d: (asked.append(d.message), d.accept("reader")))
    # The browser itself logs the first, refused request; anything else is a failure.
    page.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" and "401" not in m.text else None,
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(guarded.url + "/")
        page.get_by_role("combobox", name="Search the lineage graph").fill("features.churn")
        page.get_by_role("option").filter(has_text="features.churn").first.wait_for()
        assert len(asked) == 1 and "bearer token" in asked[0]
        assert page.evaluate("() => sessionStorage.getItem('lineage-token')") == "reader"
        page.keyboard.press("Enter")
        page.wait_for_function("() => window.__cy && window.__cy.nodes().length > 0")
        page.get_by_text("Export").click()
        with page.expect_download() as graph_json:
            page.get_by_role("link", name="Graph as JSON").click()
        assert '"nodes"' in Path(graph_json.value.path()).read_text()
        screenshot(page, "12-token")
    finally:
        page.close()
    assert not errors, errors
