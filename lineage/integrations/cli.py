"""``lineage emit ...``: events for CI/CD and monitors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)

emit_app = typer.Typer(
    help="Emit OpenLineage events for deployments and monitors (e.g. from CI/CD).",
    no_args_is_help=True,
)

OpenLineageUrl = Annotated[
    str | None,
    typer.Option(
        "--openlineage-url",
        envvar="OPENLINEAGE_URL",
        help="Where to send the events, e.g. http://127.0.0.1:8000 (default OPENLINEAGE_URL).",
    ),
]
ApiKey = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        envvar="OPENLINEAGE_API_KEY",
        help="Bearer token (default OPENLINEAGE_API_KEY).",
    ),
]
At = Annotated[
    str | None,
    typer.Option("--at", help="Event time, ISO 8601 (a time without a zone is UTC); default now."),
]
RunId = Annotated[str | None, typer.Option("--run-id", help="The run's UUID; default a new one.")]
JobOption = Annotated[
    tuple[str, str] | None,
    typer.Option("--job", metavar="NS NAME", help="The job to report as (default per target)."),
]


def _time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        err.print("[red]error:[/] --at must be an ISO 8601 time such as 2026-11-01T08:00:00Z")
        raise typer.Exit(2) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _online_feature(value: str) -> tuple[str, str, str | None, dict[str, str | None] | None]:
    """``NAMESPACE/NAME[@VERSION][=FEATURE[:TYPE],...]`` as (namespace, name, version,
    fields): the name is after the last ``/``, its features after the last ``=``."""
    body, equals, listed = value.rpartition("=") if "=" in value else (value, "", "")
    namespace, slash, name = body.rpartition("/")
    name, _, version = name.partition("@")
    fields: dict[str, str | None] = {}
    for feature in listed.split(",") if equals else ():
        column, _, kind = feature.partition(":")
        fields[column.strip()] = kind.strip() or None
    if not (slash and namespace and name) or "" in fields:
        err.print(
            "[red]error:[/] --online-feature must look like NAMESPACE/NAME[@VERSION]"
            f"[=FEATURE[:TYPE],...], e.g. feast://churn/churn_service=order_count:Int64; got {value!r}"
        )
        raise typer.Exit(2)
    return namespace, name, version or None, fields if equals else None


def _fail(exc: Exception) -> typer.Exit:
    err.print(f"[red]error:[/] {exc}")
    return typer.Exit(1)


@emit_app.command("deployment")
def deployment(
    model: Annotated[
        tuple[str, str], typer.Option("--model", metavar="NS NAME", help="The model dataset.")
    ],
    version: Annotated[str, typer.Option("--version", help="The model version deployed.")],
    endpoint: Annotated[
        tuple[str, str], typer.Option("--endpoint", metavar="NS NAME", help="The endpoint dataset.")
    ],
    environment: Annotated[str, typer.Option("--environment", help="e.g. prod, staging.")],
    url: Annotated[str | None, typer.Option("--url", help="The endpoint's URL.")] = None,
    job: JobOption = None,
    openlineage_url: OpenLineageUrl = None,
    api_key: ApiKey = None,
    run_id: RunId = None,
    at: At = None,
    online_feature: Annotated[
        list[str] | None,
        typer.Option(
            "--online-feature",
            metavar="NS/NAME[@VERSION][=FEATURE[:TYPE],...]",
            help="A dataset the endpoint reads features from when it serves (e.g. a feature "
            "service), repeatable; its features become the endpoint's columns.",
        ),
    ] = None,
) -> None:
    """Report that a model version now serves an endpoint (a DEPLOYMENT run).

    The endpoint's previous deployment stays in the graph: asking as of an earlier time
    answers with the model that served then.
    """
    from lineage.integrations.deployment import emit_deployment
    from lineage.integrations.emit import DatasetRef

    features = [DatasetRef(*_online_feature(value)) for value in online_feature or ()]
    try:
        rid = emit_deployment(
            model,
            version,
            endpoint,
            environment,
            url=url,
            job=job,
            openlineage_url=openlineage_url,
            api_key=api_key,
            run_id=run_id,
            deployed_at=_time(at),
            online_features=features,
        )
    except Exception as exc:  # the client's and our messages say what to fix
        raise _fail(exc) from exc
    out.print(f"deployed {model[1]} {version} to {endpoint[1]} ({environment}): run {rid}")


@emit_app.command("drift")
def drift(
    dataset: Annotated[
        tuple[str, str], typer.Option("--dataset", metavar="NS NAME", help="What was monitored.")
    ],
    score: Annotated[
        list[str], typer.Option("--score", metavar="COLUMN=SCORE", help="A column's drift score.")
    ],
    threshold: Annotated[float, typer.Option("--threshold", help="A column drifted above this.")],
    method: Annotated[str, typer.Option("--method", help="How scores were computed.")] = "psi",
    dataset_version: Annotated[
        str | None, typer.Option("--dataset-version", help="The exact version monitored.")
    ] = None,
    job: JobOption = None,
    openlineage_url: OpenLineageUrl = None,
    api_key: ApiKey = None,
    run_id: RunId = None,
    at: At = None,
) -> None:
    """Report drift measured on a dataset (a MONITOR run); exits 3 when it drifted."""
    from lineage.integrations.emit import DatasetRef
    from lineage.integrations.monitor import report_drift

    scores: dict[str, str] = {}
    for entry in score:
        column, sep, value = entry.partition("=")
        if not sep or not column:
            err.print(f"[red]error:[/] --score must look like COLUMN=0.31, got {entry!r}")
            raise typer.Exit(2)
        scores[column] = value
    try:
        facet = report_drift(
            DatasetRef(dataset[0], dataset[1], dataset_version),
            scores,
            threshold,
            method=method,
            job=job,
            url=openlineage_url,
            api_key=api_key,
            run_id=run_id,
            observed_at=_time(at),
        )
    except Exception as exc:
        raise _fail(exc) from exc
    drifted = [c.name for c in facet.columns if c.drifted]
    out.print(f"drift on {dataset[1]}: " + (", ".join(drifted) if drifted else "none"))
    if drifted:
        raise typer.Exit(3)
