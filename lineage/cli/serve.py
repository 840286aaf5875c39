"""``lineage serve``: the OpenLineage endpoint, REST API, GraphQL and the explorer."""

from __future__ import annotations

import gc
from typing import Annotated, Any

import typer
from rich.markup import escape

from lineage.cli.ingest import kafka_options, write_consumed
from lineage.cli.options import StoreOption, load_settings
from lineage.cli.render import err, exits_on
from lineage.settings import Settings, shown_url


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

    settings = load_settings(store=store, host=host, port=port)
    # Collected now, while the process is small: the graph about to load lives as long as
    # the process, and is kept out of the collector's scans (frozen) once loaded.
    gc.collect()
    gc.set_threshold(50_000, 50, 100)
    try:
        with exits_on(StoreError):
            # The port opens at once; the store loads on a thread meanwhile (/readyz says how far).
            application = create_app(settings, load_in_background=True)
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
    options = kafka_options(settings, None, None)
    with exits_on(ConsumeError):
        consumer = LineageConsumer(
            target,
            options,
            metrics=ConsumerMetrics(application.state.metrics.registry),
            writer=lambda items: write_consumed(target, items, settings),
            limits=settings.event_limits(),
        )
    # It writes once the graph is loaded, as ingest over HTTP does.
    application.state.loading.then(
        threading.Thread(target=consumer.run, name="kafka-consumer", daemon=True).start
    )
    err.print(f"consuming {', '.join(options.topics)} from {options.bootstrap_servers}")
    return consumer
