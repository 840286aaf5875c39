"""The Neo4j store's write side: apply a batch of mutations inside one write transaction.

The merge rules need to read what is stored before writing, so a batch is applied in
Python by the same :class:`~lineage.graph.merge.Merger` as the embedded store's, against
a *working set*: the part of the graph the batch touches, read from Neo4j in the same
transaction. Everything the
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

from bisect import insort
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, Final

import orjson

from lineage.graph.merge import (
    IN,
    OUT,
    REPORT_PREFIX,
    EdgeRec,
    Merger,
    MergeState,
    NodeRec,
    Report,
    job_of_report,
)
from lineage.graph.model import (
    ColumnLineage,
    Completion,
    EdgeKind,
    EnsureFields,
    Mutation,
    NodeKind,
    ReadDataset,
    Sighting,
    UnresolvedReference,
    UpsertEdge,
    UpsertNode,
    edge_id,
    node_id,
    split_id,
)
from lineage.store.search import searchable, windows

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


def _column(value: Any) -> Any:
    """A value Neo4j can hold as a property, else None (the JSON copy keeps it)."""
    if isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    return None


def search_terms(props: Mapping[str, Any]) -> list[str] | None:
    """What the full-text index ``entity_search`` holds of a node: its lowercased name,
    namespace and description (:func:`lineage.store.search.searchable`), each in windows
    Lucene can keep as one term; None for a node with none of them."""
    terms = [w for text in searchable(props) if text for w in windows(text)]
    return terms or None


def stored_json(value: Mapping[str, Any]) -> str | None:
    """A record's ``props`` or ``ats`` as stored: its JSON, or None (no property) when
    empty. Most relationships (``HAS_FIELD``, ``VERSION_OF``, ...) and most nodes' ``ats``
    hold nothing, and every property a write sets costs the commit and the transaction
    log, whether it holds ``{}`` or more."""
    return orjson.dumps(value).decode() if value else None


def loaded_json(value: str | None) -> dict[str, Any]:
    """A stored ``props`` or ``ats``: a missing one is empty (see :func:`stored_json`)."""
    return orjson.loads(value) if value else {}


def _present(row: dict[str, Any]) -> dict[str, Any]:
    """The row without its nulls: a statement reads a missing value as null all the same,
    and a row of a few values of its dozen is packed and sent faster."""
    return {k: v for k, v in row.items() if v is not None}


def node_row(nid: str, props: Mapping[str, Any], ats: Mapping[str, float]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": nid,
        "props": orjson.dumps(props).decode(),
        "ats": stored_json(ats),
    }
    for name in NODE_COLUMNS:
        row[name] = _column(props.get(name))
    row["search"] = search_terms(props)
    if row["run"] is not None and not props.get("run"):
        row["run"] = None
    return _present(row)


def edge_row(
    eid: str, src: str, dst: str, key: str, props: Mapping[str, Any], ats: Mapping[str, float]
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": eid,
        "src": src,
        "dst": dst,
        # An edge without a key, props or ats has no such property: reads default them.
        "key": key or None,
        "props": stored_json(props),
        "ats": stored_json(ats),
    }
    for name in EDGE_COLUMNS:
        row[name] = _column(props.get(name))
    # A read points at a version on its own only when the producer named none.
    row["explicit"] = props.get("explicit") or None
    return _present(row)


def edge_kind_of(eid: str) -> EdgeKind:
    return EdgeKind(eid.split("\x1e", 1)[0])


class WorkingSet(MergeState):
    """The part of the graph one batch touches, and what the batch changed in it.

    Read lazily through ``read`` (queries in the caller's write transaction); a value
    read once is never read again, so changes made by the batch are never overwritten.
    """

    def __init__(self, read: Reader, stored_fields: Collection[str] = ()) -> None:
        super().__init__()
        self._read = read
        # Fields are never deleted: ones seen stored before need no lookup.
        self._stored_fields = stored_fields
        # None: known not to exist (never stored, or deleted by this batch).
        self._nodes: dict[str, NodeRec | None] = {}
        self._not_stored: set[str] = set()
        self._edges: dict[str, EdgeRec | None] = {}
        # Edges read and not found: like nodes in ``_not_stored``, written with a CREATE.
        self._absent_edges: set[str] = set()
        self._adjacency_loaded: set[tuple[str, EdgeKind, str]] = set()
        self._written_loaded: set[str] = set()
        self._reads_since: dict[str, float] = {}
        self._completions_loaded: set[str] = set()
        # covers, scopes and outputs of completed runs read with their job's completions.
        self._stored_lists: dict[str, dict[str, list[str]]] = {
            "covers": {},
            "scopes": {},
            "outputs": {},
        }
        self._run_states_loaded: set[str] = set()
        self._reports_loaded: set[str] = set()
        # What this batch changed.
        self.dirty_nodes: set[str] = set()
        self.dirty_edges: set[str] = set()
        self.dirty_reports: set[str] = set()
        self.dirty_run_states: set[str] = set()
        self.deleted_nodes: set[str] = set()
        self.deleted_edges: set[str] = set()
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
            "UNWIND $ids AS id MATCH (n:Entity {id: id}) USING INDEX SEEK n:Entity(id) "
            "RETURN n.id AS id, n.props AS props, n.ats AS ats",
            {"ids": wanted},
        ):
            nid = row["id"]
            absent.discard(nid)
            try:
                kind, _ = split_id(nid)
            except ValueError:
                continue
            rec = NodeRec(kind, orjson.loads(row["props"]), loaded_json(row["ats"]))
            self._nodes[nid] = rec
            self._index_node(nid, rec)
        # No stored relationship can touch a node that is not stored.
        self._not_stored.update(absent)

    def _add_edge_rows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            eid = row["id"]
            if eid in self._edges:
                continue
            rec = EdgeRec(
                edge_kind_of(eid),
                row["src"],
                row["dst"],
                row["key"] or "",
                loaded_json(row["props"]),
                loaded_json(row["ats"]),
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
                self._absent_edges.add(eid)
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
            found = {row["id"] for row in rows}
            for eid in wanted:
                self._edges.setdefault(eid, None)
                if eid not in found:
                    self._absent_edges.add(eid)

    def _load_adjacency(self, ids: Iterable[str], kind: EdgeKind, direction: str) -> None:
        ids = {i for i in ids if (i, kind, direction) not in self._adjacency_loaded}
        self._adjacency_loaded.update((i, kind, direction) for i in ids & self._not_stored)
        wanted = sorted(ids - self._not_stored)
        if not wanted:
            return
        pattern = (
            f"(a:Entity {{id: id}})-[r:{kind.value}]->(b) USING INDEX SEEK a:Entity(id)"
            if direction == OUT
            else f"(a)-[r:{kind.value}]->(b:Entity {{id: id}}) USING INDEX SEEK b:Entity(id)"
        )
        rows = self._query(
            f"UNWIND $ids AS id MATCH {pattern} {self._EDGE_RETURN}", {"ids": wanted}
        )
        self._add_edge_rows(rows)
        for nid in wanted:
            self._adjacency_loaded.add((nid, kind, direction))

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
            for name, stored in self._stored_lists.items():
                stored[row["id"]] = list(row[name] or ())
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
            report = Report(
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
                if item.startswith(REPORT_PREFIX):
                    lineage_jobs.add(job_of_report(item))
                else:
                    edges.add(item)
        self._load_nodes(nodes)
        self._load_reports(lineage_jobs)
        for m in lineage:  # a new report's feeds are upserted
            if "\x1e".join(("CL", m.job, m.output, m.digest)) not in self._reports:
                edges.update(edge_id(EdgeKind.FEEDS, f.src, f.dst, m.job) for f in m.feeds)
        self._load_edges(edges)
        self._load_adjacency(reading_runs, EdgeKind.READ, OUT)
        self._load_adjacency(completion_jobs & lineage_jobs, EdgeKind.INPUT_TO, IN)
        self._load_adjacency(completion_jobs & lineage_jobs, EdgeKind.PRODUCES, OUT)
        self._load_completions(completion_jobs)
        self._load_written(read_datasets | set(written))
        self._load_reads(written)

    # -- applying ------------------------------------------------------------------------

    def apply_all(self, mutations: Iterable[Mutation]) -> None:
        Merger(self).apply_all(mutations)

    # Records of the working copy: None marks one known not to exist.

    def node(self, nid: str) -> NodeRec | None:
        if nid not in self._nodes:
            self._load_nodes([nid])
        return self._nodes[nid]

    def put_node(self, nid: str, rec: NodeRec) -> None:
        self._nodes[nid] = rec
        self.deleted_nodes.discard(nid)
        self.dirty_nodes.add(nid)

    def mark_node(self, nid: str) -> None:
        self.dirty_nodes.add(nid)

    def delete_node(self, nid: str, *, detach: bool = False) -> None:
        """The node goes (with its edges: ``DETACH DELETE``); nothing is indexed by it."""
        self._nodes[nid] = None
        self.dirty_nodes.discard(nid)
        self.deleted_nodes.add(nid)

    def edge(self, eid: str) -> EdgeRec | None:
        if eid not in self._edges:
            self._load_edges([eid])
        return self._edges[eid]

    def put_edge(self, eid: str, rec: EdgeRec) -> None:
        self._edges[eid] = rec
        self._index_edge(eid, rec)
        self.dirty_edges.add(eid)
        self.deleted_edges.discard(eid)

    def mark_edge(self, eid: str) -> None:
        self.dirty_edges.add(eid)

    def drop_edge(self, eid: str) -> None:
        rec = self._edges.get(eid)
        if rec is None:
            return
        self._edges[eid] = None
        self._unindex_edge(eid, rec)
        self.dirty_edges.discard(eid)
        self.deleted_edges.add(eid)

    def mark_report(self, key: str) -> None:
        self.dirty_reports.add(key)

    def contributed(self, run: str, item: str) -> None:
        self.dirty_run_states.add(run)

    def reference_added(self, run: str, body: bytes) -> None:
        self._unresolved.setdefault(run, set()).add(body)
        self.dirty_run_states.add(run)

    def reference_resolved(self, run: str, body: bytes) -> None:
        self._unresolved[run].discard(body)
        self.dirty_run_states.add(run)

    # Lookups: each reads what it needs first.

    def want_nodes(self, ids: Iterable[str]) -> None:
        self._load_nodes(ids)

    def want_edges(self, ids: Iterable[str]) -> None:
        self._load_edges(ids)

    def want_fields(self, ids: Iterable[str]) -> None:
        stored = self._stored_fields
        self._load_nodes(fid for fid in ids if fid not in stored)

    def want_run_states(self, runs: Iterable[str]) -> None:
        self._load_run_states(runs)

    def field_exists(self, fid: str) -> bool:
        if fid in self._stored_fields and fid not in self._nodes:
            return True
        return self.node(fid) is not None

    def adjacent(self, nid: str, kind: EdgeKind, direction: str) -> Collection[str]:
        self._load_adjacency([nid], kind, direction)
        return super().adjacent(nid, kind, direction)

    def read_of(self, run: str, dataset: str) -> str | None:
        self._load_adjacency([run], EdgeKind.READ, OUT)
        return super().read_of(run, dataset)

    def reads_from(self, dataset: str, since: float) -> Mapping[str, float]:
        self._load_reads({dataset: since})
        return super().reads_from(dataset, since)

    def written(self, dataset: str) -> list[tuple[float, str]]:
        self._load_written([dataset])
        return super().written(dataset)

    def completions(self, job: str) -> list[tuple[float, str]]:
        self._load_completions([job])
        return super().completions(job)

    def run_list(self, key: str, name: str) -> Sequence[str]:
        """The working copy's when it holds the run, else what was stored (read with the
        job's completions, without the rest of the run)."""
        if key.startswith("static:") or key in self._nodes:
            return super().run_list(key, name)
        return self._stored_lists[name].get(key, ())

    def contributions(self, run: str) -> set[str]:
        self._load_run_states([run])
        return super().contributions(run)

    def unresolved(self, run: str) -> Collection[bytes]:
        self._load_run_states([run])
        return super().unresolved(run)

    def report(self, key: str) -> Report | None:
        self._load_reports([job_of_report(key)])
        return super().report(key)

    def reports_of_job(self, job: str) -> list[tuple[str, Report]]:
        self._load_reports([job])
        return super().reports_of_job(job)

    def reports_holding(self, feed: str, job: str) -> list[Report]:
        # A FEEDS edge is keyed by its job, and only that job's reports hold it.
        self._load_reports([job])
        return super().reports_holding(feed, job)

    # -- what to write back ------------------------------------------------------------------

    def fields(self) -> set[str]:
        """Field nodes known to be stored once this batch commits."""
        return {
            nid
            for nid, rec in self._nodes.items()
            if rec is not None and rec.kind is NodeKind.FIELD and nid not in self.deleted_nodes
        }

    # Rows are keyed by kind and by whether the record is new: one this transaction read
    # and did not find (every writer holds the same lock from before its reads to its
    # commit) is created outright, without the lookup and lock a MERGE takes.

    def node_rows(self) -> dict[tuple[NodeKind, bool], list[dict[str, Any]]]:
        rows: dict[tuple[NodeKind, bool], list[dict[str, Any]]] = {}
        for nid in sorted(self.dirty_nodes):
            rec = self._nodes.get(nid)
            if rec is not None:
                new = nid in self._not_stored
                rows.setdefault((rec.kind, new), []).append(node_row(nid, rec.props, rec.ats))
        return rows

    def edge_rows(self) -> dict[tuple[EdgeKind, bool], list[dict[str, Any]]]:
        rows: dict[tuple[EdgeKind, bool], list[dict[str, Any]]] = {}
        for eid in sorted(self.dirty_edges):
            rec = self._edges.get(eid)
            if rec is not None:
                new = eid in self._absent_edges
                rows.setdefault((rec.kind, new), []).append(
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
