"""The OpenAPI document ``/openapi.json`` serves: every route with the shapes of its
answers, Marquez's ``/namespaces/...`` paths one by one, the bearer scheme, and the answers
the middleware gives on any route (a refused token, a cross-site post, a body that is not
JSON, a store that is loading or down)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from starlette.routing import BaseRoute

from lineage.api import marquez_paths
from lineage.api.auth import with_bearer_security
from lineage.api.loading import ALWAYS_OPEN, READINESS
from lineage.api.responses import Detail, Error, NotReady

Json = dict[str, Any]

#: Methods that carry a body, and that another site's page could send.
_CHANGING: Final = frozenset({"post", "put", "patch", "delete"})


def describe(app: FastAPI) -> Json:
    """The OpenAPI document of ``app``."""
    routes: list[BaseRoute] = [*app.routes, *marquez_paths.router.routes]
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=routes
    )
    return with_common_answers(with_bearer_security(schema, routes))


def with_common_answers(schema: Json) -> Json:
    """``schema`` with, on each operation, the answers any route may give before it runs."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (Error, Detail, NotReady):
        _register(components, model)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if path.startswith("/graphql"):
                continue
            responses = operation.setdefault("responses", {})
            if operation.get("security"):
                _add(responses, 401, Detail, "No bearer token, or an unknown one.")
                _add(responses, 403, Detail, "The token lacks the scope this needs.")
            if "requestBody" in operation:
                _add(responses, 400, Detail, "The body is not valid JSON.")
            if method in _CHANGING:
                _add(responses, 403, Error, "A cross-site request (LINEAGE_ALLOWED_ORIGINS).")
                _add(responses, 415, Error, "A body that is not JSON.")
            if path in ALWAYS_OPEN or path == READINESS:
                _add(responses, 503, NotReady, "The store is loading, or failed to load.")
            else:
                _add(responses, 503, Error, "The store is loading, failed to load, or is down.")
    return schema


def _register(components: Json, model: type[BaseModel]) -> None:
    found = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in found.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components.setdefault(model.__name__, found)


def _add(responses: Json, status: int, model: type[BaseModel], description: str) -> None:
    """Add ``model`` as one more shape of the ``status`` answer."""
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    entry = responses.get(str(status))
    if entry is None:
        responses[str(status)] = {
            "description": description,
            "content": {"application/json": {"schema": ref}},
        }
        return
    content = entry.setdefault("content", {}).setdefault("application/json", {})
    held = content.get("schema")
    if held is None:
        content["schema"] = ref
        return
    shapes: list[Json] = list(held["anyOf"]) if set(held) <= {"anyOf", "title"} else [held]
    if ref not in shapes:
        shapes.append(ref)
        content["schema"] = {"anyOf": shapes}
        entry["description"] = f"{entry.get('description', '')} {description}".strip()


def paths_of(schema: Json) -> Iterable[tuple[str, str]]:
    """Every (method, path) the document describes."""
    for path, operations in schema.get("paths", {}).items():
        for method in operations:
            yield method, path
