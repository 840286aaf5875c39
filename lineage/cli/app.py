"""The ``lineage`` Typer app: its root options, and every command in the order ``--help``
lists them."""

from __future__ import annotations

from typing import Annotated

import typer

from lineage.cli import admin, demo, export, impact, incidents, ingest, serve, walk
from lineage.integrations.cli import emit_app

# Commands import what they use when they run, so that `lineage --help` and the light commands
# start without loading the API, a store's driver or the OpenLineage client. Nothing outside
# lineage.cli imports it (.importlinter puts it on top), so none of those imports hides a cycle.

app = typer.Typer(
    name="lineage",
    help="Lineage and metadata graph service for data and ML.",
    no_args_is_help=True,
    add_completion=False,
)


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


app.command()(serve.serve)
app.command()(ingest.consume)
app.command()(ingest.ingest)
app.command("upstream")(walk.upstream)
app.command("downstream")(walk.downstream)
app.command()(walk.query)
app.command()(export.export)
app.command()(admin.migrate)
app.command()(admin.prune)
app.add_typer(admin.schema_app, name="schema")
app.add_typer(impact.impact_app, name="impact")
app.command()(incidents.incidents)
app.add_typer(incidents.incident_app, name="incident")
app.command("triage")(incidents.triage_command)
app.add_typer(emit_app, name="emit")
app.command()(demo.demo)


def main() -> None:
    app()
