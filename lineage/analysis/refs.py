"""Naming nodes the way people do (namespace and name, a run id) and finding them."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process

from lineage.analysis.errors import InvalidArgument, NotFound
from lineage.graph.model import (
    NodeKind,
    dataset_id,
    field_id,
    job_id,
    run_id,
    split_id,
    version_id,
)
from lineage.store.base import GraphStore, Node


@dataclass(frozen=True, slots=True)
class NodeRef:
    """A node named by its natural key.

    ``kind`` may be left out: a ``run_id`` names a run, a ``field`` a field, a
    ``version`` a dataset version, and a bare ``namespace`` and ``name`` a dataset.
    ``id`` (an internal node id) overrides everything else.
    """

    kind: NodeKind | None = None
    namespace: str | None = None
    name: str | None = None
    field: str | None = None
    run_id: str | None = None
    version: str | None = None
    id: str | None = None


def ref_kind(ref: NodeRef) -> NodeKind:
    """The kind of node ``ref`` names, inferred when not given."""
    if ref.kind is not None:
        return ref.kind
    if ref.id is not None:
        return kind_of(ref.id)
    if ref.run_id is not None:
        return NodeKind.RUN
    if ref.field is not None:
        return NodeKind.FIELD
    if ref.version is not None:
        return NodeKind.DATASET_VERSION
    return NodeKind.DATASET


def ref_id(ref: NodeRef) -> str:
    """The internal id of the node ``ref`` names.

    Raises :class:`InvalidArgument` when a part the kind needs is missing.

    >>> ref_id(NodeRef(namespace="pg://db", name="orders")) == dataset_id("pg://db", "orders")
    True
    """
    if ref.id is not None:
        kind_of(ref.id)
        return ref.id
    kind = ref_kind(ref)
    if kind is NodeKind.RUN:
        if not ref.run_id:
            raise InvalidArgument("a RUN reference needs runId")
        return run_id(ref.run_id.lower())
    namespace, name = ref.namespace, ref.name
    if not namespace or not name:
        raise InvalidArgument(f"a {kind.value} reference needs namespace and name")
    if kind is NodeKind.DATASET:
        return dataset_id(namespace, name)
    if kind is NodeKind.JOB:
        return job_id(namespace, name)
    if kind is NodeKind.FIELD:
        if not ref.field:
            raise InvalidArgument("a FIELD reference needs namespace, name and field")
        return field_id(namespace, name, ref.field)
    if kind is NodeKind.DATASET_VERSION:
        if not ref.version:
            raise InvalidArgument("a DATASET_VERSION reference needs namespace, name and version")
        return version_id(namespace, name, ref.version)
    raise InvalidArgument(f"{kind.value} nodes cannot be named by a reference; use their id")


def kind_of(nid: str) -> NodeKind:
    """The kind of an internal id; :class:`InvalidArgument` if no node can have it."""
    try:
        kind, _ = split_id(nid)
    except ValueError:
        raise InvalidArgument("that is not a node id this service issued") from None
    return kind


def describe(nid: str) -> str:
    """A node id as a person would say it: ``dataset 'orders' in namespace 'pg://db'``."""
    try:
        kind, parts = split_id(nid)
    except ValueError:
        return repr(nid)
    if kind in (NodeKind.DATASET, NodeKind.JOB) and len(parts) == 2:
        return f"{kind.value.lower()} {parts[1]!r} in namespace {parts[0]!r}"
    if kind is NodeKind.FIELD and len(parts) == 3:
        return f"field {parts[2]!r} of dataset {parts[1]!r} in namespace {parts[0]!r}"
    if kind is NodeKind.DATASET_VERSION and len(parts) == 3:
        return f"version {parts[2]!r} of dataset {parts[1]!r} in namespace {parts[0]!r}"
    if kind is NodeKind.RUN and parts:
        return f"run {parts[0]!r}"
    return f"{kind.value.lower()} {' / '.join(parts)!r}"


def resolve(store: GraphStore, ref: NodeRef | str) -> Node:
    """The node ``ref`` (a :class:`NodeRef` or an internal id) names.

    Raises :class:`NotFound` naming what was looked for, with close matches when the
    store knows some, and :class:`InvalidArgument` for a reference missing a part.
    """
    nid = ref if isinstance(ref, str) else ref_id(ref)
    kind_of(nid)
    node = store.get_nodes([nid]).get(nid)
    if node is None:
        raise NotFound(not_found_message(store, nid))
    return node


def not_found_message(store: GraphStore, nid: str) -> str:
    """``no dataset 'x' in namespace 'y'``, plus up to three similar names the store has."""
    message = f"no {describe(nid)}"
    kind, parts = split_id(nid)
    if kind not in (NodeKind.DATASET, NodeKind.JOB) or len(parts) != 2:
        return message
    needle = parts[1].rsplit(".", 1)[-1].rsplit("/", 1)[-1]
    if not needle:
        return message
    similar = [n for n in store.search(needle, kinds=[kind], limit=3) if n.id != nid]
    if not similar:
        similar = _close_names(store, kind, parts[0], parts[1])
    if similar:
        names = ", ".join(
            f"{n.props.get('name')!r} in {n.props.get('namespace')!r}" for n in similar
        )
        message += f"; similar names: {names}"
    return message


def _close_names(store: GraphStore, kind: NodeKind, namespace: str, name: str) -> list[Node]:
    """Up to three nodes of ``kind`` whose names are close to ``name`` (a typo, a letter
    too many or too few, two swapped), those in ``namespace`` first.

    The candidates are the names holding any three characters in a row of its last part
    (at most :data:`_PROBES` of them, spread over it), as the store's index finds them;
    of those, the closest by rapidfuzz's ratio (characters in common, in order) at
    :data:`_CLOSE` or more are kept.
    """
    last = name.rsplit(".", 1)[-1].rsplit("/", 1)[-1]
    windows = [last[i : i + 3] for i in range(len(last) - 2)] or ([last] if len(last) >= 2 else [])
    step = max(1, -(-len(windows) // _PROBES))
    pool: dict[str, Node] = {}
    for probe in sorted(set(windows[::step])):
        for n in store.search(probe, kinds=[kind], limit=200):
            pool.setdefault(n.id, n)
    by_name: dict[str, list[Node]] = {}
    for n in pool.values():
        by_name.setdefault(str(n.props.get("name")), []).append(n)
    close = process.extract(name, list(by_name), scorer=fuzz.ratio, score_cutoff=_CLOSE, limit=3)
    found = [
        n
        for candidate, _, _ in close
        for n in sorted(by_name[candidate], key=lambda n: n.props.get("namespace") != namespace)
    ]
    return found[:3]


#: Parts of a name looked up for close names, and how close (0-100) a name must be.
_PROBES = 8
_CLOSE = 75.0
