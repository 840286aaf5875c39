"""``lineage ingest`` (event files) and ``lineage consume`` (Kafka topics): events into a
store, or into a running server."""

from __future__ import annotations

import gzip
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lineage.cli.client import ServerSink, server_to_ask
from lineage.cli.options import StoreOption, load_settings
from lineage.cli.render import err, exits_on, out
from lineage.settings import Settings


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


def kafka_options(settings: Settings, topics: list[str] | None, group: str | None) -> Any:
    from lineage.consume import KafkaOptions

    return KafkaOptions(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        topics=topics or settings.kafka_topics,
        group_id=group or settings.kafka_group_id,
        dead_letter_topic=settings.kafka_dead_letter_topic or None,
        batch_size=settings.kafka_batch_size,
        config=dict(settings.kafka_config),
    )


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

    settings = load_settings(store=store, kafka_bootstrap_servers=bootstrap_servers)
    options = kafka_options(settings, topic, group)
    with exits_on(StoreError):
        target = open_to_write(settings.store, settings)
    try:
        consumer = LineageConsumer(
            target,
            options,
            writer=lambda items: write_consumed(target, items, settings),
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
        with exits_on(ConsumeError):
            consumer.run(max_idle=max_idle)
    finally:
        consumer.close()
        target.close()


def write_consumed(target: Any, items: Any, settings: Settings) -> None:
    from lineage.ingest import write

    write(target, items, auto_resolve=settings.incident_auto_resolve)


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

    server = server_to_ask(store, server)
    documents = list(_documents(path))
    accepted = 0
    rejected: list[tuple[str, str]] = []
    sink = ServerSink(server, token) if server else None
    target = None
    outbox = None
    if sink is None:
        settings = load_settings(store=store)
        limits = settings.event_limits()
        with exits_on(StoreError):
            target = open_to_write(settings.store)
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
        with exits_on(StoreError), progress:
            task = progress.add_task("events", total=len(documents))
            for start in range(0, len(documents), batch_size):
                chunk = documents[start : start + batch_size]
                if sink is not None:
                    rejected.extend((w, v.reason) for w, v in chunk if isinstance(v, _Unreadable))
                    readable = [(w, v) for w, v in chunk if not isinstance(v, _Unreadable)]
                    if readable:
                        ok, bad = sink.send(readable)
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
    err.print(f"into {server if sink is not None else load_settings(store=store).store}")
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
