"""The ``lineage`` command: serve the API, ingest event files, and more."""

from __future__ import annotations

import gzip
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lineage.settings import Settings

app = typer.Typer(
    name="lineage",
    help="Lineage and metadata graph service for data and ML.",
    no_args_is_help=True,
    add_completion=False,
)
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)

StoreOption = Annotated[
    str | None,
    typer.Option("--store", help="Store URL: sqlite:///path.db or neo4j://host:7687."),
]


def _settings(**overrides: Any) -> Settings:
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except Exception as exc:  # pydantic's message names the setting
        err.print(f"[red]error:[/] invalid settings: {exc}")
        raise typer.Exit(2) from exc


@app.command()
def serve(
    store: StoreOption = None,
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Serve the OpenLineage endpoint, REST API, GraphQL and the explorer."""
    import uvicorn

    from lineage.api.app import create_app
    from lineage.store import StoreError

    settings = _settings(store=store, host=host, port=port)
    try:
        application = create_app(settings)
    except StoreError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    err.print(
        f"lineage serving on http://{settings.host}:{settings.port} "
        f"(store: {settings.store}); point producers at OPENLINEAGE_URL="
        f"http://{settings.host}:{settings.port}"
    )
    uvicorn.run(application, host=settings.host, port=settings.port, log_level="warning")


def _documents(path: str) -> Iterator[tuple[str, Any]]:
    """Yield (where, decoded JSON value) for each event in a file, folder or stdin."""
    if path == "-":
        yield from _parse_text("<stdin>", sys.stdin.buffer.read())
        return
    root = Path(path)
    if not root.exists():
        err.print(f"[red]error:[/] {path} does not exist")
        raise typer.Exit(2)
    files = (
        sorted(p for p in root.rglob("*") if p.is_file() and _is_event_file(p))
        if root.is_dir()
        else [root]
    )
    for file in files:
        data = file.read_bytes()
        if file.suffix == ".gz":
            data = gzip.decompress(data)
        yield from _parse_text(str(file), data)


def _is_event_file(path: Path) -> bool:
    name = path.name.removesuffix(".gz")
    return name.endswith((".json", ".jsonl", ".ndjson"))


def _parse_text(where: str, data: bytes) -> Iterator[tuple[str, Any]]:
    stripped = data.lstrip()
    if stripped.startswith(b"["):
        try:
            values = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            yield where, _Unreadable(f"not valid JSON: {exc}")
            return
        for i, value in enumerate(values):
            yield f"{where}[{i}]", value
        return
    try:
        yield where, orjson.loads(data)
        return
    except orjson.JSONDecodeError:
        pass
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield f"{where}:{number}", orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield f"{where}:{number}", _Unreadable(f"not valid JSON: {exc}")


class _Unreadable:
    def __init__(self, reason: str) -> None:
        self.reason = reason


@app.command()
def ingest(
    path: Annotated[
        str, typer.Argument(help="A .json/.jsonl file, a folder of them, or - for stdin.")
    ],
    store: StoreOption = None,
    server: Annotated[
        str | None,
        typer.Option(
            "--server", help="Post to a running server instead, e.g. http://127.0.0.1:8000."
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option("--token", envvar="LINEAGE_TOKEN", help="Bearer token for --server."),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=10_000)] = 500,
) -> None:
    """Load OpenLineage events from files into a store or a running server.

    Exits 1 when any event was rejected (each is listed with the reason), 2 on usage errors.
    """
    from lineage.events import EventValidationError
    from lineage.ingest import prepare
    from lineage.store import IngestItem, StoreError, open_store

    if store and server:
        err.print("[red]error:[/] give --store or --server, not both")
        raise typer.Exit(2)
    documents = list(_documents(path))
    accepted = 0
    rejected: list[tuple[str, str]] = []
    sink = _ServerSink(server, token) if server else None
    target = None
    if sink is None:
        settings = _settings(store=store)
        try:
            target = open_store(settings.store)
        except StoreError as exc:
            err.print(f"[red]error:[/] {exc}")
            raise typer.Exit(1) from exc
    progress = Progress(
        TextColumn("ingesting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    try:
        with progress:
            task = progress.add_task("events", total=len(documents))
            for start in range(0, len(documents), batch_size):
                chunk = documents[start : start + batch_size]
                if sink is not None:
                    ok, bad = sink.send(chunk)
                    accepted += ok
                    rejected.extend(bad)
                else:
                    assert target is not None
                    items: list[IngestItem] = []
                    for where, value in chunk:
                        if isinstance(value, _Unreadable):
                            rejected.append((where, value.reason))
                            continue
                        try:
                            items.append(prepare(value))
                        except EventValidationError as exc:
                            rejected.append((where, "; ".join(map(str, exc.problems))))
                    if items:
                        target.write(items)
                    accepted += len(items)
                progress.advance(task, len(chunk))
    except StoreError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    finally:
        if target is not None:
            target.close()
    for where, reason in rejected[:50]:
        err.print(f"[yellow]rejected[/] {where}: {reason}")
    if len(rejected) > 50:
        err.print(f"... and {len(rejected) - 50} more")
    out.print(f"accepted {accepted}, rejected {len(rejected)}")
    if rejected:
        raise typer.Exit(1)


class _ServerSink:
    def __init__(self, url: str, token: str | None) -> None:
        import httpx

        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.client = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=60)

    def send(self, chunk: list[tuple[str, Any]]) -> tuple[int, list[tuple[str, str]]]:
        import httpx

        rejected = [(w, v.reason) for w, v in chunk if isinstance(v, _Unreadable)]
        readable = [(w, v) for w, v in chunk if not isinstance(v, _Unreadable)]
        if not readable:
            return 0, rejected
        try:
            response = self.client.post(
                "/api/v1/lineage/batch", content=orjson.dumps([v for _, v in readable])
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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
