"""The Neo4j store's write side: apply a batch of mutations inside one write transaction.

The merge rules need to read what is stored before writing, so a batch is applied in
Python, exactly as the embedded store applies it, against a *working set*: the part of
the graph the batch touches, read from Neo4j in the same transaction. Everything the
batch will obviously need is read up front in a few ``UNWIND`` queries (``prefetch``);
whatever a cascade needs beyond that (an older version a re-pointed read now names, the
readers of a dataset a late writer arrives for, ...) is read on demand, so the result
never depends on what was prefetched. What changed is then written back with a few
``UNWIND $rows`` statements (``statements``), nodes before relationships.

Derived state lives in Neo4j too, so a fresh process sees it: completions are the runs'
``completed_at`` (and a job's ``static_completions``), column lineage reports are
``:ColumnLineageReport`` nodes, what a run sighted and its unresolved column references
are kept on a ``:RunState`` node per run.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, Final

import orjson

from lineage.graph.mapping import FACET_PREFIX
from lineage.graph.model import (
    ColumnLineage,
    Completion,
    DeleteNode,
    EdgeKind,
    EnsureFields,
    Merge,
    Mutation,
    NodeKind,
    Prop,
    ReadDataset,
    Sighting,
    UnresolvedReference,
    UpsertEdge,
    UpsertNode,
    edge_id,
    field_id,
    node_id,
    split_id,
)
from lineage.graph.validity import closes
from lineage.store.base import StoreError
from lineage.store.merge import CHANGED, apply_prop, feed_props

#: Runs a read query in the write transaction: (cypher, parameters) -> records as dicts.
Reader = Callable[[str, Mapping[str, Any]], list[dict[str, Any]]]

LABELS: Final[Mapping[NodeKind, str]] = {
    NodeKind.DATASET: "Dataset",
    NodeKind.DATASET_VERSION: "DatasetVersion",
    NodeKind.FIELD: "Field",
    NodeKind.JOB: "Job",
    NodeKind.RUN: "Run",
    NodeKind.INCIDENT: "Incident",
}

#: Node properties copied out of the JSON ``props`` into real properties, for the
#: uniqueness constraints, lookups by the writer and search. Same set for every kind.
NODE_COLUMNS: Final = (
    "namespace",
    "name",
    "path",
    "description",
    "runId",
    "job",
    "state",
    "completed_at",
    "covers",
    "scopes",
    "outputs",
    "dataset",
    "version",
    "created_at",
    "run",
)
#: Relationship properties kept as real properties: validity intervals for as-of
#: traversals, and what the writer looks reads up by.
EDGE_COLUMNS: Final = ("since", "until", "last_seen", "at", "dataset", "explicit", "job")

_REPORT_PREFIX: Final = "CL\x1e"


def _column(value: Any) -> Any:
    """A value Neo4j can hold as a property, else None (the JSON copy keeps it)."""
    if isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    return None


def node_row(nid: str, props: Mapping[str, Any], ats: Mapping[str, float]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": nid,
        "props": orjson.dumps(props).decode(),
        "ats": orjson.dumps(ats).decode(),
    }
    for name in NODE_COLUMNS:
        row[name] = _column(props.get(name))
    if row["run"] is not None and not props.get("run"):
        row["run"] = None
    return row


def edge_row(
    eid: str, src: str, dst: str, key: str, props: Mapping[str, Any], ats: Mapping[str, float]
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": eid,
        "src": src,
        "dst": dst,
        "key": key,
        "props": orjson.dumps(props).decode(),
        "ats": orjson.dumps(ats).decode(),
    }
    for name in EDGE_COLUMNS:
        row[name] = _column(props.get(name))
    # A read points at a version on its own only when the producer named none.
    row["explicit"] = props.get("explicit") or None
    return row


def edge_kind_of(eid: str) -> EdgeKind:
    return EdgeKind(eid.split("\x1e", 1)[0])


def _job_of_report(key: str) -> str:
    return key.split("\x1e")[1]


class _NodeRec:
    __slots__ = ("ats", "kind", "props")

    def __init__(self, kind: NodeKind, props: dict[str, Any], ats: dict[str, float]) -> None:
        self.kind = kind
        self.props = props
        self.ats = ats


class _EdgeRec:
    __slots__ = ("ats", "dst", "key", "kind", "props", "src")

    def __init__(
        self,
        kind: EdgeKind,
        src: str,
        dst: str,
        key: str,
        props: dict[str, Any],
        ats: dict[str, float],
    ) -> None:
        self.kind = kind
        self.src = src
        self.dst = dst
        self.key = key
        self.props = props
        self.ats = ats


class _Report:
    """One column lineage report of a job about one dataset, with its validity."""

    __slots__ = ("feeds", "feeds_since", "job", "last_seen", "output", "since", "until")

    def __init__(
        self,
        job: str,
        output: str,
        since: float,
        last_seen: float,
        until: float | None,
        feeds: list[str],
    ) -> None:
        self.job = job
        self.output = output
        self.since = since
        self.last_seen = last_seen
        self.until = until
        self.feeds = feeds
        self.feeds_since: float | None = None


def _dataset_of(edge: _EdgeRec) -> str | None:
    """The dataset a job-level edge leads to or from."""
    if edge.kind is EdgeKind.INPUT_TO:
        return edge.src
    if edge.kind is EdgeKind.PRODUCES:
        return edge.dst
    return None


def _namespace_of(dataset: str | None) -> str | None:
    if dataset is None or dataset.count("\x1f") < 2:
        return None
    return dataset.split("\x1f")[1]


#: What each input a run sighted starts with: the run's outputs are what they were read for.
_INPUT_PREFIX: Final = EdgeKind.INPUT_TO.value + "\x1e"


def _job_of(edge: _EdgeRec) -> str:
    if edge.kind is EdgeKind.INPUT_TO:
        return edge.dst
    if edge.kind is EdgeKind.PRODUCES:
        return edge.src
    return edge.key


_OUT, _IN = "out", "in"


class WorkingSet:
    """The part of the graph one batch touches, and what the batch changed in it.

    Read lazily through ``read`` (queries in the caller's write transaction); a value
    read once is never read again, so changes made by the batch are never overwritten.
    """

    def __init__(self, read: Reader, stored_fields: Collection[str] = ()) -> None:
        self._read = read
        # Fields are never deleted: ones seen stored before need no lookup.
        self._stored_fields = stored_fields
        # None: known not to exist (never stored, or deleted by this batch).
        self._nodes: dict[str, _NodeRec | None] = {}
        self._not_stored: set[str] = set()
        self._edges: dict[str, _EdgeRec | None] = {}
        self._out: dict[str, dict[EdgeKind, set[str]]] = {}
        self._in: dict[str, dict[EdgeKind, set[str]]] = {}
        self._adjacency_loaded: set[tuple[str, EdgeKind, str]] = set()
        self._written: dict[str, list[tuple[float, str]]] = {}
        self._written_loaded: set[str] = set()
        self._reads: dict[str, dict[str, float]] = {}
        self._reads_since: dict[str, float] = {}
        self._read_of: dict[tuple[str, str], str] = {}
        self._completions: dict[str, list[tuple[float, str]]] = {}
        self._completion_at: dict[tuple[str, str], float] = {}
        self._completions_loaded: set[str] = set()
        self._stored_covers: dict[str, list[str]] = {}
        self._stored_scopes: dict[str, list[str]] = {}
        self._stored_outputs: dict[str, list[str]] = {}
        self._contributions: dict[str, set[str]] = {}
        self._unresolved: dict[str, set[bytes]] = {}
        self._run_states_loaded: set[str] = set()
        self._reports: dict[str, _Report] = {}
        self._reports_of_job: dict[str, set[str]] = {}
        self._reports_of_feed: dict[str, set[str]] = {}
        self._reports_loaded: set[str] = set()
        self._field_paths: dict[str, set[str]] = {}
        # What this batch changed.
        self.dirty_nodes: set[str] = set()
        self.dirty_edges: set[str] = set()
        self.dirty_reports: set[str] = set()
        self.dirty_run_states: set[str] = set()
        self.deleted_nodes: set[str] = set()
        self.deleted_edges: set[str] = set()
        self._runs_with_refs: set[str] = set()
        self._touched_runs: set[str] = set()
        self.queries = 0

    # -- reading what is stored --------------------------------------------------------

    def _query(self, cypher: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        self.queries += 1
        return self._read(cypher, params)

    def _load_nodes(self, ids: Iterable[str]) -> None:
        wanted = sorted({i for i in ids if i not in self._nodes})
        if not wanted:
            return
        for nid in wanted:
            self._nodes[nid] = None
        absent = set(wanted)
        for row in self._query(
            "UNWIND $ids AS id MATCH (n:Entity {id: id}) USING INDEX n:Entity(id) "
            "RETURN n.id AS id, n.props AS props, n.ats AS ats",
            {"ids": wanted},
        ):
            nid = row["id"]
            try:
                kind, _ = split_id(nid)
            except ValueError:
                continue
            rec = _NodeRec(kind, orjson.loads(row["props"]), orjson.loads(row["ats"]))
            self._nodes[nid] = rec
            self._index_node(nid, rec)
            absent.discard(nid)
        # No stored relationship can touch a node that is not stored.
        self._not_stored.update(absent)

    def _add_edge_rows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            eid = row["id"]
            if eid in self._edges:
                continue
            rec = _EdgeRec(
                edge_kind_of(eid),
                row["src"],
                row["dst"],
                row["key"] or "",
                orjson.loads(row["props"]),
                orjson.loads(row["ats"]),
            )
            self._edges[eid] = rec
            self._index_edge(eid, rec)

    _EDGE_RETURN: Final = (
        "RETURN r.id AS id, a.id AS src, b.id AS dst, r.key AS key, r.props AS props, r.ats AS ats"
    )

    def _load_edges(self, ids: Iterable[str]) -> None:
        by_kind: dict[EdgeKind, list[str]] = {}
        for eid in {i for i in ids if i not in self._edges}:
            parts = eid.split("\x1e")
            if len(parts) == 4 and (parts[1] in self._not_stored or parts[2] in self._not_stored):
                self._edges[eid] = None
                continue
            by_kind.setdefault(edge_kind_of(eid), []).append(eid)
        for kind, wanted in sorted(by_kind.items()):
            wanted.sort()
            rows = self._query(
                f"MATCH (a)-[r:{kind.value}]->(b) USING INDEX r:{kind.value}(id) "
                f"WHERE r.id IN $ids {self._EDGE_RETURN}",
                {"ids": wanted},
            )
            self._add_edge_rows(rows)
            for eid in wanted:
                self._edges.setdefault(eid, None)

    def _load_adjacency(self, ids: Iterable[str], kind: EdgeKind, direction: str) -> None:
        ids = {i for i in ids if (i, kind, direction) not in self._adjacency_loaded}
        self._adjacency_loaded.update((i, kind, direction) for i in ids & self._not_stored)
        wanted = sorted(ids - self._not_stored)
        if not wanted:
            return
        pattern = (
            f"(a:Entity {{id: id}})-[r:{kind.value}]->(b)"
            if direction == _OUT
            else f"(a)-[r:{kind.value}]->(b:Entity {{id: id}})"
        )
        rows = self._query(
            f"UNWIND $ids AS id MATCH {pattern} {self._EDGE_RETURN}", {"ids": wanted}
        )
        self._add_edge_rows(rows)
        for nid in wanted:
            self._adjacency_loaded.add((nid, kind, direction))

    def _adjacent(self, nid: str, kind: EdgeKind, direction: str) -> set[str]:
        self._load_adjacency([nid], kind, direction)
        index = self._out if direction == _OUT else self._in
        return index.get(nid, {}).get(kind, set())

    def _load_written(self, datasets: Iterable[str]) -> None:
        wanted = sorted({d for d in datasets if d not in self._written_loaded})
        if not wanted:
            return
        self._written_loaded.update(wanted)
        for row in self._query(
            "UNWIND $datasets AS d MATCH (v:DatasetVersion) "
            "USING INDEX v:DatasetVersion(dataset, created_at) "
            "WHERE v.dataset = d AND v.created_at IS NOT NULL AND v.run IS NOT NULL "
            "RETURN v.id AS id, v.dataset AS dataset, v.created_at AS created_at",
            {"datasets": wanted},
        ):
            if row["id"] in self._nodes:  # the working copy is indexed already
                continue
            versions = self._written.setdefault(row["dataset"], [])
            entry = (row["created_at"], row["id"])
            if entry not in versions:
                versions[:] = [v for v in versions if v[1] != row["id"]]
                insort(versions, entry)

    def _load_reads(self, since: Mapping[str, float]) -> None:
        """Every stored inferred read of each dataset at or after ``since[dataset]``."""
        wanted: list[dict[str, Any]] = []
        for dataset, at in sorted(since.items()):
            if self._reads_since.get(dataset, float("inf")) > at:
                self._reads_since[dataset] = at
                wanted.append({"dataset": dataset, "since": at})
        if not wanted:
            return
        rows = self._query(
            "UNWIND $wanted AS w MATCH (a)-[r:READ]->(b) USING INDEX r:READ(dataset, at) "
            "WHERE r.dataset = w.dataset AND r.at >= w.since AND r.explicit IS NULL "
            f"{self._EDGE_RETURN}",
            {"wanted": wanted},
        )
        self._add_edge_rows(rows)

    def _load_completions(self, jobs: Iterable[str]) -> None:
        wanted = sorted({j for j in jobs if j not in self._completions_loaded})
        if not wanted:
            return
        self._completions_loaded.update(wanted)
        self._load_nodes(wanted)  # static completions are on the job
        for row in self._query(
            "UNWIND $jobs AS job MATCH (r:Run) USING INDEX r:Run(job, completed_at) "
            "WHERE r.job = job AND r.completed_at IS NOT NULL "
            "RETURN r.id AS id, r.job AS job, r.completed_at AS at, r.covers AS covers, "
            "r.scopes AS scopes, r.outputs AS outputs",
            {"jobs": wanted},
        ):
            if row["id"] in self._nodes:
                continue
            self._stored_covers[row["id"]] = list(row["covers"] or ())
            self._stored_scopes[row["id"]] = list(row["scopes"] or ())
            self._stored_outputs[row["id"]] = list(row["outputs"] or ())
            self._add_completion(row["job"], row["id"], row["at"])

    def _load_run_states(self, runs: Iterable[str]) -> None:
        wanted = sorted({r for r in runs if r not in self._run_states_loaded})
        if not wanted:
            return
        self._run_states_loaded.update(wanted)
        for row in self._query(
            "UNWIND $runs AS run MATCH (s:RunState {run: run}) USING INDEX s:RunState(run) "
            "RETURN s.run AS run, s.sighted AS sighted, s.unresolved AS unresolved",
            {"runs": wanted},
        ):
            if row["sighted"]:
                self._contributions.setdefault(row["run"], set()).update(row["sighted"])
            if row["unresolved"]:
                self._unresolved.setdefault(row["run"], set()).update(
                    body.encode() for body in row["unresolved"]
                )

    def _load_reports(self, jobs: Iterable[str]) -> None:
        wanted = sorted({j for j in jobs if j not in self._reports_loaded})
        if not wanted:
            return
        self._reports_loaded.update(wanted)
        for row in self._query(
            "UNWIND $jobs AS job MATCH (r:ColumnLineageReport {job: job}) "
            "USING INDEX r:ColumnLineageReport(job) "
            "RETURN r.key AS key, r.job AS job, r.output AS output, r.since AS since, "
            "r.last_seen AS last_seen, r.until AS until, r.feeds AS feeds, "
            "r.feeds_since AS feeds_since",
            {"jobs": wanted},
        ):
            if row["key"] in self._reports:
                continue
            report = _Report(
                row["job"],
                row["output"],
                row["since"],
                row["last_seen"],
                row["until"],
                list(row["feeds"] or ()),
            )
            # The feeds were last brought in line with this start: no need to read them
            # again until the report's validity moves.
            report.feeds_since = row["feeds_since"]
            self._index_report(row["key"], report)

    # Accessors that read on demand.

    def _node(self, nid: str) -> _NodeRec | None:
        if nid not in self._nodes:
            self._load_nodes([nid])
        return self._nodes[nid]

    def _edge(self, eid: str) -> _EdgeRec | None:
        if eid not in self._edges:
            self._load_edges([eid])
        return self._edges[eid]

    def _report(self, key: str) -> _Report | None:
        self._load_reports([_job_of_report(key)])
        return self._reports.get(key)

    def _reports_holding(self, feed: str, job: str) -> set[str]:
        # A FEEDS edge is keyed by its job, and only that job's reports hold it.
        self._load_reports([job])
        return self._reports_of_feed.get(feed, set())

    def prefetch(self, mutations: Sequence[Mutation]) -> None:
        """Read, in a few queries, what applying ``mutations`` will obviously need."""
        nodes: set[str] = set()
        edges: set[str] = set()
        runs: set[str] = set()
        reading_runs: set[str] = set()
        completion_jobs: set[str] = set()
        lineage_jobs: set[str] = set()
        completed_runs: set[str] = set()
        read_datasets: set[str] = set()
        written: dict[str, float] = {}
        lineage: list[ColumnLineage] = []
        for m in mutations:
            if isinstance(m, UpsertNode):
                nodes.add(m.id)
                if m.kind is NodeKind.DATASET_VERSION and "run" in m.props:
                    dataset = m.props.get("dataset")
                    created = m.props.get("created_at")
                    if dataset is not None and created is not None:
                        at = float(created.value)
                        written[dataset.value] = min(written.get(dataset.value, at), at)
            elif isinstance(m, UpsertEdge):
                edges.add(m.id)
            elif isinstance(m, EnsureFields):
                prefix = node_id(NodeKind.FIELD, m.namespace, m.name, "")
                nodes.update(
                    fid for path in m.paths if (fid := prefix + path) not in self._stored_fields
                )
            elif isinstance(m, Sighting):
                edges.add(m.edge.id)
                completion_jobs.add(m.job)
                if m.run is not None:
                    runs.add(m.run)
                    nodes.add(m.run)
            elif isinstance(m, ReadDataset):
                runs.add(m.run)
                reading_runs.add(m.run)
                nodes.update((m.run, m.observed, m.dataset))
                edges.add(edge_id(EdgeKind.VERSION_OF, m.observed, m.dataset))
                if m.version is not None:
                    nodes.add(m.version)
                    edges.add(edge_id(EdgeKind.VERSION_OF, m.version, m.dataset))
                else:
                    read_datasets.add(m.dataset)
            elif isinstance(m, ColumnLineage):
                runs.add(m.run)
                nodes.add(m.run)
                lineage_jobs.add(m.job)
                completion_jobs.add(m.job)
                lineage.append(m)
            elif isinstance(m, Completion):
                completion_jobs.add(m.job)
                lineage_jobs.add(m.job)
                nodes.add(m.job)
                if m.run is not None:
                    runs.add(m.run)
                    nodes.add(m.run)
                    completed_runs.add(m.run)
            elif isinstance(m, UnresolvedReference):
                runs.add(m.run)
                reading_runs.add(m.run)
                nodes.add(m.run)
                lineage_jobs.add(m.job)
        self._load_run_states(runs)
        for run in completed_runs:
            for item in self._contributions.get(run, ()):
                if item.startswith(_REPORT_PREFIX):
                    lineage_jobs.add(_job_of_report(item))
                else:
                    edges.add(item)
        self._load_nodes(nodes)
        self._load_reports(lineage_jobs)
        for m in lineage:  # a new report's feeds are upserted
            if "\x1e".join(("CL", m.job, m.output, m.digest)) not in self._reports:
                edges.update(edge_id(EdgeKind.FEEDS, f.src, f.dst, m.job) for f in m.feeds)
        self._load_edges(edges)
        self._load_adjacency(reading_runs, EdgeKind.READ, _OUT)
        self._load_adjacency(completion_jobs & lineage_jobs, EdgeKind.INPUT_TO, _IN)
        self._load_adjacency(completion_jobs & lineage_jobs, EdgeKind.PRODUCES, _OUT)
        self._load_completions(completion_jobs)
        self._load_written(read_datasets | set(written))
        self._load_reads(written)

    # -- indexes of the working copy -----------------------------------------------------

    def _index_node(self, nid: str, rec: _NodeRec) -> None:
        props = rec.props
        kind = rec.kind
        if kind is NodeKind.DATASET_VERSION:
            if props.get("run") and "created_at" in props:
                versions = self._written.setdefault(props["dataset"], [])
                entry = (props["created_at"], nid)
                if entry not in versions:
                    versions[:] = [v for v in versions if v[1] != nid]
                    insort(versions, entry)
        elif kind is NodeKind.RUN:
            if props.get("completed_at") is not None:
                self._add_completion(props["job"], nid, props["completed_at"])
        elif kind is NodeKind.JOB:
            for at in props.get("static_completions") or ():
                self._add_completion(nid, f"static:{at!r}", at)

    def _index_edge(self, eid: str, rec: _EdgeRec) -> None:
        self._out.setdefault(rec.src, {}).setdefault(rec.kind, set()).add(eid)
        self._in.setdefault(rec.dst, {}).setdefault(rec.kind, set()).add(eid)
        if rec.kind is EdgeKind.READ:
            dataset = rec.props["dataset"]
            self._read_of[(rec.src, dataset)] = eid
            if not rec.props.get("explicit"):
                self._reads.setdefault(dataset, {})[eid] = rec.props["at"]

    def _index_report(self, key: str, report: _Report) -> None:
        self._reports[key] = report
        self._reports_of_job.setdefault(report.job, set()).add(key)
        for eid in report.feeds:
            self._reports_of_feed.setdefault(eid, set()).add(key)

    def _unindex_edge(self, eid: str, rec: _EdgeRec) -> None:
        self._out[rec.src][rec.kind].discard(eid)
        self._in[rec.dst][rec.kind].discard(eid)
        if rec.kind is EdgeKind.READ:
            dataset = rec.props["dataset"]
            if self._read_of.get((rec.src, dataset)) == eid:
                del self._read_of[(rec.src, dataset)]
            self._reads.get(dataset, {}).pop(eid, None)

    def _add_completion(self, job: str, key: str, at: float) -> None:
        previous = self._completion_at.get((job, key))
        if previous == at:
            return
        entries = self._completions.setdefault(job, [])
        if previous is not None:
            entries.remove((previous, key))
        insort(entries, (at, key))
        self._completion_at[(job, key)] = at

    # -- applying ------------------------------------------------------------------------

    def apply_all(self, mutations: Iterable[Mutation]) -> None:
        for m in mutations:
            self._apply(m)
        self._resolve_references()

    def _apply(self, m: Mutation) -> None:
        if isinstance(m, UpsertNode):
            self._upsert_node(m.id, m.kind, m.props)
        elif isinstance(m, UpsertEdge):
            self._upsert_edge(m)
        elif isinstance(m, EnsureFields):
            self._ensure_fields(m)
        elif isinstance(m, Sighting):
            self._sight(m)
        elif isinstance(m, ReadDataset):
            self._read_dataset(m)
        elif isinstance(m, ColumnLineage):
            self._column_lineage(m)
        elif isinstance(m, Completion):
            self._complete(m)
        elif isinstance(m, UnresolvedReference):
            self._unresolved_reference(m)
        elif isinstance(m, DeleteNode):
            self._delete_node(m.id)
        else:  # pragma: no cover - ledger entries never reach the working set
            raise StoreError(f"unknown mutation {type(m).__name__}")

    def _delete_node(self, nid: str) -> None:
        """An incident goes with its edges (``DETACH DELETE``); nothing is indexed by it."""
        rec = self._node(nid)
        if rec is None:
            return
        if rec.kind is not NodeKind.INCIDENT:
            raise StoreError(f"only incidents are ever deleted, not {nid!r}")
        self._nodes[nid] = None
        self.dirty_nodes.discard(nid)
        self.deleted_nodes.add(nid)

    def _upsert_node(self, nid: str, kind: NodeKind, props: Mapping[str, Prop]) -> _NodeRec:
        rec = self._node(nid)
        changed = False
        if rec is None:
            rec = _NodeRec(kind, {}, {})
            self._nodes[nid] = rec
            changed = True
            self.deleted_nodes.discard(nid)
            self.dirty_nodes.add(nid)
        node_props, ats = rec.props, rec.ats
        for name, prop in props.items():
            outcome = apply_prop(node_props, ats, name, prop)
            if outcome:
                self.dirty_nodes.add(nid)
            # Facets are kept verbatim and never indexed: only other properties count.
            if outcome is CHANGED and not name.startswith(FACET_PREFIX):
                changed = True
        if changed:
            self._index_node(nid, rec)
            if kind is NodeKind.DATASET_VERSION and node_props.get("run"):
                self._after_new_version(node_props["dataset"], node_props["created_at"])
        return rec

    def _upsert_edge(self, m: UpsertEdge) -> tuple[str, _EdgeRec]:
        eid = m.id
        rec = self._edge(eid)
        if rec is None:
            rec = _EdgeRec(m.kind, m.src, m.dst, m.key, {}, {})
            for name, prop in m.props.items():
                apply_prop(rec.props, rec.ats, name, prop)
            self._edges[eid] = rec
            self._index_edge(eid, rec)
            self.dirty_edges.add(eid)
            self.deleted_edges.discard(eid)
            return eid, rec
        for name, prop in m.props.items():
            if apply_prop(rec.props, rec.ats, name, prop):
                self.dirty_edges.add(eid)
        return eid, rec

    def _drop_edge(self, eid: str) -> None:
        rec = self._edges.get(eid)
        if rec is None:
            return
        self._edges[eid] = None
        self._unindex_edge(eid, rec)
        self.dirty_edges.discard(eid)
        self.deleted_edges.add(eid)

    def _ensure_fields(self, m: EnsureFields) -> None:
        known = self._field_paths.get(m.dataset)
        if known is None:
            known = self._field_paths[m.dataset] = set()
        elif known.issuperset(m.paths):
            return
        prefix = node_id(NodeKind.FIELD, m.namespace, m.name, "")
        stored = self._stored_fields
        self._load_nodes(fid for path in m.paths if (fid := prefix + path) not in stored)
        for index, path in enumerate(m.paths):
            known.add(path)
            fid = prefix + path
            if (fid in stored and fid not in self._nodes) or self._nodes[fid] is not None:
                continue
            self._nodes[fid] = _NodeRec(
                NodeKind.FIELD,
                {"dataset": m.dataset, "path": path, "name": m.field_name(index)},
                {},
            )
            self.dirty_nodes.add(fid)
            self.deleted_nodes.discard(fid)
            self._upsert_edge(UpsertEdge(EdgeKind.HAS_FIELD, m.dataset, fid))

    # Job-level projection: validity intervals ------------------------------------------

    def _sight(self, m: Sighting) -> None:
        props = dict(m.edge.props)
        props["since"] = Prop(m.at, Merge.MIN)
        props["last_seen"] = Prop(m.at, Merge.MAX)
        eid, rec = self._upsert_edge(
            UpsertEdge(m.edge.kind, m.edge.src, m.edge.dst, m.edge.key, props)
        )
        if m.run is not None:
            self._contribute(m.run, eid)
            self._reported(m.run, m.job, eid, rec)
        self._recompute_until(eid, rec)

    def _reported(self, run: str, job: str, eid: str, rec: _EdgeRec) -> None:
        """What a run reported, over all its events: the datasets it wrote, the namespaces
        it named, and the outputs each input it read was read for."""
        dataset = _dataset_of(rec)
        if dataset is None:
            return
        node = self._node(run)
        known = node.props if node is not None else {}
        namespace = _namespace_of(dataset)
        grown: dict[str, Prop] = {}
        if namespace is not None and namespace not in (known.get("scopes") or ()):
            grown["scopes"] = Prop([namespace], Merge.UNION)
        wrote = rec.kind is EdgeKind.PRODUCES and dataset not in (known.get("outputs") or ())
        if wrote:
            grown["outputs"] = Prop([dataset], Merge.UNION)
        if grown:
            node = self._upsert_node(run, NodeKind.RUN, grown)
        outputs = node.props.get("outputs") if node is not None else None
        read_for = Prop(outputs, Merge.UNION)
        if (
            rec.kind is EdgeKind.INPUT_TO
            and outputs
            and apply_prop(rec.props, rec.ats, "read_for", read_for)
        ):
            self.dirty_edges.add(eid)
        if wrote:
            # Every input the run read was read for this output too.
            self._load_run_states([run])
            for item in sorted(self._contributions.get(run, ())):
                read = self._edge(item) if item.startswith(_INPUT_PREFIX) else None
                if read is not None and apply_prop(
                    read.props, read.ats, "read_for", Prop([dataset], Merge.UNION)
                ):
                    self.dirty_edges.add(item)
                    self._recompute_until(item, read)
        if grown and node is not None and node.props.get("completed_at") is not None:
            # The run's completion now closes other edges than it did.
            self._recompute_job(job)

    def _recompute_job(self, job: str) -> None:
        projection = self._adjacent(job, EdgeKind.INPUT_TO, _IN) | self._adjacent(
            job, EdgeKind.PRODUCES, _OUT
        )
        for eid in sorted(projection):
            rec = self._edges.get(eid)
            if rec is not None:
                self._recompute_until(eid, rec)

    def _contribute(self, run: str, item: str) -> None:
        """Remember what a run sighted: its completion is a sighting of all of it."""
        self._load_run_states([run])
        items = self._contributions.setdefault(run, set())
        if item not in items:
            items.add(item)
            self.dirty_run_states.add(run)
        node = self._node(run)
        completed = node.props.get("completed_at") if node is not None else None
        if completed is not None:
            self._sighted_at_completion(item, completed)

    def _sighted_at_completion(self, item: str, at: float) -> None:
        report = self._report(item) if item.startswith(_REPORT_PREFIX) else None
        if report is not None:
            if at > report.last_seen:
                report.last_seen = at
                self.dirty_reports.add(item)
                self._recompute_report(item, report)
            return
        rec = self._edge(item) if not item.startswith(_REPORT_PREFIX) else None
        if rec is not None and apply_prop(rec.props, rec.ats, "last_seen", Prop(at, Merge.MAX)):
            self.dirty_edges.add(item)
            self._recompute_until(item, rec)

    def _complete(self, m: Completion) -> None:
        if m.run is None:
            self._upsert_node(
                m.job, NodeKind.JOB, {"static_completions": Prop([m.at], Merge.UNION)}
            )
        else:
            run = self._upsert_node(
                m.run,
                NodeKind.RUN,
                {
                    "completed_at": Prop(m.at, Merge.MIN),
                    "job": Prop(m.job),
                    "covers": Prop(list(m.covers), Merge.UNION),
                },
            )
            completed = run.props["completed_at"]
            self._load_run_states([m.run])
            for item in sorted(self._contributions.get(m.run, ())):
                self._sighted_at_completion(item, completed)
        self._recompute_job(m.job)
        self._load_reports([m.job])
        for key in sorted(self._reports_of_job.get(m.job, ())):
            self._recompute_report(key, self._reports[key])

    def _first_completion_after(
        self, job: str, at: float, covering: str | None = None, edge: _EdgeRec | None = None
    ) -> float | None:
        """The job's earliest completion after ``at``: one that reported on ``covering``
        (a column lineage report's output), or one that closes ``edge``."""
        self._load_completions([job])
        completions = self._completions.get(job)
        if not completions:
            return None
        dataset = _dataset_of(edge) if edge is not None else None
        namespace = _namespace_of(dataset)
        read_for = (edge.props.get("read_for") or ()) if edge is not None else ()
        for when, key in completions[bisect_right(completions, (at, "\U0010ffff")) :]:
            if covering is not None:
                if covering in self._run_list(key, "covers", self._stored_covers):
                    return when
            elif edge is None or key.startswith("static:"):
                return when  # a static statement of the job's lineage closes every edge
            elif closes(
                edge.kind,
                namespace,
                read_for,
                self._run_list(key, "outputs", self._stored_outputs),
                self._run_list(key, "scopes", self._stored_scopes),
            ):
                return when
        return None

    def _run_list(self, key: str, name: str, stored: Mapping[str, list[str]]) -> Sequence[str]:
        """A list property of the run behind a completion (``covers``, ``outputs``,
        ``scopes``): the working copy's when it holds the run, else what was stored."""
        if key.startswith("static:"):
            return ()
        if key in self._nodes:
            run = self._nodes[key]
            return (run.props.get(name) or ()) if run is not None else ()
        return stored.get(key, ())

    def _recompute_until(self, eid: str, rec: _EdgeRec) -> None:
        """until = the job's earliest completion after the edge was last seen that closes it."""
        until = self._first_completion_after(
            _job_of(rec), rec.props.get("last_seen", 0.0), edge=rec
        )
        props = rec.props
        if "until" not in props or props["until"] != until:
            props["until"] = until
            self.dirty_edges.add(eid)

    # Column lineage reports ---------------------------------------------------------------

    def _column_lineage(self, m: ColumnLineage) -> None:
        key = "\x1e".join(("CL", m.job, m.output, m.digest))
        report = self._report(key)
        known = self._nodes.get(m.run)
        covered = known is not None and m.output in self._run_list(
            m.run, "covers", self._stored_covers
        )
        run = self._upsert_node(m.run, NodeKind.RUN, {"covers": Prop([m.output], Merge.UNION)})
        if not covered and run.props.get("completed_at") is not None:
            # A completed run now reports on this output (its lineage came after its end,
            # from SQL its children ran): it closes the output's earlier reports, as it
            # would have had it reported before it completed.
            self._load_reports([m.job])
            for other in sorted(self._reports_of_job.get(m.job, ())):
                if other != key:
                    self._recompute_report(other, self._reports[other])
        if report is None:
            feeds = []
            self._load_edges(edge_id(EdgeKind.FEEDS, f.src, f.dst, m.job) for f in m.feeds)
            for feed in m.feeds:
                eid, _ = self._upsert_edge(
                    UpsertEdge(
                        EdgeKind.FEEDS,
                        feed.src,
                        feed.dst,
                        key=m.job,
                        props=feed_props(m.job, feed),
                    )
                )
                feeds.append(eid)
            report = _Report(m.job, m.output, m.at, m.at, None, feeds)
            self._index_report(key, report)
            self.dirty_reports.add(key)
            self._recompute_report(key, report, force=True)
        elif m.at < report.since or m.at > report.last_seen:
            report.since = min(report.since, m.at)
            report.last_seen = max(report.last_seen, m.at)
            self.dirty_reports.add(key)
            self._recompute_report(key, report)
        self._contribute(m.run, key)

    def _recompute_report(self, key: str, report: _Report, *, force: bool = False) -> None:
        until = self._first_completion_after(report.job, report.last_seen, report.output)
        if until != report.until:
            report.until = until
            self.dirty_reports.add(key)
        elif not force and report.feeds_since == report.since:
            return
        if report.feeds_since != report.since:
            self.dirty_reports.add(key)
        report.feeds_since = report.since
        self._load_edges(report.feeds)
        for eid in report.feeds:
            self._refresh_feed(eid)

    def _refresh_feed(self, eid: str) -> None:
        """A FEEDS edge is valid from its first report's start while any report holds it."""
        rec = self._edge(eid)
        if rec is None:
            return
        reports = [self._reports[k] for k in self._reports_holding(eid, rec.key)]
        if not reports:
            return
        since = min(r.since for r in reports)
        untils = [r.until for r in reports]
        until = None if any(u is None for u in untils) else max(u for u in untils if u is not None)
        props = rec.props
        if props.get("since") != since or "until" not in props or props["until"] != until:
            props["since"] = since
            props["until"] = until
            self.dirty_edges.add(eid)

    # Run-level history: which version a run read -----------------------------------------

    def _read_dataset(self, m: ReadDataset) -> None:
        self._touched_runs.add(m.run)
        props: dict[str, Prop] = dict(m.edge_props)
        props["at"] = Prop(m.at, Merge.MIN)
        props["dataset"] = Prop(m.dataset)
        if m.version is not None:
            _, _, version = m.version.rpartition("\x1f")
            self._upsert_node(
                m.version,
                NodeKind.DATASET_VERSION,
                {
                    "dataset": Prop(m.dataset),
                    "version": Prop(version),
                    "created_at": Prop(m.at, Merge.MIN),
                },
            )
            self._upsert_edge(UpsertEdge(EdgeKind.VERSION_OF, m.version, m.dataset))
            props["explicit"] = Prop(m.version, at=m.at)
        props["observed"] = Prop(m.observed, at=m.at if m.observed_known else 0.0)
        self._load_adjacency([m.run], EdgeKind.READ, _OUT)
        existing = self._read_of.get((m.run, m.dataset))
        if existing is None:
            merged: dict[str, Any] = {}
            merged_ats: dict[str, float] = {}
            for name, prop in props.items():
                apply_prop(merged, merged_ats, name, prop)
            target = merged.get("explicit") or self._written_at(m.dataset, m.at)
            if target is None:
                target = self._observe(m, merged["observed"])
            rec = _EdgeRec(EdgeKind.READ, m.run, target, "", merged, merged_ats)
            eid = edge_id(EdgeKind.READ, m.run, target)
            self._edges[eid] = rec
            self._index_edge(eid, rec)
            self.dirty_edges.add(eid)
            self.deleted_edges.discard(eid)
            return
        found = self._edges[existing]
        assert found is not None
        rec = found
        changed = False
        for name, prop in props.items():
            changed = bool(apply_prop(rec.props, rec.ats, name, prop)) or changed
        if changed:
            self.dirty_edges.add(existing)
            if rec.props.get("explicit"):
                self._reads.get(m.dataset, {}).pop(existing, None)
            else:
                self._reads.setdefault(m.dataset, {})[existing] = rec.props["at"]
        target = rec.props.get("explicit") or self._written_at(m.dataset, rec.props["at"])
        if target is None:
            target = self._observe(m, rec.props["observed"])
        if target != rec.dst:
            self._move_read(existing, target)

    def _written_at(self, dataset: str, at: float) -> str | None:
        """The latest version of ``dataset`` a run wrote at or before ``at``."""
        self._load_written([dataset])
        versions = self._written.get(dataset, [])
        i = bisect_right(versions, (at, "\U0010ffff"))
        return versions[i - 1][1] if i else None

    def _observe(self, m: ReadDataset, observed: str) -> str:
        """Make sure the observed version ``observed`` exists; what ``m`` saw goes on it
        only when it is the observation ``m`` made."""
        _, _, version = observed.rpartition("\x1f")
        props: dict[str, Prop] = {
            "dataset": Prop(m.dataset),
            "version": Prop(version),
            "observed": Prop(True),
        }
        if observed == m.observed:
            props.update(m.observed_props)
        self._upsert_node(observed, NodeKind.DATASET_VERSION, props)
        self._upsert_edge(UpsertEdge(EdgeKind.VERSION_OF, observed, m.dataset))
        return observed

    def _move_read(self, eid: str, target: str) -> None:
        rec = self._edges[eid]
        assert rec is not None
        old = rec.dst
        self._drop_edge(eid)
        moved = _EdgeRec(EdgeKind.READ, rec.src, target, "", rec.props, rec.ats)
        new_id = edge_id(EdgeKind.READ, rec.src, target)
        self._edge(new_id)  # a stored edge by that id is replaced, not duplicated
        self._edges[new_id] = moved
        self._index_edge(new_id, moved)
        self.dirty_edges.add(new_id)
        self.deleted_edges.discard(new_id)
        self._forget_orphan_observation(old)

    def _forget_orphan_observation(self, version: str) -> None:
        """An observed version no run reads any more was only ever a placeholder."""
        rec = self._node(version)
        if rec is None or not rec.props.get("observed"):
            return
        if self._adjacent(version, EdgeKind.READ, _IN):
            return
        for eid in list(self._adjacent(version, EdgeKind.VERSION_OF, _OUT)):
            self._drop_edge(eid)
        self._nodes[version] = None
        self.dirty_nodes.discard(version)
        self.deleted_nodes.add(version)

    def _after_new_version(self, dataset: str, created_at: float) -> None:
        """Reads at or after a newly known version may have pointed at an older one."""
        self._load_reads({dataset: created_at})
        for eid, at in sorted(self._reads.get(dataset, {}).items()):
            if at < created_at or self._edges.get(eid) is None:
                continue
            target = self._written_at(dataset, at)
            rec = self._edges[eid]
            assert rec is not None
            if target is not None and target != rec.dst:
                self._move_read(eid, target)

    # Column lineage that names no dataset ----------------------------------------------------

    def _unresolved_reference(self, m: UnresolvedReference) -> None:
        body = orjson.dumps(
            {
                "namespace": m.namespace,
                "name": m.name,
                "field": m.field,
                "target": m.target_field,
                "output": m.output,
                "report": m.report,
                "job": m.job,
                "at": m.at,
                "transformations": list(m.transformations),
            },
            option=orjson.OPT_SORT_KEYS,
        )
        self._upsert_node(
            m.run,
            NodeKind.RUN,
            {"column_refs": Prop([body.decode()], Merge.UNION)},
        )
        self._load_run_states([m.run])
        if body not in self._unresolved.get(m.run, set()):
            self._unresolved.setdefault(m.run, set()).add(body)
            self.dirty_run_states.add(m.run)
        self._runs_with_refs.add(m.run)

    def _resolve_references(self) -> None:
        """Point a CTE-like name at the one input of the run that has the field, if one has."""
        self._load_run_states(self._touched_runs)
        for run in sorted(self._runs_with_refs | (self._touched_runs & set(self._unresolved))):
            reads = self._adjacent(run, EdgeKind.READ, _OUT)
            datasets = sorted(
                {rec.props["dataset"] for e in reads if (rec := self._edges[e]) is not None}
            )
            for body in sorted(self._unresolved.get(run, set())):
                ref = orjson.loads(body)
                matches = []
                candidates = []
                for dataset in datasets:
                    _, (namespace, name) = split_id(dataset)
                    candidates.append(field_id(namespace, name, ref["field"]))
                self._load_nodes(candidates)
                for candidate in candidates:
                    if self._nodes[candidate] is not None:
                        matches.append(candidate)
                key = "\x1e".join(("CL", ref["job"], ref["output"], ref["report"]))
                report = self._report(key)
                if len(matches) != 1 or report is None:
                    continue
                transformations = ref["transformations"]
                primary = next(
                    (t for t in transformations if t.get("type") == "DIRECT"),
                    transformations[0] if transformations else {},
                )
                eid, _ = self._upsert_edge(
                    UpsertEdge(
                        EdgeKind.FEEDS,
                        matches[0],
                        ref["target"],
                        key=ref["job"],
                        props={
                            "job": Prop(ref["job"]),
                            "type": Prop(primary.get("type")),
                            "subtype": Prop(primary.get("subtype")),
                            "scope": Prop("FIELD"),
                            "via": Prop(ref["name"]),
                            "transformations": Prop(
                                sorted(
                                    orjson.dumps(t, option=orjson.OPT_SORT_KEYS).decode()
                                    for t in transformations
                                ),
                                Merge.UNION,
                            ),
                        },
                    )
                )
                if eid not in report.feeds:
                    report.feeds.append(eid)
                    self._reports_of_feed.setdefault(eid, set()).add(key)
                    self.dirty_reports.add(key)
                self._refresh_feed(eid)
                self._unresolved[run].discard(body)
                self.dirty_run_states.add(run)

    # -- what to write back ------------------------------------------------------------------

    def fields(self) -> set[str]:
        """Field nodes known to be stored once this batch commits."""
        return {
            nid
            for nid, rec in self._nodes.items()
            if rec is not None and rec.kind is NodeKind.FIELD and nid not in self.deleted_nodes
        }

    def node_rows(self) -> dict[NodeKind, list[dict[str, Any]]]:
        rows: dict[NodeKind, list[dict[str, Any]]] = {}
        for nid in sorted(self.dirty_nodes):
            rec = self._nodes.get(nid)
            if rec is not None:
                rows.setdefault(rec.kind, []).append(node_row(nid, rec.props, rec.ats))
        return rows

    def edge_rows(self) -> dict[EdgeKind, list[dict[str, Any]]]:
        rows: dict[EdgeKind, list[dict[str, Any]]] = {}
        for eid in sorted(self.dirty_edges):
            rec = self._edges.get(eid)
            if rec is not None:
                rows.setdefault(rec.kind, []).append(
                    edge_row(eid, rec.src, rec.dst, rec.key, rec.props, rec.ats)
                )
        return rows

    def deleted_edge_ids(self) -> dict[EdgeKind, list[str]]:
        ids: dict[EdgeKind, list[str]] = {}
        for eid in sorted(self.deleted_edges):
            ids.setdefault(edge_kind_of(eid), []).append(eid)
        return ids

    def report_rows(self) -> list[dict[str, Any]]:
        rows = []
        for key in sorted(self.dirty_reports):
            report = self._reports[key]
            rows.append(
                {
                    "key": key,
                    "job": report.job,
                    "output": report.output,
                    "since": report.since,
                    "last_seen": report.last_seen,
                    "until": report.until,
                    "feeds": sorted(report.feeds),
                    "feeds_since": report.feeds_since,
                }
            )
        return rows

    def run_state_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "run": run,
                "sighted": sorted(self._contributions.get(run, ())),
                "unresolved": sorted(b.decode() for b in self._unresolved.get(run, ())),
            }
            for run in sorted(self.dirty_run_states)
        ]
