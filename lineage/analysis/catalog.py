"""The catalog view of the graph: namespaces, the datasets and jobs in them, a job's runs,
the versions a run read and wrote, and which columns feed a dataset's columns.

What a listing needs about a page of datasets, jobs and runs is read in a few batched
store calls whatever the number of nodes (:class:`Catalog`). Every function takes the
store it reads, so a namespace-scoped view of it limits what they see. Missing things
raise :class:`NotFound` with a message for the user.

>>> catalog = Catalog(store, jobs=[job_node(store, "airflow", "dag.task")])  # doctest: +SKIP
>>> catalog.inputs(job_id("airflow", "dag.task"))  # doctest: +SKIP
['dataset:...']
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from lineage.analysis.errors import InvalidArgument, NotFound
from lineage.analysis.export import parse_public_id
from lineage.analysis.jobs import parents
from lineage.analysis.lineage import LineageGraph, run_started
from lineage.analysis.refs import describe, not_found_message
from lineage.analysis.versions import version_at, versions_of
from lineage.graph.mapping import FACET_PREFIX
from lineage.graph.model import (
    EdgeKind,
    NodeKind,
    dataset_id,
    job_id,
    run_id,
    split_id,
    version_id,
)
from lineage.store.base import Direction, Edge, GraphStore, Node

#: Nodes read from the store in one call while scanning a kind.
_PAGE: Final = 5_000


# -- finding nodes ---------------------------------------------------------------------------


def nodes_in(store: GraphStore, kind: NodeKind, namespace: str | None = None) -> Iterator[Node]:
    """Every node of ``kind`` (in ``namespace``; None: in any), in id order."""
    offset = 0
    while True:
        page = store.nodes_of_kind(kind, limit=_PAGE, offset=offset)
        for node in page:
            if namespace is None or split_id(node.id)[1][0] == namespace:
                yield node
        if len(page) < _PAGE:
            return
        offset += _PAGE


def require_namespace(store: GraphStore, namespace: str) -> None:
    """NotFound unless a dataset or job has been seen in ``namespace``."""
    for kind in (NodeKind.DATASET, NodeKind.JOB):
        if next(nodes_in(store, kind, namespace), None) is not None:
            return
    raise NotFound(f"no namespace {namespace!r}: no dataset or job has been seen in it")


def _named(store: GraphStore, nid: str) -> Node:
    node = store.get_nodes([nid]).get(nid)
    if node is None:
        raise NotFound(not_found_message(store, nid))
    return node


def dataset_node(store: GraphStore, namespace: str, name: str) -> Node:
    """The dataset ``name`` in ``namespace``; NotFound (with near names) if there is none."""
    return _named(store, dataset_id(namespace, name))


def job_node(store: GraphStore, namespace: str, name: str) -> Node:
    """The job ``name`` in ``namespace``; NotFound (with near names) if there is none."""
    return _named(store, job_id(namespace, name))


def run_node(store: GraphStore, rid: str) -> Node:
    """The run whose runId is ``rid`` (any case); NotFound if there is none."""
    nid = run_id(rid.lower())
    node = store.get_nodes([nid]).get(nid)
    if node is None:
        raise NotFound(f"no run {rid!r}")
    return node


def version_named(store: GraphStore, namespace: str, name: str, version: str) -> Node:
    """The version called ``version`` of the dataset ``name`` in ``namespace``; NotFound if
    it has none by that name."""
    dataset = dataset_id(namespace, name)
    versions = versions_of(store, [dataset])[dataset]
    chosen = next((v for v in versions if v.props.get("version") == version), None)
    if chosen is None:
        raise NotFound(f"no version {version!r} of dataset {name!r} in namespace {namespace!r}")
    return chosen


def writers(store: GraphStore, versions: Iterable[Node]) -> dict[str, Node]:
    """The runs that wrote ``versions``, by run id (one store call)."""
    return store.get_nodes(sorted({str(v.props["run"]) for v in versions if v.props.get("run")}))


# -- what a listing says of its nodes -------------------------------------------------------------


def span(values: Iterable[Any]) -> tuple[float | None, float | None]:
    """The earliest and the latest of ``values`` that are present (None, None: none are)."""
    present = [float(v) for v in values if v is not None]
    return (min(present), max(present)) if present else (None, None)


def schema_of(dataset: Node, version: Node | None) -> Any:
    """The fields of ``dataset``'s schema: its schema facet's, else ``version``'s."""
    facet = dataset.props.get(FACET_PREFIX + "schema")
    if isinstance(facet, Mapping) and facet.get("fields") is not None:
        return facet.get("fields")
    return version.props.get("schema") if version is not None else None


def runs_by_job(store: GraphStore, jobs: Sequence[str]) -> dict[str, list[Node]]:
    """Every run of each job, latest first (by start, else first seen; two store calls)."""
    edges = store.edges_of(jobs, Direction.UPSTREAM, [EdgeKind.RUN_OF])
    nodes = store.get_nodes(sorted({e.src for e in edges}))
    found: dict[str, list[Node]] = {j: [] for j in jobs}
    for edge in edges:
        run = nodes.get(edge.src)
        if run is not None and edge.dst in found:
            found[edge.dst].append(run)
    for runs in found.values():
        runs.sort(key=lambda r: (run_started(r) or r.props.get("first_seen") or 0.0, r.id))
        runs.reverse()
    return found


class Catalog:
    """What listings say about a set of datasets, jobs and runs: each dataset's versions,
    each job's runs, inputs, outputs and parent, each run's versions read and written.

    Versions and runs are read up front; the rest on first use, for all of them at once.
    """

    def __init__(
        self,
        store: GraphStore,
        datasets: Sequence[Node] = (),
        jobs: Sequence[Node] = (),
        runs: Sequence[Node] = (),
    ) -> None:
        self.store = store
        ids = [d.id for d in datasets]
        #: Every version of each dataset, oldest first.
        self.versions = versions_of(store, ids) if ids else {}
        self.job_ids = [j.id for j in jobs]
        #: Every run of each job, latest first.
        self.runs = runs_by_job(store, self.job_ids) if self.job_ids else {}
        self._links: tuple[dict[str, list[str]], dict[str, list[str]]] | None = None
        self._parents: dict[str, str] | None = None
        self._io: dict[str, tuple[list[str], list[str]]] = {}
        self._pending = {r.id for r in runs} | {rs[0].id for rs in self.runs.values() if rs}

    def with_runs(self, runs: Sequence[Node]) -> Catalog:
        """Also answer for ``runs``, with their inputs and outputs read in the same batch."""
        self._pending |= {r.id for r in runs}
        return self

    def _job_links(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        if self._links is None:
            inputs: dict[str, list[str]] = {j: [] for j in self.job_ids}
            outputs: dict[str, list[str]] = {j: [] for j in self.job_ids}
            if self.job_ids:
                store = self.store
                for e in store.edges_of(self.job_ids, Direction.UPSTREAM, [EdgeKind.INPUT_TO]):
                    inputs.setdefault(e.dst, []).append(e.src)
                for e in store.edges_of(self.job_ids, Direction.DOWNSTREAM, [EdgeKind.PRODUCES]):
                    outputs.setdefault(e.src, []).append(e.dst)
            self._links = (inputs, outputs)
        return self._links

    def inputs(self, job: str) -> list[str]:
        """The datasets ``job`` reads now."""
        return self._job_links()[0].get(job, [])

    def outputs(self, job: str) -> list[str]:
        """The datasets ``job`` writes now."""
        return self._job_links()[1].get(job, [])

    def parent(self, job: str) -> str | None:
        """The job ``job`` runs under (parent facet), if any."""
        if self._parents is None:
            self._parents = parents(self.store, self.job_ids)
        return self._parents.get(job)

    def read_and_written(self, run: str) -> tuple[list[str], list[str]]:
        """The versions ``run`` read, and the ones it wrote."""
        if run not in self._io:
            ids = sorted((self._pending | {run}) - set(self._io))
            for rid in ids:
                self._io[rid] = ([], [])
            for e in self.store.edges_of(ids, Direction.DOWNSTREAM, [EdgeKind.READ]):
                self._io[e.src][0].append(e.dst)
            for e in self.store.edges_of(ids, Direction.DOWNSTREAM, [EdgeKind.WROTE]):
                self._io[e.src][1].append(e.dst)
        return self._io[run]

    def dataset_times(self, dataset: str) -> tuple[float | None, float | None]:
        """When ``dataset``'s first and latest versions were created."""
        return span(v.props.get("created_at") for v in self.versions.get(dataset, ()))

    def job_times(self, job: str) -> tuple[float | None, float | None]:
        """When ``job``'s runs were first and last seen."""
        runs = self.runs.get(job, ())
        first, _ = span(r.props.get("first_seen") for r in runs)
        _, last = span(r.props.get("last_seen") for r in runs)
        return first, last


def namespace_times(store: GraphStore) -> dict[str, list[float | None]]:
    """Each namespace a dataset or job has been seen in, with the times of its datasets'
    versions and its jobs' runs (as :meth:`Catalog.dataset_times` and
    :meth:`Catalog.job_times` give them)."""
    datasets = list(nodes_in(store, NodeKind.DATASET))
    jobs = list(nodes_in(store, NodeKind.JOB))
    catalog = Catalog(store, datasets, jobs)
    spans: dict[str, list[float | None]] = {}
    for node in datasets:
        spans.setdefault(split_id(node.id)[1][0], []).extend(catalog.dataset_times(node.id))
    for node in jobs:
        spans.setdefault(split_id(node.id)[1][0], []).extend(catalog.job_times(node.id))
    return spans


def times_in(store: GraphStore, namespace: str) -> list[float | None]:
    """The times of ``namespace``'s datasets' versions and jobs' runs (as
    :func:`namespace_times`); NotFound if nothing has been seen in it."""
    datasets = list(nodes_in(store, NodeKind.DATASET, namespace))
    jobs = list(nodes_in(store, NodeKind.JOB, namespace))
    if not datasets and not jobs:
        require_namespace(store, namespace)
    catalog = Catalog(store, datasets, jobs)
    times = [t for d in datasets for t in catalog.dataset_times(d.id)]
    times += [t for j in jobs for t in catalog.job_times(j.id)]
    return times


# -- columns --------------------------------------------------------------------------------------


def column_sources(store: GraphStore, dataset: str) -> list[Edge]:
    """The ``FEEDS`` edges into each field of ``dataset``: which columns each is derived
    from, and how (two store calls)."""
    fields = store.edges_of([dataset], Direction.DOWNSTREAM, [EdgeKind.HAS_FIELD])
    return store.edges_of(sorted(e.dst for e in fields), Direction.UPSTREAM, [EdgeKind.FEEDS])


def column_starts(store: GraphStore, node_id: str) -> tuple[list[str], float | None]:
    """Where a column lineage question about readable id ``node_id`` starts, and the time
    it is asked at (None: now).

    A field or a dataset starts from itself; a job from each output dataset that has
    fields. A version (``dataset:<ns>:<name>#<version>``, or a field's
    ``datasetField:<ns>:<name>:<field>#<version>``) asks as of when it was written.
    InvalidArgument for a job version; NotFound for an unknown node or version, or a job
    that writes no dataset with known columns.
    """
    text, version = node_id, None
    if node_id.startswith("datasetField:") and "#" in node_id:
        text, _, version = node_id.rpartition("#")
    elif node_id.startswith("job:") and "#" in node_id:
        raise InvalidArgument("job versions are not kept here; leave out the #<version> part")
    start = parse_public_id(store, text)
    kind, parts = split_id(start)
    if kind is NodeKind.DATASET_VERSION:
        start, version = dataset_id(parts[0], parts[1]), parts[2]
    as_of = None
    if version is not None:
        namespace, name = split_id(start)[1][:2]
        vid = version_id(namespace, name, version)
        found = store.get_nodes([vid]).get(vid)
        if found is None:
            raise NotFound(not_found_message(store, vid))
        as_of = float(found.props.get("created_at") or 0.0)
    if kind is not NodeKind.JOB:
        return [start], as_of
    outputs = sorted(
        e.dst for e in store.edges_of([start], Direction.DOWNSTREAM, [EdgeKind.PRODUCES])
    )
    fields = store.edges_of(outputs, Direction.DOWNSTREAM, [EdgeKind.HAS_FIELD])
    with_fields = sorted({e.src for e in fields})
    if not with_fields:
        raise NotFound(f"{describe(start)} writes no dataset with known columns")
    return with_fields, as_of


@dataclass(frozen=True)
class ColumnOwners:
    """The datasets owning the fields of a column lineage answer, and each one's current
    version (None: it has none)."""

    datasets: dict[str, Node]
    current: dict[str, Node | None]


def column_owners(store: GraphStore, answer: LineageGraph) -> ColumnOwners:
    """The datasets whose fields ``answer`` holds, with their current versions."""
    owners = sorted({str(n.props.get("dataset")) for n in answer.nodes.values()})
    datasets = store.get_nodes(owners)
    current = {
        d: (version_at(vs, None) if vs else None)
        for d, vs in versions_of(store, sorted(datasets)).items()
    }
    return ColumnOwners(datasets, current)


def merged(answers: Sequence[LineageGraph]) -> LineageGraph:
    """One graph holding several answers (a job's output datasets, each asked alone);
    the first answer is extended in place and returned."""
    merged = answers[0]
    for other in answers[1:]:
        merged.starts += [s for s in other.starts if s not in merged.starts]
        for nid, node in other.nodes.items():
            merged.nodes.setdefault(nid, node)
        known = {e.id for e in merged.edges}
        merged.edges += [e for e in other.edges if e.id not in known]
        merged.truncated = merged.truncated or other.truncated
    return merged
