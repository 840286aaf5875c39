"""A small jaffle_shop in Spark SQL, run under the OpenLineage Spark listener by capture.sh.

    python tools/spark/job.py DIR

Writes three CSV seeds to DIR/seeds, loads them as tables of the session catalog (parquet, in
the warehouse folder that capture.sh configures) and builds the marts with the statements people
write in Spark SQL: CTE chains that `select *` from a source, joins on shared key names (`ON` and
`USING`), GROUP BY with count/sum, CASE, a window function, CREATE TABLE ... AS SELECT and
INSERT INTO ... SELECT. Then two statements that fail: one names a missing column (Spark
rejects it while analysing it, before anything runs) and one fails while it runs (an ANSI cast
of a status to an integer).

One Spark session, one statement after another; `STATEMENTS` is the SQL, in order, exactly as
it is passed to `spark.sql` (the measurements in docs/graph.md read it from here).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

CUSTOMERS = [
    (1, "Michael", "P."),
    (2, "Shawn", "M."),
    (3, "Kathleen", "P."),
    (4, "Jimmy", "C."),
    (5, "Katherine", "R."),
    (6, "Sarah", "R."),
]

ORDERS = [
    (1, 1, "2018-01-01", "returned"),
    (2, 3, "2018-01-02", "completed"),
    (3, 5, "2018-01-04", "completed"),
    (4, 1, "2018-01-05", "completed"),
    (5, 2, "2018-01-05", "completed"),
    (6, 6, "2018-01-07", "completed"),
    (7, 3, "2018-01-09", "completed"),
    (8, 4, "2018-01-11", "return_pending"),
    (9, 1, "2018-01-12", "shipped"),
    (10, 5, "2018-01-14", "placed"),
]

PAYMENTS = [
    (1, 1, "credit_card", 1000),
    (2, 2, "credit_card", 2000),
    (3, 3, "coupon", 100),
    (4, 4, "coupon", 2500),
    (5, 5, "bank_transfer", 1700),
    (6, 6, "credit_card", 600),
    (7, 7, "credit_card", 1600),
    (8, 8, "credit_card", 2300),
    (9, 9, "gift_card", 2300),
    (10, 9, "bank_transfer", 0),
    (11, 10, "bank_transfer", 2600),
]

SEEDS = {
    "raw_customers": (("id", "first_name", "last_name"), CUSTOMERS),
    "raw_orders": (("id", "user_id", "order_date", "status"), ORDERS),
    "raw_payments": (("id", "order_id", "payment_method", "amount"), PAYMENTS),
}

SCHEMAS = {
    "raw_customers": "id INT, first_name STRING, last_name STRING",
    "raw_orders": "id INT, user_id INT, order_date DATE, status STRING",
    "raw_payments": "id INT, order_id INT, payment_method STRING, amount INT",
}

#: (name, SQL) in the order they run. The names are the statements' shapes, as docs/graph.md
#: and tests/events/data/captured/README.md refer to them.
STATEMENTS: list[tuple[str, str]] = [
    (
        "cte_select_star",
        """CREATE TABLE stg_customers USING parquet AS
WITH source AS (
    SELECT * FROM raw_customers
),
renamed AS (
    SELECT id AS customer_id, first_name, last_name FROM source
)
SELECT * FROM renamed""",
    ),
    (
        "cte_select_star_rename",
        """CREATE TABLE stg_orders USING parquet AS
WITH source AS (
    SELECT * FROM raw_orders
),
renamed AS (
    SELECT id AS order_id, user_id AS customer_id, order_date, status FROM source
)
SELECT * FROM renamed""",
    ),
    (
        "cte_select_star_arithmetic",
        """CREATE TABLE stg_payments USING parquet AS
WITH source AS (
    SELECT * FROM raw_payments
),
renamed AS (
    SELECT id AS payment_id, order_id, payment_method, amount / 100 AS amount FROM source
)
SELECT * FROM renamed""",
    ),
    (
        "join_group_by_ctes",
        """CREATE TABLE customers USING parquet AS
WITH customer_orders AS (
    SELECT customer_id,
           min(order_date) AS first_order,
           max(order_date) AS most_recent_order,
           count(order_id) AS number_of_orders
    FROM stg_orders
    GROUP BY customer_id
),
customer_payments AS (
    SELECT orders.customer_id, sum(payments.amount) AS total_amount
    FROM stg_payments payments
    LEFT JOIN stg_orders orders ON payments.order_id = orders.order_id
    GROUP BY orders.customer_id
),
final AS (
    SELECT customers.customer_id,
           customers.first_name,
           customers.last_name,
           customer_orders.first_order,
           customer_orders.most_recent_order,
           customer_orders.number_of_orders,
           customer_payments.total_amount AS customer_lifetime_value
    FROM stg_customers customers
    LEFT JOIN customer_orders ON customers.customer_id = customer_orders.customer_id
    LEFT JOIN customer_payments ON customers.customer_id = customer_payments.customer_id
)
SELECT * FROM final""",
    ),
    (
        "case_pivot_join_using",
        """CREATE TABLE orders USING parquet AS
WITH order_payments AS (
    SELECT order_id,
           sum(CASE WHEN payment_method = 'credit_card' THEN amount ELSE 0 END) AS credit_card_amount,
           sum(CASE WHEN payment_method = 'coupon' THEN amount ELSE 0 END) AS coupon_amount,
           sum(CASE WHEN payment_method = 'bank_transfer' THEN amount ELSE 0 END) AS bank_transfer_amount,
           sum(CASE WHEN payment_method = 'gift_card' THEN amount ELSE 0 END) AS gift_card_amount,
           sum(amount) AS total_amount
    FROM stg_payments
    GROUP BY order_id
)
SELECT order_id,
       o.customer_id,
       o.order_date,
       o.status,
       p.credit_card_amount,
       p.coupon_amount,
       p.bank_transfer_amount,
       p.gift_card_amount,
       p.total_amount AS amount
FROM stg_orders o
LEFT JOIN order_payments p USING (order_id)""",
    ),
    (
        "window",
        """CREATE TABLE customer_order_history USING parquet AS
SELECT customer_id,
       order_id,
       order_date,
       row_number() OVER (PARTITION BY customer_id ORDER BY order_date, order_id) AS order_number,
       sum(amount) OVER (PARTITION BY customer_id ORDER BY order_date, order_id) AS running_amount
FROM orders
WHERE status <> 'returned'""",
    ),
    (
        "create_table",
        """CREATE TABLE daily_revenue (
    order_date DATE,
    status STRING,
    order_count BIGINT,
    revenue DOUBLE
) USING parquet""",
    ),
    (
        "insert_select_by_position",
        """INSERT INTO daily_revenue
SELECT o.order_date,
       o.status,
       count(DISTINCT o.order_id) AS orders,
       sum(p.amount) AS amount
FROM stg_orders o
JOIN stg_payments p ON o.order_id = p.order_id
WHERE o.status <> 'returned'
GROUP BY o.order_date, o.status""",
    ),
    (
        "missing_column",
        """CREATE TABLE customer_segments USING parquet AS
SELECT customer_id, lifetime_value FROM customers""",
    ),
    (
        "runtime_failure",
        """INSERT INTO daily_revenue
SELECT order_date, status, CAST(status AS BIGINT), amount FROM orders""",
    ),
]

#: Statements expected to fail, and how.
FAILING = {"missing_column": "analysis", "runtime_failure": "runtime"}


def write_seeds(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, (header, rows) in SEEDS.items():
        path = folder / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows(rows)
        paths[name] = path
    return paths


def main(argv: list[str]) -> int:
    from pyspark.errors import AnalysisException
    from pyspark.sql import SparkSession

    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    base = Path(argv[1]).resolve()
    seeds = write_seeds(base / "seeds")

    # Every setting (master, warehouse, listener and its transport) comes from capture.sh's
    # spark-defaults.conf, so that this file runs unchanged under another configuration.
    spark = SparkSession.builder.getOrCreate()
    failures: list[str] = []
    try:
        for name, path in seeds.items():
            (
                spark.read.option("header", "true")
                .schema(SCHEMAS[name])
                .csv(str(path))
                .write.format("parquet")
                .saveAsTable(name)
            )
        for name, sql in STATEMENTS:
            try:
                spark.sql(sql)
            except AnalysisException as e:
                failures.append(name)
                print(f"{name}: analysis failed: {e.getCondition()}", flush=True)
            except Exception as e:  # the planted runtime failure (a Py4J or Spark error)
                failures.append(name)
                print(f"{name}: failed: {type(e).__name__}", flush=True)
            else:
                print(f"{name}: ok", flush=True)
    finally:
        spark.stop()
    if sorted(failures) != sorted(FAILING):
        print(f"expected exactly {sorted(FAILING)} to fail, got {failures}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
