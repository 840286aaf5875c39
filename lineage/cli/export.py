"""``lineage export``: the lineage around a node, or the whole graph, as a file."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated, Any, TextIO

import typer
from rich.markup import escape

from lineage.cli.client import export_from_server, server_to_ask
from lineage.cli.options import (
    AsOfOption,
    ServerOption,
    StoreOption,
    TokenOption,
    iso_time,
    load_settings,
)
from lineage.cli.render import err, exits_on
from lineage.store.base import Direction


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
    server = server_to_ask(store, server)
    at = iso_time(as_of, "--as-of")
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

    def write(sink: TextIO) -> bool:
        if server:
            return export_from_server(server, token, params, sink)
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

    settings = load_settings(store=store)
    with exits_on(StoreError):
        graph_store = open_store(settings.store, read_only=True)
    try:
        with exits_on(StoreError):
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
    finally:
        graph_store.close()
    return graph.truncated
