"""The demo: a churn model's whole life, told through real OpenLineage events.

``run_demo(client)`` emits, with the openlineage-python client and this project's own
integrations (training runs, deployments, monitors), the events of four days at a
small company, all at fixed event times with fixed run ids, so the graph it builds is
the same every time:

day 1 (2026-11-23)
    extraction jobs copy the shop's Postgres ``orders`` and ``customers`` into the
    warehouse's raw schema and the app's events land in S3; a dbt build makes the staging
    models and the ``churn_features`` table and runs their tests (all pass); ``feast apply``
    defines the Feast feature view ``customer_churn`` over that table (entity ``customer``)
    and the feature service ``churn_service``, and ``feast materialize`` loads the day's
    features into the online store; ``churn`` v1 is trained on the feature service (whose
    historical retrieval reads that day's table), deployed to the ``prod`` endpoint, which
    looks the service's features up online, and the monitor is happy.
day 2 (2026-11-24)
    the shop's ``orders.amount`` column changed from DECIMAL(12,2) to VARCHAR, and the
    extraction copies it as it is; dbt's ``not_null_stg_orders_amount_usd`` test starts
    failing; Feast materializes that day's features into the online store; ``churn`` v2 is
    trained on them.
day 3 (2026-11-25)
    ``churn`` v2 is deployed to ``prod``.
day 4 (2026-11-26)
    the monitor reports drift on the endpoint (``avg_order_value``) and a drop in AUC.

Feast materializes every day (from the table as dbt last built it).

Walking upstream from the endpoint at RUN granularity follows exact versions back to the
changed raw table: every warehouse input names the version its writer wrote (``version``
facet); the endpoint also reads the feature service at the version ``feast apply`` defined.
The dbt events are shaped as dbt-ol emits them (schema, column lineage, SQL, tests as
``dataQualityAssertions``) and Feast's as its own emitter (``feast.openlineage``, Feast
0.67) sends them (its jobs, its ``feast_*`` facets, no ``version`` facets), but built
here, so the demo needs neither dbt nor Feast. Feast names every object in the namespace
its ``openlineage:`` config gives, here the warehouse's, so its source is the dbt table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    column_lineage_dataset,
    data_quality_assertions_dataset,
    datasource_dataset,
    documentation_dataset,
    parent_run,
    processing_engine_run,
    schema_dataset,
    sql_job,
    tags_run,
)
from openlineage.client.generated.base import InputDatasetFacet, RunFacet

from lineage.graph.model import dataset_id
from lineage.ingest.transport import StoreTransport
from lineage.integrations.deployment import emit_deployment
from lineage.integrations.emit import DatasetRef, event_time, job_type, new_run_id, schema_facet
from lineage.integrations.facets import PRODUCER
from lineage.integrations.monitor import report_drift
from lineage.integrations.training import training_run
from lineage.store.base import GraphStore

# -- the names --------------------------------------------------------------------------

SHOP_DB: Final = "postgres://shop-db.acme.internal:5432"
WAREHOUSE: Final = "postgres://warehouse.acme.internal:5432"
EVENTS_BUCKET: Final = "s3://acme-events"
MODELS: Final = "mlflow://mlflow.acme.internal"
SERVING: Final = "kserve://ml-prod.acme.internal"

SOURCE_ORDERS: Final = (SHOP_DB, "shop.public.orders")
SOURCE_CUSTOMERS: Final = (SHOP_DB, "shop.public.customers")
RAW_ORDERS: Final = (WAREHOUSE, "analytics.raw.orders")
RAW_CUSTOMERS: Final = (WAREHOUSE, "analytics.raw.customers")
RAW_EVENTS: Final = (EVENTS_BUCKET, "app/events")
STG_ORDERS: Final = (WAREHOUSE, "analytics.staging.stg_orders")
STG_CUSTOMERS: Final = (WAREHOUSE, "analytics.staging.stg_customers")
STG_EVENTS: Final = (WAREHOUSE, "analytics.staging.stg_events")
CHURN_FEATURES: Final = (WAREHOUSE, "analytics.features.churn_features")
MODEL: Final = (MODELS, "churn")
ENDPOINT: Final = (SERVING, "churn-scorer")
ENVIRONMENT: Final = "prod"
ENDPOINT_URL: Final = "https://churn.ml-prod.acme.internal/v2/models/churn/infer"
#: The raw column whose type changes on day 2.
CHANGED_COLUMN: Final = "amount"

INGEST_NS: Final = "ingest"
DBT_NS: Final = "dbt"
ML_NS: Final = "ml"
DBT_PROJECT: Final = "acme_analytics"
TRAINING_JOB: Final = (ML_NS, "train_churn")
DEPLOY_JOB: Final = ("deployments", "deploy.churn-scorer")
MONITOR_JOB: Final = ("monitoring", "monitor.churn-scorer")
#: Feast names every object in the namespace its ``openlineage:`` config gives; the
#: project's is the warehouse's, so the source it names is the table dbt builds.
FEAST_NS: Final = WAREHOUSE
FEAST_PROJECT: Final = "churn"
FEAST_SOURCE: Final = CHURN_FEATURES
ENTITY: Final = (FEAST_NS, "customer")
FEATURE_VIEW: Final = (FEAST_NS, "customer_churn")
FEATURE_SERVICE: Final = (FEAST_NS, "churn_service")
ONLINE_STORE: Final = (FEAST_NS, f"online_store_{FEATURE_VIEW[1]}")
FEAST_VIEWS_JOB: Final = (FEAST_NS, f"feast_feature_views_{FEAST_PROJECT}")
FEAST_SERVICE_JOB: Final = (FEAST_NS, f"feature_service_{FEATURE_SERVICE[1]}")
MATERIALIZE_JOB: Final = (FEAST_NS, f"materialize_{FEAST_PROJECT}")

FEATURES: Final = (
    "tenure_days",
    "plan",
    "order_count",
    "avg_order_value",
    "sessions_30d",
    "days_since_last_order",
)

# -- the times --------------------------------------------------------------------------


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 22, tzinfo=UTC) + timedelta(days=day, hours=hour, minutes=minute)


DAYS: Final = (_at(1, 0), _at(2, 0), _at(3, 0), _at(4, 0))
EXTRACT_AT: Final = {1: _at(1, 2), 2: _at(2, 2)}
DBT_AT: Final = {1: _at(1, 3), 2: _at(2, 3)}
FEAST_APPLY_AT: Final = _at(1, 4)
MATERIALIZE_AT: Final = {day: _at(day, 5) for day in (1, 2, 3, 4)}
TRAIN_AT: Final = {1: _at(1, 6), 2: _at(2, 6)}
DEPLOY_AT: Final = {1: _at(1, 9), 2: _at(3, 9)}
MONITOR_AT: Final = {1: _at(1, 10), 2: _at(2, 10), 3: _at(3, 10), 4: _at(4, 10)}
#: When each step of the history happened (the START of the run that reported it).
TYPE_CHANGE_AT: Final = EXTRACT_AT[2]
TEST_FAILS_AT: Final = DBT_AT[2] + timedelta(minutes=8)
DRIFT_AT: Final = MONITOR_AT[4]
END: Final = MONITOR_AT[4] + timedelta(minutes=1)

SEED: Final = "lineage-demo"


def run_id(step: str, at: datetime) -> str:
    """The fixed run id of one step of the story."""
    return new_run_id(at, f"{SEED}:{step}:{at.isoformat()}")


def version(day: int) -> str:
    """The version a daily table gets on ``day`` (its build date)."""
    return DAYS[day - 1].date().isoformat()


# -- schemas ----------------------------------------------------------------------------

ORDERS_COLUMNS: Final = {
    "order_id": "BIGINT",
    "customer_id": "BIGINT",
    "ordered_at": "TIMESTAMP",
    "amount": "DECIMAL(12,2)",
    "status": "VARCHAR",
}
ORDERS_COLUMNS_CHANGED: Final = {**ORDERS_COLUMNS, "amount": "VARCHAR"}
CUSTOMERS_COLUMNS: Final = {
    "customer_id": "BIGINT",
    "signup_date": "DATE",
    "country": "VARCHAR",
    "plan": "VARCHAR",
}
EVENTS_COLUMNS: Final = {
    "event_id": "STRING",
    "customer_id": "BIGINT",
    "event_type": "STRING",
    "occurred_at": "TIMESTAMP",
}
STG_ORDERS_COLUMNS: Final = {
    "order_id": "BIGINT",
    "customer_id": "BIGINT",
    "ordered_at": "TIMESTAMP",
    "amount_usd": "DECIMAL(12,2)",
    "status": "VARCHAR",
}
STG_CUSTOMERS_COLUMNS: Final = dict(CUSTOMERS_COLUMNS)
STG_EVENTS_COLUMNS: Final = {
    "event_id": "VARCHAR",
    "customer_id": "BIGINT",
    "event_type": "VARCHAR",
    "occurred_at": "TIMESTAMP",
}
FEATURE_COLUMNS: Final = {
    "customer_id": "BIGINT",
    "tenure_days": "INTEGER",
    "plan": "VARCHAR",
    "order_count": "BIGINT",
    "avg_order_value": "DECIMAL(12,2)",
    "sessions_30d": "BIGINT",
    "days_since_last_order": "INTEGER",
    "churned": "BOOLEAN",
    "feature_date": "DATE",
}
#: The features as Feast types them (the view's and the service's schema).
FEAST_TYPES: Final = {
    "tenure_days": "Int64",
    "plan": "String",
    "order_count": "Int64",
    "avg_order_value": "Float64",
    "sessions_30d": "Int64",
    "days_since_last_order": "Int64",
}

# output column -> [(input dataset, column, type, subtype)]
Lineage = Mapping[str, Sequence[tuple[tuple[str, str], str, str, str]]]

STG_ORDERS_LINEAGE: Final[Lineage] = {
    "order_id": [(RAW_ORDERS, "order_id", "DIRECT", "IDENTITY")],
    "customer_id": [(RAW_ORDERS, "customer_id", "DIRECT", "IDENTITY")],
    "ordered_at": [(RAW_ORDERS, "ordered_at", "DIRECT", "IDENTITY")],
    "amount_usd": [(RAW_ORDERS, "amount", "DIRECT", "TRANSFORMATION")],
    "status": [(RAW_ORDERS, "status", "DIRECT", "IDENTITY")],
}
STG_CUSTOMERS_LINEAGE: Final[Lineage] = {
    c: [(RAW_CUSTOMERS, c, "DIRECT", "IDENTITY")] for c in STG_CUSTOMERS_COLUMNS
}
STG_EVENTS_LINEAGE: Final[Lineage] = {
    c: [(RAW_EVENTS, c, "DIRECT", "IDENTITY")] for c in STG_EVENTS_COLUMNS
}
FEATURES_LINEAGE: Final[Lineage] = {
    "customer_id": [(STG_CUSTOMERS, "customer_id", "DIRECT", "IDENTITY")],
    "tenure_days": [(STG_CUSTOMERS, "signup_date", "DIRECT", "TRANSFORMATION")],
    "plan": [(STG_CUSTOMERS, "plan", "DIRECT", "IDENTITY")],
    "order_count": [(STG_ORDERS, "order_id", "DIRECT", "AGGREGATION")],
    "avg_order_value": [(STG_ORDERS, "amount_usd", "DIRECT", "AGGREGATION")],
    "sessions_30d": [(STG_EVENTS, "event_id", "DIRECT", "AGGREGATION")],
    "days_since_last_order": [(STG_ORDERS, "ordered_at", "DIRECT", "TRANSFORMATION")],
    "churned": [(STG_EVENTS, "occurred_at", "DIRECT", "TRANSFORMATION")],
}
FEATURES_JOINS: Final = [
    (STG_ORDERS, "customer_id", "INDIRECT", "JOIN"),
    (STG_EVENTS, "customer_id", "INDIRECT", "JOIN"),
]

SQL: Final = {
    "stg_orders": (
        "select order_id, customer_id, ordered_at,\n"
        "       try_cast(amount as decimal(12,2)) as amount_usd, status\n"
        "from analytics.raw.orders\nwhere status != 'test'"
    ),
    "stg_customers": (
        "select customer_id, signup_date, country, plan\nfrom analytics.raw.customers"
    ),
    "stg_events": (
        "select event_id, customer_id, event_type, occurred_at\n"
        "from read_json('s3://acme-events/app/events/*.json')"
    ),
    "churn_features": (
        "select c.customer_id,\n"
        "       current_date - c.signup_date as tenure_days, c.plan,\n"
        "       count(o.order_id) as order_count, avg(o.amount_usd) as avg_order_value,\n"
        "       count(e.event_id) filter (where e.occurred_at > current_date - 30) as sessions_30d,\n"
        "       current_date - max(o.ordered_at)::date as days_since_last_order,\n"
        "       max(e.occurred_at) < current_date - 30 as churned,\n"
        "       current_date as feature_date\n"
        "from analytics.staging.stg_customers c\n"
        "left join analytics.staging.stg_orders o using (customer_id)\n"
        "left join analytics.staging.stg_events e using (customer_id)\n"
        "group by all"
    ),
}


# -- the story --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoResult:
    """What the demo emitted: how many events, and the run id of each step."""

    events: int
    runs: Mapping[str, str]


class _Counter:
    def __init__(self, client: OpenLineageClient) -> None:
        self.client = client
        self.count = 0

    def emit(self, event: RunEvent) -> None:
        self.client.emit(event)
        self.count += 1


def run_demo(client: OpenLineageClient) -> DemoResult:
    """Emit the whole story through ``client``, day by day."""
    out = _Counter(client)
    runs: dict[str, str] = {}

    # Day 1: everything healthy.
    _extract(out, runs, 1, ORDERS_COLUMNS)
    _dbt_build(out, runs, 1, failing=False)
    _feast_apply(out, runs)
    _materialize(out, runs, 1)
    _train(out, runs, 1, metrics={"auc": 0.86, "f1": 0.71})
    runs["deploy:1"] = _deploy(out, runs, 1, DEPLOY_AT[1])
    _monitor(out, runs, 1, 1, {c: 0.02 for c in FEATURES}, auc=0.86)

    # Day 2: the shop's amount column became VARCHAR; the extraction copies it.
    _extract(out, runs, 2, ORDERS_COLUMNS_CHANGED)
    _dbt_build(out, runs, 2, failing=True)
    _materialize(out, runs, 2)
    _monitor(out, runs, 2, 1, {c: 0.03 for c in FEATURES}, auc=0.85)
    _train(out, runs, 2, metrics={"auc": 0.84, "f1": 0.66})

    # Day 3: v2 goes to prod.
    _materialize(out, runs, 3)
    runs["deploy:2"] = _deploy(out, runs, 2, DEPLOY_AT[2])
    _monitor(out, runs, 3, 2, {c: 0.05 for c in FEATURES}, auc=0.83)

    # Day 4: the monitor sees it.
    _materialize(out, runs, 4)
    scores = {c: 0.04 for c in FEATURES} | {"avg_order_value": 0.41, "order_count": 0.12}
    _monitor(out, runs, 4, 2, scores, auc=0.71)
    return DemoResult(out.count, runs)


def _extract(out: _Counter, runs: dict[str, str], day: int, orders: Mapping[str, str]) -> None:
    for step, source, raw, columns in (
        ("extract_shop_orders", SOURCE_ORDERS, RAW_ORDERS, orders),
        ("extract_shop_customers", SOURCE_CUSTOMERS, RAW_CUSTOMERS, CUSTOMERS_COLUMNS),
    ):
        at = EXTRACT_AT[day]
        rid = runs[f"{step}:{day}"] = run_id(step, at)
        inputs = [
            InputDataset(
                namespace=source[0], name=source[1], facets={"schema": schema_facet(columns)}
            )
        ]
        outputs = [
            OutputDataset(
                namespace=raw[0],
                name=raw[1],
                facets=DatasetRef(raw[0], raw[1], version(day), columns).facets()
                | {
                    "columnLineage": _lineage(
                        {c: [(source, c, "DIRECT", "IDENTITY")] for c in columns}
                    ),
                    "dataSource": _source(raw[0]),
                },
            )
        ]
        _run(out, (INGEST_NS, step), rid, at, at + timedelta(minutes=4), inputs, outputs, "JOB")
    at = EXTRACT_AT[day]
    rid = runs[f"deliver_app_events:{day}"] = run_id("deliver_app_events", at)
    outputs = [
        OutputDataset(
            namespace=RAW_EVENTS[0],
            name=RAW_EVENTS[1],
            facets=DatasetRef(*RAW_EVENTS, version(day), EVENTS_COLUMNS).facets(),
        )
    ]
    _run(
        out,
        (INGEST_NS, "deliver_app_events"),
        rid,
        at,
        at + timedelta(minutes=2),
        [],
        outputs,
        "JOB",
    )


def _dbt_build(out: _Counter, runs: dict[str, str], day: int, *, failing: bool) -> None:
    start = DBT_AT[day]
    parent_job = (DBT_NS, f"dbt-run-{DBT_PROJECT}")
    parent = runs[f"dbt:{day}"] = run_id("dbt", start)
    engine: dict[str, RunFacet] = {
        "processing_engine": processing_engine_run.ProcessingEngineRunFacet(
            version="1.11.16", name="dbt", openlineageAdapterVersion="1.54.0", producer=PRODUCER
        )
    }
    _event(out, parent_job, parent, RunState.START, start, [], [], engine, "JOB", integration="DBT")
    child: dict[str, RunFacet] = {
        **engine,
        "parent": parent_run.ParentRunFacet(
            run=parent_run.Run(runId=parent),
            job=parent_run.Job(namespace=parent_job[0], name=parent_job[1]),
            root=parent_run.Root(
                run=parent_run.RootRun(runId=parent),
                job=parent_run.RootJob(namespace=parent_job[0], name=parent_job[1]),
            ),
            producer=PRODUCER,
        ),
    }
    v = version(day)
    models = [
        ("stg_orders", STG_ORDERS, STG_ORDERS_COLUMNS, STG_ORDERS_LINEAGE, [RAW_ORDERS], (), 1),
        (
            "stg_customers",
            STG_CUSTOMERS,
            STG_CUSTOMERS_COLUMNS,
            STG_CUSTOMERS_LINEAGE,
            [RAW_CUSTOMERS],
            (),
            1,
        ),
        ("stg_events", STG_EVENTS, STG_EVENTS_COLUMNS, STG_EVENTS_LINEAGE, [RAW_EVENTS], (), 1),
        (
            "churn_features",
            CHURN_FEATURES,
            FEATURE_COLUMNS,
            FEATURES_LINEAGE,
            [STG_ORDERS, STG_CUSTOMERS, STG_EVENTS],
            FEATURES_JOINS,
            4,
        ),
    ]
    for model, target, columns, lineage, sources, joins, minute in models:
        at = start + timedelta(minutes=minute)
        layer = target[1].split(".")[1]
        job = (DBT_NS, f"analytics.{layer}.{DBT_PROJECT}.{model}.build.run")
        rid = runs[f"dbt:{model}:{day}"] = run_id(f"dbt:{model}", at)
        inputs = [
            InputDataset(
                namespace=s[0],
                name=s[1],
                facets=DatasetRef(*s, v).facets() | {"dataSource": _source(s[0])},
            )
            for s in sources
        ]
        outputs = [
            OutputDataset(
                namespace=target[0],
                name=target[1],
                facets=DatasetRef(*target, v, columns).facets()
                | {
                    "columnLineage": _lineage(lineage, joins),
                    "dataSource": _source(target[0]),
                    "documentation": documentation_dataset.DocumentationDatasetFacet(
                        description=f"dbt model {model}", producer=PRODUCER
                    ),
                },
            )
        ]
        sql = {"sql": sql_job.SQLJobFacet(query=SQL[model], dialect="postgres", producer=PRODUCER)}
        for state, when in ((RunState.START, at), (RunState.COMPLETE, at + timedelta(minutes=1))):
            _event(
                out, job, rid, state, when, inputs, outputs, child, "MODEL", sql, integration="DBT"
            )

    amount_nulls = 1873 if failing else 0
    tests = [
        (
            "stg_orders",
            STG_ORDERS,
            [
                _assertion("stg_orders", "unique", "order_id", 0),
                _assertion("stg_orders", "not_null", "order_id", 0),
                _assertion("stg_orders", "not_null", "amount_usd", amount_nulls),
            ],
        ),
        (
            "stg_customers",
            STG_CUSTOMERS,
            [
                _assertion("stg_customers", "unique", "customer_id", 0),
                _assertion("stg_customers", "not_null", "customer_id", 0),
            ],
        ),
        (
            "churn_features",
            CHURN_FEATURES,
            [
                _assertion("churn_features", "unique", "customer_id", 0),
                _assertion("churn_features", "not_null", "customer_id", 0),
            ],
        ),
    ]
    failed_any = False
    for model, target, assertions in tests:
        at = start + timedelta(minutes=8)
        layer = target[1].split(".")[1]
        job = (DBT_NS, f"analytics.{layer}.{DBT_PROJECT}.{model}.build.test")
        rid = runs[f"dbt:{model}.test:{day}"] = run_id(f"dbt:{model}.test", at)
        facet = data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
            assertions=assertions, producer=PRODUCER
        )
        input_facets: dict[str, InputDatasetFacet] = {"dataQualityAssertions": facet}
        # dbt-ol sends the assertions both as a dataset facet and as an input facet.
        dataset_facets: dict[str, Any] = {**DatasetRef(*target, v).facets()}
        dataset_facets["dataQualityAssertions"] = facet
        inputs = [
            InputDataset(
                namespace=target[0], name=target[1], facets=dataset_facets, inputFacets=input_facets
            )
        ]
        passed = all(a.success for a in assertions)
        failed_any = failed_any or not passed
        end = RunState.COMPLETE if passed else RunState.FAIL
        for state, when in ((RunState.START, at), (end, at + timedelta(seconds=30))):
            _event(out, job, rid, state, when, inputs, [], child, "TEST", integration="DBT")
    final = RunState.FAIL if failed_any else RunState.COMPLETE
    _event(
        out,
        parent_job,
        parent,
        final,
        start + timedelta(minutes=9),
        [],
        [],
        engine,
        "JOB",
        integration="DBT",
    )


def _assertion(
    model: str, kind: str, column: str, failures: int
) -> data_quality_assertions_dataset.Assertion:
    """One dbt data test's outcome, as dbt-ol reports it (``actual``: failing rows)."""
    return data_quality_assertions_dataset.Assertion(
        assertion=kind,
        name=f"{kind}_{model}_{column}",
        success=failures == 0,
        column=column,
        severity="error",
        expected="0",
        actual=str(failures),
    )


# -- Feast, as its own OpenLineage emitter (feast.openlineage, Feast 0.67) sends it ---------

FEAST: Final = "feast"
_FEAST_SPEC: Final = "https://feast.dev/spec/facets/1-0-0/"
_BASE_FACET: Final = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/BaseFacet"


def _feast_facet(schema: str, **fields: Any) -> Any:
    """One of Feast's own facets (``feast_*``), with the schema URL Feast gives it."""
    return {"_producer": FEAST, "_schemaURL": f"{_FEAST_SPEC}{schema}.json", **fields}


def _feast_doc(description: str) -> documentation_dataset.DocumentationDatasetFacet:
    return documentation_dataset.DocumentationDatasetFacet(description=description, producer=FEAST)


def _feast_schema(fields: Mapping[str, str]) -> schema_dataset.SchemaDatasetFacet:
    return schema_dataset.SchemaDatasetFacet(
        fields=[schema_dataset.SchemaDatasetFacetFields(name=n, type=t) for n, t in fields.items()],
        producer=FEAST,
    )


def _feast_source() -> InputDataset:
    """The view's batch source: a PostgreSQLSource on the warehouse table dbt builds."""
    description = "Churn features per customer, built by dbt"
    # Feast leaves this facet's producer empty.
    source: Any = {
        "_producer": "",
        "_schemaURL": _BASE_FACET,
        "created_timestamp_field": "",
        "description": description,
        "field_mapping": {},
        "name": FEAST_SOURCE[1],
        "source_type": "PostgreSQLSource",
        "table": FEAST_SOURCE[1],
        "tags": {"layer": "features"},
        "timestamp_field": "feature_date",
    }
    return InputDataset(
        namespace=FEAST_SOURCE[0],
        name=FEAST_SOURCE[1],
        facets={
            "dataSource": datasource_dataset.DatasourceDatasetFacet(
                name=FEAST_SOURCE[1], uri=f"table://{FEAST_SOURCE[1]}", producer=FEAST
            ),
            "documentation": _feast_doc(description),
            "feast_dataSource": source,
        },
    )


def _feast_view(*, materializing: bool = False) -> dict[str, Any]:
    description = "What the churn model knows about each customer"
    view = {
        "description": description,
        "entities": [ENTITY[1]],
        "features": list(FEAST_TYPES),
        "name": FEATURE_VIEW[1],
        "offline_enabled": False,
        "online_enabled": True,
        "owner": "ml-features@acme.com",
        "tags": {"team": "ml", "tier": "gold"},
        "ttl_seconds": 2_592_000,
    }
    if materializing:  # Feast adds the view's mode when it materializes it
        view["mode"] = ""
    return {
        "documentation": _feast_doc(description),
        "feast_featureView": _feast_facet("FeastFeatureViewFacet", **view),
        "schema": _feast_schema(FEAST_TYPES),
    }


def _feast_event(
    out: _Counter,
    job: tuple[str, str],
    rid: str,
    state: RunState,
    at: datetime,
    datasets: tuple[list[InputDataset], list[OutputDataset]],
    job_facets: Mapping[str, Any],
    run_facets: Mapping[str, Any] | None = None,
) -> None:
    """One event as Feast sends it: its producer, no ``jobType``, the client's version tag."""
    tags = tags_run.TagsRunFacet(
        tags=[
            tags_run.TagsRunFacetFields(
                key="openlineage_client_version", value="1.54.0", source="OPENLINEAGE_CLIENT"
            )
        ],
        producer=FEAST,
    )
    facets = {**(run_facets or {}), "tags": tags}
    _event(out, job, rid, state, at, *datasets, facets, None, job_facets, producer=FEAST)


def _feast_job_kind(kind: str) -> Any:
    return _feast_facet("FeastJobKindFacet", feast_project=FEAST_PROJECT, kind=kind)


def _feast_apply(out: _Counter, runs: dict[str, str]) -> None:
    """``feast apply`` of the churn project: the view over ``churn_features``, the service.

    Feast sends each as one COMPLETE event (no START).
    """
    job_facets = {
        "feast_jobKind": _feast_job_kind("definition"),
        "feast_project": _feast_facet(
            "FeastProjectFacet",
            offline_store_type="",
            online_store_type="",
            project_name=FEAST_PROJECT,
            provider="local",
            registry_type="file",
        ),
    }
    entity_description = "A shop customer"
    entity = InputDataset(
        namespace=ENTITY[0],
        name=ENTITY[1],
        facets={
            "documentation": _feast_doc(entity_description),
            "feast_entity": _feast_facet(
                "FeastEntityFacet",
                description=entity_description,
                join_keys=["customer_id"],
                name=ENTITY[1],
                owner="crm-team@acme.com",
                tags={"domain": "customers"},
                value_type="ValueType.INT64",
            ),
            "schema": _feast_schema({"customer_id": "ValueType.INT64"}),
        },
    )
    at = FEAST_APPLY_AT
    rid = runs["feast_apply:views"] = run_id("feast_apply:views", at)
    view = OutputDataset(namespace=FEATURE_VIEW[0], name=FEATURE_VIEW[1], facets=_feast_view())
    datasets = ([_feast_source(), entity], [view])
    _feast_event(out, FEAST_VIEWS_JOB, rid, RunState.COMPLETE, at, datasets, job_facets)
    at = FEAST_APPLY_AT + timedelta(seconds=1)
    rid = runs["feast_apply:service"] = run_id("feast_apply:service", at)
    selected = InputDataset(
        namespace=FEATURE_VIEW[0],
        name=FEATURE_VIEW[1],
        facets={"schema": _feast_schema(FEAST_TYPES)},
    )
    service = OutputDataset(
        namespace=FEATURE_SERVICE[0],
        name=FEATURE_SERVICE[1],
        facets={
            "documentation": _feast_doc(
                f"Feature Service '{FEATURE_SERVICE[1]}' aggregates features from: "
                f"{FEATURE_VIEW[1]}. Total features: {len(FEAST_TYPES)}."
            ),
            "feast_featureService": _feast_facet(
                "FeastFeatureServiceFacet",
                description="What the churn model is trained on and served with",
                feature_count=len(FEAST_TYPES),
                feature_views=[FEATURE_VIEW[1]],
                logging_enabled=False,
                name=FEATURE_SERVICE[1],
                owner="ml-platform@acme.com",
                tags={"model": "churn"},
            ),
            "schema": _feast_schema(FEAST_TYPES),
        },
    )
    datasets = ([selected], [service])
    _feast_event(out, FEAST_SERVICE_JOB, rid, RunState.COMPLETE, at, datasets, job_facets)


def _materialize(out: _Counter, runs: dict[str, str], day: int) -> None:
    """``feast materialize-incremental``: the day's ``churn_features`` into the online store.

    START names the views, their source and entity; COMPLETE the views alone.
    """
    at = MATERIALIZE_AT[day]
    rid = runs[f"materialize:{day}"] = run_id("materialize", at)
    store = "postgres"
    # Incremental: from where the last one ended (the first: the view's ttl back).
    since = MATERIALIZE_AT[day - 1] if day > 1 else at - timedelta(days=30)
    window = {"end_date": event_time(at), "start_date": event_time(since)}
    online = OutputDataset(
        namespace=ONLINE_STORE[0],
        name=ONLINE_STORE[1],
        facets={
            "dataSource": datasource_dataset.DatasourceDatasetFacet(
                name=store, uri=f"{store}://feast/{FEATURE_VIEW[1]}", producer=FEAST
            ),
            "documentation": _feast_doc(
                f"Materialized online features for '{FEATURE_VIEW[1]}' in {store}"
            ),
            "feast_onlineStore": _feast_facet(
                "FeastOnlineStoreFacet",
                description=f"Online store sink for feature view '{FEATURE_VIEW[1]}' ({store})",
                feature_view=FEATURE_VIEW[1],
                store_type=store,
            ),
        },
    )
    view = InputDataset(
        namespace=FEATURE_VIEW[0], name=FEATURE_VIEW[1], facets=_feast_view(materializing=True)
    )
    # At materialization Feast describes the entity by name only.
    entity = InputDataset(
        namespace=ENTITY[0],
        name=ENTITY[1],
        facets={
            "feast_entity": _feast_facet(
                "FeastEntityFacet",
                description="",
                join_keys=[],
                name=ENTITY[1],
                owner="",
                tags={},
                value_type="STRING",
            )
        },
    )
    job_facets = {"feast_jobKind": _feast_job_kind("transform")}
    for state, when, inputs, dates in (
        (RunState.START, at, [view, _feast_source(), entity], window),
        (RunState.COMPLETE, at + timedelta(minutes=2), [view], {}),
    ):
        facet = _feast_facet(
            "FeastMaterializationFacet",
            **dates,
            feature_views=[FEATURE_VIEW[1]],
            offline_store_type="",
            online_store_type=store,
            project=FEAST_PROJECT,
        )
        run_facets = {"feast_materialization": facet}
        datasets = (inputs, [online])
        _feast_event(out, MATERIALIZE_JOB, rid, state, when, datasets, job_facets, run_facets)


def _feature_service(runs: Mapping[str, str]) -> DatasetRef:
    """The feature service as Feast names it, at the version ``feast apply`` defined."""
    return DatasetRef(*FEATURE_SERVICE, f"run:{runs['feast_apply:service']}", FEAST_TYPES)


def _train(out: _Counter, runs: dict[str, str], day: int, metrics: Mapping[str, float]) -> None:
    at = TRAIN_AT[day]
    rid = runs[f"train:{day}"] = run_id("train_churn", at)
    features = DatasetRef(*CHURN_FEATURES, version(day), FEATURE_COLUMNS)
    with training_run(
        TRAINING_JOB[1],
        # Feast's historical retrieval of the service reads that day's table.
        [_feature_service(runs), features],
        namespace=TRAINING_JOB[0],
        client=out.client,
        run_id=rid,
        started_at=at,
        ended_at=at + timedelta(minutes=25),
    ) as run:
        run.log_model(
            MODEL[1],
            str(day),
            "sklearn",
            metrics=metrics,
            params={"model": "GradientBoostingClassifier", "n_estimators": 300, "max_depth": 4},
            namespace=MODEL[0],
            features=[(*FEATURE_SERVICE, f) for f in FEATURES],
            registry_uri=f"models:/{MODEL[1]}/{day}",
        )
    out.count += 2


def _deploy(out: _Counter, runs: Mapping[str, str], model_version: int, at: datetime) -> str:
    rid = emit_deployment(
        MODEL,
        str(model_version),
        ENDPOINT,
        ENVIRONMENT,
        url=ENDPOINT_URL,
        job=DEPLOY_JOB,
        client=out.client,
        run_id=run_id("deploy", at),
        deployed_at=at,
        duration=timedelta(minutes=3),
        online_features=[_feature_service(runs)],
    )
    out.count += 2
    return rid


def _monitor(
    out: _Counter,
    runs: dict[str, str],
    day: int,
    serving: int,
    scores: Mapping[str, float],
    auc: float,
) -> None:
    """The endpoint's monitor, comparing what it serves with the serving model's training data."""
    at = MONITOR_AT[day]
    deployed = runs[f"deploy:{serving}"]
    rid = runs[f"monitor:{day}"] = run_id("monitor", at)
    report_drift(
        DatasetRef(*ENDPOINT, deployed),
        scores,
        0.2,
        method="psi",
        reference=DatasetRef(*CHURN_FEATURES, version(serving)),
        quality={"auc": auc},
        quality_floor={"auc": 0.75},
        row_count=48_210,
        job=MONITOR_JOB,
        client=out.client,
        run_id=rid,
        observed_at=at,
        duration=timedelta(minutes=1),
    )
    out.count += 2


# -- event helpers ----------------------------------------------------------------------


def _run(
    out: _Counter,
    job: tuple[str, str],
    rid: str,
    start: datetime,
    end: datetime,
    inputs: list[InputDataset],
    outputs: list[OutputDataset],
    kind: str,
) -> None:
    for state, at in ((RunState.START, start), (RunState.COMPLETE, end)):
        _event(out, job, rid, state, at, inputs, outputs, {}, kind)


def _event(
    out: _Counter,
    job: tuple[str, str],
    rid: str,
    state: RunState,
    at: datetime,
    inputs: list[InputDataset],
    outputs: list[OutputDataset],
    run_facets: Mapping[str, RunFacet],
    kind: str | None,
    job_facets: Mapping[str, Any] | None = None,
    *,
    integration: str = "PYTHON",
    producer: str = PRODUCER,
) -> None:
    """One event; ``kind`` None sends no ``jobType`` (as Feast does)."""
    kinds = {} if kind is None else {"jobType": job_type(kind, integration)}
    out.emit(
        RunEvent(
            eventType=state,
            eventTime=event_time(at),
            run=Run(runId=rid, facets=dict(run_facets)),
            job=Job(
                namespace=job[0],
                name=job[1],
                facets={**kinds, **(job_facets or {})},
            ),
            producer=producer,
            inputs=inputs,
            outputs=outputs,
        )
    )


def _source(namespace: str) -> datasource_dataset.DatasourceDatasetFacet:
    return datasource_dataset.DatasourceDatasetFacet(
        name=namespace, uri=namespace, producer=PRODUCER
    )


def _lineage(
    lineage: Lineage, dataset: Sequence[tuple[tuple[str, str], str, str, str]] = ()
) -> column_lineage_dataset.ColumnLineageDatasetFacet:
    def field(
        source: tuple[str, str], column: str, kind: str, sub: str
    ) -> column_lineage_dataset.InputField:
        return column_lineage_dataset.InputField(
            namespace=source[0],
            name=source[1],
            field=column,
            transformations=[column_lineage_dataset.Transformation(type=kind, subtype=sub)],
        )

    return column_lineage_dataset.ColumnLineageDatasetFacet(
        fields={
            out: column_lineage_dataset.Fields(inputFields=[field(*src) for src in sources])
            for out, sources in lineage.items()
        },
        dataset=[field(*src) for src in dataset],
        producer=PRODUCER,
    )


def load_demo(store: GraphStore) -> DemoResult | None:
    """Emit the story into ``store`` in this process, through the ingest path.

    Returns None, and writes nothing, when the store already holds the demo's endpoint.
    """
    if store.get_nodes([dataset_id(*ENDPOINT)]):
        return None
    return run_demo(OpenLineageClient(transport=StoreTransport(store)))
