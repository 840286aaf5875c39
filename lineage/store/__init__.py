"""Stores: the GraphStore protocol and its implementations, chosen by URL."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lineage.store.base import (
    DecisionConflict,
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

if TYPE_CHECKING:
    from lineage.settings import Settings

__all__ = [
    "DecisionConflict",
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


def open_store(
    url: str, settings: Settings | None = None, *, read_only: bool = False, load: bool = True
) -> GraphStore:
    """Open the store a URL names.

    ``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db`` opens the embedded
    store; ``neo4j://``, ``neo4j+s://``, ``bolt://`` URLs open Neo4j, with the user,
    password and database from ``settings`` (``LINEAGE_NEO4J_*``).

    ``read_only`` is for callers that only read: an embedded store is then opened without
    its writer lock, so that it can be read while a server writes it (and cannot be
    written). Opening one to write while another process writes it raises
    :class:`~lineage.store.owner.StoreBusy`, naming that process.

    With ``load`` false, an embedded store is opened (and locked) but its graph is not read
    into memory: call its ``load()`` before using it. Neo4j has nothing to load.

    Incidents a store written by an earlier version holds are brought up to this version's
    shape by :func:`lineage.ingest.migrations.open_to_write`, which commands that write
    open stores with (their rules are the ingest path's, a layer above this one).
    """
    return _open(url, settings, read_only=read_only, load=load)


def _open(url: str, settings: Settings | None, *, read_only: bool, load: bool) -> GraphStore:
    if url.startswith("sqlite:///"):
        from lineage.store.embedded import EmbeddedStore

        return EmbeddedStore(Path(url.removeprefix("sqlite:///")), read_only=read_only, load=load)
    scheme = url.split("://", 1)[0]
    if scheme in ("neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc"):
        from lineage.store.neo4j import Neo4jStore

        if settings is None:
            return Neo4jStore(url)
        return Neo4jStore(
            url,
            user=settings.neo4j_user,
            password=settings.neo4j_password,
            database=settings.neo4j_database,
        )
    raise StoreError(
        f"unknown store URL {url!r}: use sqlite:///path/to/lineage.db (embedded) "
        "or neo4j://host:7687 (Neo4j)"
    )
