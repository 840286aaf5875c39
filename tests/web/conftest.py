"""A real ``lineage serve`` with the fixture loaded, and Debian's chromium driven by playwright."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from lineage.api.web import STATIC
from tests.conftest import skip_or_fail
from tests.e2e.server import Server
from tests.web.fixture import events

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Screenshots the tests take, for people to look at (gitignored).
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "web"
VIEWPORT = {"width": 1280, "height": 800}


def require_browser() -> None:
    if not CHROMIUM.exists():
        skip_or_fail(
            "browser tests need /usr/bin/chromium: run `make chromium` as root "
            "(tools/chromium/install.sh; make test does it)"
        )
    if not (STATIC / "index.html").is_file():
        skip_or_fail("browser tests need the built explorer: run `make web` (make test does it)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        skip_or_fail("browser tests need playwright: pip install -e '.[test]'")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    require_browser()
    folder = tmp_path_factory.mktemp("web")
    server = Server(f"sqlite:///{folder}/lineage.db", folder / "server.log").start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for event in events():
                response = client.post("/api/v1/lineage", json=event)
                assert response.status_code == 201, response.text
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser_context() -> Iterator[Any]:
    require_browser()
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="lineage-chromium-")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport=VIEWPORT,
            accept_downloads=True,
        )
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


class ConsoleErrors(list[str]):
    pass


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:
    """A fresh tab; the test fails on any console error or uncaught exception in it."""
    tab = browser_context.new_page()
    errors = ConsoleErrors()
    tab.on(
        "console",
        lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None,
    )
    tab.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    tab.errors = errors
    yield tab
    tab.close()
    assert not errors, "the page logged errors:\n" + "\n".join(errors)


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")


@pytest.fixture(scope="module")
def demo_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with `lineage demo` posted to it over HTTP."""
    import subprocess
    import sys

    require_browser()
    folder = tmp_path_factory.mktemp("demo")
    server = Server(f"sqlite:///{folder}/lineage.db", folder / "server.log").start()
    try:
        subprocess.run(
            [sys.executable, "-m", "lineage.cli", "demo", "--server", server.url],
            check=True,
            capture_output=True,
            timeout=180,
        )
        yield server
    finally:
        server.stop()
