"""The ``lineage`` command: serve the API, ingest event files, and more."""

from __future__ import annotations

import gc
import gzip
import sys
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TextIO

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lineage.settings import SECRET_SETTINGS, Settings, shown_url
from lineage.store.base import Direction

# Commands import what they use when they run, so that `lineage --help` and the light commands
# start without loading the API, a store's driver or the OpenLineage client. Nothing imports
# this module (.importlinter puts it on top), so none of those imports hides a cycle.

app = typer.Typer(
    name="lineage",
    help="Lineage and metadata graph service for data and ML.",
    no_args_is_help=True,
    add_completion=False,
)
err = Console(stderr=True, soft_wrap=True)
# Piped output is read by programs and people's pagers: never cut at a terminal's width.
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 100_000)


def _version(value: bool) -> None:
    if value:
        import lineage

        print(f"lineage {lineage.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Lineage and metadata graph service for data and ML."""


StoreOption = Annotated[
    str | None,
    typer.Option("--store", help="Store URL: sqlite:///path.db or neo4j://host:7687."),
]


def _settings(**overrides: Any) -> Settings:
    from pydantic import ValidationError

    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        for problem in exc.errors():
            name = str(problem["loc"][0]) if problem["loc"] else ""
            where = f"--{name.replace('_', '-')}" if name in given else f"LINEAGE_{name.upper()}"
            # Secrets are never echoed back, not even in part.
            shown = "" if name in SECRET_SETTINGS else f"={escape(repr(problem.get('input')))}"
            err.print(f"[red]error:[/] {escape(where)}{shown}: {escape(problem['msg'])}")
        raise typer.Exit(2) from exc
    except Exception as exc:
        err.print(f"[red]error:[/] invalid settings: {escape(str(exc))}")
        raise typer.Exit(2) from exc


@app.command()
def serve(
    store: StoreOption = None,
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="Load the demo story first (once per store).")
    ] = False,
    consume_kafka: Annotated[
        bool,
        typer.Option(
            "--consume",
            help="Also read events from Kafka (LINEAGE_KAFKA_* settings) into the store; "
            "its lag and batch metrics join /metrics.",
        ),
    ] = False,
) -> None:
    """Serve the OpenLineage endpoint, REST API, GraphQL and the explorer."""
    import uvicorn

    from lineage.api.app import create_app
    from lineage.store import StoreError
    from lineage.webhooks import WebhookConfigError

    settings = _settings(store=store, host=host, port=port)
    # Collected now, while the process is small: the graph about to load lives as long as
    # the process, and is kept out of the collector's scans (frozen) once loaded.
    gc.collect()
    gc.set_threshold(50_000, 50, 100)
    try:
        # The port opens at once; the store loads on a thread meanwhile (/readyz says how far).
        application = create_app(settings, load_in_background=True)
    except StoreError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    except WebhookConfigError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    loading = application.state.loading
    loading.freeze = True
    if demo:
        from lineage.demo import load_demo

        def demo_step() -> None:
            loaded = load_demo(application.state.store)
            err.print(f"demo: {loaded.events} events loaded" if loaded else "demo: already loaded")

        loading.then(demo_step)
    loading.then(gc.freeze)  # and what the demo added (a Neo4j store loads nothing)
    describe = getattr(application.state.store, "describe_writer", None)
    if describe is not None:
        # Another process that tries to write this store is told to send it here.
        host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
        describe(f"http://{host}:{settings.port}")
    consumer = _start_consumer(application, settings) if consume_kafka else None
    server = uvicorn.Server(
        uvicorn.Config(application, host=settings.host, port=settings.port, log_level="warning")
    )
    failures: list[BaseException] = []

    def stop(exc: BaseException) -> None:
        err.print(f"[red]error:[/] {loading.describe()}")
        failures.append(exc)
        server.should_exit = True

    loading.start(on_failure=stop)
    err.print(
        f"lineage serving on http://{settings.host}:{settings.port} "
        f"(store: {shown_url(settings.store)}); point producers at OPENLINEAGE_URL="
        f"http://{settings.host}:{settings.port}"
    )
    try:
        server.run()
    finally:
        if consumer is not None:
            consumer.stop()
    if failures:
        raise typer.Exit(1)


def _start_consumer(application: Any, settings: Settings) -> Any:
    """A Kafka consumer on a thread of the server, writing to the server's store."""
    import threading

    from lineage.consume import ConsumeError, ConsumerMetrics, LineageConsumer

    target = application.state.store
    options = _kafka_options(settings, None, None)
    try:
        consumer = LineageConsumer(
            target,
            options,
            metrics=ConsumerMetrics(application.state.metrics.registry),
            writer=lambda items: _write_consumed(target, items, settings),
            limits=settings.event_limits(),
        )
    except ConsumeError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    # It writes once the graph is loaded, as ingest over HTTP does.
    application.state.loading.then(
        threading.Thread(target=consumer.run, name="kafka-consumer", daemon=True).start
    )
    err.print(f"consuming {', '.join(options.topics)} from {options.bootstrap_servers}")
    return consumer


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


def _kafka_options(settings: Settings, topics: list[str] | None, group: str | None) -> Any:
    from lineage.consume import KafkaOptions

    return KafkaOptions(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        topics=topics or settings.kafka_topics,
        group_id=group or settings.kafka_group_id,
        dead_letter_topic=settings.kafka_dead_letter_topic or None,
        batch_size=settings.kafka_batch_size,
        config=dict(settings.kafka_config),
    )


@app.command()
def consume(
    store: StoreOption = None,
    bootstrap_servers: Annotated[
        str | None,
        typer.Option(help="Kafka brokers, host:port,... (LINEAGE_KAFKA_BOOTSTRAP_SERVERS)."),
    ] = None,
    topic: Annotated[
        list[str] | None,
        typer.Option("--topic", help="Topic to read (repeatable; LINEAGE_KAFKA_TOPICS)."),
    ] = None,
    group: Annotated[
        str | None, typer.Option(help="Consumer group id (LINEAGE_KAFKA_GROUP_ID).")
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(help="Serve the consumer's Prometheus metrics on this port."),
    ] = None,
    max_idle: Annotated[
        float | None,
        typer.Option(help="Stop after this many seconds without a message (default: never)."),
    ] = None,
) -> None:
    """Read OpenLineage events from Kafka topics (as the KafkaTransport writes them) into
    the store, at least once: offsets are committed only after the store committed."""
    import signal

    from lineage.consume import ConsumeError, LineageConsumer
    from lineage.ingest.migrations import open_to_write
    from lineage.store import StoreError

    settings = _settings(store=store, kafka_bootstrap_servers=bootstrap_servers)
    options = _kafka_options(settings, topic, group)
    try:
        target = open_to_write(settings.store, settings)
    except StoreError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    try:
        consumer = LineageConsumer(
            target,
            options,
            writer=lambda items: _write_consumed(target, items, settings),
            limits=settings.event_limits(),
        )
    except ConsumeError as exc:
        target.close()
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    if metrics_port is not None:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr=settings.host, registry=consumer.metrics.registry)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: consumer.stop())
    err.print(
        f"consuming {', '.join(options.topics)} from {options.bootstrap_servers} "
        f"(group {options.group_id}) into {settings.store}"
    )
    try:
        consumer.run(max_idle=max_idle)
    except ConsumeError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    finally:
        consumer.close()
        target.close()


def _write_consumed(target: Any, items: Any, settings: Settings) -> None:
    from lineage.ingest import write

    write(target, items, auto_resolve=settings.incident_auto_resolve)


@app.command()
def ingest(
    path: Annotated[
        str, typer.Argument(help="A .json/.jsonl file, a folder of them, or - for stdin.")
    ],
    store: StoreOption = None,
    server: Annotated[
        str | None,
        typer.Option(
            "--server",
            help="Post to a running server instead, e.g. http://127.0.0.1:8000 "
            "(default: $LINEAGE_SERVER unless --store is given).",
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
    from lineage.ingest import prepare, write
    from lineage.ingest.migrations import open_to_write
    from lineage.store import IngestItem, StoreError

    if store and server:
        err.print("[red]error:[/] give --store or --server, not both")
        raise typer.Exit(2)
    server = _server(store, server)
    documents = list(_documents(path))
    accepted = 0
    rejected: list[tuple[str, str]] = []
    sink = _ServerSink(server, token) if server else None
    target = None
    outbox = None
    if sink is None:
        settings = _settings(store=store)
        limits = settings.event_limits()
        try:
            target = open_to_write(settings.store)
        except StoreError as exc:
            err.print(f"[red]error:[/] {exc}")
            raise typer.Exit(1) from exc
        outbox = _webhooks(settings, target)
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
                            items.append(prepare(value, limits=limits))
                        except EventValidationError as exc:
                            rejected.append((where, "; ".join(map(str, exc.problems))))
                    if items:
                        write(target, items, auto_resolve=settings.incident_auto_resolve)
                    accepted += len(items)
                progress.advance(task, len(chunk))
    except StoreError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    finally:
        if outbox is not None and target is not None:
            from lineage.ingest.incidents import watch

            watch(target, None)
            # One delivery pass; what fails stays queued for the server (or the next run).
            outbox.deliver_due()
            outbox.close()
        if target is not None:
            target.close()
    for where, reason in rejected[:50]:
        err.print(f"[yellow]rejected[/] {where}: {reason}")
    if len(rejected) > 50:
        err.print(f"... and {len(rejected) - 50} more")
    out.print(f"accepted {accepted}, rejected {len(rejected)}")
    err.print(f"into {server if sink is not None else _settings(store=store).store}")
    if rejected:
        raise typer.Exit(1)


def _webhooks(settings: Settings, store: Any) -> Any:
    """The webhook outbox incidents opened by this ingest are queued in (None without
    LINEAGE_WEBHOOKS)."""
    from lineage.api.webhooks import WebhookConfigError, open_outbox
    from lineage.ingest.incidents import watch

    try:
        outbox = open_outbox(settings)
    except WebhookConfigError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    if outbox is not None:
        watch(store, outbox.enqueue)
    return outbox


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
        from lineage.client import send

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


# -- lineage questions: upstream, downstream, query, export, schema ------------------------

ServerOption = Annotated[
    str | None,
    typer.Option(
        "--server",
        help="Ask a running server instead, e.g. http://127.0.0.1:8000 "
        "(default: $LINEAGE_SERVER unless --store is given).",
    ),
]
TokenOption = Annotated[
    str | None,
    typer.Option("--token", envvar="LINEAGE_TOKEN", help="Bearer token for --server."),
]


class Output(StrEnum):
    TEXT = "text"
    JSON = "json"
    DOT = "dot"


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


from lineage.api.documents import LINEAGE_QUERY  # noqa: E402


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


def _server(store: str | None, server: str | None) -> str | None:
    """The server to ask: ``--server``, else ``LINEAGE_SERVER`` unless ``--store`` is given."""
    if server or store:
        return server
    import os

    return os.environ.get("LINEAGE_SERVER") or None


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
    server = _server(store, server)
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


def _local_graphql(store: str | None, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    import asyncio

    from lineage.analysis import MAX_DEPTH
    from lineage.api.graphql import schema
    from lineage.api.graphql.context import Context
    from lineage.store import StoreError, open_store

    settings = _settings(store=store)
    try:
        graph = open_store(settings.store, read_only=not _is_mutation(query))
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


def _print_dot(answer: dict[str, Any]) -> None:
    """The answer as a Graphviz digraph, data flowing left to right."""

    def quote(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["digraph lineage {", "  rankdir=LR;"]
    shapes = {"DATASET": "box", "JOB": "ellipse", "FIELD": "note"}
    for node in answer["nodes"]:
        shape = shapes.get(node["kind"], "box")
        lines.append(f"  {quote(node['id'])} [label={quote(_plain_label(node))}, shape={shape}];")
    for edge in answer["edges"]:
        how = edge.get("transformation") or {}
        style = ", style=dashed" if how.get("type") == "INDIRECT" else ""
        lines.append(
            f"  {quote(edge['source']['id'])} -> {quote(edge['target']['id'])}"
            f" [label={quote(edge['kind'])}{style}];"
        )
    lines.append("}")
    sys.stdout.write("\n".join(lines) + "\n")


def _plain_label(node: dict[str, Any]) -> str:
    if node["kind"] == "FIELD":
        return f"{node['dataset']['name']}.{node['path']}"
    return str(node.get("name") or node["id"])


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
    columns: bool = False,
) -> None:
    if field and job:
        err.print("[red]error:[/] --field names a column of a dataset; a job has none")
        raise typer.Exit(2)
    if columns and job:
        err.print("[red]error:[/] --columns follows the columns of a dataset; a job has none")
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
        "granularity": "COLUMN" if field or columns else "DATASET",
    }
    answer = _graphql(LINEAGE_QUERY, variables, store, server, token)["lineage"]
    if output is Output.JSON:
        sys.stdout.write(orjson.dumps(answer, option=orjson.OPT_INDENT_2).decode() + "\n")
    elif output is Output.DOT:
        _print_dot(answer)
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
OutputOption = Annotated[
    Output, typer.Option("--format", help="A tree, JSON, or a Graphviz digraph (dot).")
]
ColumnsOption = Annotated[
    bool, typer.Option("--columns", help="Follow the column lineage of all the dataset's fields.")
]


def _walk_command(direction: Direction, doc: str) -> Callable[..., None]:
    """The command that walks the lineage graph in ``direction``: ``upstream`` and
    ``downstream`` are the same command but for the way they walk."""

    def command(
        namespace: Namespace,
        name: Name,
        depth: DepthOption = 10,
        field: FieldOption = None,
        job: JobOption = False,
        as_of: AsOfOption = None,
        output: OutputOption = Output.TEXT,
        columns: ColumnsOption = False,
        store: StoreOption = None,
        server: ServerOption = None,
        token: TokenOption = None,
    ) -> None:
        _walk(
            direction,
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
            columns,
        )

    command.__doc__ = doc
    return command


upstream = app.command("upstream")(
    _walk_command(
        Direction.UPSTREAM,
        """What feeds a dataset (or a column, or a job).

    Exits 1 when it is not in the graph, 2 on usage errors.
    """,
    )
)
downstream = app.command("downstream")(
    _walk_command(
        Direction.DOWNSTREAM,
        """What a dataset (or a column, or a job) feeds.

    Exits 1 when it is not in the graph, 2 on usage errors.
    """,
    )
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
        int | None, typer.Option(min=1, help="Most nodes in the file (default: all).")
    ] = None,
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
    }
    if limit is not None:
        params["limit"] = limit
    if start:
        params["start"] = start
    if at:
        params["asOf"] = at

    server = _server(store, server)

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
        graph_store = open_store(settings.store, read_only=True)
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
            params.get("limit"),
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
    from lineage.ingest.migrations import open_to_write
    from lineage.store import StoreError

    settings = _settings(store=store)
    try:
        target = open_to_write(settings.store, settings)
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


@app.command()
def prune(
    before: Annotated[
        str,
        typer.Option(
            "--before",
            help="Drop the history before this ISO 8601 time (UTC when no zone is given).",
        ),
    ],
    namespace: Annotated[
        str | None,
        typer.Option(
            "--namespace", help="Only runs of this namespace's jobs and versions they touched."
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would go; change nothing.")
    ] = False,
    store: StoreOption = None,
) -> None:
    """Drop history before a time: raw events, runs, superseded dataset versions and
    lineage closed by then. What is current at that time, and every answer as of it or
    later, stays. LINEAGE_RETENTION_DAYS makes the server do this every day."""
    from datetime import datetime

    from lineage.ingest.migrations import open_to_write
    from lineage.store import StoreError

    when = _time(before, "--before")
    assert when is not None
    settings = _settings(store=store)
    try:
        target = open_to_write(settings.store, settings, read_only=dry_run)
        try:
            report = target.prune(datetime.fromisoformat(when).timestamp(), namespace, dry_run)
        finally:
            target.close()
    except StoreError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    verb = "would drop" if dry_run else "dropped"
    scope = f" in namespace {namespace}" if namespace else ""
    out.print(
        f"{verb}{scope} before {when}: {report.events} events, {report.runs} runs, "
        f"{report.versions} dataset versions, {report.edges} edges, "
        f"{report.reports} column lineage reports"
    )


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


# -- impact: what a schema change breaks downstream (a CI gate) ----------------------------

from lineage.api.documents import (  # noqa: E402
    ACKNOWLEDGE_INCIDENT,
    IMPACT_QUERY,
    INCIDENTS_QUERY,
    REOPEN_INCIDENT,
    RESOLVE_INCIDENT,
    TRIAGE_QUERY,
)

SEARCH_DATASETS = """
query Datasets($name: String!) {
  search(query: $name, kinds: [DATASET], first: 100) { nodes { ... on Dataset { namespace name } } }
}
"""


class ImpactFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"


#: Exit statuses of `lineage impact`: a CI gate fails on anything but 0. UNCERTAIN: nothing
#: is known to break, but some reader's use of the changed columns is unknown (POSSIBLE).
IMPACT_OK, IMPACT_BREAKING, IMPACT_USAGE, IMPACT_UNANSWERED, IMPACT_UNCERTAIN = 0, 1, 2, 3, 4
_USAGE_CODES = frozenset({"NOT_FOUND", "INVALID_ARGUMENT", "INVALID_QUERY"})

impact_app = typer.Typer(
    help="What a schema change to a dataset would break downstream, each item BREAKING, "
    "LIKELY or POSSIBLE, with owners. Exits 0 when nothing breaks and every reader's use of "
    "the changed columns is known, 1 when something is BREAKING, 4 when nothing is known to "
    "break but some reader's use is unknown (POSSIBLE), 2 on usage errors (or an unknown "
    "dataset or column), 3 when the store or server cannot answer.",
    invoke_without_command=True,
)
app.add_typer(impact_app, name="impact")


def _impact_answer(
    query: str,
    variables: dict[str, Any],
    store: str | None,
    server: str | None,
    token: str | None,
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The data and errors of one GraphQL answer; exits 3 when there is no answer at all."""
    _one_source(store, server)
    server = _server(store, server)
    try:
        if server:
            body = _post_graphql(server, token, query, variables)
        else:
            body = _local_graphql(store, query, variables)
    except typer.Exit as exc:
        # The helpers exit 1 when the store or server cannot answer; 1 means BREAKING here.
        raise typer.Exit(IMPACT_UNANSWERED if exc.exit_code == 1 else exc.exit_code) from exc
    return body.get("data"), list(body.get("errors") or [])


def _impact_failed(errors: list[dict[str, Any]]) -> int:
    """Print each error; the exit status they call for (2: the question was wrong)."""
    status = IMPACT_USAGE
    for error in errors:
        code = (error.get("extensions") or {}).get("code", "ERROR")
        err.print(f"[red]error:[/] {escape(str(error.get('message')))} ({code})")
        if code not in _USAGE_CODES:
            status = IMPACT_UNANSWERED
    return status


def _schema_file(path: Path) -> list[dict[str, Any]]:
    """A proposed schema file as FieldInput values: a JSON list of columns, or a schema
    facet ({"fields": [...]}); nested columns (`fields`) become dotted paths."""
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        err.print(f"[red]error:[/] cannot read the schema in {path}: {exc}")
        raise typer.Exit(IMPACT_USAGE) from exc
    if isinstance(data, dict):
        data = data.get("fields")
    if not isinstance(data, list):
        err.print(
            f"[red]error:[/] {path} must hold a JSON list of columns "
            '([{"name": "id", "type": "INT", "nullable": false}, ...]) or a schema facet'
        )
        raise typer.Exit(IMPACT_USAGE)
    found: list[dict[str, Any]] = []

    def walk(entries: list[Any], prefix: str) -> None:
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                err.print(f"[red]error:[/] {path}: every column needs a name (got {entry!r})")
                raise typer.Exit(IMPACT_USAGE)
            spec: dict[str, Any] = {"name": prefix + entry["name"]}
            if entry.get("type") is not None:
                spec["type"] = str(entry["type"])
            if isinstance(entry.get("nullable"), bool):
                spec["nullable"] = entry["nullable"]
            renamed = entry.get("renamedFrom", entry.get("renamed_from"))
            if isinstance(renamed, str):
                spec["renamedFrom"] = renamed
            found.append(spec)
            if isinstance(entry.get("fields"), list):
                walk(entry["fields"], spec["name"] + ".")

    walk(data, "")
    return found


def _pairs(values: list[str] | None, option: str, what: str) -> list[tuple[str, str]]:
    pairs = []
    for value in values or ():
        left, sep, right = value.partition("=")
        if not sep or not left or not right:
            err.print(f"[red]error:[/] {option} {value!r} must look like {what}")
            raise typer.Exit(IMPACT_USAGE)
        pairs.append((left, right))
    return pairs


@impact_app.callback()
def impact(
    ctx: typer.Context,
    dataset: Annotated[
        tuple[str, str] | None,
        typer.Option("--dataset", metavar="NAMESPACE NAME", help="The dataset that changes."),
    ] = None,
    drop: Annotated[
        list[str] | None, typer.Option("--drop", metavar="COLUMN", help="Drop a column.")
    ] = None,
    rename: Annotated[
        list[str] | None, typer.Option("--rename", metavar="OLD=NEW", help="Rename a column.")
    ] = None,
    retype: Annotated[
        list[str] | None,
        typer.Option("--type", metavar="COLUMN=TYPE", help="Give a column another type."),
    ] = None,
    drop_dataset: Annotated[
        bool, typer.Option("--drop-dataset", help="Drop the whole dataset.")
    ] = False,
    rename_dataset: Annotated[
        str | None,
        typer.Option("--rename-dataset", metavar="NEW_NAME", help="Rename the dataset."),
    ] = None,
    schema_path: Annotated[
        Path | None,
        typer.Option(
            "--schema",
            help="The proposed schema (a JSON list of {name, type, nullable, renamedFrom}, "
            "or a schema facet), compared with the current one.",
        ),
    ] = None,
    output: Annotated[
        ImpactFormat, typer.Option("--format", help="text, json, or markdown (a PR comment).")
    ] = ImpactFormat.TEXT,
    depth: Annotated[
        int, typer.Option(min=1, max=50, help="Most jobs between the change and an item.")
    ] = 10,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """What a schema change to a dataset would break: columns (through column lineage),
    datasets, jobs, models and endpoints downstream, each BREAKING, LIKELY or POSSIBLE,
    with their owners.

    Exits 0 when nothing is BREAKING, 1 when something is, 2 on usage errors (or an
    unknown dataset or column), 3 when the store or server cannot answer.
    """
    if ctx.invoked_subcommand is not None:
        return
    if dataset is None:
        err.print("[red]error:[/] name the dataset: --dataset NAMESPACE NAME")
        raise typer.Exit(IMPACT_USAGE)
    changes: list[dict[str, Any]] = [{"kind": "DROP_FIELD", "field": f} for f in drop or ()]
    for old, new in _pairs(rename, "--rename", "OLD=NEW"):
        changes.append({"kind": "RENAME_FIELD", "field": old, "newName": new})
    for column, kind in _pairs(retype, "--type", "COLUMN=TYPE"):
        changes.append({"kind": "CHANGE_TYPE", "field": column, "newType": kind})
    if drop_dataset:
        changes.append({"kind": "DROP_DATASET"})
    if rename_dataset:
        changes.append({"kind": "RENAME_DATASET", "newName": rename_dataset})
    variables: dict[str, Any] = {
        "dataset": {"namespace": dataset[0], "name": dataset[1]},
        "depth": depth,
    }
    if schema_path is not None:
        if changes:
            err.print("[red]error:[/] give --schema or the changes (--drop, ...), not both")
            raise typer.Exit(IMPACT_USAGE)
        variables["schema"] = _schema_file(schema_path)
    elif changes:
        variables["changes"] = changes
    else:
        err.print(
            "[red]error:[/] say what changes: --drop, --rename, --type, --drop-dataset, "
            "--rename-dataset or --schema"
        )
        raise typer.Exit(IMPACT_USAGE)
    data, errors = _impact_answer(IMPACT_QUERY, variables, store, server, token)
    if errors or not data:
        raise typer.Exit(_impact_failed(errors))
    report: dict[str, Any] = data["impact"]
    _print_impact([report], output)
    raise typer.Exit(_impact_status([report]))


def _impact_status(reports: list[dict[str, Any]]) -> int:
    """BREAKING fails the gate; so does an answer that cannot be sure nothing breaks."""
    if any(r["breaking"] for r in reports):
        return IMPACT_BREAKING
    if any(r["summary"]["possible"] for r in reports):
        return IMPACT_UNCERTAIN
    return IMPACT_OK


def _verdict(reports: list[dict[str, Any]], *, markdown: bool) -> str:
    status = _impact_status(reports)
    if status == IMPACT_BREAKING:
        return "**BREAKING**" if markdown else "[red]BREAKING[/]"
    if status == IMPACT_UNCERTAIN:
        words = "nothing known to break, but some readers' use of the columns is unknown"
        return f"**uncertain**: {words}" if markdown else f"[cyan]uncertain[/]: {words}"
    return "nothing breaks" if markdown else "[green]nothing breaks[/]"


@impact_app.command("dbt")
def impact_dbt(
    manifest: Annotated[
        Path, typer.Option("--manifest", help="The manifest.json of the proposed change.")
    ],
    base: Annotated[
        Path, typer.Option("--base", help="The manifest.json of what runs now (production).")
    ],
    namespace: Annotated[
        str | None,
        typer.Option(
            "--namespace",
            help="The datasets' namespace as dbt-ol reports it (duckdb://path, "
            "postgres://host:port, ...). Default: found in the graph by dataset name.",
        ),
    ] = None,
    output: Annotated[
        ImpactFormat, typer.Option("--format", help="text, json, or markdown (a PR comment).")
    ] = ImpactFormat.TEXT,
    depth: Annotated[
        int, typer.Option(min=1, max=50, help="Most jobs between the change and an item.")
    ] = 10,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """What a dbt change would break: the changes between two manifests (columns removed,
    renamed via meta.renamed_from, retyped where contracts give types; models removed or
    renamed), checked against the datasets dbt-ol reported (<database>.<schema>.<alias>).

    Exits 0 when nothing is BREAKING, 1 when something is, 2 on usage errors or when a
    change could not be checked, 3 when the store or server cannot answer.
    """
    from lineage.analysis.dbt_manifest import load_manifest, manifest_changes
    from lineage.analysis.errors import InvalidArgument

    try:
        found = manifest_changes(load_manifest(base), load_manifest(manifest))
    except InvalidArgument as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(IMPACT_USAGE) from exc
    reports: list[dict[str, Any]] = []
    unknown: list[str] = []
    status = IMPACT_OK
    for node in found:
        where = namespace or _dbt_namespace(node.name, store, server, token)
        if where is None:
            unknown.append(node.name)
            continue
        changes = [
            {
                "kind": c.kind.value,
                "field": c.field,
                "newName": c.new_name,
                "newType": c.new_type,
                "nullable": c.nullable,
            }
            for c in node.changes
        ]
        variables = {
            "dataset": {"namespace": where, "name": node.name},
            "changes": changes,
            "depth": depth,
        }
        data, errors = _impact_answer(IMPACT_QUERY, variables, store, server, token)
        if errors or not data:
            err.print(f"[yellow]warning:[/] {escape(node.unique_id)} could not be checked:")
            status = max(status, _impact_failed(errors))
            continue
        reports.append(data["impact"])
    for name in unknown:
        err.print(
            f"[yellow]warning:[/] {escape(name)} is not in the lineage graph (has it run under "
            "dbt-ol?); its changes were not checked"
        )
    if output is ImpactFormat.JSON:
        body = {"reports": reports, "notInGraph": unknown}
        sys.stdout.write(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        _print_impact(reports, output, empty="no dbt model, seed or snapshot changed")
    raise typer.Exit(max(_impact_status(reports), status) if reports else status)


def _dbt_namespace(
    name: str, store: str | None, server: str | None, token: str | None
) -> str | None:
    """The one namespace holding a dataset called ``name``; exits 2 when several do."""
    data, errors = _impact_answer(SEARCH_DATASETS, {"name": name}, store, server, token)
    if errors or not data:
        raise typer.Exit(_impact_failed(errors))
    spaces = sorted({n["namespace"] for n in data["search"]["nodes"] if n.get("name") == name})
    if len(spaces) > 1:
        err.print(
            f"[red]error:[/] {escape(name)} is in several namespaces ({escape(', '.join(spaces))}); "
            "give --namespace"
        )
        raise typer.Exit(IMPACT_USAGE)
    return spaces[0] if spaces else None


def _impact_label(node: dict[str, Any]) -> str:
    if node.get("kind") == "FIELD":
        return f"{(node.get('dataset') or {}).get('name')}.{node.get('path')}"
    return str(node.get("name"))


def _impact_kind(item: dict[str, Any]) -> str:
    return str(item["category"]).lower()


def _print_impact(
    reports: list[dict[str, Any]], output: ImpactFormat, empty: str = "nothing to check"
) -> None:
    if output is ImpactFormat.JSON:
        body: Any = reports[0] if len(reports) == 1 else reports
        sys.stdout.write(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode() + "\n")
    elif output is ImpactFormat.MARKDOWN:
        sys.stdout.write(_impact_markdown(reports, empty))
    else:
        _impact_text(reports, empty)


def _counts(summary: dict[str, Any]) -> str:
    return (
        f"{summary['breaking']} breaking, {summary['likely']} likely, "
        f"{summary['possible']} possible"
    )


def _reached(summary: dict[str, Any]) -> str:
    parts = [
        f"{summary[key]} {label if summary[key] == 1 else label + 's'}"
        for key, label in (
            ("fields", "column"),
            ("datasets", "dataset"),
            ("models", "model"),
            ("endpoints", "endpoint"),
            ("jobs", "job"),
            ("deployments", "deployment"),
        )
        if summary[key]
    ]
    return ", ".join(parts) or "nothing"


_SEVERITY_STYLE = {"BREAKING": "red", "LIKELY": "yellow", "POSSIBLE": "cyan"}


def _impact_text(reports: list[dict[str, Any]], empty: str) -> None:
    if not reports:
        out.print(empty)
    for report in reports:
        dataset = report["dataset"]
        verdict = _verdict([report], markdown=False)
        out.print(
            f"[bold]{escape(dataset['name'])}[/] [dim]{escape(dataset['namespace'])}[/]: "
            f"{verdict} ({_counts(report['summary'])}; reaches {_reached(report['summary'])})"
        )
        for change in report["changes"]:
            out.print(f"  [bold]{escape(change['change']['description'])}[/]")
            if change.get("note"):
                out.print(f"    [dim]{escape(change['note'])}[/]")
            distance = None
            for item in change["items"]:
                if item["distance"] != distance:
                    distance = item["distance"]
                    out.print(f"    distance {distance}")
                style = _SEVERITY_STYLE.get(item["severity"], "white")
                owners = ", ".join(o["name"] for o in item["owners"])
                suffix = f" [dim](owners: {escape(owners)})[/]" if owners else ""
                out.print(
                    f"      [{style}]{item['severity']:<8}[/] {_impact_kind(item)} "
                    f"[bold]{escape(_impact_label(item['node']))}[/]{suffix}: "
                    f"{escape(item['reason'])}"
                )
        if report["owners"]:
            notify = ", ".join(f"{o['name']} ({o['severity']})" for o in report["owners"])
            out.print(f"  owners to notify: {escape(notify)}")
        if report["truncated"]:
            err.print(
                "[yellow]warning:[/] the report stopped at the node budget "
                "(LINEAGE_NODE_BUDGET); more may be affected"
            )


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _impact_markdown(reports: list[dict[str, Any]], empty: str) -> str:
    """A pull-request comment: a summary line, a table of what breaks with its owners, and
    every item by change and distance in a collapsible section."""
    if not reports:
        return f"**lineage impact**: {empty}.\n"
    totals = {"breaking": 0, "likely": 0, "possible": 0}
    for report in reports:
        for key in totals:
            totals[key] += report["summary"][key]
    names = ", ".join(f"`{r['dataset']['name']}`" for r in reports)
    verdict = _verdict(reports, markdown=True)
    lines = [
        f"**lineage impact** of changes to {names}: {verdict} ({_counts(totals)})",
        "",
    ]
    blind = sorted(
        {
            _impact_label(item["node"])
            for r in reports
            for c in r["changes"]
            for item in c["items"]
            if item["severity"] == "POSSIBLE"
            and item["node"].get("kind") == "JOB"
            and item["distance"] == 1
        }
    )
    if blind:
        lines += [
            f"Completeness: the column use of {len(blind)} reader job(s) is unknown or known "
            "only in part, so they may break: " + ", ".join(f"`{_cell(b)}`" for b in blind),
            "",
        ]
    else:
        lines += ["Completeness: every reader's use of the changed columns is known.", ""]
    rows = [
        (report, change, item)
        for report in reports
        for change in report["changes"]
        for item in change["items"]
        if item["severity"] == "BREAKING"
    ]
    if rows:
        lines += [
            "| change | breaks | kind | distance | owners |",
            "| --- | --- | --- | --- | --- |",
        ]
        for report, change, item in rows:
            owners = ", ".join(o["name"] for o in item["owners"]) or "—"
            what = f"`{report['dataset']['name']}`: {change['change']['description']}"
            lines.append(
                f"| {_cell(what)} | `{_cell(_impact_label(item['node']))}` | "
                f"{_impact_kind(item)} | {item['distance']} | {_cell(owners)} |"
            )
        lines.append("")
    notify = sorted(
        {(o["name"], o["severity"]) for r in reports for o in r["owners"]},
        key=lambda o: (["BREAKING", "LIKELY", "POSSIBLE"].index(o[1]), o[0]),
    )
    if notify:
        lines += ["Owners to notify: " + ", ".join(f"{n} ({s})" for n, s in notify), ""]
    if any(r["truncated"] for r in reports):
        lines += ["The report stopped at the node budget: more may be affected.", ""]
    count = sum(len(c["items"]) for r in reports for c in r["changes"])
    lines += [
        "<details>",
        f"<summary>All {count} affected items, by change and distance</summary>",
        "",
    ]
    for report in reports:
        for change in report["changes"]:
            title = f"`{report['dataset']['name']}`: {change['change']['description']}"
            lines.append(f"#### {title}")
            if change.get("note"):
                lines.append(f"_{change['note']}_")
            if not change["items"]:
                lines.append("")
                continue
            distance = None
            for item in change["items"]:
                if item["distance"] != distance:
                    distance = item["distance"]
                    lines.append(f"- distance {distance}")
                owners = ", ".join(o["name"] for o in item["owners"])
                owned = f" (owners: {owners})" if owners else ""
                lines.append(
                    f"  - **{item['severity']}** {_impact_kind(item)} "
                    f"`{_impact_label(item['node'])}`{owned}: {item['reason']}"
                )
            lines.append("")
    lines += ["</details>", ""]
    return "\n".join(lines)


# -- incidents and triage ------------------------------------------------------------------


class TriageOutput(StrEnum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"


def _node_label(node: dict[str, Any] | None) -> str:
    """``name``, ``name.field``, ``name@version`` or ``job run <id>``: short and unambiguous."""
    if not node:
        return "?"
    if node.get("kind") == "DATASET_VERSION":
        return f"{(node.get('dataset') or {}).get('name')}@{node.get('version')}"
    if node.get("kind") == "RUN":
        return f"{(node.get('job') or {}).get('name')} run {str(node.get('runId'))[:8]}"
    if node.get("kind") == "FIELD":
        return f"{(node.get('dataset') or {}).get('name')}.{node.get('path')}"
    return str(node.get("name") or node.get("id"))


class StatusChoice(StrEnum):
    OPEN = "OPEN"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    RESOLVED = "RESOLVED"


class KindChoice(StrEnum):
    DRIFT = "DRIFT"
    QUALITY = "QUALITY"
    RUN_FAILURE = "RUN_FAILURE"
    SCHEMA_CHANGE = "SCHEMA_CHANGE"
    MANUAL = "MANUAL"


@app.command()
def incidents(
    status: Annotated[
        StatusChoice | None,
        typer.Option(help="Only incidents in this state.", case_sensitive=False),
    ] = None,
    kind: Annotated[
        KindChoice | None, typer.Option(help="Only incidents of this kind.", case_sensitive=False)
    ] = None,
    output: Annotated[Output, typer.Option("--format", help="text or json.")] = Output.TEXT,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """List incidents, newest first; the ids are what `lineage triage` takes."""
    variables = {
        "status": status.value if status else None,
        "kind": kind.value if kind else None,
    }
    data = _graphql(INCIDENTS_QUERY, variables, store, server, token)
    found = data["incidents"]["nodes"]
    if output is Output.JSON:
        sys.stdout.write(orjson.dumps(found, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    if not found:
        print("no incidents")
        return
    for item in found:
        print(
            f"{item['shortId']}  {item['status']:<12} {item['severity']:<8} "
            f"{item['incidentKind']:<13} "
            f"{_node_label(item['subject'])}: {item['title']}"
        )


incident_app = typer.Typer(
    help="Act on one incident: acknowledge (ack) it, resolve it saying why, or reopen it.",
    no_args_is_help=True,
)
app.add_typer(incident_app, name="incident")

IncidentId = Annotated[
    str, typer.Argument(help="An incident id, short (INC-...) or full (from `lineage incidents`).")
]


@incident_app.command("acknowledge")
@incident_app.command("ack", hidden=True)
def incident_acknowledge(
    incident: IncidentId,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Say someone is on it: its subject shows WARNING instead of FAILING."""
    done = _graphql(ACKNOWLEDGE_INCIDENT, {"id": incident}, store, server, token)
    found = done["acknowledgeIncident"]
    print(f"{found['shortId']}  {found['status']}: {found['title']}")


@incident_app.command("resolve")
def incident_resolve(
    incident: IncidentId,
    reason: Annotated[str, typer.Option(help="Why it is resolved (kept with it).")],
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Close it, saying why. A check that fails again opens a new episode."""
    if not reason.strip():
        err.print("[red]error:[/] --reason must say why the incident is resolved")
        raise typer.Exit(2)
    done = _graphql(RESOLVE_INCIDENT, {"id": incident, "reason": reason}, store, server, token)
    found = done["resolveIncident"]
    print(f"{found['shortId']}  {found['status']}: {found['title']} ({found['resolution']})")


@incident_app.command("reopen")
def incident_reopen(
    incident: IncidentId,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Open a resolved incident again: its checks count as failing until they pass again."""
    done = _graphql(REOPEN_INCIDENT, {"id": incident}, store, server, token)
    found = done["reopenIncident"]
    print(f"{found['shortId']}  {found['status']}: {found['title']}")


@app.command("triage")
def triage_command(
    incident: Annotated[
        str | None, typer.Argument(help="An incident id (from `lineage incidents`).")
    ] = None,
    node: Annotated[
        tuple[str, str] | None,
        typer.Option("--node", help="Triage a dataset or job instead: NAMESPACE NAME."),
    ] = None,
    field: Annotated[str | None, typer.Option(help="With --node: a field of that dataset.")] = None,
    since: Annotated[str | None, typer.Option(help="With --node: when the trouble began.")] = None,
    depth: Annotated[int, typer.Option(help="Hops upstream to walk.")] = 30,
    output: Annotated[
        TriageOutput, typer.Option("--format", help="text, json or markdown.")
    ] = TriageOutput.TEXT,
    store: StoreOption = None,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Rank the likely causes of an incident: suspects upstream, their evidence and paths.

    Exits 0 with an answer, 1 when it cannot be answered, 2 on usage errors.
    """
    if (incident is None) == (node is None):
        err.print("[red]error:[/] give an incident id, or --node NAMESPACE NAME with --since")
        raise typer.Exit(2)
    if node is not None and since is None:
        err.print("[red]error:[/] --node needs --since (when the trouble began)")
        raise typer.Exit(2)
    ref: dict[str, Any] | None = None
    if node is not None:
        ref = {"namespace": node[0], "name": node[1]}
        if field:
            ref["field"] = field
    variables = {
        "incident": incident,
        "node": ref,
        "since": _time(since, "--since"),
        "depth": depth,
    }
    report = _graphql(TRIAGE_QUERY, variables, store, server, token)["triage"]
    if output is TriageOutput.JSON:
        sys.stdout.write(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n")
    elif output is TriageOutput.MARKDOWN:
        sys.stdout.write(_triage_markdown(report))
    else:
        _triage_text(report)


def _triage_text(report: dict[str, Any]) -> None:
    incident = report.get("incident")
    head = f"{incident['incidentKind']} on " if incident else ""
    print(f"Triage of {head}{_node_label(report['subject'])} ({report['scope']})")
    if incident:
        print(f"  {incident['title']} [{incident['status']}, opened {incident['openedAt']}]")
    if not report["suspects"]:
        print("No suspects: nothing upstream shows evidence in the window.")
    for rank, suspect in enumerate(report["suspects"][:10], 1):
        print(f"{rank}. {_node_label(suspect['node'])}  score {suspect['score']:.3f}")
        for e in suspect["evidence"]:
            print(f"     {e['kind']}: {e['detail']}")
        print("     path: " + " <- ".join(_node_label(n) for n in suspect["path"]))
        print(f"     why: {suspect['why']}")
    print("Raw sources: " + (", ".join(_node_label(n) for n in report["rawSources"]) or "none"))
    print("Blast radius: " + (", ".join(_node_label(n) for n in report["blastRadius"]) or "none"))
    if report["truncated"]:
        print("(truncated: the walk hit the node budget; raise it or lower --depth)")


def _triage_markdown(report: dict[str, Any]) -> str:
    incident = report.get("incident")
    title = f"{incident['incidentKind']}: {incident['title']}" if incident else "Triage"
    lines = [
        f"### {_cell(title)}",
        "",
        f"Subject `{_node_label(report['subject'])}`, {report['scope']}.",
        "",
    ]
    if report["suspects"]:
        lines += ["| # | suspect | score | evidence |", "| - | - | - | - |"]
        for rank, s in enumerate(report["suspects"][:10], 1):
            evidence = "<br>".join(_cell(f"{e['kind']}: {e['detail']}") for e in s["evidence"])
            lines.append(f"| {rank} | `{_node_label(s['node'])}` | {s['score']:.3f} | {evidence} |")
        top = report["suspects"][0]
        lines += [
            "",
            "Path to the top suspect: " + " ← ".join(f"`{_node_label(n)}`" for n in top["path"]),
        ]
    else:
        lines.append("No suspects: nothing upstream shows evidence in the window.")
    lines += [
        "",
        "<details><summary>Raw sources and blast radius</summary>",
        "",
        "Raw sources: "
        + (", ".join(f"`{_node_label(n)}`" for n in report["rawSources"]) or "none"),
        "",
        "Blast radius: "
        + (", ".join(f"`{_node_label(n)}`" for n in report["blastRadius"]) or "none"),
        "",
        "</details>",
        "",
    ]
    return "\n".join(lines)


# -- ML lineage producers and the demo ---------------------------------------------------

from lineage.integrations.cli import emit_app  # noqa: E402

app.add_typer(emit_app, name="emit")


@app.command()
def demo(store: StoreOption = None, server: ServerOption = None, token: TokenOption = None) -> None:
    """Load the demo: a churn model's four days, from raw tables to a drifting endpoint."""
    from lineage.demo import ENDPOINT, load_demo, run_demo
    from lineage.ingest.migrations import open_to_write
    from lineage.integrations.emit import openlineage_client
    from lineage.store import StoreError

    server = _server(store, server)
    if store and server:
        err.print("[red]error:[/] give --store or --server, not both")
        raise typer.Exit(2)
    if server:
        try:
            result = run_demo(openlineage_client(url=server, api_key=token))
        except Exception as exc:  # the client's and our messages say what to fix
            err.print(f"[red]error:[/] {exc}")
            raise typer.Exit(1) from exc
        where = server
    else:
        settings = Settings(store=store) if store else Settings()
        try:
            graph = open_to_write(settings.store, settings)
        except StoreError as exc:
            err.print(f"[red]error:[/] {exc}")
            raise typer.Exit(1) from exc
        try:
            loaded = load_demo(graph)
            link = _demo_cause_link(graph)
        except StoreError as exc:
            err.print(f"[red]error:[/] {exc}")
            raise typer.Exit(1) from exc
        finally:
            graph.close()
        where = settings.store
        if loaded is None:
            out.print(f"demo: already loaded in {where}")
            return
        result = loaded
    out.print(f"demo: {result.events} events sent to {where}")
    out.print(
        "try:  lineage upstream "
        f"'{ENDPOINT[0]}' {ENDPOINT[1]} --depth 12"
        + (f" --server {server}" if server else f" --store {where}")
    )
    if server:
        out.print(f"see why the endpoint drifts:  {server.rstrip('/')}{_demo_triage_path()}")
    elif link is not None:
        out.print(
            f"see why the endpoint drifts:  lineage serve --store {where}, then open "
            f"http://127.0.0.1:8000{link}"
        )


def _demo_triage_path(incident: str | None = None) -> str:
    """The explorer's address for triage on the demo's endpoint (and one of its incidents)."""
    from urllib.parse import urlencode

    from lineage.api.graphql.ids import encode_id
    from lineage.demo import ENDPOINT
    from lineage.graph.model import dataset_id

    query = {"node": encode_id(dataset_id(*ENDPOINT)), "mode": "triage"}
    if incident is not None:
        query["incident"] = encode_id(incident)
    return "/?" + urlencode(query)


def _demo_cause_link(graph: Any) -> str | None:
    """Triage of the drift incident open on the demo's endpoint, ranked causes first."""
    from lineage.analysis.incidents import incidents_on
    from lineage.demo import ENDPOINT
    from lineage.graph.model import dataset_id

    endpoint = dataset_id(*ENDPOINT)
    drifting = [
        n
        for n in incidents_on(graph, [endpoint])[endpoint]
        if n.props.get("kind") == "DRIFT" and n.props.get("status") == "OPEN"
    ]
    return _demo_triage_path(drifting[0].id) if drifting else None


def main() -> None:
    app()
