"""The churn project's feature definitions: two feature views over two source tables (parquet
files written by make_data.py), one feature service that a churn model is trained on."""

from datetime import timedelta

from feast import Entity, FeatureService, FeatureView, Field, FileSource, ValueType
from feast.types import Float64, Int64, String

customer = Entity(
    name="customer",
    join_keys=["customer_id"],
    value_type=ValueType.INT64,
    description="A shop customer",
    owner="crm-team@example.com",
    tags={"domain": "customers"},
)

orders_source = FileSource(
    name="orders",
    path="data/orders.parquet",
    timestamp_field="event_timestamp",
    description="Daily order aggregates per customer, from the warehouse",
    owner="sales-data@example.com",
    tags={"layer": "raw"},
)

customers_source = FileSource(
    name="customers",
    path="data/customers.parquet",
    timestamp_field="event_timestamp",
    description="Customer master data",
    owner="crm-team@example.com",
    tags={"layer": "raw"},
)

customer_orders = FeatureView(
    name="customer_orders",
    entities=[customer],
    ttl=timedelta(days=30),
    schema=[
        Field(name="order_count", dtype=Int64, description="Orders in the last 30 days"),
        Field(name="total_spend", dtype=Float64, description="Spend in the last 30 days"),
        Field(name="avg_order_value", dtype=Float64, tags={"pii": "false"}),
    ],
    online=True,
    source=orders_source,
    description="Order behaviour of each customer",
    owner="ml-features@example.com",
    tags={"team": "ml", "tier": "gold"},
)

customer_profile = FeatureView(
    name="customer_profile",
    entities=[customer],
    ttl=timedelta(days=365),
    schema=[
        Field(name="tenure_days", dtype=Int64),
        Field(name="country", dtype=String),
    ],
    online=True,
    source=customers_source,
    description="Who each customer is",
    owner="crm-team@example.com",
    tags={"team": "crm"},
)

churn_features = FeatureService(
    name="churn_features",
    features=[customer_orders, customer_profile[["tenure_days"]]],
    description="What the churn model is trained on and served with",
    owner="ml-platform@example.com",
    tags={"model": "churn"},
)
