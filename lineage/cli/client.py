"""What the commands ask a running server or a store: where to ask, GraphQL answers from
either, event batches posted to a server, and an export streamed from one."""

from __future__ import annotations

import os
from typing import Any, TextIO

import orjson
import typer
from rich.markup import escape

from lineage.cli.options import load_settings
from lineage.cli.render import err, exits_on


def server_to_ask(store: str | None, server: str | None) -> str | None:
    """The server to ask: ``--server``, else ``LINEAGE_SERVER`` unless ``--store`` is given;
    None means the store. Exits 2 when both ``--store`` and ``--server`` are given."""
    if store and server:
        err.print("[red]error:[/] give --store or --server, not both")
        raise typer.Exit(2)
    if server or store:
        return server
    return os.environ.get("LINEAGE_SERVER") or None


def graphql_answer(
    query: str, variables: dict[str, Any], store: str | None, server: str | None, token: str | None
) -> dict[str, Any]:
    """A GraphQL answer (its data and errors) from a running server, or straight from a
    store. Exits 1 when neither can answer, 2 on usage errors."""
    server = server_to_ask(store, server)
    if server:
        return post_graphql(server, token, query, variables)
    return local_graphql(store, query, variables)


def graphql_data(
    query: str, variables: dict[str, Any], store: str | None, server: str | None, token: str | None
) -> dict[str, Any]:
    """The data of a GraphQL answer from a running server, or straight from a store.

    Prints each error with its code and exits 1 when the answer has errors.
    """
    body = graphql_answer(query, variables, store, server, token)
    errors = body.get("errors") or []
    for error in errors:
        code = (error.get("extensions") or {}).get("code", "ERROR")
        err.print(f"[red]error:[/] {escape(str(error.get('message')))} ({code})")
    if errors or body.get("data") is None:
        raise typer.Exit(1)
    data: dict[str, Any] = body["data"]
    return data


def post_graphql(
    server: str, token: str | None, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    from lineage.client import Client, LineageError

    with Client(server, token) as client:
        try:
            return client.post(query, variables)
        except LineageError as exc:
            err.print(f"[red]error:[/] {escape(str(exc))}")
            raise typer.Exit(1) from exc


def _is_mutation(query: str) -> bool:
    """Whether a GraphQL document changes anything (then the store is opened to write)."""
    from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse

    try:
        document = parse(query)
    except GraphQLError:
        return False  # the execution reports the syntax error
    return any(
        isinstance(d, OperationDefinitionNode) and d.operation is OperationType.MUTATION
        for d in document.definitions
    )


def local_graphql(store: str | None, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    import asyncio

    from lineage.analysis import MAX_DEPTH
    from lineage.api.graphql import schema
    from lineage.api.graphql.context import Context
    from lineage.store import StoreError, open_store

    settings = load_settings(store=store)
    with exits_on(StoreError):
        graph = open_store(settings.store, read_only=not _is_mutation(query))
    try:
        with exits_on(StoreError):
            context = Context(
                graph,
                node_budget=settings.node_budget,
                max_depth=min(settings.max_depth, MAX_DEPTH),
                timeout=None,
            )
            result = asyncio.run(
                schema.execute(query, variable_values=variables, context_value=context)
            )
    finally:
        graph.close()
    return {"data": result.data, "errors": [e.formatted for e in result.errors or ()]}


class ServerSink:
    """Posts batches of decoded events to a running server's batch endpoint."""

    def __init__(self, url: str, token: str | None) -> None:
        import httpx

        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.client = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=60)

    def send(self, readable: list[tuple[str, Any]]) -> tuple[int, list[tuple[str, str]]]:
        """Post (where, event) pairs; how many the server accepted, and (where, why) for
        each it rejected. Exits 1 when the server cannot be reached or refuses."""
        import httpx

        from lineage.client import send

        rejected: list[tuple[str, str]] = []
        try:
            # Stored by content: a batch sent twice is stored once, so it is safe to retry.
            response = send(
                self.client,
                "POST",
                "/api/v1/lineage/batch",
                idempotent=True,
                content=orjson.dumps([v for _, v in readable]),
            )
        except httpx.HTTPError as exc:
            err.print(f"[red]error:[/] cannot reach {self.client.base_url}: {exc}")
            raise typer.Exit(1) from exc
        if response.status_code in (401, 403):
            err.print(f"[red]error:[/] the server refused the token: {response.text}")
            raise typer.Exit(1)
        if response.status_code not in (201, 207, 422):
            err.print(f"[red]error:[/] the server answered {response.status_code}: {response.text}")
            raise typer.Exit(1)
        body = response.json()
        for entry in body.get("rejected", []):
            where = readable[entry["index"]][0]
            reasons = "; ".join(f"{e['path']}: {e['message']}" for e in entry["errors"])
            rejected.append((where, reasons))
        if "accepted" not in body:
            rejected.append((readable[0][0], body.get("error", response.text)))
            return 0, rejected
        return int(body["accepted"]), rejected


def export_from_server(
    server: str, token: str | None, params: dict[str, Any], sink: TextIO
) -> bool:
    """Stream GET /api/v1/export into ``sink``; whether the export was cut at its limit.
    Exits 2 when the server calls the question wrong, 1 when it cannot answer."""
    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = server.rstrip("/") + "/api/v1/export"
    try:
        with httpx.stream("GET", url, params=params, headers=headers, timeout=300) as response:
            if response.status_code != 200:
                response.read()
                try:
                    message = response.json().get("error") or response.text
                except ValueError:
                    message = response.text
                err.print(f"[red]error:[/] {escape(str(message))} ({response.status_code})")
                raise typer.Exit(2 if response.status_code in (400, 422) else 1)
            for text in response.iter_text():
                sink.write(text)
            truncated: bool = response.headers.get("x-lineage-truncated") == "true"
            return truncated
    except httpx.HTTPError as exc:
        err.print(f"[red]error:[/] cannot reach {url}: {exc}")
        raise typer.Exit(1) from exc
