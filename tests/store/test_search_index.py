"""Search through each store's text index: any part of a name is found, literally whatever
characters it holds, as soon as it is written, and after a prune or a reopen; stores made
before the index gain it when opened."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from lineage.analysis.refs import not_found_message
from lineage.analysis.search import search as ranked
from lineage.graph.model import NodeKind, dataset_id
from lineage.store import GraphStore
from lineage.store.embedded import EmbeddedStore
from lineage.store.search import OVERLAP, WINDOW
from tests.conftest import StoreFactory, feed
from tests.factories import dataset, dataset_event, facet, pipeline_run
from tests.store.test_neo4j_store import neo4j_url

NS = "warehouse"
#: Names that are query syntax to FTS5 or Lucene: quotes, operators, wildcards, escapes.
HOSTILE = [
    'say "hi"',
    'x"',
    "a-b:c/d",
    "x*y",
    "p AND q",
    "NEAR(p q)",
    "p OR q NOT r",
    "back\\slash",
    "uni\\u0041",
    "c++ (beta) [x] {y} ~z ^w ?v !u |t &s",
    "title:secret",
    "é-ñ.ç",
]


def names(found: list[object]) -> list[str]:
    return [n.props["name"] for n in found]  # type: ignore[attr-defined]


def documented(name: str, description: str, time: float) -> dict[str, object]:
    docs = {"d": {"documentation": facet("DocumentationDatasetFacet", description=description)}}
    return dataset_event(NS, name, time=time, **docs)


def test_names_made_of_query_syntax_are_found_literally(store: GraphStore) -> None:
    feed(store, [dataset_event(NS, name) for name in [*HOSTILE, "plain", "q"]])
    for name in HOSTILE:
        assert names(store.search(name))[0] == name, name
    assert names(store.search('"')) == ['say "hi"', 'x"']
    assert names(store.search("*")) == ["x*y"]
    assert names(store.search("\\")) == ["back\\slash", "uni\\u0041"]
    assert names(store.search("\\u0041")) == ["uni\\u0041"]
    assert names(store.search("AND")) == ["p AND q"]
    assert names(store.search("near(")) == ["NEAR(p q)"]
    assert names(store.search(":c/")) == ["a-b:c/d"]
    assert sorted(names(store.search("title:"))) == ["title:secret"]
    assert names(store.search('NEAR("')) == []
    assert names(store.search("É-Ñ")) == ["é-ñ.ç"]


@pytest.mark.parametrize("text", ["b", "q", "-", "y}", "ï"])
def test_one_and_two_characters_find_every_name_holding_them(store: GraphStore, text: str) -> None:
    feed(store, [dataset_event(NS, name) for name in [*HOSTILE, "plain", "q"]])
    expected = {name for name in [*HOSTILE, "plain", "q"] if text in name.lower()}
    assert set(names(store.search(text, limit=100))) == expected


def test_a_written_name_is_found_at_once_and_a_changed_description_by_its_new_text(
    store: GraphStore,
) -> None:
    assert store.search("orders") == []
    feed(store, [documented("shop.orders", "Every order placed", time=0)])
    assert names(store.search("orders")) == ["shop.orders"]
    assert names(store.search("placed")) == ["shop.orders"]
    feed(store, [documented("shop.orders", "Orders since launch", time=1)])
    assert store.search("placed") == []
    assert names(store.search("launch")) == ["shop.orders"]
    feed(store, [dataset_event(NS, "shop.order_lines", time=2)])
    assert names(store.search("order")) == ["shop.order_lines", "shop.orders"]


def test_the_whole_name_comes_first_then_prefixes_then_the_rest(store: GraphStore) -> None:
    feed(
        store,
        pipeline_run(("etl", "build_orders"), [dataset(NS, "raw.orders")], [dataset(NS, "orders")], start=0),
    )
    assert names(store.search("orders")) == ["orders", "raw.orders", "build_orders"]
    assert names(store.search("orders", kinds=[NodeKind.JOB])) == ["build_orders"]
    assert names(store.search("etl")) == ["build_orders"]
    assert store.search("orders", namespace="elsewhere") == []
    assert names(store.search("orders", limit=1)) == ["orders"]


def test_text_deep_in_a_long_description_is_found(store: GraphStore) -> None:
    tail = "needle-" + "z" * (OVERLAP - 7)
    description = "a" * (2 * WINDOW + 123) + tail + " end"
    feed(store, [documented("long.described", description, time=0)])
    assert names(store.search("needle-")) == ["long.described"]
    assert names(store.search(tail)) == ["long.described"]
    assert names(store.search(description)) == ["long.described"]
    assert store.search(description + "!") == []


def test_search_answers_the_same_after_a_prune_and_a_reopen(store_factory: StoreFactory) -> None:
    store = store_factory()
    for start in (0, 10, 20):
        feed(store, pipeline_run(("etl", "load"), [dataset(NS, "raw.src")], [dataset(NS, "mart.dst")], start=start))
    before = {text: names(ranked(store, text)) for text in ("src", "ds", "load", "mart.dst")}
    store.prune(before=1e12)
    assert {text: names(ranked(store, text)) for text in before} == before
    store.close()
    reopened = store_factory()
    assert {text: names(ranked(reopened, text)) for text in before} == before


def drop_search_index(path: Path) -> None:
    """Make ``path`` what a store written before search had an index looks like."""
    db = sqlite3.connect(path)
    for trigger in ("search_text_added", "search_text_removed", "search_text_changed"):
        db.execute(f"DROP TRIGGER {trigger}")
    db.execute("DROP TABLE search_index")
    db.execute("DROP TABLE search_text")
    db.commit()
    db.close()


def test_an_embedded_store_made_before_the_index_gains_it_when_opened_to_write(
    tmp_path: Path,
) -> None:
    path = tmp_path / "lineage.db"
    store = EmbeddedStore(path)
    feed(store, [documented("shop.orders", "Every order placed", time=0), dataset_event(NS, "x*y")])
    store.close()
    drop_search_index(path)
    reopened = EmbeddedStore(path)
    assert names(reopened.search("orders")) == ["shop.orders"]
    assert names(reopened.search("placed")) == ["shop.orders"]
    assert names(reopened.search("*")) == ["x*y"]
    reopened.close()
    assert search_tables(path) == {"search_text", "search_index"}


def search_tables(path: Path) -> set[str]:
    db = sqlite3.connect(path)
    found = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    db.close()
    return found & {"search_text", "search_index"}


#: Texts a read-only store without the index is asked: every rank, one and two
#: characters, query syntax, descriptions, the empty text and no match at all.
ASKED = ["", "o", "or", "ord", "orders", "shop", "placed", "PLACED", "ware", "*", '"', "é-ñ", "zzz"]


def test_a_store_made_before_the_index_opened_read_only_answers_the_same_and_builds_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "lineage.db"
    store = EmbeddedStore(path)
    feed(store, [dataset_event(NS, name) for name in HOSTILE])
    feed(store, [documented("shop.orders", "Every order PLACED", time=0), documented("old", "", 1)])
    feed(store, pipeline_run(("etl", "build_orders"), [dataset(NS, "raw.orders")], [], start=2))
    kinds = [None, [NodeKind.JOB], [NodeKind.DATASET, NodeKind.JOB, NodeKind.FIELD]]
    asked = [
        (text, k, ns, limit)
        for text in ASKED
        for k in kinds
        for ns in (None, NS, "elsewhere")
        for limit in (2, 50)
    ]
    indexed = [[n.id for n in store.search(t, k, ns, limit)] for t, k, ns, limit in asked]
    assert sum(map(len, indexed)) > 100
    store.close()
    drop_search_index(path)

    reader = EmbeddedStore(path, read_only=True)
    assert [[n.id for n in reader.search(t, k, ns, limit)] for t, k, ns, limit in asked] == indexed
    temp = reader._db.execute("SELECT name FROM temp.sqlite_master").fetchall()
    assert temp == []
    assert search_tables(path) == set()

    EmbeddedStore(path).close()  # a writer opens it: now it has the index
    assert search_tables(path) == {"search_text", "search_index"}
    assert [[n.id for n in reader.search(t, k, ns, limit)] for t, k, ns, limit in asked] == indexed
    reader.close()


def test_what_the_embedded_index_holds_follows_the_nodes_through_prune(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "lineage.db")
    for start in (0, 10):
        feed(store, pipeline_run(("etl", "load"), [dataset(NS, "raw.src")], [dataset(NS, "mart.dst")], start=start))
    store.prune(before=1e12)
    db = sqlite3.connect(tmp_path / "lineage.db")
    indexed = {row[0] for row in db.execute("SELECT node FROM search_text")}
    stored = {row[0] for row in db.execute("SELECT id FROM nodes")}
    (matched,) = db.execute(
        "SELECT count(*) FROM search_index WHERE search_index MATCH '\"src\"'"
    ).fetchone()
    db.close()
    assert dataset_id(NS, "raw.src") in indexed
    assert indexed <= stored
    assert matched == 1
    store.close()


def test_a_neo4j_database_written_before_the_index_gains_the_texts_it_holds() -> None:
    from neo4j import GraphDatabase

    from lineage.store.neo4j import Neo4jStore

    url = neo4j_url()
    store = Neo4jStore(url, reset_for_tests=True)
    feed(store, [documented("shop.orders", "Every order placed", time=0), dataset_event(NS, "x*y")])
    store.close()
    with GraphDatabase.driver(url) as driver, driver.session() as s:
        s.run("MATCH (n:Entity) REMOVE n.search").consume()
        s.run("MATCH (c:Counter {name: 'search_terms'}) DELETE c").consume()
    older = Neo4jStore(url)
    try:
        assert names(older.search("placed")) == ["shop.orders"]
        assert names(older.search("*")) == ["x*y"]
    finally:
        older.close()


def test_a_name_mistyped_at_both_ends_still_gets_the_close_name_suggested(store: GraphStore) -> None:
    feed(store, [dataset_event(NS, name) for name in ["mart.customers", "mart.orders", "raw.cust"]])
    message = not_found_message(store, dataset_id(NS, "mart.xustomerz"))
    assert message.endswith(f"similar names: 'mart.customers' in '{NS}'")
