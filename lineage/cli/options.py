"""The options many commands share, and how their values become settings and times."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from lineage.cli.render import err
from lineage.settings import SECRET_SETTINGS, Settings

StoreOption = Annotated[
    str | None,
    typer.Option("--store", help="Store URL: sqlite:///path.db or neo4j://host:7687."),
]
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
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="The graph as it stood then (ISO 8601).")
]


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment with the options given (None: not given); exits 2
    naming the option or variable to fix when they are not valid."""
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


def iso_time(value: str | None, option: str) -> str | None:
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
