"""A week of a small ML pipeline, emitted with the openlineage-python client, with one cause planted.

    ingest.events -> raw.events --dbt.stg_events--> stg.events --\
    ingest.orders -> raw.orders --dbt.stg_orders--> stg.orders ---+--dbt.features--> features
    features --ml.train_churn--> churn (MODEL) <-- monitors.churn reports drift on day 4
    ingest.clicks -> raw.clicks, tested by dbt.test_clicks (the decoy: not upstream of churn)

Every writer names its output version, and every reader the version it read, so the
run-level walk from the model goes back version by version. Day ``d`` runs at 06:00 +
an hour per step; the drift report comes on day 4 at 12:00.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    column_lineage_dataset,
    data_quality_assertions_dataset,
    data_quality_metrics_dataset,
    dataset_type_dataset,
    dataset_version_dataset,
    error_message_run,
    schema_dataset,
    sql_job,
)

from lineage.ingest.transport import StoreTransport
from lineage.store import GraphStore

PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.30.0/client/python"
WH = "postgres://warehouse:5432"
ML = "models://registry"
START = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
ORDERS = [("id", "INTEGER"), ("amount", "DECIMAL(10,2)"), ("user_id", "INTEGER")]
EVENTS = [("event_id", "INTEGER"), ("user_id", "INTEGER"), ("kind", "VARCHAR")]


def when(day: int, hour: float) -> datetime:
    return START + timedelta(days=day, hours=hour)


@dataclass
class Plant:
    """What goes wrong on the last day (day 4)."""

    null_jump: bool = False  # raw.events.user_id is suddenly mostly null
    staging_type_change: bool = False  # stg.orders.amount becomes VARCHAR
    features_fail: bool = False  # dbt.features fails on days 3 and 4
    features_sql_change: bool = False  # dbt.features gets new SQL on day 4
    late_staging_test: bool = False  # a test on stg.orders fails on day 4, after dbt.features ran


@dataclass
class Pipeline:
    store: GraphStore
    plant: Plant
    days: int = 5
    client: OpenLineageClient = field(init=False)

    def __post_init__(self) -> None:
        self.client = OpenLineageClient(transport=StoreTransport(self.store))

    # -- building blocks ----------------------------------------------------------------

    def run(
        self,
        job: str,
        day: int,
        hour: float,
        inputs: list[InputDataset],
        outputs: list[OutputDataset],
        *,
        fail: str | None = None,
        sql: str | None = None,
    ) -> None:
        rid = str(uuid5(NAMESPACE_URL, f"{job}/{day}"))
        namespace, _, name = job.partition(":")
        for state, at in (
            (RunState.START, when(day, hour)),
            (RunState.COMPLETE, when(day, hour + 0.25)),
        ):
            facets: dict[str, Any] = {}
            if fail and state is RunState.COMPLETE:
                state = RunState.FAIL
                facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
                    message=fail, programmingLanguage="SQL"
                )
            self.client.emit(
                RunEvent(
                    eventType=state,
                    eventTime=at.isoformat(),
                    run=Run(runId=rid, facets=facets),
                    job=Job(
                        namespace=namespace,
                        name=name,
                        facets={"sql": sql_job.SQLJobFacet(query=sql)} if sql else {},
                    ),
                    producer=PRODUCER,
                    inputs=inputs,
                    outputs=[] if fail else outputs,
                )
            )

    @staticmethod
    def facets(version: str, columns: list[tuple[str, str]], **more: Any) -> dict[str, Any]:
        return {
            "version": dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion=version),
            "schema": schema_dataset.SchemaDatasetFacet(
                fields=[schema_dataset.SchemaDatasetFacetFields(name=n, type=t) for n, t in columns]
            ),
            **more,
        }

    def out(
        self, name: str, version: str, columns: list[tuple[str, str]], **more: Any
    ) -> OutputDataset:
        return OutputDataset(
            namespace=WH if not name.startswith("churn") else ML,
            name=name,
            facets=self.facets(version, columns, **more),
        )

    def read(
        self, name: str, version: str, columns: list[tuple[str, str]], **input_facets: Any
    ) -> InputDataset:
        return InputDataset(
            namespace=WH if not name.startswith("churn") else ML,
            name=name,
            facets=self.facets(version, columns),
            inputFacets=input_facets,
        )

    # -- the story --------------------------------------------------------------------------

    def emit(self) -> None:
        last_features = None
        for day in range(self.days):
            last = day == self.days - 1
            nulls = 900 if last and self.plant.null_jump else 4 + day
            metrics = data_quality_metrics_dataset.DataQualityMetricsDatasetFacet(
                rowCount=1000 + 10 * day,
                columnMetrics={
                    "user_id": data_quality_metrics_dataset.ColumnMetrics(
                        nullCount=nulls, distinctCount=700
                    ),
                },
            )
            self.run(
                "etl:ingest.events",
                day,
                0,
                [],
                [self.out("raw.events", f"e{day}", EVENTS, dataQualityMetrics=metrics)],
            )
            self.run("etl:ingest.orders", day, 0, [], [self.out("raw.orders", f"o{day}", ORDERS)])
            self.run(
                "etl:ingest.clicks",
                day,
                0,
                [],
                [self.out("raw.clicks", f"c{day}", [("click_id", "INTEGER")])],
            )
            self.run(
                "dbt:stg_events",
                day,
                1,
                [self.read("raw.events", f"e{day}", EVENTS)],
                [self.out("stg.events", f"se{day}", EVENTS)],
            )
            staged = ORDERS
            if last and self.plant.staging_type_change:
                staged = [("id", "INTEGER"), ("amount", "VARCHAR"), ("user_id", "INTEGER")]
            self.run(
                "dbt:stg_orders",
                day,
                1,
                [self.read("raw.orders", f"o{day}", ORDERS)],
                [self.out("stg.orders", f"so{day}", staged)],
            )
            features = [("user_id", "INTEGER"), ("orders", "INTEGER"), ("spend", "DOUBLE")]
            fails = self.plant.features_fail and day >= self.days - 2
            self.run(
                "dbt:features",
                day,
                2,
                [
                    self.read("stg.events", f"se{day}", EVENTS),
                    self.read("stg.orders", f"so{day}", staged),
                ],
                [self.out("features", f"f{day}", features, columnLineage=self.features_lineage())],
                fail="relation stg.orders is locked" if fails else None,
                sql=(
                    "select user_id, count(o.id) as orders, sum(o.amount) as spend"
                    " from stg.events e join stg.orders o using (user_id) group by 1"
                    if not (last and self.plant.features_sql_change)
                    else "select user_id, count(o.id) as orders, sum(o.amount) / 100 as spend"
                    " from stg.events e left join stg.orders o using (user_id) group by 1"
                ),
            )
            if not fails:
                last_features = f"f{day}"
            assert last_features is not None
            model = dataset_type_dataset.DatasetTypeDatasetFacet(datasetType="MODEL")
            self.run(
                "ml:train_churn",
                day,
                3,
                [self.read("features", last_features, features)],
                [self.out("churn", f"v{day + 1}", [], datasetType=model)],
            )
            clicks_ok = not last
            tested = self.read(
                "raw.clicks",
                f"c{day}",
                [("click_id", "INTEGER")],
                dataQualityAssertions=data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
                    assertions=[
                        data_quality_assertions_dataset.Assertion(
                            assertion="not_null", success=clicks_ok, column="click_id"
                        )
                    ]
                ),
            )
            self.run("dbt:test_clicks", day, 1.5, [tested], [])
            if last and self.plant.late_staging_test:
                checked = self.read(
                    "stg.orders",
                    f"so{day}",
                    staged,
                    dataQualityAssertions=data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
                        assertions=[
                            data_quality_assertions_dataset.Assertion(
                                assertion="not_null", success=False, column="amount"
                            )
                        ]
                    ),
                )
                self.run("dbt:test_stg_orders", day, 2.5, [checked], [])
        self.drift(self.days - 1)

    @staticmethod
    def features_lineage() -> column_lineage_dataset.ColumnLineageDatasetFacet:
        """features.spend = SUM(stg.orders.amount); orders = COUNT(stg.orders.id);
        user_id comes from stg.events (and joins stg.orders on user_id)."""

        def source(
            name: str, column: str, kind: str, sub: str
        ) -> column_lineage_dataset.InputField:
            return column_lineage_dataset.InputField(
                namespace=WH,
                name=name,
                field=column,
                transformations=[column_lineage_dataset.Transformation(type=kind, subtype=sub)],
            )

        return column_lineage_dataset.ColumnLineageDatasetFacet(
            fields={
                "spend": column_lineage_dataset.Fields(
                    inputFields=[source("stg.orders", "amount", "DIRECT", "AGGREGATION")]
                ),
                "orders": column_lineage_dataset.Fields(
                    inputFields=[source("stg.orders", "id", "DIRECT", "AGGREGATION")]
                ),
                "user_id": column_lineage_dataset.Fields(
                    inputFields=[source("stg.events", "user_id", "DIRECT", "IDENTITY")]
                ),
            },
        )

    def drift(self, day: int) -> None:
        drift = {
            "lineage_drift": {
                "_producer": PRODUCER,
                "_schemaURL": "https://lineage.dev/spec/facets/1-0-0/LineageDriftDatasetFacet.json",
                "method": "psi",
                "threshold": 0.2,
                "score": 0.47,
                "drifted": True,
                "columns": [],
            }
        }
        monitored = InputDataset(namespace=ML, name="churn", facets={}, inputFacets=drift)
        self.run("monitors:churn_drift", day, 6, [monitored], [])


def build(store: GraphStore, **plant: bool) -> Pipeline:
    pipeline = Pipeline(store, Plant(**plant))
    pipeline.emit()
    return pipeline
