"""Looking after a store and the API: ``lineage migrate``, ``prune`` and ``schema``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from lineage.cli.options import StoreOption, iso_time, load_settings
from lineage.cli.render import exits_on, out


def migrate(store: StoreOption = None) -> None:
    """Apply the store's schema (Neo4j constraints and indexes); safe to repeat.

    The server applies it at start-up too; this makes it an explicit deploy step.
    """
    from lineage.ingest.migrations import open_to_write
    from lineage.store import StoreError

    settings = load_settings(store=store)
    with exits_on(StoreError):
        target = open_to_write(settings.store, settings)
        try:
            apply = getattr(target, "migrate", None)
            if apply is not None:
                apply()
        finally:
            target.close()
    out.print(f"schema up to date ({settings.store})")


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

    when = iso_time(before, "--before")
    assert when is not None
    settings = load_settings(store=store)
    with exits_on(StoreError):
        target = open_to_write(settings.store, settings, read_only=dry_run)
        try:
            report = target.prune(datetime.fromisoformat(when).timestamp(), namespace, dry_run)
        finally:
            target.close()
    verb = "would drop" if dry_run else "dropped"
    scope = f" in namespace {namespace}" if namespace else ""
    out.print(
        f"{verb}{scope} before {when}: {report.events} events, {report.runs} runs, "
        f"{report.versions} dataset versions, {report.edges} edges, "
        f"{report.reports} column lineage reports"
    )


schema_app = typer.Typer(help="The GraphQL schema.", no_args_is_help=True)


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
