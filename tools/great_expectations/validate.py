"""Validate a small SQLite `orders` table with Great Expectations and report it through
openlineage-integration-common's `OpenLineageValidationAction`, to OPENLINEAGE_URL.

Runs in the virtualenv tools/great_expectations/install.sh builds:

    python tools/great_expectations/validate.py            # clean data: every expectation holds
    python tools/great_expectations/validate.py --failing  # a NULL customer_id and an unknown status

The table is `shop.db` in the current directory (created afresh), so the dataset namespace
(`sqlite:shop.db`-like, as the integration derives it from the SQLAlchemy URL) is the same on
every machine. The suite holds four expectations: customer_id not null, status in
(placed, shipped, completed, returned), order_id unique, 1 to 100 rows.

Great Expectations 1.x runs a Checkpoint's actions through `ValidationAction.run(checkpoint_result,
...)`, which the integration's action does not implement (it implements `_run(validation_result_suite,
validation_result_suite_identifier, data_asset)`, the 0.x hook). So this script validates with a
real Validator and hands the result to the action's `_run` itself: the events are exactly what the
action builds and emits.
"""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path

import great_expectations as gx  # first: the integration's package imports it circularly
import great_expectations.expectations as gxe
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)
from openlineage.common.provider.great_expectations.action import OpenLineageValidationAction

ORDERS = [
    (1, 1, "completed", 10.0),
    (2, 3, "completed", 20.0),
    (3, 94, "returned", 5.5),
    (4, 50, "shipped", 12.25),
    (5, 64, "placed", 7.0),
]
BAD = [(6, None, "completed", 3.0), (7, 12, "lost", 8.0)]


def make_table(path: Path, failing: bool) -> None:
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE orders (order_id INTEGER, customer_id INTEGER, status TEXT, amount REAL)"
        )
        db.executemany("INSERT INTO orders VALUES (?, ?, ?, ?)", ORDERS + (BAD if failing else []))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--failing", action="store_true", help="plant two bad rows")
    parser.add_argument("--job", default="shop.orders_suite", help="the OpenLineage job name")
    args = parser.parse_args()

    make_table(Path("shop.db"), args.failing)
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_sqlite(name="shop", connection_string="sqlite:///shop.db")
    asset = source.add_table_asset(name="orders", table_name="orders")
    batch = asset.add_batch_definition_whole_table("all_orders")
    suite = context.suites.add(gx.ExpectationSuite(name="orders_suite"))
    suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column="customer_id"))
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeInSet(
            column="status", value_set=["placed", "shipped", "completed", "returned"]
        )
    )
    suite.add_expectation(gxe.ExpectColumnValuesToBeUnique(column="order_id"))
    suite.add_expectation(gxe.ExpectTableRowCountToBeBetween(min_value=1, max_value=100))

    validator = context.get_validator(
        batch_request=batch.build_batch_request(), expectation_suite=suite
    )
    result = validator.validate()
    identifier = ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite.name),
        run_id=result.meta.get("run_id"),
        batch_identifier=batch.name,
    )
    action = OpenLineageValidationAction(
        name="openlineage", openlineage_namespace="great_expectations", job_name=args.job
    )
    action._run(
        validation_result_suite=result,
        validation_result_suite_identifier=identifier,
        data_asset=validator,
    )
    print(f"validated: success={result.success}")


if __name__ == "__main__":
    main()
