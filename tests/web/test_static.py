"""The explorer's files at `/`, and a clear page instead when they were never built."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from lineage.api.web import mount_explorer


def test_without_a_build_the_root_says_how_to_build(tmp_path: Path) -> None:
    app = FastAPI()
    mount_explorer(app, tmp_path / "missing")
    response = TestClient(app).get("/")
    assert response.status_code == 200
    assert "make web" in response.text


def test_a_build_is_served(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><div id=root></div>")
    (tmp_path / "assets" / "main.js").write_text("console.log(1)")
    app = FastAPI()
    mount_explorer(app, tmp_path)
    client = TestClient(app)
    assert "id=root" in client.get("/").text
    assert client.get("/assets/main.js").status_code == 200
