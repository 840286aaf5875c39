"""``lineage impact``: what a schema change (or a dbt change) breaks downstream; a CI gate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.markup import escape

from lineage.api.documents import IMPACT_QUERY
from lineage.cli.client import graphql_answer
from lineage.cli.options import ServerOption, StoreOption, TokenOption
from lineage.cli.render import ReportFormat, Verdict, err, print_impact, print_json, verdict

SEARCH_DATASETS = """
query Datasets($name: String!) {
  search(query: $name, kinds: [DATASET], first: 100) { nodes { ... on Dataset { namespace name } } }
}
"""

#: Exit statuses of `lineage impact`: a CI gate fails on anything but 0. UNCERTAIN: nothing
#: is known to break, but some reader's use of the changed columns is unknown (POSSIBLE).
IMPACT_OK, IMPACT_BREAKING, IMPACT_USAGE, IMPACT_UNANSWERED, IMPACT_UNCERTAIN = 0, 1, 2, 3, 4
_USAGE_CODES = frozenset({"NOT_FOUND", "INVALID_ARGUMENT", "INVALID_QUERY"})
_VERDICT_STATUS = {
    Verdict.BREAKING: IMPACT_BREAKING,
    Verdict.UNCERTAIN: IMPACT_UNCERTAIN,
    Verdict.NOTHING_BREAKS: IMPACT_OK,
}

impact_app = typer.Typer(
    help="What a schema change to a dataset would break downstream, each item BREAKING, "
    "LIKELY or POSSIBLE, with owners. Exits 0 when nothing breaks and every reader's use of "
    "the changed columns is known, 1 when something is BREAKING, 4 when nothing is known to "
    "break but some reader's use is unknown (POSSIBLE), 2 on usage errors (or an unknown "
    "dataset or column), 3 when the store or server cannot answer.",
    invoke_without_command=True,
)

FormatOption = Annotated[
    ReportFormat, typer.Option("--format", help="text, json, or markdown (a PR comment).")
]
DepthOption = Annotated[
    int, typer.Option(min=1, max=50, help="Most jobs between the change and an item.")
]


def _impact_answer(
    query: str,
    variables: dict[str, Any],
    store: str | None,
    server: str | None,
    token: str | None,
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The data and errors of one GraphQL answer; exits 3 when there is no answer at all."""
    try:
        body = graphql_answer(query, variables, store, server, token)
    except typer.Exit as exc:
        # The helpers exit 1 when the store or server cannot answer; 1 means BREAKING here.
        raise typer.Exit(IMPACT_UNANSWERED if exc.exit_code == 1 else exc.exit_code) from exc
    return body.get("data"), list(body.get("errors") or [])


def _impact_status(reports: list[dict[str, Any]]) -> int:
    """BREAKING fails the gate; so does an answer that cannot be sure nothing breaks."""
    return _VERDICT_STATUS[verdict(reports)]


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
    output: FormatOption = ReportFormat.TEXT,
    depth: DepthOption = 10,
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
    print_impact([report], output)
    raise typer.Exit(_impact_status([report]))


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
    output: FormatOption = ReportFormat.TEXT,
    depth: DepthOption = 10,
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
    if output is ReportFormat.JSON:
        print_json({"reports": reports, "notInGraph": unknown})
    else:
        print_impact(reports, output, empty="no dbt model, seed or snapshot changed")
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
