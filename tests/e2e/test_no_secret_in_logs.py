"""No secret, nor any part of one, reaches a log line or an error: a real ``lineage serve``
is started with tokens (well-formed and malformed) and asked with wrong tokens, and its
whole output and every answer are searched for each secret and every 6-character piece."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import httpx

from tests.e2e.server import Server


def pieces(secret: str) -> set[str]:
    return {secret[i : i + 6] for i in range(len(secret) - 5)}


def assert_holds_none(text: str, secrets_: list[str]) -> None:
    for secret in secrets_:
        leaked = sorted(p for p in pieces(secret) if p in text)
        assert not leaked, f"{leaked} of a secret found in:\n{text}"


def secret() -> str:
    return "S" + secrets.token_urlsafe(24).replace("-", "x").replace("_", "y")


def test_a_malformed_token_entry_is_refused_without_showing_its_secret(tmp_path: Path) -> None:
    kept, no_scope, bad_scope = secret(), secret(), secret()
    for entries in (
        f"{kept}=read,{no_scope}",
        f"{kept}=read,{bad_scope}=reed",
        f"{kept}=read+ingestt",
    ):
        store = f"sqlite:///{tmp_path}/l.db"
        done = subprocess.run(
            [sys.executable, "-m", "lineage.cli", "serve", "--store", store, "--port", "0"],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "LINEAGE_TOKENS": entries, "COLUMNS": "200"},
        )
        assert done.returncode == 2, done.stdout + done.stderr
        output = done.stdout + done.stderr
        assert "LINEAGE_TOKENS" in output
        assert_holds_none(output, [kept, no_scope, bad_scope])


def test_a_server_with_tokens_logs_no_secret_when_asked_with_wrong_ones(tmp_path: Path) -> None:
    reader, writer = secret(), secret()
    wrong = [secret() for _ in range(3)]
    log = tmp_path / "server.log"
    server = Server(
        f"sqlite:///{tmp_path}/lineage.db",
        log,
        env={"LINEAGE_TOKENS": f"{reader}=read,{writer}=ingest"},
    ).start()
    answers: list[str] = []
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for token in [*wrong, reader]:
                auth = {"Authorization": f"Bearer {token}"}
                for response in (
                    client.get("/api/v1/namespaces", headers=auth),
                    client.post("/api/v1/lineage", headers=auth, json={"eventTime": "x"}),
                    client.post("/graphql", headers=auth, json={"query": "{ __typename }"}),
                    client.get("/readyz", headers=auth),
                ):
                    answers.append(response.text + str(response.headers))
            answers.append(
                client.get("/api/v1/namespaces", headers={"Authorization": wrong[0]}).text
            )
    finally:
        server.stop()
    assert_holds_none(log.read_text() + "\n".join(answers), [reader, writer, *wrong])
