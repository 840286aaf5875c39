"""``lineage upstream`` and ``downstream`` (one walk of the lineage graph, either way) and
``lineage query`` (any GraphQL question)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated, Any

import orjson
import typer

from lineage.api.documents import LINEAGE_QUERY
from lineage.cli.client import graphql_data
from lineage.cli.options import AsOfOption, ServerOption, StoreOption, TokenOption, iso_time
from lineage.cli.render import Output, err, print_json, print_lineage
from lineage.store.base import Direction

Namespace = Annotated[str, typer.Argument(help="The dataset's (or job's) namespace.")]
Name = Annotated[str, typer.Argument(help="The dataset's (or job's) name.")]
DepthOption = Annotated[
    int, typer.Option(min=0, max=50, help="Edges to follow (dataset -> job -> dataset is 2).")
]
FieldOption = Annotated[
    str | None, typer.Option("--field", help="Follow this column's lineage instead.")
]
JobOption = Annotated[bool, typer.Option("--job", help="NAMESPACE NAME name a job.")]
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
            "asOf": iso_time(as_of, "--as-of"),
            "granularity": "COLUMN" if field or columns else "DATASET",
        }
        answer = graphql_data(LINEAGE_QUERY, variables, store, server, token)["lineage"]
        print_lineage(answer, direction, output)

    command.__doc__ = doc
    return command


upstream = _walk_command(
    Direction.UPSTREAM,
    """What feeds a dataset (or a column, or a job).

    Exits 1 when it is not in the graph, 2 on usage errors.
    """,
)
downstream = _walk_command(
    Direction.DOWNSTREAM,
    """What a dataset (or a column, or a job) feeds.

    Exits 1 when it is not in the graph, 2 on usage errors.
    """,
)


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
    print_json(graphql_data(text, variables, store, server, token))
