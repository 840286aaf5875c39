"""``lineage incidents`` (the list), ``lineage incident`` (act on one) and ``lineage triage``
(the likely causes of one)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from lineage.api.documents import (
    ACKNOWLEDGE_INCIDENT,
    INCIDENTS_QUERY,
    REOPEN_INCIDENT,
    RESOLVE_INCIDENT,
    TRIAGE_QUERY,
)
from lineage.cli.client import graphql_data
from lineage.cli.options import ServerOption, StoreOption, TokenOption, iso_time
from lineage.cli.render import Output, ReportFormat, err, node_label, print_json, print_triage


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
    data = graphql_data(INCIDENTS_QUERY, variables, store, server, token)
    found = data["incidents"]["nodes"]
    if output is Output.JSON:
        print_json(found)
        return
    if not found:
        print("no incidents")
        return
    for item in found:
        print(
            f"{item['shortId']}  {item['status']:<12} {item['severity']:<8} "
            f"{item['incidentKind']:<13} "
            f"{node_label(item['subject'])}: {item['title']}"
        )


incident_app = typer.Typer(
    help="Act on one incident: acknowledge (ack) it, resolve it saying why, or reopen it.",
    no_args_is_help=True,
)

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
    done = graphql_data(ACKNOWLEDGE_INCIDENT, {"id": incident}, store, server, token)
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
    done = graphql_data(RESOLVE_INCIDENT, {"id": incident, "reason": reason}, store, server, token)
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
    done = graphql_data(REOPEN_INCIDENT, {"id": incident}, store, server, token)
    found = done["reopenIncident"]
    print(f"{found['shortId']}  {found['status']}: {found['title']}")


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
        ReportFormat, typer.Option("--format", help="text, json or markdown.")
    ] = ReportFormat.TEXT,
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
        "since": iso_time(since, "--since"),
        "depth": depth,
    }
    report = graphql_data(TRIAGE_QUERY, variables, store, server, token)["triage"]
    print_triage(report, output)
