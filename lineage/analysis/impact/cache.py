"""What the store says about the part of the graph a change reaches, asked a frontier
at a time and kept for one :func:`~lineage.analysis.impact.impact` call."""

from __future__ import annotations

from collections.abc import Iterable

from lineage.analysis.errors import check_deadline
from lineage.graph.model import EdgeKind
from lineage.store.base import Direction, Edge, GraphStore, Node


class Cache:
    """Store answers for one :func:`impact` call, fetched a frontier at a time."""

    def __init__(self, store: GraphStore, deadline: float | None) -> None:
        self.store = store
        self.deadline = deadline
        self.nodes: dict[str, Node] = {}
        self.missing: set[str] = set()
        self._feeds: dict[str, list[Edge]] = {}
        self._fields: dict[str, list[str]] = {}
        self._readers: dict[str, list[Edge]] = {}
        self._lineage_jobs: dict[str, set[str]] = {}
        self._writes: dict[str, list[Edge]] = {}
        self._writers: dict[str, list[Edge]] = {}
        self._aliases: dict[str, set[str]] = {}

    def _edges(self, ids: Iterable[str], direction: Direction, kind: EdgeKind) -> list[Edge]:
        check_deadline(self.deadline)
        return self.store.edges_of(sorted(set(ids)), direction, [kind])

    def load_nodes(self, ids: Iterable[str]) -> None:
        wanted = {i for i in ids if i not in self.nodes and i not in self.missing}
        if wanted:
            check_deadline(self.deadline)
            found = self.store.get_nodes(sorted(wanted))
            self.nodes.update(found)
            self.missing |= wanted - set(found)

    def load_feeds(self, fields: Iterable[str]) -> None:
        wanted = {f for f in fields if f not in self._feeds}
        if not wanted:
            return
        for f in wanted:
            self._feeds[f] = []
        for e in self._edges(wanted, Direction.DOWNSTREAM, EdgeKind.FEEDS):
            if e.src in wanted:
                self._feeds[e.src].append(e)

    def load_fields(self, datasets: Iterable[str]) -> None:
        wanted = {d for d in datasets if d not in self._fields}
        if not wanted:
            return
        for d in wanted:
            self._fields[d] = []
        for e in self._edges(wanted, Direction.DOWNSTREAM, EdgeKind.HAS_FIELD):
            if e.src in wanted:
                self._fields[e.src].append(e.dst)

    def load_readers(self, datasets: Iterable[str]) -> None:
        """Who reads each dataset now, and which of them reported column lineage from it."""
        wanted = {d for d in datasets if d not in self._readers}
        if not wanted:
            return
        self.load_fields(wanted)
        self.load_feeds(f for d in wanted for f in self._fields[d])
        for d in wanted:
            self._readers[d] = []
            self._lineage_jobs[d] = {
                str(e.props.get("job"))
                for f in self._fields[d]
                for e in self._feeds[f]
                if e.props.get("job")
            }
        for e in self._edges(wanted, Direction.DOWNSTREAM, EdgeKind.INPUT_TO):
            if e.src in wanted:
                self._readers[e.src].append(e)

    def load_outputs(self, jobs: Iterable[str]) -> None:
        wanted = {j for j in jobs if j not in self._writes}
        if not wanted:
            return
        for j in wanted:
            self._writes[j] = []
        for e in self._edges(wanted, Direction.DOWNSTREAM, EdgeKind.PRODUCES):
            if e.src in wanted:
                self._writes[e.src].append(e)

    def load_aliases(self, datasets: Iterable[str]) -> None:
        wanted = {d for d in datasets if d not in self._aliases}
        if not wanted:
            return
        for d in wanted:
            self._aliases[d] = set()
        for e in self._edges(wanted, Direction.BOTH, EdgeKind.ALIAS_OF):
            if e.src in wanted:
                self._aliases[e.src].add(e.dst)
            if e.dst in wanted:
                self._aliases[e.dst].add(e.src)

    def writers(self, dataset: str) -> list[Edge]:
        if dataset not in self._writers:
            self._writers[dataset] = self._edges([dataset], Direction.UPSTREAM, EdgeKind.PRODUCES)
        return self._writers[dataset]

    def fields(self, dataset: str) -> list[str]:
        self.load_fields([dataset])
        return self._fields[dataset]

    def feeds(self, fid: str) -> list[Edge]:
        return self._feeds.get(fid, [])

    def readers(self, dataset: str) -> list[Edge]:
        return self._readers.get(dataset, [])

    def lineage_jobs(self, dataset: str) -> set[str]:
        return self._lineage_jobs.get(dataset, set())

    def outputs(self, job: str) -> list[Edge]:
        return self._writes.get(job, [])

    def aliases(self, dataset: str) -> set[str]:
        return self._aliases.get(dataset, set())
