"""The ``lineage`` command: serve the API, ingest event files, and more."""

from __future__ import annotations

import gzip
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TextIO

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lineage.settings import Settings
from lineage.store.base import Direction

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


# -- lineage questions: upstream, downstream, query, export, schema ------------------------

ServerOption = Annotated[
    str | None,
    typer.Option("--server", help="Ask a running server instead, e.g. http://127.0.0.1:8000."),
]
TokenOption = Annotated[
    str | None,
    typer.Option("--token", envvar="LINEAGE_TOKEN", help="Bearer token for --server."),
]


class Output(StrEnum):
    TEXT = "text"
    JSON = "json"


# The choices below repeat lineage.analysis' enums so that starting the CLI does not import
# the analysis (and networkx); a test keeps them equal.
class GranularityChoice(StrEnum):
    DATASET = "DATASET"
    COLUMN = "COLUMN"
    RUN = "RUN"


class FormatChoice(StrEnum):
    JSON = "json"
    CSV = "csv"
    GRAPHML = "graphml"
    DOT = "dot"
    MERMAID = "mermaid"


LINEAGE_QUERY = """
query Lineage($start: NodeRef!, $direction: Direction!, $depth: Int!, $asOf: DateTime,
              $granularity: Granularity!) {
  lineage(start: $start, direction: $direction, depth: $depth, asOf: $asOf,
          granularity: $granularity) {
    truncated
    start { id }
    nodes {
      id
      kind
      ... on Dataset { namespace name datasetType: type }
      ... on Job { namespace name jobType: type }
      ... on Field { path dataset { namespace name } }
    }
    edges { kind source { id } target { id } transformation { type subtype } }
  }
}
"""


def _time(value: str | None, option: str) -> str | None:
    """An ISO 8601 time as given (a time without a zone is UTC); exit 2 when it is not one."""
    if value is None:
        return None
    from datetime import UTC, datetime

    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        err.print(f"[red]error:[/] {option} must be an ISO 8601 time such as 2026-11-01T08:00:00Z")
        raise typer.Exit(2) from exc
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).isoformat()


def _one_source(store: str | None, server: str | None) -> None:
    if store and server:
        err.print("[red]error:[/] give --store or --server, not both")
        raise typer.Exit(2)


def _graphql(
    query: str,
    variables: dict[str, Any],
    store: str | None,
    server: str | None,
    token: str | None,
) -> dict[str, Any]:
    """The data of a GraphQL answer from a running server, or straight from a store.

    Prints each error with its code and exits 1 when the answer has errors.
    """
    _one_source(store, server)
    if server:
        body = _post_graphql(server, token, query, variables)
    else:
        body = _local_graphql(store, query, variables)
    errors = body.get("errors") or []
    for error in errors:
        code = (error.get("extensions") or {}).get("code", "ERROR")
        err.print(f"[red]error:[/] {escape(str(error.get('message')))} ({code})")
    if errors or body.get("data") is None:
        raise typer.Exit(1)
    data: dict[str, Any] = body["data"]
    return data


def _post_graphql(
    server: str, token: str | None, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = server.rstrip("/") + "/graphql"
    try:
        response = httpx.post(
            url, json={"query": query, "variables": variables}, headers=headers, timeout=120
        )
    except httpx.HTTPError as exc:
        err.print(f"[red]error:[/] cannot reach {url}: {exc}")
        raise typer.Exit(1) from exc
    if response.status_code in (401, 403):
        err.print(f"[red]error:[/] the server refused the token: {escape(response.text)}")
        raise typer.Exit(1)
    try:
        body: dict[str, Any] = response.json()
    except ValueError as exc:
        err.print(f"[red]error:[/] the server answered {response.status_code}: {response.text}")
        raise typer.Exit(1) from exc
    return body


def _local_graphql(store: str | None, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    import asyncio

    from lineage.analysis import MAX_DEPTH
    from lineage.api.graphql import schema
    from lineage.api.graphql.context import Context
    from lineage.store import StoreError, open_store

    settings = _settings(store=store)
    try:
        graph = open_store(settings.store)
    except StoreError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    try:
        context = Context(
            graph,
            node_budget=settings.node_budget,
            max_depth=min(settings.max_depth, MAX_DEPTH),
            timeout=None,
        )
        result = asyncio.run(
            schema.execute(query, variable_values=variables, context_value=context)
        )
    except StoreError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    finally:
        graph.close()
    return {"data": result.data, "errors": [e.formatted for e in result.errors or ()]}


def _label(node: dict[str, Any]) -> str:
    kind = node.get("kind")
    if kind == "FIELD":
        dataset = node.get("dataset") or {}
        return (
            f"[bold]{escape(str(dataset.get('name')))}[/].{escape(str(node.get('path')))} "
            f"[dim]{escape(str(dataset.get('namespace')))}[/]"
        )
    name, namespace = escape(str(node.get("name"))), escape(str(node.get("namespace")))
    if kind == "JOB":
        kind_of_job = node.get("jobType")
        suffix = f" ({escape(kind_of_job)})" if kind_of_job and kind_of_job != "ETL" else ""
        return f"[cyan]job[/] {name}{suffix} [dim]{namespace}[/]"
    kind_of_data = f" ({escape(node['datasetType'])})" if node.get("datasetType") else ""
    return f"[bold]{name}[/]{kind_of_data} [dim]{namespace}[/]"


def _print_tree(answer: dict[str, Any], direction: Direction) -> None:
    """The answer as a tree from the start: what feeds it (upstream) or what it feeds."""
    from rich.tree import Tree

    nodes = {n["id"]: n for n in answer["nodes"]}
    nexts: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for edge in answer["edges"]:
        source, target = edge["source"]["id"], edge["target"]["id"]
        if direction is Direction.UPSTREAM:
            nexts.setdefault(target, []).append((source, edge))
        else:
            nexts.setdefault(source, []).append((target, edge))
    shown: set[str] = set()

    def grow(branch: Tree, nid: str) -> None:
        shown.add(nid)
        for other, edge in sorted(nexts.get(nid, []), key=lambda pair: _label(nodes[pair[0]])):
            text = _label(nodes[other])
            how = edge.get("transformation")
            if how:
                parts = [p for p in (how.get("type"), how.get("subtype")) if p]
                text += f" [yellow]{escape('/'.join(parts))}[/]"
            if other in shown:
                branch.add(text + " [dim](see above)[/]")
            else:
                grow(branch.add(text), other)

    for start in answer["start"]:
        tree = Tree(_label(nodes[start["id"]]))
        grow(tree, start["id"])
        out.print(tree)
    way = "upstream" if direction is Direction.UPSTREAM else "downstream"
    out.print(f"{len(nodes)} nodes, {len(answer['edges'])} edges {way}")
    if answer["truncated"]:
        err.print(
            "[yellow]warning:[/] the answer stopped at the node budget (LINEAGE_NODE_BUDGET); "
            "ask for less --depth to see all of it"
        )


def _walk(
    direction: Direction,
    namespace: str,
    name: str,
    depth: int,
    field: str | None,
    job: bool,
    as_of: str | None,
    output: Output,
    store: str | None,
    server: str | None,
    token: str | None,
) -> None:
    if field and job:
        err.print("[red]error:[/] --field names a column of a dataset; a job has none")
        raise typer.Exit(2)
    start: dict[str, Any] = {"kind": "JOB" if job else "DATASET", "namespace": namespace}
    start["name"] = name
    if field:
        start.update(kind="FIELD", field=field)
    variables = {
        "start": start,
        "direction": direction.value,
        "depth": depth,
        "asOf": _time(as_of, "--as-of"),
        "granularity": "COLUMN" if field else "DATASET",
    }
    answer = _graphql(LINEAGE_QUERY, variables, store, server, token)["lineage"]
    if output is Output.JSON:
        sys.stdout.write(orjson.dumps(answer, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        _print_tree(answer, direction)


Namespace = Annotated[str, typer.Argument(help="The dataset's (or job's) namespace.")]
Name = Annotated[str, typer.Argument(help="The dataset's (or job's) name.")]
DepthOption = Annotated[
    int, typer.Option(min=0, max=50, help="Edges to follow (dataset -> job -> dataset is 2).")
]
FieldOption = Annotated[
    str | None, typer.Option("--field", help="Follow this column's lineage instead.")
]
JobOption = Annotated[bool, typer.Option("--job", help="NAMESPACE NAME name a job.")]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="The graph as it stood then (ISO 8601).")
]
OutputOption = Annotated[Output, typer.Option("--format", help="A tree, or JSON.")]


@app.command()
def upstream(
    namespace: Namespace,
    name: Name,
    depth: DepthOption = 10,
    field: FieldOption = None,
    job: JobOption = False,
    as_of: AsOfOption = None,
    output: OutputOption = Output.TEXT,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """What feeds a dataset (or a column, or a job).

    Exits 1 when it is not in the graph, 2 on usage errors.
    """
    _walk(
        Direction.UPSTREAM, namespace, name, depth, field, job, as_of, output, store, server, token
    )


@app.command()
def downstream(
    namespace: Namespace,
    name: Name,
    depth: DepthOption = 10,
    field: FieldOption = None,
    job: JobOption = False,
    as_of: AsOfOption = None,
    output: OutputOption = Output.TEXT,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """What a dataset (or a column, or a job) feeds.

    Exits 1 when it is not in the graph, 2 on usage errors.
    """
    _walk(
        Direction.DOWNSTREAM,
        namespace,
        name,
        depth,
        field,
        job,
        as_of,
        output,
        store,
        server,
        token,
    )


@app.command()
def query(
    document: Annotated[str, typer.Argument(help="A GraphQL query, or - to read it from stdin.")],
    var: Annotated[
        list[str] | None,
        typer.Option("--var", help="A variable as NAME=VALUE; VALUE is JSON or a string."),
    ] = None,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Run a GraphQL query and print its data as JSON.

    Against a store or a running server. Exits 1 when the answer has errors (each is
    printed with its code), 2 on usage errors.
    """
    text = sys.stdin.read() if document == "-" else document
    variables: dict[str, Any] = {}
    for item in var or ():
        key, sep, raw = item.partition("=")
        if not sep or not key:
            err.print(f"[red]error:[/] --var {item!r} must look like NAME=VALUE")
            raise typer.Exit(2)
        try:
            variables[key] = orjson.loads(raw)
        except orjson.JSONDecodeError:
            variables[key] = raw
    data = _graphql(text, variables, store, server, token)
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")


@app.command()
def export(
    start: Annotated[
        str | None,
        typer.Option(
            "--start",
            help="dataset:NAMESPACE:NAME, job:NAMESPACE:NAME, datasetField:NAMESPACE:NAME:FIELD "
            "or run:RUNID. Without it: the whole graph.",
        ),
    ] = None,
    direction: Annotated[Direction, typer.Option(help="Which way from --start.")] = (
        Direction.BOTH
    ),
    depth: Annotated[int, typer.Option(min=0, max=50, help="Edges to follow from --start.")] = 10,
    granularity: Annotated[GranularityChoice, typer.Option(help="Datasets, columns or runs.")] = (
        GranularityChoice.DATASET
    ),
    as_of: AsOfOption = None,
    output_format: Annotated[FormatChoice, typer.Option("--format")] = FormatChoice.JSON,
    limit: Annotated[
        int, typer.Option(min=1, max=1_000_000, help="Most nodes in the file.")
    ] = 100_000,
    output: Annotated[
        str, typer.Option("--output", "-o", help="File to write, or - for stdout.")
    ] = "-",
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Write the lineage around a node, or the whole graph, to a file.

    JSON, CSV, GraphML, DOT or Mermaid: the same file as GET /api/v1/export. Exits 1 when --start is not in the graph, 2 on usage errors.
    """
    _one_source(store, server)
    at = _time(as_of, "--as-of")
    params: dict[str, Any] = {
        "direction": direction.value,
        "depth": depth,
        "granularity": granularity.value,
        "format": output_format.value,
        "limit": limit,
    }
    if start:
        params["start"] = start
    if at:
        params["asOf"] = at

    def write(sink: TextIO) -> bool:
        if server:
            return _export_from_server(server, token, params, sink)
        return _export_from_store(store, params, sink)

    if output == "-":
        truncated = write(sys.stdout)
    else:
        with open(output, "w", encoding="utf-8", newline="") as sink:
            truncated = write(sink)
    if truncated:
        err.print(f"[yellow]warning:[/] the export stopped at --limit {limit} nodes")


def _export_from_store(store: str | None, params: dict[str, Any], sink: TextIO) -> bool:
    from datetime import datetime

    from lineage.analysis import AnalysisError, Granularity, NotFound
    from lineage.analysis.export import Format, export_graph, parse_public_id, render
    from lineage.store import StoreError, open_store

    settings = _settings(store=store)
    try:
        graph_store = open_store(settings.store)
    except StoreError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    try:
        begin = parse_public_id(graph_store, params["start"]) if "start" in params else None
        at = datetime.fromisoformat(params["asOf"]).timestamp() if "asOf" in params else None
        graph = export_graph(
            graph_store,
            begin,
            Direction(params["direction"]),
            params["depth"],
            Granularity(params["granularity"]),
            at,
            params["limit"],
        )
        for chunk in render(graph, Format(params["format"])):
            sink.write(chunk)
    except NotFound as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    except AnalysisError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    except StoreError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    finally:
        graph_store.close()
    return graph.truncated


def _export_from_server(
    server: str, token: str | None, params: dict[str, Any], sink: TextIO
) -> bool:
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


@app.command()
def migrate(store: StoreOption = None) -> None:
    """Apply the store's schema (Neo4j constraints and indexes); safe to repeat.

    The server applies it at start-up too; this makes it an explicit deploy step.
    """
    from lineage.store import StoreError, open_store

    settings = _settings(store=store)
    try:
        target = open_store(settings.store, settings)
        try:
            apply = getattr(target, "migrate", None)
            if apply is not None:
                apply()
        finally:
            target.close()
    except StoreError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    out.print(f"schema up to date ({settings.store})")


schema_app = typer.Typer(help="The GraphQL schema.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")


@schema_app.command("export")
def schema_export(
    output: Annotated[
        str, typer.Option("--output", "-o", help="File to write, or - for stdout.")
    ] = "-",
) -> None:
    """Print the GraphQL schema (SDL); schema/schema.graphql is this output."""
    from lineage.api.graphql import schema

    text = schema.as_str() + "\n"
    if output == "-":
        sys.stdout.write(text)
    else:
        Path(output).write_text(text, encoding="utf-8")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
