"""Every operation of /openapi.json called with generated (valid and invalid) parameters and
bodies, by schemathesis, against the real app: no 5xx, every 4xx names the problem, and every
answer's status, media type and body are as the schema describes."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from lineage.api.app import create_app
from lineage.settings import Settings
from lineage.store.embedded import EmbeddedStore
from tests.hostile.conftest import SCALE, problems_in

# Built at import: schemathesis makes one test per operation when the module is collected
# (its fixture-based loader does not run on this pytest).
# The store is given, not opened by the app: schemathesis starts and stops the app (its
# lifespan) around each call, and an app closes the store it opened when it stops.
FOLDER = Path(tempfile.mkdtemp(prefix="lineage-hostile-"))
STORE = EmbeddedStore(FOLDER / "lineage.db")
APP = create_app(Settings(store=f"sqlite:///{FOLDER}/lineage.db", tokens=[]), store=STORE)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def _store() -> Iterator[None]:
    yield
    STORE.close()
    shutil.rmtree(FOLDER, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=6 * SCALE, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_a_server_error(case: Any) -> None:
    response = case.call()
    # Every REST answer, to anything sent, is one the schema describes: its status, its
    # media type and its body's shape (GraphQL's answers are described by its own schema).
    conformance = [status_code_conformance, content_type_conformance, response_schema_conformance]
    graphql = case.path.startswith("/graphql")
    case.validate_response(response, checks=[not_a_server_error, *([] if graphql else conformance)])
    if 400 <= response.status_code < 500:
        try:
            problems_in(response.status_code, response.content, case.formatted_path)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nreproduce with: {case.as_curl_command()}") from None
