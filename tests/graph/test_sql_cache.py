"""What ingest keeps of a query's analysis (lineage/graph/sql.py, lineage/graph/mapping.py)
changes no answer: each event maps to the mutations it maps to when nothing is kept.

Producers send the same SQL with every event of every run, so its analysis, and the column
lineage planned from it, are kept by what they depend on: the query, its dialect and the
schemas of the event's datasets. Two events of one query whose schemas differ must not
share an answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from lineage.events import parse_event
from lineage.events._facet_map import SHARED_FACETS
from lineage.graph import mapping
from lineage.graph import sql as sql_analysis
from lineage.graph.mapping import mutations_for, sql_lineage_mutations
from lineage.graph.model import ColumnLineage, Mutation
from tests.factories import dataset, pipeline_run, schema

NS = "postgres://warehouse:5432"
DATA = Path(__file__).resolve().parent.parent / "events" / "data"
#: Every capture whose events carry the SQL the producer ran.
WITH_SQL = sorted(
    path
    for path in [*DATA.glob("*.jsonl"), *(DATA / "captured").glob("*.jsonl")]
    if b'"sql"' in path.read_bytes()
)


def forget() -> None:
    """Drop everything kept between events: analyses, plans and shared typed facets."""
    sql_analysis._CACHE.clear()
    mapping._PLANS.clear()
    SHARED_FACETS.clear()


def afresh(raw: dict[str, Any]) -> list[Mutation]:
    forget()
    return mutations_for(parse_event(raw))


def test_the_captures_with_sql_are_all_checked() -> None:
    names = {p.name for p in WITH_SQL}
    assert {
        "dbt_classic_dev_structured.jsonl",
        "airflow_sqlite_sql.jsonl",
        "spark_sql.jsonl",
    } <= names


@pytest.mark.parametrize("path", WITH_SQL, ids=lambda p: p.name)
def test_a_real_producer_s_events_map_alike_with_and_without_what_is_kept(path: Path) -> None:
    raws = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
    forget()
    # Twice over: the second time round every query and plan was seen before.
    kept = [mutations_for(parse_event(raw)) for raw in raws + raws]
    for n, raw in enumerate(raws):
        fresh = afresh(raw)
        assert kept[n] == fresh, f"event {n} of {path.name}"
        assert kept[len(raws) + n] == fresh, f"event {n} of {path.name}, seen again"


def run_of(
    query: str, inputs: list[dict[str, Any]], output: dict[str, Any]
) -> list[dict[str, Any]]:
    events = pipeline_run(("etl", "build"), inputs, [output], start=0)
    for e in events:
        e["job"]["facets"]["sql"] = {
            "_producer": "https://example.com",
            "_schemaURL": "https://openlineage.io/spec/facets/1-1-0/SQLJobFacet.json",
            "query": query,
            "dialect": "postgres",
        }
    return events


def lineage_of(mutations: list[Mutation]) -> list[ColumnLineage]:
    return [m for m in mutations if isinstance(m, ColumnLineage)]


JOIN = "insert into mart.out select id, name from stg.a join stg.b using (id)"
STAR = "insert into mart.out select * from stg.a"
BY_POSITION = "insert into mart.out select x, y from stg.a"

#: One query, two runs: the schemas of the second differ from the first's.
SCHEMA_CHANGES = {
    # Which table holds `name` is told by the inputs' schemas.
    "an input's column moves": (
        JOIN,
        (
            [dataset(NS, "stg.a", s=schema("id", "name")), dataset(NS, "stg.b", s=schema("id"))],
            dataset(NS, "mart.out", s=schema("id", "name")),
        ),
        (
            [dataset(NS, "stg.a", s=schema("id")), dataset(NS, "stg.b", s=schema("id", "name"))],
            dataset(NS, "mart.out", s=schema("id", "name")),
        ),
    ),
    # `select *` is expanded over the input's schema.
    "an input gains a column": (
        STAR,
        ([dataset(NS, "stg.a", s=schema("id", "name"))], dataset(NS, "mart.out")),
        ([dataset(NS, "stg.a", s=schema("id", "name", "email"))], dataset(NS, "mart.out")),
    ),
    # An INSERT without a column list fills the output's columns in order.
    "the output's columns are renamed": (
        BY_POSITION,
        ([dataset(NS, "stg.a", s=schema("x", "y"))], dataset(NS, "mart.out", s=schema("p", "q"))),
        ([dataset(NS, "stg.a", s=schema("x", "y"))], dataset(NS, "mart.out", s=schema("q", "p"))),
    ),
    # No schema at first, then one: an unresolved name becomes resolved.
    "a schema arrives": (
        JOIN,
        ([dataset(NS, "stg.a"), dataset(NS, "stg.b")], dataset(NS, "mart.out")),
        (
            [dataset(NS, "stg.a", s=schema("id", "name")), dataset(NS, "stg.b", s=schema("id"))],
            dataset(NS, "mart.out"),
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(SCHEMA_CHANGES))
def test_one_query_over_other_schemas_is_analysed_for_those_schemas(case: str) -> None:
    query, (inputs_1, output_1), (inputs_2, output_2) = SCHEMA_CHANGES[case]
    first = run_of(query, inputs_1, output_1)
    second = run_of(query, inputs_2, output_2)
    fresh = [afresh(raw) for raw in first + second]
    forget()
    kept = [mutations_for(parse_event(raw)) for raw in first + second]
    assert kept == fresh
    # The schemas change the answer: an analysis kept for the first run would be wrong.
    assert lineage_of(fresh[0])[0].feeds != lineage_of(fresh[-1])[0].feeds


def test_sql_a_child_run_ran_is_analysed_for_its_parent_s_schemas() -> None:
    def mutations(columns_a: list[str], columns_b: list[str]) -> list[Mutation]:
        return sql_lineage_mutations(
            "RUN\x1fparent",
            "JOB\x1fetl\x1fbuild",
            1.0,
            JOIN,
            "postgres",
            [(NS, "stg.a", columns_a), (NS, "stg.b", columns_b)],
            [(NS, "mart.out", ["id", "name"])],
            NS,
        )

    forget()
    fresh_1 = mutations(["id", "name"], ["id"])
    forget()
    fresh_2 = mutations(["id"], ["id", "name"])
    forget()
    assert [mutations(["id", "name"], ["id"]), mutations(["id"], ["id", "name"])] == [
        fresh_1,
        fresh_2,
    ]
    assert lineage_of(fresh_1)[0].feeds != lineage_of(fresh_2)[0].feeds
