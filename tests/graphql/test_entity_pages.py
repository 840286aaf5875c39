"""What the explorer's entity pages ask for: facets per version, SQL per run."""

from __future__ import annotations

from lineage.demo import ENDPOINT, MODEL, load_demo
from lineage.store import GraphStore
from tests.conftest import feed
from tests.factories import facet, new_run_id, run_event
from tests.graphql.conftest import GraphQL

JOB = ("warehouse", "build_totals")


def sql_facet(query: str) -> dict[str, object]:
    return {"sql": facet("SQLJobFacet", query=query)}


def test_each_model_version_keeps_its_metrics_and_each_endpoint_version_its_model(
    store: GraphStore, gql: GraphQL
) -> None:
    loaded = load_demo(store)
    assert loaded is not None
    service = "run:" + loaded.runs["feast_apply:service"]  # the version feast apply defined
    answer = gql.data(
        """query($mns: String!, $m: String!, $ens: String!, $e: String!) {
          model: dataset(namespace: $mns, name: $m) {
            versions { nodes { version facets writtenBy { inputs { version dataset { name } } } } }
          }
          endpoint: dataset(namespace: $ens, name: $e) {
            versions { nodes { createdAt facets writtenBy { inputs { version dataset { type } } } } }
          }
        }""",
        mns=MODEL[0],
        m=MODEL[1],
        ens=ENDPOINT[0],
        e=ENDPOINT[1],
    )
    models = answer["model"]["versions"]["nodes"]
    assert [v["version"] for v in models] == ["2", "1"]  # newest first
    metrics = {v["version"]: v["facets"]["lineage_model"]["metrics"] for v in models}
    assert metrics == {"2": {"auc": 0.84, "f1": 0.66}, "1": {"auc": 0.86, "f1": 0.71}}
    params = models[0]["facets"]["lineage_model"]["hyperparameters"]
    assert params["n_estimators"] == 300
    trained_on = {v["version"]: v["writtenBy"]["inputs"] for v in models}
    assert trained_on["1"] == [
        {"version": "2026-11-23", "dataset": {"name": "analytics.features.churn_features"}},
        {"version": service, "dataset": {"name": "churn_service"}},
    ]

    served = answer["endpoint"]["versions"]["nodes"]
    assert [v["facets"]["lineage_deployment"]["model"]["version"] for v in served] == ["2", "1"]
    # The endpoint also reads the feature service online.
    online = {"version": service, "dataset": {"type": "FEATURE_SERVICE"}}
    assert [v["writtenBy"]["inputs"] for v in served] == [
        [{"version": "2", "dataset": {"type": "MODEL"}}, online],
        [{"version": "1", "dataset": {"type": "MODEL"}}, online],
    ]
    assert served[0]["createdAt"] > served[1]["createdAt"]


def test_a_dataset_version_without_model_facets_has_none(store: GraphStore, gql: GraphQL) -> None:
    feed(
        store,
        [
            run_event(
                "COMPLETE",
                new_run_id(),
                JOB,
                outputs=[{"namespace": "warehouse", "name": "totals", "facets": {}}],
            )
        ],
    )
    answer = gql.data(
        '{ dataset(namespace: "warehouse", name: "totals") { versions { nodes { facets } } } }'
    )
    assert answer["dataset"]["versions"]["nodes"] == [{"facets": {}}]


def test_each_run_shows_the_sql_its_events_reported(store: GraphStore, gql: GraphQL) -> None:
    old, new, bare = new_run_id(), new_run_id(), new_run_id()
    out = [{"namespace": "warehouse", "name": "totals", "facets": {}}]
    src = [{"namespace": "warehouse", "name": "orders", "facets": {}}]
    feed(
        store,
        [
            run_event(
                "START",
                old,
                JOB,
                time=0,
                inputs=src,
                outputs=out,
                job_facets=sql_facet("select 1 from orders"),
            ),
            run_event("COMPLETE", old, JOB, time=5, inputs=src, outputs=out),
            run_event(
                "START",
                new,
                JOB,
                time=60,
                inputs=src,
                outputs=out,
                job_facets=sql_facet("select 2 from orders"),
            ),
            run_event("FAIL", new, JOB, time=62, inputs=src, outputs=out),
            run_event("START", bare, JOB, time=120, inputs=src, outputs=out),
        ],
    )
    answer = gql.data(
        """query($ns: String!, $name: String!) {
          job(namespace: $ns, name: $name) {
            sql runs { nodes { runId state duration sql } }
          }
        }""",
        ns=JOB[0],
        name=JOB[1],
    )["job"]
    assert answer["sql"] == "select 2 from orders"
    assert answer["runs"]["nodes"] == [
        {"runId": bare, "state": "START", "duration": None, "sql": None},
        {"runId": new, "state": "FAIL", "duration": 120.0, "sql": "select 2 from orders"},
        {"runId": old, "state": "COMPLETE", "duration": 300.0, "sql": "select 1 from orders"},
    ]
