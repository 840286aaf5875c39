"""SQL on SQLite through SQLExecuteQueryOperator: load raw shop tables, then build two marts.

``load_raw`` (re)creates and fills ``customers``, ``orders`` and ``payments``;
``customer_revenue`` builds a table with CREATE TABLE AS over a CTE, joins on
``customer_id`` and ``order_id``, filters and aggregates; ``daily_revenue`` appends
with INSERT ... SELECT. The database is the Airflow connection ``jaffle_shop_sqlite``
(e.g. ``AIRFLOW_CONN_JAFFLE_SHOP_SQLITE='{"conn_type": "sqlite", "host": "/tmp/shop.db"}'``).

The DAG param ``orders_table`` names the table the marts read orders from: pointing it at
a table that does not exist (``--conf '{"orders_table": "orders_archive"}'``) makes
``customer_revenue`` fail with SQLite's "no such table" (and ``daily_revenue`` never runs).
"""

from __future__ import annotations

import pendulum
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk import DAG, Param

CONN_ID = "jaffle_shop_sqlite"

LOAD_RAW = """
DROP TABLE IF EXISTS customers;
CREATE TABLE customers (
    customer_id INTEGER PRIMARY KEY,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL
);
INSERT INTO customers (customer_id, first_name, last_name) VALUES
    (1, 'Michael', 'P.'), (2, 'Shawn', 'M.'), (3, 'Kathleen', 'P.'), (4, 'Jimmy', 'C.');

DROP TABLE IF EXISTS orders;
CREATE TABLE orders (
    order_id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (customer_id),
    order_date DATE NOT NULL,
    status TEXT NOT NULL
);
INSERT INTO orders (order_id, customer_id, order_date, status) VALUES
    (1, 1, '2018-01-01', 'completed'), (2, 1, '2018-01-04', 'placed'),
    (3, 2, '2018-01-08', 'completed'), (4, 3, '2018-01-09', 'returned'),
    (5, 3, '2018-01-13', 'completed');

DROP TABLE IF EXISTS payments;
CREATE TABLE payments (
    payment_id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders (order_id),
    payment_method TEXT NOT NULL,
    amount INTEGER NOT NULL
);
INSERT INTO payments (payment_id, order_id, payment_method, amount) VALUES
    (1, 1, 'credit_card', 1000), (2, 2, 'coupon', 2500), (3, 3, 'credit_card', 1300),
    (4, 3, 'gift_card', 200), (5, 4, 'bank_transfer', 900), (6, 5, 'credit_card', 3100);

DROP TABLE IF EXISTS daily_revenue;
CREATE TABLE daily_revenue (
    order_date DATE NOT NULL,
    completed_orders INTEGER NOT NULL,
    revenue REAL NOT NULL
);
"""

CUSTOMER_REVENUE = """
DROP TABLE IF EXISTS customer_revenue;
CREATE TABLE customer_revenue AS
WITH completed_orders AS (
    SELECT order_id, customer_id, order_date
    FROM {{ params.orders_table }}
    WHERE status = 'completed'
),
order_totals AS (
    SELECT order_id, SUM(amount) / 100.0 AS order_amount
    FROM payments
    GROUP BY order_id
)
SELECT
    c.customer_id,
    c.first_name,
    c.last_name,
    COUNT(o.order_id) AS completed_orders,
    MIN(o.order_date) AS first_order_date,
    SUM(t.order_amount) AS lifetime_value
FROM customers AS c
JOIN completed_orders AS o ON o.customer_id = c.customer_id
JOIN order_totals AS t ON t.order_id = o.order_id
GROUP BY c.customer_id, c.first_name, c.last_name;
"""

DAILY_REVENUE = """
INSERT INTO daily_revenue (order_date, completed_orders, revenue)
SELECT o.order_date, COUNT(DISTINCT o.order_id), SUM(p.amount) / 100.0
FROM {{ params.orders_table }} AS o
JOIN payments AS p ON p.order_id = o.order_id
WHERE o.status = 'completed'
GROUP BY o.order_date;
"""

with DAG(
    "jaffle_shop_sqlite",
    start_date=pendulum.datetime(2026, 11, 1, tz="UTC"),
    schedule=None,
    catchup=False,
    params={"orders_table": Param("orders", type="string")},
):
    load_raw = SQLExecuteQueryOperator(
        task_id="load_raw", conn_id=CONN_ID, sql=LOAD_RAW, split_statements=True
    )
    customer_revenue = SQLExecuteQueryOperator(
        task_id="customer_revenue", conn_id=CONN_ID, sql=CUSTOMER_REVENUE, split_statements=True
    )
    daily_revenue = SQLExecuteQueryOperator(
        task_id="daily_revenue", conn_id=CONN_ID, sql=DAILY_REVENUE
    )
    # One after the other, so that every run sends its events in the same order.
    load_raw >> customer_revenue >> daily_revenue
