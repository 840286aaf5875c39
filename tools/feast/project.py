"""Prepares a runnable copy of the Feast project tests/feast_repo, for tools/feast/capture.sh and
tests/e2e/test_feast.py (run with the Feast virtualenv's python).

    python tools/feast/project.py prepare DEST --url URL   # copy, write data/, turn OpenLineage on
    python tools/feast/project.py view-lineage DEST
    python tools/feast/project.py drop-column DEST SOURCE COLUMN
    python tools/feast/project.py load-orders DEST --url URL [--spend-in-cents]

`prepare` copies the project's definitions into DEST, writes its two source tables
(data/orders.parquet, data/customers.parquet) and appends an `openlineage:` section to DEST's
feature_store.yaml that sends every event over HTTP to URL (`lineage serve`, or the capture
receiver). Then `feast -c DEST apply` and `feast -c DEST materialize …` run the real thing.

`view-lineage` sends, through Feast's own emitter, the definition of each feature view in
DEST's registry: `FeastOpenLineageEmitter.emit_feature_view_lineage(view, project)` for each,
one job per view (`feature_view_<name>`: its batch source and its entities in, the view out).
`feast apply` sends one job for all views together, which does not say which source feeds
which view; no CLI command sends these. (`emit_registry_lineage`, which also sends them,
sends each feature service with every feature of its views, selected or not, so it is not
used: `feast apply` sends the services as they are.)

`drop-column` rewrites DEST/data/SOURCE.parquet without COLUMN: the planted upstream change
that makes the next materialization of the feature view reading it fail.

`load-orders` is the warehouse job that writes the source table `orders`
(DEST/data/orders.parquet), reporting its run with the openlineage-python client over HTTP to
URL as any producer would: job `warehouse`/`load_orders`, the table as its output, named as
Feast's own events name the source (namespace `churn`, the source's name), with the schema of
what it wrote. `--spend-in-cents` writes `total_spend` as whole cents (int64 instead of
double): the planted upstream change a new version of the table carries.
"""

from __future__ import annotations

import argparse
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

PROJECT = Path(__file__).resolve().parents[2] / "tests" / "feast_repo"
DAY = datetime(2026, 11, 23, tzinfo=UTC)
CUSTOMERS = [1001, 1002, 1003]


def write_sources(dest: Path) -> None:
    """The two source tables: fixed rows at one fixed timestamp, so every run materializes
    the same features."""
    data = dest / "data"
    data.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {
            "customer_id": CUSTOMERS,
            "event_timestamp": [DAY] * len(CUSTOMERS),
            "order_count": [3, 1, 7],
            "total_spend": [120.5, 19.99, 410.0],
            "avg_order_value": [40.17, 19.99, 58.57],
        }
    ).to_parquet(data / "orders.parquet")
    pd.DataFrame(
        {
            "customer_id": CUSTOMERS,
            "event_timestamp": [DAY] * len(CUSTOMERS),
            "tenure_days": [400, 12, 900],
            "country": ["DE", "FR", "NL"],
        }
    ).to_parquet(data / "customers.parquet")


def prepare(dest: Path, url: str) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(PROJECT, dest, ignore=shutil.ignore_patterns("data", "__pycache__"))
    write_sources(dest)
    with (dest / "feature_store.yaml").open("a") as config:
        config.write(
            "openlineage:\n"
            "  enabled: true\n"
            "  transport_type: http\n"
            f"  transport_url: {url}\n"
            "  transport_endpoint: api/v1/lineage\n"
        )


def load_orders(dest: Path, url: str, in_cents: bool) -> None:
    from openlineage.client import OpenLineageClient
    from openlineage.client.event_v2 import Job, OutputDataset, Run, RunEvent, RunState
    from openlineage.client.facet_v2 import schema_dataset
    from openlineage.client.transport.http import HttpConfig, HttpTransport
    from openlineage.client.uuid import generate_new_uuid

    path = dest / "data" / "orders.parquet"
    frame = pd.read_parquet(path)
    if in_cents:
        frame["total_spend"] = (frame["total_spend"] * 100).round().astype("int64")
    frame.to_parquet(path)
    schema = schema_dataset.SchemaDatasetFacet(
        fields=[
            schema_dataset.SchemaDatasetFacetFields(name=str(name), type=str(kind))
            for name, kind in frame.dtypes.items()
        ]
    )
    client = OpenLineageClient(transport=HttpTransport(HttpConfig(url=url)))
    run = Run(runId=str(generate_new_uuid()))
    job = Job(namespace="warehouse", name="load_orders")
    producer = "https://github.com/lineage/lineage/blob/main/tools/feast/project.py"
    output = OutputDataset(namespace="churn", name="orders", facets={"schema": schema})
    for state in (RunState.START, RunState.COMPLETE):
        client.emit(
            RunEvent(
                eventType=state,
                eventTime=datetime.now(UTC).isoformat(),
                run=run,
                job=job,
                producer=producer,
                outputs=[output],
            )
        )


def drop_column(dest: Path, source: str, column: str) -> None:
    path = dest / "data" / f"{source}.parquet"
    pd.read_parquet(path).drop(columns=[column]).to_parquet(path)


def view_lineage(dest: Path) -> None:
    from feast import FeatureStore

    store = FeatureStore(repo_path=str(dest))
    emitter = store.openlineage_emitter
    if emitter is None:
        raise SystemExit(f"OpenLineage is not enabled in {dest}/feature_store.yaml")
    views = sorted(store.list_feature_views(), key=lambda v: v.name)
    sent = [emitter.emit_feature_view_lineage(view, store.project) for view in views]
    if not views or not all(sent):
        raise SystemExit(f"Feast's emitter did not send every view's lineage: {sent}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("prepare")
    p.add_argument("dest", type=Path)
    p.add_argument("--url", required=True)
    r = commands.add_parser("view-lineage")
    r.add_argument("dest", type=Path)
    d = commands.add_parser("drop-column")
    d.add_argument("dest", type=Path)
    d.add_argument("source")
    d.add_argument("column")
    o = commands.add_parser("load-orders")
    o.add_argument("dest", type=Path)
    o.add_argument("--url", required=True)
    o.add_argument("--spend-in-cents", action="store_true")
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args.dest, args.url)
    elif args.command == "view-lineage":
        view_lineage(args.dest)
    elif args.command == "load-orders":
        load_orders(args.dest, args.url, args.spend_in_cents)
    else:
        drop_column(args.dest, args.source, args.column)


if __name__ == "__main__":
    main()
