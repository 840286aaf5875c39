"""Stores: the GraphStore protocol and its implementations, chosen by URL."""

from __future__ import annotations

from pathlib import Path

from lineage.store.base import (
    Direction,
    Edge,
    GraphStore,
    IngestItem,
    Node,
    StoredEvent,
    StoreError,
    StoreUnavailable,
    Subgraph,
)

__all__ = [
    "Direction",
    "Edge",
    "GraphStore",
    "IngestItem",
    "Node",
    "StoreError",
    "StoreUnavailable",
    "StoredEvent",
    "Subgraph",
    "open_store",
]


def open_store(url: str) -> GraphStore:
    """Open the store a URL names.

    ``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db`` opens the embedded
    store; ``neo4j://``, ``neo4j+s://``, ``bolt://`` URLs open Neo4j.
    """
    if url.startswith("sqlite:///"):
        from lineage.store.embedded import EmbeddedStore

        return EmbeddedStore(Path(url.removeprefix("sqlite:///")))
    scheme = url.split("://", 1)[0]
    if scheme in ("neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc"):
        try:
            from lineage.store.neo4j import Neo4jStore  # type: ignore[import-not-found,unused-ignore]
        except ImportError as exc:
            raise StoreError(
                f"the Neo4j store is not available in this build ({exc}); "
                "use LINEAGE_STORE=sqlite:///path for the embedded store"
            ) from exc
        store: GraphStore = Neo4jStore(url)
        return store
    raise StoreError(
        f"unknown store URL {url!r}: use sqlite:///path/to/lineage.db (embedded) "
        "or neo4j://host:7687 (Neo4j)"
    )
