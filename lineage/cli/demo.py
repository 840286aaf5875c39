"""``lineage demo``: the churn model's story, into a store or a running server."""

from __future__ import annotations

from typing import Any

import typer

from lineage.cli.client import server_to_ask
from lineage.cli.options import ServerOption, StoreOption, TokenOption
from lineage.cli.render import err, exits_on, out
from lineage.settings import Settings


def demo(store: StoreOption = None, server: ServerOption = None, token: TokenOption = None) -> None:
    """Load the demo: a churn model's four days, from raw tables to a drifting endpoint."""
    from lineage.demo import ENDPOINT, load_demo, run_demo
    from lineage.ingest.migrations import open_to_write
    from lineage.integrations.emit import openlineage_client
    from lineage.store import StoreError

    server = server_to_ask(store, server)
    if server:
        try:
            result = run_demo(openlineage_client(url=server, api_key=token))
        except Exception as exc:  # the client's and our messages say what to fix
            err.print(f"[red]error:[/] {exc}")
            raise typer.Exit(1) from exc
        where = server
    else:
        settings = Settings(store=store) if store else Settings()
        with exits_on(StoreError):
            graph = open_to_write(settings.store, settings)
        try:
            with exits_on(StoreError):
                loaded = load_demo(graph)
                link = _demo_cause_link(graph)
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
