"""Prepares a runnable copy of the Feast project tests/feast_repo, for tools/feast/capture.sh and
tests/e2e/test_feast.py (run with the Feast virtualenv's python).

    python tools/feast/project.py prepare DEST --url URL   # copy, write data/, turn OpenLineage on
    python tools/feast/project.py view-lineage DEST
    python tools/feast/project.py drop-column DEST SOURCE COLUMN

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
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args.dest, args.url)
    elif args.command == "view-lineage":
        view_lineage(args.dest)
    else:
        drop_column(args.dest, args.source, args.column)


if __name__ == "__main__":
    main()
