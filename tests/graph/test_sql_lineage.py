"""Column lineage read from SQL (lineage/graph/sql.py) and how it meets the producer's."""

from __future__ import annotations

from typing import Any

import orjson

from lineage.graph.model import EdgeKind, job_id
from lineage.graph.sql import analyze
from lineage.ingest import prepare, write
from lineage.store import Direction, GraphStore
from tests.factories import column_lineage, dataset, facet, pipeline_run, schema

NS = "postgres://warehouse:5432"


def kinds(sql: str, column: str, schemas: dict[str, list[str]] | None = None) -> set[tuple[str, str, str]]:
    found = analyze(sql, "postgres", schemas or {})
    return {(s.table, s.column, f"{s.type}/{s.subtype}") for s in found.fields[column]}


def rows(sql: str, schemas: dict[str, list[str]] | None = None) -> set[tuple[str, str, str]]:
    found = analyze(sql, "postgres", schemas or {})
    return {(s.table, s.column, s.subtype) for s in found.dataset}


def test_a_column_is_followed_through_select_star_ctes_to_its_table() -> None:
    sql = """with src as (select * from raw.orders), renamed as (select id as order_id from src)
             select * from renamed"""
    assert kinds(sql, "order_id") == {("raw.orders", "id", "DIRECT/IDENTITY")}


def test_expressions_aggregates_conditions_and_windows_have_their_kinds() -> None:
    sql = """select o.customer_id,
                    sum(case when o.status = 'paid' then o.amount else 0 end) as paid,
                    upper(o.note) as note,
                    row_number() over (partition by o.region order by o.placed_at) as n
             from shop.orders o group by o.customer_id, o.note, o.region, o.placed_at"""
    assert kinds(sql, "paid") == {
        ("shop.orders", "amount", "DIRECT/AGGREGATION"),
        ("shop.orders", "status", "INDIRECT/CONDITIONAL"),
    }
    assert kinds(sql, "note") == {("shop.orders", "note", "DIRECT/TRANSFORMATION")}
    assert kinds(sql, "n") == {
        ("shop.orders", "region", "INDIRECT/WINDOW"),
        ("shop.orders", "placed_at", "INDIRECT/WINDOW"),
    }


def test_joins_filters_grouping_sorting_and_in_subqueries_decide_the_rows() -> None:
    sql = """select c.id from shop.customers c join shop.orders o on o.customer_id = c.id
             where c.active and o.id in (select order_id from shop.refunds)
             group by c.id order by c.id"""
    assert rows(sql) == {
        ("shop.orders", "customer_id", "JOIN"),
        ("shop.customers", "id", "JOIN"),
        ("shop.customers", "active", "FILTER"),
        ("shop.orders", "id", "FILTER"),
        ("shop.refunds", "order_id", "FILTER"),
        ("shop.customers", "id", "GROUP_BY"),
        ("shop.customers", "id", "SORT"),
    }


def test_a_union_feeds_each_output_column_from_every_branch_by_position() -> None:
    sql = "select id as key from a.t1 union all select other_id from a.t2"
    assert kinds(sql, "key") == {("a.t1", "id", "DIRECT/IDENTITY"), ("a.t2", "other_id", "DIRECT/IDENTITY")}


def test_a_name_two_tables_could_hold_is_unresolved_until_a_schema_tells() -> None:
    sql = "select sum(amount) as total from shop.payments p join shop.orders o on p.order_id = o.id"
    found = analyze(sql, "postgres", {})
    [statement] = found.statements
    assert not statement.complete
    assert [(u.column, u.candidates) for u in statement.unresolved] == [
        ("amount", ("shop.orders", "shop.payments"))
    ]
    known = {"shop.payments": ["order_id", "amount"], "shop.orders": ["id", "status"]}
    assert kinds(sql, "total", known) == {("shop.payments", "amount", "DIRECT/AGGREGATION")}


def test_insert_with_a_column_list_maps_by_position_and_names_its_target() -> None:
    found = analyze("insert into mart.daily (day, n) select placed_on, count(id) from shop.orders group by 1", "postgres", {})
    [statement] = found.statements
    assert statement.target == "mart.daily"
    assert {(s.column, s.subtype) for s in statement.fields["n"]} == {("id", "AGGREGATION")}
    assert {(s.column, s.subtype) for s in statement.fields["day"]} == {("placed_on", "IDENTITY")}


def test_insert_without_a_column_list_fills_the_target_s_columns_by_position() -> None:
    # The select's names are not the target's: `orders` goes into order_count, `amount` into
    # revenue, and the unaliased cast (named `status` too) into the third column.
    sql = """insert into mart.daily select o.order_date, o.status, count(distinct o.id) as orders,
                    sum(o.amount) as amount from shop.orders o group by o.order_date, o.status"""
    target = {"mart.daily": ["order_date", "status", "order_count", "revenue"]}
    found = analyze(sql, "spark", {}, output_columns=target)
    [statement] = found.statements
    assert sorted(statement.fields) == ["order_count", "order_date", "revenue", "status"]
    assert {(s.column, s.subtype) for s in statement.fields["order_count"]} == {("id", "AGGREGATION")}
    assert {(s.column, s.subtype) for s in statement.fields["revenue"]} == {("amount", "AGGREGATION")}
    cast = analyze(
        "insert into mart.daily select order_date, status, cast(status as bigint), amount from shop.orders",
        "spark",
        {},
        output_columns=target,
    )
    assert {(s.column, s.subtype) for s in cast.fields["status"]} == {("status", "IDENTITY")}
    assert {(s.column, s.subtype) for s in cast.fields["order_count"]} == {("status", "TRANSFORMATION")}


def test_a_using_key_comes_from_the_side_the_join_keeps() -> None:
    def key(join: str) -> set[tuple[str, str, str]]:
        return kinds(f"select order_id, p.amount from shop.orders o {join} shop.payments p using (order_id)", "order_id")

    assert key("left join") == {("shop.orders", "order_id", "DIRECT/IDENTITY")}
    assert key("join") == {("shop.orders", "order_id", "DIRECT/IDENTITY")}
    assert key("right join") == {("shop.payments", "order_id", "DIRECT/IDENTITY")}
    # A full join's key is either side's: both, through COALESCE.
    assert key("full join") == {
        ("shop.orders", "order_id", "DIRECT/TRANSFORMATION"),
        ("shop.payments", "order_id", "DIRECT/TRANSFORMATION"),
    }
    # Both keys still decide which rows there are.
    assert {(t, c, s) for t, c, s in rows("select order_id from shop.orders o left join shop.payments p using (order_id)")} == {
        ("shop.orders", "order_id", "JOIN"),
        ("shop.payments", "order_id", "JOIN"),
    }


def test_sql_that_cannot_be_parsed_is_reported_never_raised() -> None:
    found = analyze("select from where (((", "postgres", {})
    assert found.statements == () and found.error and "could not" in found.error


# -- in the graph ----------------------------------------------------------------------------


def ingest(store: GraphStore, events: list[dict[str, Any]]) -> None:
    write(store, [prepare(e) for e in events])


def sql_facet(query: str) -> dict[str, Any]:
    return {"sql": facet("SQLJobFacet", query=query, dialect="postgres")}


def feeds_into(store: GraphStore, field: str) -> dict[str, dict[str, Any]]:
    target = f"FIELD\x1f{NS}\x1fmart.revenue\x1f{field}"
    return {e.src.split("\x1f")[-1]: dict(e.props) for e in store.edges_of([target], Direction.UPSTREAM, [EdgeKind.FEEDS])}


def revenue_run(store: GraphStore, *, lineage: dict[str, Any] | None, query: str | None) -> None:
    out = dataset(NS, "mart.revenue", s=schema("status", "total"), **({"c": lineage} if lineage else {}))
    events = pipeline_run(
        ("etl", "build_revenue"),
        [dataset(NS, "stg.orders", s=schema("status", "amount", "region"))],
        [out],
        start=0,
    )
    if query is not None:
        for e in events:
            e["job"]["facets"].update(sql_facet(query))
    ingest(store, events)


def test_the_producer_s_word_wins_and_the_sql_says_how(store: GraphStore) -> None:
    reported = column_lineage({"total": [(NS, "stg.orders", "amount", "DIRECT", None)]})
    # The producer names the source without a kind the first time; here without subtype.
    reported["columnLineage"]["fields"]["total"]["inputFields"][0]["transformations"] = []
    revenue_run(
        store,
        lineage=reported,
        query="select status, sum(amount) as total from stg.orders where region = 'eu' group by status",
    )
    feeds = feeds_into(store, "total")
    assert feeds["amount"]["origin"] == "reported"
    assert (feeds["amount"]["type"], feeds["amount"]["subtype"]) == ("DIRECT", "AGGREGATION")
    assert feeds["region"]["origin"] == "derived"
    assert feeds["region"]["subtype"] == "FILTER"
    assert feeds_into(store, "status")["status"]["origin"] == "derived"


def test_a_step_neither_the_producer_nor_any_sql_describes_has_no_type(store: GraphStore) -> None:
    reported = column_lineage({"total": [(NS, "stg.orders", "amount", "DIRECT", None)]})
    reported["columnLineage"]["fields"]["total"]["inputFields"][0]["transformations"] = []
    revenue_run(store, lineage=reported, query=None)
    feed = feeds_into(store, "total")["amount"]
    assert "type" not in feed and feed["transformations"] == []


def test_unparseable_sql_is_kept_and_flagged_and_the_event_accepted(store: GraphStore) -> None:
    revenue_run(store, lineage=None, query="select from where (((")
    job = store.get_nodes([job_id("etl", "build_revenue")])[job_id("etl", "build_revenue")]
    assert job.props["sql"] == "select from where ((("
    assert "could not" in job.props["sql_error"]
    assert store.count()["events"] == 2


def test_a_reader_whose_sql_leaves_a_column_unresolved_is_marked_with_why(store: GraphStore) -> None:
    events = pipeline_run(
        ("etl", "build_revenue"),
        [dataset(NS, "stg.orders"), dataset(NS, "stg.payments")],
        [dataset(NS, "mart.revenue")],
        start=0,
    )
    for e in events:
        e["job"]["facets"].update(
            sql_facet("select sum(amount) as total from stg.orders o join stg.payments p on p.oid = o.id")
        )
    ingest(store, events)
    readers = store.edges_of([job_id("etl", "build_revenue")], Direction.UPSTREAM, [EdgeKind.INPUT_TO])
    gaps = {e.src.split("\x1f")[-1]: e.props.get("column_usage_gap") for e in readers}
    assert gaps == {
        "stg.orders": "the SQL does not say which table holds amount",
        "stg.payments": "the SQL does not say which table holds amount",
    }
    assert orjson.dumps(sorted(gaps))
