"""How mutations change the graph: the merge rules and the state derived from them, once.

A :class:`Merger` applies a batch of mutations to a :class:`MergeState`: property merges
(``lineage.graph.props``), validity intervals of the job-level projection
(``lineage.graph.validity``), what each run reported and sighted, column lineage reports
and the validity of their ``FEEDS`` edges, which version each ``READ`` points at, and
column references resolved against a run's inputs. Every rule is written here and nowhere
else, so both stores build the same graph from the same events, in any order.

A store supplies the state: where records live and what a change must write back. The
embedded store holds the whole graph in memory (:class:`MemoryState`, persisted to SQLite
as it goes); the Neo4j store holds the part of the graph one write transaction touches,
read on demand, so its state overrides the lookups below to read what they need first.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
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
from lineage.graph.props import CHANGED, apply_prop, feed_props
from lineage.graph.validity import closes
from lineage.store.base import StoreError

#: What each input a run sighted starts with: the run's outputs are what they were read for.
INPUT_PREFIX: Final = EdgeKind.INPUT_TO.value + "\x1e"
#: What the key of every column lineage report starts with.
REPORT_PREFIX: Final = "CL\x1e"
#: Directions of an adjacency lookup.
OUT: Final = "out"
IN: Final = "in"
#: Sorts after every completion key at the same time (for ``bisect_right``).
_LAST: Final = "\U0010ffff"


class _Timed:
    """A record's last-writer-wins times (property -> time). Most records have none: the
    dict (64 bytes even when empty) is made when they are first asked for."""

    __slots__ = ("_ats",)

    _ats: dict[str, float] | None

    @property
    def ats(self) -> dict[str, float]:
        ats = self._ats
        if ats is None:
            ats = self._ats = {}
        return ats

    @property
    def times(self) -> dict[str, float] | None:
        """The times without making any: None when there are none."""
        return self._ats or None


class NodeRec(_Timed):
    """A node as the merge rules see it: its kind, properties and last-writer-wins times."""

    __slots__ = ("cold", "kind", "props")

    def __init__(self, kind: NodeKind, props: dict[str, Any], ats: dict[str, float] | None) -> None:
        self.kind = kind
        self.props = props
        self._ats = ats or None
        # A store that keeps some properties out of ``props``: property -> digest.
        self.cold: dict[str, bytes] | None = None


class EdgeRec(_Timed):
    __slots__ = ("dst", "key", "kind", "props", "src")

    def __init__(
        self,
        kind: EdgeKind,
        src: str,
        dst: str,
        key: str,
        props: dict[str, Any],
        ats: dict[str, float] | None,
    ) -> None:
        self.kind = kind
        self.src = src
        self.dst = dst
        self.key = key
        self.props = props
        self._ats = ats or None


class Report:
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
        # The start the feeds' validity was last brought in line with.
        self.feeds_since: float | None = None


def report_key(job: str, output: str, digest: str) -> str:
    return "\x1e".join(("CL", job, output, digest))


def job_of_report(key: str) -> str:
    return key.split("\x1e")[1]


def dataset_of(edge: EdgeRec) -> str | None:
    """The dataset a job-level edge leads to or from."""
    if edge.kind is EdgeKind.INPUT_TO:
        return edge.src
    if edge.kind is EdgeKind.PRODUCES:
        return edge.dst
    return None


def namespace_of(dataset: str | None) -> str | None:
    if dataset is None or dataset.count("\x1f") < 2:
        return None
    return dataset.split("\x1f")[1]


def job_of(edge: EdgeRec) -> str:
    if edge.kind is EdgeKind.INPUT_TO:
        return edge.dst
    if edge.kind is EdgeKind.PRODUCES:
        return edge.src
    return edge.key


#: What an index holds under one key: its one member as itself (most keys have one, and
#: a set costs 216 bytes even then), or the set of them once there are more.
Members = str | set[str]

#: Edges by kind, then by the node at one end: ``_out[kind][src]``, ``_in[kind][dst]``.
#: (By kind first: a dict per node would cost 224 bytes per node and direction.)
Adjacency = dict[EdgeKind, dict[str, Members]]


def members(held: Members | None) -> Collection[str]:
    """The members of an index entry (``None``: there is none)."""
    if held is None:
        return ()
    if type(held) is str:
        return (held,)
    return held


def add_member(index: dict[str, Members], key: str, member: str) -> None:
    held = index.get(key)
    if held is None:
        index[key] = member
    elif isinstance(held, str):
        if held != member:
            index[key] = {held, member}
    else:
        held.add(member)


def remove_member(index: dict[str, Members], key: str, member: str) -> None:
    """Take ``member`` out of ``index[key]``, leaving the entry in the form indexing the
    other members anew would give: one member as itself, none as no entry."""
    held = index.get(key)
    if held is None:
        return
    if isinstance(held, str):
        if held == member:
            del index[key]
        return
    held.discard(member)
    if len(held) == 1:
        index[key] = held.pop()
    elif not held:
        del index[key]


class GraphIndexes:
    """What the merge rules look records up by, over the records a store holds."""

    def __init__(self) -> None:
        self._reset_indexes()

    def _reset_indexes(self) -> None:
        self._out: Adjacency = {kind: {} for kind in EdgeKind}
        self._in: Adjacency = {kind: {} for kind in EdgeKind}
        self._written: dict[str, list[tuple[float, str]]] = {}  # dataset -> versions
        self._reads: dict[str, dict[str, float]] = {}  # dataset -> inferred READ edges
        self._read_of: dict[tuple[str, str], str] = {}  # (run, dataset) -> READ edge
        self._completions: dict[str, list[tuple[float, str]]] = {}  # job -> sorted
        self._completion_at: dict[tuple[str, str], float] = {}
        self._contributions: dict[str, set[str]] = {}  # run -> edges and reports it sighted
        self._unresolved: dict[str, set[bytes]] = {}
        self._reports: dict[str, Report] = {}
        self._reports_of_job: dict[str, set[str]] = {}
        self._reports_of_feed: dict[str, Members] = {}
        self._field_paths: dict[str, set[str]] = {}

    def _index_node(self, nid: str, rec: NodeRec) -> None:
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

    def _index_edge(self, eid: str, rec: EdgeRec) -> None:
        kind = rec.kind
        add_member(self._out[kind], rec.src, eid)
        add_member(self._in[kind], rec.dst, eid)
        if kind is EdgeKind.READ:
            dataset = rec.props["dataset"]
            self._read_of[(rec.src, dataset)] = eid
            if not rec.props.get("explicit"):
                self._reads.setdefault(dataset, {})[eid] = rec.props["at"]

    def _unindex_edge(self, eid: str, rec: EdgeRec) -> None:
        remove_member(self._out[rec.kind], rec.src, eid)
        remove_member(self._in[rec.kind], rec.dst, eid)
        if rec.kind is EdgeKind.READ:
            dataset = rec.props["dataset"]
            if self._read_of.get((rec.src, dataset)) == eid:
                del self._read_of[(rec.src, dataset)]
            self._reads.get(dataset, {}).pop(eid, None)

    def _index_report(self, key: str, report: Report) -> None:
        self._reports[key] = report
        self._reports_of_job.setdefault(report.job, set()).add(key)
        for eid in report.feeds:
            add_member(self._reports_of_feed, eid, key)

    def _add_completion(self, job: str, key: str, at: float) -> None:
        previous = self._completion_at.get((job, key))
        if previous == at:
            return
        entries = self._completions.setdefault(job, [])
        if previous is not None:
            entries.remove((previous, key))
        insort(entries, (at, key))
        self._completion_at[(job, key)] = at


class MergeState(GraphIndexes, ABC):
    """The graph as a :class:`Merger` reads and changes it.

    A store implements where records live and what a change must write back (the
    abstract methods). The lookups read the indexes; a store that holds only part of the
    graph overrides them to read what they need first.
    """

    # -- records -----------------------------------------------------------------------

    @abstractmethod
    def node(self, nid: str) -> NodeRec | None: ...

    @abstractmethod
    def put_node(self, nid: str, rec: NodeRec) -> None:
        """Hold a node not held before (or deleted in this batch), to be written."""

    @abstractmethod
    def mark_node(self, nid: str) -> None:
        """The node's record changed: it is to be written."""

    @abstractmethod
    def delete_node(self, nid: str, *, detach: bool = False) -> None:
        """Delete a node (``detach``: with every edge it has)."""

    @abstractmethod
    def edge(self, eid: str) -> EdgeRec | None: ...

    @abstractmethod
    def put_edge(self, eid: str, rec: EdgeRec) -> None:
        """Hold and index an edge, replacing any by that id, to be written."""

    @abstractmethod
    def mark_edge(self, eid: str) -> None:
        """The edge's record changed: it is to be written."""

    @abstractmethod
    def drop_edge(self, eid: str) -> None:
        """Delete an edge."""

    @abstractmethod
    def mark_report(self, key: str) -> None:
        """The report changed: it is to be written."""

    @abstractmethod
    def contributed(self, run: str, item: str) -> None:
        """``item`` joined what ``run`` sighted: it is to be written."""

    @abstractmethod
    def reference_added(self, run: str, body: bytes) -> None:
        """Record an unresolved column reference of ``run``."""

    @abstractmethod
    def reference_resolved(self, run: str, body: bytes) -> None:
        """Forget a column reference of ``run`` that now names its dataset."""

    def merge_node_prop(self, nid: str, rec: NodeRec, name: str, prop: Prop) -> bool:
        """Merge one property into a node; True when the change may move its indexes
        (facets are kept verbatim and never indexed)."""
        outcome = apply_prop(rec.props, rec.ats, name, prop)
        if outcome:
            self.mark_node(nid)
        return outcome is CHANGED and not name.startswith(FACET_PREFIX)

    # -- keeping the indexes in line ---------------------------------------------------

    def node_changed(self, nid: str, rec: NodeRec) -> None:
        self._index_node(nid, rec)
        self.mark_node(nid)

    def read_changed(self, eid: str, rec: EdgeRec) -> None:
        """A READ edge's properties moved: file it among its dataset's inferred reads
        (those that name no version), or take it out."""
        dataset = rec.props["dataset"]
        if rec.props.get("explicit"):
            self._reads.get(dataset, {}).pop(eid, None)
        else:
            self._reads.setdefault(dataset, {})[eid] = rec.props["at"]

    def add_report(self, key: str, report: Report) -> None:
        self._index_report(key, report)
        self.mark_report(key)

    def report_holds(self, key: str, report: Report, feed: str) -> None:
        report.feeds.append(feed)
        add_member(self._reports_of_feed, feed, key)
        self.mark_report(key)

    def field_paths(self, dataset: str) -> set[str]:
        """The field paths of ``dataset`` known to have their Field node."""
        known = self._field_paths.get(dataset)
        if known is None:
            known = self._field_paths[dataset] = set()
        return known

    # -- lookups -----------------------------------------------------------------------

    def want_nodes(self, ids: Iterable[str]) -> None:
        """A hint: these nodes are looked up next."""

    def want_edges(self, ids: Iterable[str]) -> None:
        """A hint: these edges are looked up next."""

    def want_fields(self, ids: Iterable[str]) -> None:
        """A hint: these Field nodes are asked about next (:meth:`field_exists`)."""

    def want_run_states(self, runs: Iterable[str]) -> None:
        """A hint: what these runs sighted and left unresolved is asked about next."""

    def field_exists(self, fid: str) -> bool:
        return self.node(fid) is not None

    def adjacent(self, nid: str, kind: EdgeKind, direction: str) -> Collection[str]:
        index = self._out if direction == OUT else self._in
        return members(index[kind].get(nid))

    def projection(self, job: str) -> set[str]:
        """The job-level edges of ``job``: its inputs and its outputs."""
        return {
            *self.adjacent(job, EdgeKind.INPUT_TO, IN),
            *self.adjacent(job, EdgeKind.PRODUCES, OUT),
        }

    def read_of(self, run: str, dataset: str) -> str | None:
        return self._read_of.get((run, dataset))

    def reads_from(self, dataset: str, since: float) -> Mapping[str, float]:
        """The inferred reads of ``dataset`` (at least those at or after ``since``)."""
        return self._reads.get(dataset, {})

    def written(self, dataset: str) -> list[tuple[float, str]]:
        """The versions of ``dataset`` runs wrote, as sorted (created_at, id)."""
        return self._written.get(dataset, [])

    def completions(self, job: str) -> list[tuple[float, str]]:
        """The job's completions, as sorted (at, run id or ``static:at``)."""
        return self._completions.get(job, [])

    def run_list(self, key: str, name: str) -> Sequence[str]:
        """A list property of the run behind a completion key (``covers``, ``outputs``,
        ``scopes``); none for a static one."""
        if key.startswith("static:"):
            return ()
        run = self.node(key)
        return (run.props.get(name) or ()) if run is not None else ()

    def contributions(self, run: str) -> set[str]:
        """What ``run`` sighted: the edges and reports its completion is a sighting of."""
        items = self._contributions.get(run)
        if items is None:
            items = self._contributions[run] = set()
        return items

    def unresolved(self, run: str) -> Collection[bytes]:
        return self._unresolved.get(run, ())

    def report(self, key: str) -> Report | None:
        return self._reports.get(key)

    def reports_of_job(self, job: str) -> list[tuple[str, Report]]:
        return [(key, self._reports[key]) for key in sorted(self._reports_of_job.get(job, ()))]

    def reports_holding(self, feed: str, job: str) -> list[Report]:
        """The reports that hold a FEEDS edge (``job``: the edge's, whose reports they are)."""
        return [self._reports[key] for key in members(self._reports_of_feed.get(feed))]


class Changes:
    """What one batch changed in a :class:`MemoryState`, for its store to persist."""

    __slots__ = (
        "contributions",
        "deleted_edges",
        "deleted_nodes",
        "edges",
        "nodes",
        "refs_added",
        "refs_resolved",
        "reports",
    )

    def __init__(self) -> None:
        self.nodes: set[str] = set()
        self.edges: set[str] = set()
        self.reports: set[str] = set()
        self.deleted_nodes: set[str] = set()
        self.deleted_edges: set[str] = set()
        self.contributions: list[tuple[str, str]] = []
        self.refs_added: list[tuple[str, bytes]] = []
        self.refs_resolved: list[tuple[str, bytes]] = []


class MemoryState(MergeState):
    """A whole graph held in memory; what the current batch changed is in ``changes``."""

    def __init__(self) -> None:
        super().__init__()
        self._reset_records()

    def _reset_records(self) -> None:
        self._nodes: dict[str, NodeRec] = {}
        self._edges: dict[str, EdgeRec] = {}
        self.changes = Changes()

    @property
    def nodes(self) -> Mapping[str, NodeRec]:
        return self._nodes

    @property
    def edges(self) -> Mapping[str, EdgeRec]:
        return self._edges

    def node(self, nid: str) -> NodeRec | None:
        return self._nodes.get(nid)

    def put_node(self, nid: str, rec: NodeRec) -> None:
        self._nodes[nid] = rec
        self.changes.nodes.add(nid)
        self.changes.deleted_nodes.discard(nid)

    def mark_node(self, nid: str) -> None:
        self.changes.nodes.add(nid)

    def delete_node(self, nid: str, *, detach: bool = False) -> None:
        if detach:
            for index in (self._out, self._in):
                for by_node in index.values():
                    for eid in list(members(by_node.get(nid))):
                        self.drop_edge(eid)
        del self._nodes[nid]
        self.changes.nodes.discard(nid)
        self.changes.deleted_nodes.add(nid)

    def edge(self, eid: str) -> EdgeRec | None:
        return self._edges.get(eid)

    def put_edge(self, eid: str, rec: EdgeRec) -> None:
        self._edges[eid] = rec
        self._index_edge(eid, rec)
        self.changes.edges.add(eid)
        self.changes.deleted_edges.discard(eid)

    def mark_edge(self, eid: str) -> None:
        self.changes.edges.add(eid)

    def drop_edge(self, eid: str) -> None:
        rec = self._edges.pop(eid, None)
        if rec is None:
            return
        self._unindex_edge(eid, rec)
        self.changes.edges.discard(eid)
        self.changes.deleted_edges.add(eid)

    def mark_report(self, key: str) -> None:
        self.changes.reports.add(key)

    def contributed(self, run: str, item: str) -> None:
        self.changes.contributions.append((run, item))

    def reference_added(self, run: str, body: bytes) -> None:
        self._unresolved.setdefault(run, set()).add(body)
        self.changes.refs_added.append((run, body))

    def reference_resolved(self, run: str, body: bytes) -> None:
        self._unresolved[run].discard(body)
        self.changes.refs_resolved.append((run, body))


class Merger:
    """Applies one batch of mutations to a :class:`MergeState`."""

    __slots__ = ("_runs_with_refs", "_st", "_touched_runs")

    def __init__(self, state: MergeState) -> None:
        self._st = state
        self._runs_with_refs: set[str] = set()
        self._touched_runs: set[str] = set()

    def apply_all(self, mutations: Iterable[Mutation]) -> None:
        for m in mutations:
            self.apply(m)
        self.finish()

    def apply(self, m: Mutation) -> None:
        # By the mutation's exact type first: a batch applies tens of them per event.
        handler = _HANDLERS.get(type(m))
        if handler is not None:
            handler(self, m)
        elif isinstance(m, UpsertNode):
            self.upsert_node(m.id, m.kind, m.props)
        elif isinstance(m, UpsertEdge):
            self.upsert_edge(m)
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
        else:  # ledger entries are the store's to keep
            raise StoreError(f"unknown mutation {type(m).__name__}")

    def finish(self) -> None:
        """What a batch settles once all its mutations are in."""
        self._resolve_references()

    # Nodes and edges ---------------------------------------------------------------------

    def _delete_node(self, nid: str) -> None:
        rec = self._st.node(nid)
        if rec is None:
            return
        if rec.kind is not NodeKind.INCIDENT:
            raise StoreError(f"only incidents are ever deleted, not {nid!r}")
        self._st.delete_node(nid, detach=True)

    def upsert_node(self, nid: str, kind: NodeKind, props: Mapping[str, Prop]) -> NodeRec:
        st = self._st
        rec = st.node(nid)
        changed = False
        if rec is None:
            rec = NodeRec(kind, {}, {})
            st.put_node(nid, rec)
            changed = True
        for name, prop in props.items():
            if st.merge_node_prop(nid, rec, name, prop):
                changed = True
        if changed:
            st.node_changed(nid, rec)
            node_props = rec.props
            if kind is NodeKind.DATASET_VERSION and node_props.get("run"):
                self._after_new_version(node_props["dataset"], node_props["created_at"])
        return rec

    def upsert_edge(self, m: UpsertEdge) -> tuple[str, EdgeRec]:
        eid = m.id
        rec = self._st.edge(eid)
        if rec is None:
            props: dict[str, Any] = {}
            ats: dict[str, float] = {}
            for name, prop in m.props.items():
                apply_prop(props, ats, name, prop)
            rec = EdgeRec(m.kind, m.src, m.dst, m.key, props, ats)
            self._st.put_edge(eid, rec)
            return eid, rec
        for name, prop in m.props.items():
            if apply_prop(rec.props, rec.ats, name, prop):
                self._st.mark_edge(eid)
        return eid, rec

    def _ensure_fields(self, m: EnsureFields) -> None:
        st = self._st
        known = st.field_paths(m.dataset)
        if known.issuperset(m.paths):
            return
        prefix = node_id(NodeKind.FIELD, m.namespace, m.name, "")
        st.want_fields(prefix + path for path in m.paths)
        for index, path in enumerate(m.paths):
            known.add(path)
            fid = prefix + path
            if st.field_exists(fid):
                continue
            st.put_node(
                fid,
                NodeRec(
                    NodeKind.FIELD,
                    {"dataset": m.dataset, "path": path, "name": m.field_name(index)},
                    {},
                ),
            )
            self.upsert_edge(UpsertEdge(EdgeKind.HAS_FIELD, m.dataset, fid))

    # Job-level projection: validity intervals ------------------------------------------

    def _sight(self, m: Sighting) -> None:
        props = dict(m.edge.props)
        props["since"] = Prop(m.at, Merge.MIN)
        props["last_seen"] = Prop(m.at, Merge.MAX)
        eid, rec = self.upsert_edge(
            UpsertEdge(m.edge.kind, m.edge.src, m.edge.dst, m.edge.key, props)
        )
        if m.run is not None:
            self._contribute(m.run, eid)
            self._reported(m.run, m.job, eid, rec)
        self._recompute_until(eid, rec)

    def _reported(self, run: str, job: str, eid: str, rec: EdgeRec) -> None:
        """What a run reported, over all its events: the datasets it wrote, the namespaces
        it named, and the outputs each input it read was read for."""
        dataset = dataset_of(rec)
        if dataset is None:
            return
        st = self._st
        node = st.node(run)
        known = node.props if node is not None else {}
        namespace = namespace_of(dataset)
        grown: dict[str, Prop] = {}
        if namespace is not None and namespace not in (known.get("scopes") or ()):
            grown["scopes"] = Prop([namespace], Merge.UNION)
        wrote = rec.kind is EdgeKind.PRODUCES and dataset not in (known.get("outputs") or ())
        if wrote:
            grown["outputs"] = Prop([dataset], Merge.UNION)
        if grown:
            node = self.upsert_node(run, NodeKind.RUN, grown)
        outputs = node.props.get("outputs") if node is not None else None
        read_for = Prop(outputs, Merge.UNION)
        if (
            rec.kind is EdgeKind.INPUT_TO
            and outputs
            and apply_prop(rec.props, rec.ats, "read_for", read_for)
        ):
            st.mark_edge(eid)
        if wrote:
            # Every input the run read was read for this output too.
            for item in sorted(st.contributions(run)):
                read = st.edge(item) if item.startswith(INPUT_PREFIX) else None
                if read is not None and apply_prop(
                    read.props, read.ats, "read_for", Prop([dataset], Merge.UNION)
                ):
                    st.mark_edge(item)
                    self._recompute_until(item, read)
        if grown and node is not None and node.props.get("completed_at") is not None:
            # The run's completion now closes other edges than it did.
            self._recompute_job(job)

    def _recompute_job(self, job: str) -> None:
        for eid in sorted(self._st.projection(job)):
            rec = self._st.edge(eid)
            if rec is not None:
                self._recompute_until(eid, rec)

    def _contribute(self, run: str, item: str) -> None:
        """Remember what a run sighted: its completion is a sighting of all of it."""
        st = self._st
        items = st.contributions(run)
        if item not in items:
            items.add(item)
            st.contributed(run, item)
        node = st.node(run)
        completed = node.props.get("completed_at") if node is not None else None
        if completed is not None:
            self._sighted_at_completion(item, completed)

    def _sighted_at_completion(self, item: str, at: float) -> None:
        st = self._st
        if item.startswith(REPORT_PREFIX):
            report = st.report(item)
            if report is not None and at > report.last_seen:
                report.last_seen = at
                st.mark_report(item)
                self._recompute_report(item, report)
            return
        rec = st.edge(item)
        if rec is not None and apply_prop(rec.props, rec.ats, "last_seen", Prop(at, Merge.MAX)):
            st.mark_edge(item)
            self._recompute_until(item, rec)

    def _complete(self, m: Completion) -> None:
        if m.run is None:
            self.upsert_node(m.job, NodeKind.JOB, {"static_completions": Prop([m.at], Merge.UNION)})
        else:
            run = self.upsert_node(
                m.run,
                NodeKind.RUN,
                {
                    "completed_at": Prop(m.at, Merge.MIN),
                    "job": Prop(m.job),
                    "covers": Prop(list(m.covers), Merge.UNION),
                },
            )
            completed = run.props["completed_at"]
            for item in sorted(self._st.contributions(m.run)):
                self._sighted_at_completion(item, completed)
        self._recompute_job(m.job)
        for key, report in self._st.reports_of_job(m.job):
            self._recompute_report(key, report)

    def _first_completion_after(
        self, job: str, at: float, covering: str | None = None, edge: EdgeRec | None = None
    ) -> float | None:
        """The job's earliest completion after ``at``: one that reported on ``covering``
        (a column lineage report's output), or one that closes ``edge``."""
        st = self._st
        completions = st.completions(job)
        if not completions:
            return None
        namespace = namespace_of(dataset_of(edge) if edge is not None else None)
        read_for = (edge.props.get("read_for") or ()) if edge is not None else ()
        for when, key in completions[bisect_right(completions, (at, _LAST)) :]:
            if covering is not None:
                if covering in st.run_list(key, "covers"):
                    return when
            elif edge is None or key.startswith("static:"):
                return when  # a static statement of the job's lineage closes every edge
            elif closes(
                edge.kind,
                namespace,
                read_for,
                st.run_list(key, "outputs"),
                st.run_list(key, "scopes"),
            ):
                return when
        return None

    def _recompute_until(self, eid: str, rec: EdgeRec) -> None:
        """until = the job's earliest completion after the edge was last seen that closes it."""
        until = self._first_completion_after(job_of(rec), rec.props.get("last_seen", 0.0), edge=rec)
        props = rec.props
        if "until" not in props or props["until"] != until:
            props["until"] = until
            self._st.mark_edge(eid)

    # Column lineage reports ---------------------------------------------------------------

    def _column_lineage(self, m: ColumnLineage) -> None:
        st = self._st
        key = report_key(m.job, m.output, m.digest)
        report = st.report(key)
        known = st.node(m.run)
        covered = known is not None and m.output in (known.props.get("covers") or ())
        run = self.upsert_node(m.run, NodeKind.RUN, {"covers": Prop([m.output], Merge.UNION)})
        if not covered and run.props.get("completed_at") is not None:
            # A completed run now reports on this output (its lineage came after its end,
            # from SQL its children ran): it closes the output's earlier reports, as it
            # would have had it reported before it completed.
            for other, held in st.reports_of_job(m.job):
                if other != key:
                    self._recompute_report(other, held)
        if report is None:
            st.want_edges(edge_id(EdgeKind.FEEDS, f.src, f.dst, m.job) for f in m.feeds)
            feeds = []
            for feed in m.feeds:
                eid, _ = self.upsert_edge(
                    UpsertEdge(
                        EdgeKind.FEEDS,
                        feed.src,
                        feed.dst,
                        key=m.job,
                        props=feed_props(m.job, feed),
                    )
                )
                feeds.append(eid)
            report = Report(m.job, m.output, m.at, m.at, None, feeds)
            st.add_report(key, report)
            self._recompute_report(key, report, force=True)
        elif m.at < report.since or m.at > report.last_seen:
            report.since = min(report.since, m.at)
            report.last_seen = max(report.last_seen, m.at)
            st.mark_report(key)
            self._recompute_report(key, report)
        self._contribute(m.run, key)

    def _recompute_report(self, key: str, report: Report, *, force: bool = False) -> None:
        st = self._st
        until = self._first_completion_after(report.job, report.last_seen, report.output)
        if until != report.until:
            report.until = until
            st.mark_report(key)
        elif not force and report.feeds_since == report.since:
            return
        if report.feeds_since != report.since:
            st.mark_report(key)
        report.feeds_since = report.since
        st.want_edges(report.feeds)
        for eid in report.feeds:
            self._refresh_feed(eid)

    def _refresh_feed(self, eid: str) -> None:
        """A FEEDS edge is valid from its first report's start while any report holds it."""
        rec = self._st.edge(eid)
        if rec is None:
            return
        reports = self._st.reports_holding(eid, rec.key)
        if not reports:
            return
        since = min(r.since for r in reports)
        untils = [r.until for r in reports]
        until = None if any(u is None for u in untils) else max(u for u in untils if u is not None)
        props = rec.props
        if props.get("since") != since or "until" not in props or props["until"] != until:
            props["since"] = since
            props["until"] = until
            self._st.mark_edge(eid)

    # Run-level history: which version a run read -----------------------------------------

    def _read_dataset(self, m: ReadDataset) -> None:
        st = self._st
        self._touched_runs.add(m.run)
        props: dict[str, Prop] = dict(m.edge_props)
        props["at"] = Prop(m.at, Merge.MIN)
        props["dataset"] = Prop(m.dataset)
        if m.version is not None:
            _, _, version = m.version.rpartition("\x1f")
            self.upsert_node(
                m.version,
                NodeKind.DATASET_VERSION,
                {
                    "dataset": Prop(m.dataset),
                    "version": Prop(version),
                    "created_at": Prop(m.at, Merge.MIN),
                },
            )
            self.upsert_edge(UpsertEdge(EdgeKind.VERSION_OF, m.version, m.dataset))
            props["explicit"] = Prop(m.version, at=m.at)
        props["observed"] = Prop(m.observed, at=m.at if m.observed_known else 0.0)
        existing = st.read_of(m.run, m.dataset)
        if existing is None:
            merged: dict[str, Any] = {}
            merged_ats: dict[str, float] = {}
            for name, prop in props.items():
                apply_prop(merged, merged_ats, name, prop)
            target = merged.get("explicit") or self._written_at(m.dataset, m.at)
            if target is None:
                target = self._observe(m, merged["observed"])
            rec = EdgeRec(EdgeKind.READ, m.run, target, "", merged, merged_ats)
            st.put_edge(edge_id(EdgeKind.READ, m.run, target), rec)
            return
        found = st.edge(existing)
        assert found is not None
        rec = found
        changed = False
        for name, prop in props.items():
            changed = bool(apply_prop(rec.props, rec.ats, name, prop)) or changed
        if changed:
            st.mark_edge(existing)
            st.read_changed(existing, rec)
        target = rec.props.get("explicit") or self._written_at(m.dataset, rec.props["at"])
        if target is None:
            target = self._observe(m, rec.props["observed"])
        if target != rec.dst:
            self._move_read(existing, target)

    def _written_at(self, dataset: str, at: float) -> str | None:
        """The latest version of ``dataset`` a run wrote at or before ``at``."""
        versions = self._st.written(dataset)
        i = bisect_right(versions, (at, _LAST))
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
        self.upsert_node(observed, NodeKind.DATASET_VERSION, props)
        self.upsert_edge(UpsertEdge(EdgeKind.VERSION_OF, observed, m.dataset))
        return observed

    def _move_read(self, eid: str, target: str) -> None:
        st = self._st
        rec = st.edge(eid)
        assert rec is not None
        old = rec.dst
        st.drop_edge(eid)
        new_id = edge_id(EdgeKind.READ, rec.src, target)
        st.edge(new_id)  # a stored edge by that id is replaced, not duplicated
        st.put_edge(new_id, EdgeRec(EdgeKind.READ, rec.src, target, "", rec.props, rec.ats))
        self._forget_orphan_observation(old)

    def _forget_orphan_observation(self, version: str) -> None:
        """An observed version no run reads any more was only ever a placeholder."""
        st = self._st
        rec = st.node(version)
        if rec is None or not rec.props.get("observed"):
            return
        if st.adjacent(version, EdgeKind.READ, IN):
            return
        for eid in list(st.adjacent(version, EdgeKind.VERSION_OF, OUT)):
            st.drop_edge(eid)
        st.delete_node(version)

    def _after_new_version(self, dataset: str, created_at: float) -> None:
        """Reads at or after a newly known version may have pointed at an older one."""
        st = self._st
        for eid, at in sorted(st.reads_from(dataset, created_at).items()):
            if at < created_at:
                continue
            rec = st.edge(eid)
            if rec is None:
                continue
            target = self._written_at(dataset, at)
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
        self.upsert_node(m.run, NodeKind.RUN, {"column_refs": Prop([body.decode()], Merge.UNION)})
        if body not in self._st.unresolved(m.run):
            self._st.reference_added(m.run, body)
        self._runs_with_refs.add(m.run)

    def _resolve_references(self) -> None:
        """Point a CTE-like name at the one input of the run that has the field, if one has."""
        st = self._st
        st.want_run_states(self._touched_runs)
        for run in sorted(self._runs_with_refs | self._touched_runs):
            refs = st.unresolved(run)
            if not refs:
                continue
            reads = st.adjacent(run, EdgeKind.READ, OUT)
            datasets = sorted(
                {rec.props["dataset"] for e in reads if (rec := st.edge(e)) is not None}
            )
            for body in sorted(refs):
                ref = orjson.loads(body)
                candidates = []
                for dataset in datasets:
                    _, (namespace, name) = split_id(dataset)
                    candidates.append(field_id(namespace, name, ref["field"]))
                st.want_nodes(candidates)
                matches = [c for c in candidates if st.node(c) is not None]
                key = report_key(ref["job"], ref["output"], ref["report"])
                report = st.report(key)
                if len(matches) != 1 or report is None:
                    continue
                transformations = ref["transformations"]
                primary = next(
                    (t for t in transformations if t.get("type") == "DIRECT"),
                    transformations[0] if transformations else {},
                )
                eid, _ = self.upsert_edge(
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
                    st.report_holds(key, report, eid)
                self._refresh_feed(eid)
                st.reference_resolved(run, body)


#: How :meth:`Merger.apply` handles each mutation type.
_HANDLERS: Final[dict[type, Callable[[Merger, Any], Any]]] = {
    UpsertNode: lambda merger, m: merger.upsert_node(m.id, m.kind, m.props),
    UpsertEdge: Merger.upsert_edge,
    EnsureFields: Merger._ensure_fields,
    Sighting: Merger._sight,
    ReadDataset: Merger._read_dataset,
    ColumnLineage: Merger._column_lineage,
    Completion: Merger._complete,
    UnresolvedReference: Merger._unresolved_reference,
    DeleteNode: lambda merger, m: merger._delete_node(m.id),
}
