"""A page of search matches is the same slice of the whole ranked answer whatever its size,
with the total, and only the nodes of the page are read whole from the store."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lineage.analysis.search import search, search_page
from lineage.graph.model import NodeKind
from lineage.store import GraphStore, Node
from lineage.store.search import HIT_PROPS
from tests.api.test_jobs_and_their_parts import DEV, load

TEXTS = ["", "a", "or", "id", "jaffle", "customers", "stg_", "test", "query", "order_id", "zz"]


class CountingReads:
    """The store, noting which nodes are read whole."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.read: list[str] = []

    def get_nodes(self, ids: Iterable[str]) -> dict[str, Node]:
        ids = list(ids)
        self.read += ids
        return self.store.get_nodes(ids)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def test_a_search_page_is_its_slice_of_the_whole_answer_and_only_it_is_read_whole(
    store: GraphStore,
) -> None:
    load(store, "dbt_classic_dev.jsonl", "dbt_classic_dev_structured.jsonl", "airflow_sqlite_sql.jsonl")
    counting = CountingReads(store)
    asked = 0
    for text in TEXTS:
        for kinds in (None, [NodeKind.JOB], [NodeKind.FIELD, NodeKind.DATASET]):
            for namespace in (None, DEV):
                whole = search(store, text, kinds, namespace)
                asked += len(whole)
                for offset, count in ((0, 20), (3, 5), (max(len(whole) - 1, 0), 10), (len(whole) + 2, 3)):
                    counting.read.clear()
                    page = search_page(counting, text, kinds, namespace, offset, count)  # type: ignore[arg-type]
                    assert page.total == len(whole), (text, kinds, namespace)
                    assert page.nodes == whole[offset : offset + count], (text, kinds, namespace)
                    assert counting.read == [n.id for n in page.nodes]
    assert asked > 500


def test_the_stores_hits_are_its_search_answer_with_only_what_ranks_them(store: GraphStore) -> None:
    load(store, "dbt_classic_dev.jsonl", "dbt_classic_dev_structured.jsonl", "airflow_sqlite_sql.jsonl")
    for text in TEXTS:
        for kinds in (None, [NodeKind.JOB], [NodeKind.FIELD]):
            hits = store.search_hits(text, kinds, None, 1000)
            assert [h.node.id for h in hits] == [n.id for n in store.search(text, kinds, None, 1000)]
            assert all(set(h.node.props) <= set(HIT_PROPS) for h in hits)
            assert sorted(h.rank for h in hits) == [h.rank for h in hits]
    jobs = store.search_hits("query", [NodeKind.JOB], None, 1000)
    assert {h.node.props.get("job_type") for h in jobs} >= {"QUERY"}
