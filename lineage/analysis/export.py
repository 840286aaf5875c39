"""A lineage subgraph, or the whole graph, as a file: JSON, CSV, GraphML, DOT or Mermaid.

:func:`export_graph` picks the nodes and edges (the lineage around a start node, or every
node of a granularity, up to a limit); :func:`render` writes them in a format, chunk by
chunk, so a large graph can be streamed as it is written.

Nodes are named by readable ids, the ones Marquez uses where it has them:
``dataset:<namespace>:<name>``, ``job:<namespace>:<name>``,
``datasetField:<namespace>:<name>:<field>``, ``run:<runId>`` and
``dataset:<namespace>:<name>#<version>`` for a dataset version (:func:`public_id`).
Namespaces hold colons (``postgres://db:5432``), so :func:`parse_public_id` reads an id
by its structure first, as Marquez does, then (for ids with few colons) at every colon, and
takes the first reading naming a node the store has; in time linear in the id's length.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

import networkx as nx
import orjson

from lineage.analysis.errors import InvalidArgument, NotFound, check_deadline
from lineage.analysis.lineage import DEFAULT_DEPTH, Granularity, LineageEdge, lineage, run_started
from lineage.analysis.refs import not_found_message
from lineage.graph.model import (
    EdgeKind,
    NodeKind,
    dataset_id,
    field_id,
    job_id,
    node_id,
    run_id,
    split_id,
    version_id,
)
from lineage.store.base import Direction, GraphStore, Node

#: Most nodes an export holds unless told otherwise: None, no cap.
DEFAULT_EXPORT_LIMIT: Final[int | None] = None
#: The largest limit an export may ask for.
MAX_EXPORT_LIMIT: Final = 1_000_000_000

_PAGE: Final = 5_000

#: What the whole graph is made of at each granularity: node kinds and edge kinds.
_WHOLE: Final[Mapping[Granularity, tuple[tuple[NodeKind, ...], tuple[EdgeKind, ...]]]] = {
    Granularity.DATASET: (
        (NodeKind.DATASET, NodeKind.JOB),
        (EdgeKind.INPUT_TO, EdgeKind.PRODUCES, EdgeKind.ALIAS_OF),
    ),
    Granularity.COLUMN: ((NodeKind.FIELD,), (EdgeKind.FEEDS,)),
    Granularity.RUN: ((NodeKind.RUN, NodeKind.DATASET_VERSION), (EdgeKind.READ, EdgeKind.WROTE)),
}

_PREFIX: Final[Mapping[NodeKind, str]] = {
    NodeKind.DATASET: "dataset",
    NodeKind.JOB: "job",
    NodeKind.FIELD: "datasetField",
    NodeKind.RUN: "run",
    NodeKind.INCIDENT: "incident",
}


class Format(StrEnum):
    JSON = "json"  # {"nodes": [...], "edges": [...]}
    CSV = "csv"  # one row per edge
    GRAPHML = "graphml"  # for Gephi, yEd, networkx, igraph
    DOT = "dot"  # Graphviz
    MERMAID = "mermaid"  # a flowchart for Markdown


MEDIA_TYPES: Final[Mapping[Format, str]] = {
    Format.JSON: "application/json",
    Format.CSV: "text/csv; charset=utf-8",
    Format.GRAPHML: "application/graphml+xml",
    Format.DOT: "text/vnd.graphviz; charset=utf-8",
    Format.MERMAID: "text/plain; charset=utf-8",
}

SUFFIXES: Final[Mapping[Format, str]] = {
    Format.JSON: "json",
    Format.CSV: "csv",
    Format.GRAPHML: "graphml",
    Format.DOT: "dot",
    Format.MERMAID: "mmd",
}


# -- readable ids -----------------------------------------------------------------------


def public_id(nid: str) -> str:
    """The readable id of internal node id ``nid``.

    >>> public_id(dataset_id("postgres://db:5432", "public.orders"))
    'dataset:postgres://db:5432:public.orders'
    >>> public_id(version_id("pg://db", "orders", "v7"))
    'dataset:pg://db:orders#v7'
    """
    kind, parts = split_id(nid)
    if kind is NodeKind.DATASET_VERSION and len(parts) == 3:
        return f"dataset:{parts[0]}:{parts[1]}#{parts[2]}"
    return ":".join((_PREFIX.get(kind, kind.value.lower()), *parts))


#: The longest readable id read; a longer one is refused before any work is done on it.
MAX_ID_LENGTH: Final = 4096
#: A readable id with at most this many colons after its prefix has every reading of its
#: colons looked up; past it only the reading its structure gives (see :func:`readings`).
MAX_AMBIGUOUS_COLONS: Final = 16

_FORMS: Final = (
    "dataset:<namespace>:<name>, job:<namespace>:<name>, "
    "datasetField:<namespace>:<name>:<field> or run:<runId>"
)


def parse_public_id(store: GraphStore, text: str) -> str:
    """The internal id of the node a readable id names (see :func:`public_id`).

    Colons inside namespaces and names make a readable id ambiguous: the readings of
    :func:`readings` are looked up, most likely first, and the first naming a node wins.

    Raises :class:`InvalidArgument` for text that is not a readable id (or is longer than
    :data:`MAX_ID_LENGTH`), and :class:`NotFound` naming the most likely reading when no
    node matches.
    """
    candidates = readings(text)
    found = store.get_nodes(candidates)
    for candidate in candidates:
        if candidate in found:
            return candidate
    raise NotFound(not_found_message(store, _likely(candidates)))


def readings(text: str) -> list[str]:
    """The internal ids a readable id may name, the most likely first; linear in its length.

    The first reading is the one its structure gives, as Marquez reads ids: a colon
    followed by ``//`` or a digit belongs to a namespace (``postgres://db:5432``), the
    first other colon (not next to another colon) ends the namespace and, in a ``datasetField:`` id, the last one
    starts the field. Every other way of splitting it at colons follows (shortest
    namespace first) when it holds at most :data:`MAX_AMBIGUOUS_COLONS` colons, so a name
    holding colons is still found; past that, only the structural reading is read.

    >>> readings("dataset:postgres://db:5432:public.orders")[0] == dataset_id(
    ...     "postgres://db:5432", "public.orders")
    True
    """
    if len(text) > MAX_ID_LENGTH:
        raise InvalidArgument(
            f"a node id is at most {MAX_ID_LENGTH} characters (got {len(text)}); use {_FORMS}"
        )
    if "\x1f" in text or "\x1e" in text:
        raise InvalidArgument(f"{_shown(text)} is not a node id: it holds a control character")
    prefix, sep, rest = text.partition(":")
    if not sep or not rest:
        raise InvalidArgument(f"{_shown(text)} is not a node id; use {_FORMS}")
    if prefix == "run":
        return [run_id(rest.lower())]
    if prefix == "incident":
        return [node_id(NodeKind.INCIDENT, *rest.split(":"))]
    if prefix not in ("dataset", "job", "datasetField", "field"):
        raise InvalidArgument(
            f"{_shown(text)} does not start with dataset:, job:, datasetField: or run:"
        )
    version = None
    if prefix == "dataset" and "#" in rest:
        rest, _, version = rest.rpartition("#")
    colons = _colons(rest)
    inner = [i for i in colons if 0 < i < len(rest) - 1]
    # A colon followed by '//' or a digit belongs to a namespace (postgres://db:5432); a
    # run of colons has no structure to read.
    ends = [
        i
        for i in inner
        if rest[i + 1 : i + 3] != "//"
        and not "0" <= rest[i + 1] <= "9"
        and ":" not in (rest[i - 1], rest[i + 1])
    ]
    splits: list[tuple[str, ...]] = []
    if prefix in ("datasetField", "field"):
        if len(ends) >= 2 and ends[-1] - ends[0] > 1:
            first, last = ends[0], ends[-1]
            splits.append((rest[:first], rest[first + 1 : last], rest[last + 1 :]))
        if len(colons) <= MAX_AMBIGUOUS_COLONS:
            splits += [
                (ns, name, path)
                for ns, tail in _splits(rest, inner)
                for name, path in _splits(tail, _colons(tail))
            ]
        form = "datasetField:<namespace>:<name>:<field>"
    else:
        if ends:
            splits.append((rest[: ends[0]], rest[ends[0] + 1 :]))
        if len(colons) <= MAX_AMBIGUOUS_COLONS:
            splits += _splits(rest, inner)
        form = f"{prefix}:<namespace>:<name>" + ("#<version>" if version is not None else "")
    if not splits:
        raise InvalidArgument(
            f"{_shown(text)} is not a node id: it names no namespace and name apart; "
            f"use {form}, with ':' between the parts"
        )
    made: list[str] = []
    for parts in splits:
        if len(parts) == 3:
            made.append(field_id(*parts))
        elif version is not None:
            made.append(version_id(parts[0], parts[1], version))
        else:
            made.append((dataset_id if prefix == "dataset" else job_id)(parts[0], parts[1]))
    return list(dict.fromkeys(made))


def _shown(text: str) -> str:
    """``text`` for an error message, cut short when long."""
    return repr(text if len(text) <= 80 else text[:80] + "...")


def _colons(text: str) -> list[int]:
    return [i for i, ch in enumerate(text) if ch == ":"]


def _splits(text: str, colons: list[int]) -> list[tuple[str, str]]:
    """Every (head, tail) split of ``text`` at one of ``colons``, shortest head first."""
    return [(text[:i], text[i + 1 :]) for i in colons if 0 < i < len(text) - 1]


def _likely(candidates: list[str]) -> str:
    """The reading a person most likely meant: a colon followed by ``//`` or a port
    number belongs to a namespace (``postgres://db:5432``), as Marquez reads it."""

    def plausible(nid: str) -> bool:
        _, parts = split_id(nid)
        rest = ":".join(parts[1:])
        return not rest.startswith("//") and not rest[:1].isdigit()

    return next((c for c in candidates if plausible(c)), candidates[0])


# -- choosing what to export ---------------------------------------------------------------


@dataclass(slots=True)
class ExportGraph:
    """Nodes and edges to write. Every edge points the way data flows, except ALIAS_OF
    (the whole graph at DATASET granularity keeps symlinks as edges, where a lineage
    answer merges them). ``truncated``: the limit left nodes out."""

    granularity: Granularity
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[LineageEdge] = field(default_factory=list)
    starts: list[str] = field(default_factory=list)
    depths: dict[str, int] = field(default_factory=dict)
    truncated: bool = False


def export_graph(
    store: GraphStore,
    start: str | None = None,
    direction: Direction = Direction.BOTH,
    depth: int = DEFAULT_DEPTH,
    granularity: Granularity = Granularity.DATASET,
    as_of: float | None = None,
    limit: int | None = DEFAULT_EXPORT_LIMIT,
    *,
    deadline: float | None = None,
) -> ExportGraph:
    """The lineage around ``start`` (an internal node id), or with no start the whole graph
    at ``granularity``, holding at most ``limit`` nodes (None: all of it).

    With a start this is :func:`lineage.analysis.lineage` with ``limit`` as its node
    budget. Without one: every dataset and job (DATASET), every field (COLUMN), or every
    run and dataset version (RUN), in id order, with the edges between them valid at
    ``as_of`` (None: now).

    Raises :class:`NotFound` for an unknown start, :class:`InvalidArgument` for a limit
    out of range or arguments :func:`lineage` rejects.

    >>> graph = export_graph(store, dataset_id("pg://db", "orders"), depth=2)  # doctest: +SKIP
    >>> "".join(render(graph, Format.MERMAID)).splitlines()[0]  # doctest: +SKIP
    'flowchart LR'
    """
    if limit is not None and not 1 <= limit <= MAX_EXPORT_LIMIT:
        raise InvalidArgument(f"limit must be between 1 and {MAX_EXPORT_LIMIT} (got {limit})")
    if start is not None:
        answer = lineage(
            store,
            start,
            direction,
            depth,
            as_of,
            granularity,
            node_budget=limit if limit is not None else MAX_EXPORT_LIMIT,
            deadline=deadline,
        )
        return ExportGraph(
            granularity=granularity,
            nodes=answer.nodes,
            edges=answer.edges,
            starts=answer.starts,
            depths=answer.depths,
            truncated=answer.truncated,
        )
    return _whole_graph(store, granularity, as_of, limit, deadline)


def _whole_graph(
    store: GraphStore,
    granularity: Granularity,
    as_of: float | None,
    limit: int | None,
    deadline: float | None,
) -> ExportGraph:
    node_kinds, edge_kinds = _WHOLE[granularity]
    graph = ExportGraph(granularity=granularity)
    for kind in node_kinds:
        offset = 0
        while not graph.truncated:
            check_deadline(deadline)
            page = store.nodes_of_kind(kind, limit=_PAGE, offset=offset)
            for node in page:
                if not _existed(node, as_of):
                    continue
                if limit is not None and len(graph.nodes) >= limit:
                    graph.truncated = True
                    break
                graph.nodes[node.id] = node
            if len(page) < _PAGE:
                break
            offset += _PAGE
    ids = sorted(graph.nodes)
    check_deadline(deadline)
    for edge in store.edges_of(ids, Direction.DOWNSTREAM, edge_kinds, as_of=as_of):
        if edge.src not in graph.nodes or edge.dst not in graph.nodes:
            continue
        # A run READ a version: the data flowed from the version to the run.
        src, dst = (edge.dst, edge.src) if edge.kind is EdgeKind.READ else (edge.src, edge.dst)
        graph.edges.append(LineageEdge(edge.id, edge.kind.value, src, dst, edge.props))
    graph.edges.sort(key=lambda e: (e.source, e.target, e.kind, e.id))
    return graph


def _existed(node: Node, as_of: float | None) -> bool:
    """Whether a run had started, or a version been created, by ``as_of``."""
    if as_of is None:
        return True
    if node.kind is NodeKind.RUN:
        started = run_started(node)
        return started is None or started <= as_of
    if node.kind is NodeKind.DATASET_VERSION:
        created = node.props.get("created_at")
        return created is None or float(created) <= as_of
    return True


# -- what each node and edge says ------------------------------------------------------------


def _when(value: Any) -> str | None:
    if value is None:
        return None
    return datetime.fromtimestamp(float(value), UTC).isoformat()


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def node_label(node: Node) -> str:
    """A short name for a node: a dataset's or job's name, ``table.column`` for a field,
    ``job run 1a2b3c4d`` for a run, ``table@version`` for a version."""
    kind, parts = split_id(node.id)
    props = node.props
    if kind in (NodeKind.DATASET, NodeKind.JOB) and len(parts) == 2:
        return parts[1]
    if kind is NodeKind.FIELD and len(parts) == 3:
        return f"{parts[1]}.{parts[2]}"
    if kind is NodeKind.DATASET_VERSION and len(parts) == 3:
        return f"{parts[1]}@{parts[2]}"
    if kind is NodeKind.RUN and parts:
        job = props.get("job")
        job_name = split_id(str(job))[1][-1] if job else "run"
        return f"{job_name} run {parts[0][:8]}"
    return " / ".join(parts)


def labels(graph: ExportGraph) -> dict[str, str]:
    """Each node's label; labels two nodes would share get their namespace added."""
    found = {nid: node_label(node) for nid, node in graph.nodes.items()}
    counts = Counter(found.values())
    for nid, label in found.items():
        if counts[label] > 1:
            _, parts = split_id(nid)
            if parts and len(parts) > 1:
                found[nid] = f"{label} ({parts[0]})"
    return found


def node_record(node: Node, depth: int | None = None) -> dict[str, str | int]:
    """A node as flat attributes (absent ones left out): id, kind, label, namespace,
    name, field, runId, version, type, state, depth."""
    kind, parts = split_id(node.id)
    props = node.props
    record: dict[str, str | int | None] = {
        "id": public_id(node.id),
        "kind": kind.value,
        "label": node_label(node),
    }
    if kind in (NodeKind.DATASET, NodeKind.JOB, NodeKind.FIELD, NodeKind.DATASET_VERSION):
        record["namespace"] = parts[0] if parts else None
        record["name"] = parts[1] if len(parts) > 1 else None
    if kind is NodeKind.FIELD:
        record["field"] = parts[2] if len(parts) > 2 else None
    if kind is NodeKind.DATASET_VERSION:
        record["version"] = parts[2] if len(parts) > 2 else None
        record["createdAt"] = _when(props.get("created_at"))
    if kind is NodeKind.RUN:
        record["runId"] = parts[0] if parts else None
        record["job"] = public_id(str(props["job"])) if props.get("job") else None
        record["state"] = _text(props.get("state"))
        record["startedAt"] = _when(props.get("started_at"))
        record["endedAt"] = _when(props.get("ended_at"))
    if kind in (NodeKind.DATASET, NodeKind.JOB):
        record["type"] = _text(props.get("type"))
        record["description"] = _text(props.get("description"))
    if depth is not None:
        record["depth"] = depth
    return {k: v for k, v in record.items() if v is not None}


def edge_record(edge: LineageEdge) -> dict[str, str]:
    """An edge as flat attributes (absent ones left out): source, target, kind, job,
    transformationType, transformationSubtype, scope, validSince, validUntil, via."""
    props = edge.props
    record: dict[str, str | None] = {
        "source": public_id(edge.source),
        "target": public_id(edge.target),
        "kind": edge.kind,
    }
    if edge.kind == EdgeKind.FEEDS.value:
        record["job"] = public_id(str(props["job"])) if props.get("job") else None
        record["transformationType"] = _text(props.get("type"))
        record["transformationSubtype"] = _text(props.get("subtype"))
        record["scope"] = _text(props.get("scope"))
    record["validSince"] = _when(props.get("since"))
    record["validUntil"] = _when(props.get("until"))
    if edge.via:
        record["via"] = " ".join(public_id(v) for v in edge.via)
    return {k: v for k, v in record.items() if v is not None}


# -- formats ------------------------------------------------------------------------------


def render(graph: ExportGraph, fmt: Format) -> Iterator[str]:
    """``graph`` in ``fmt``, as chunks of text to write or stream one after another."""
    writers = {
        Format.JSON: _json,
        Format.CSV: _csv,
        Format.GRAPHML: _graphml,
        Format.DOT: _dot,
        Format.MERMAID: _mermaid,
    }
    return writers[fmt](graph)


def _json(graph: ExportGraph) -> Iterator[str]:
    head = {
        "granularity": graph.granularity.value,
        "start": [public_id(s) for s in graph.starts],
        "truncated": graph.truncated,
    }
    yield orjson.dumps(head).decode()[:-1] + ',"nodes":['
    for i, (nid, node) in enumerate(graph.nodes.items()):
        record = node_record(node, graph.depths.get(nid))
        yield ("," if i else "") + "\n" + orjson.dumps(record).decode()
    yield '\n],"edges":['
    for i, edge in enumerate(graph.edges):
        yield ("," if i else "") + "\n" + orjson.dumps(edge_record(edge)).decode()
    yield "\n]}\n"


CSV_COLUMNS: Final = (
    "source",
    "source_kind",
    "source_label",
    "target",
    "target_kind",
    "target_label",
    "kind",
    "job",
    "transformation_type",
    "transformation_subtype",
    "valid_since",
    "valid_until",
)


#: Characters that make a spreadsheet read a cell as a formula (OWASP's list).
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """``value`` as a spreadsheet shows it as text: a leading formula character gets a
    ``'`` in front (so ``=HYPERLINK(...)`` is not run when the file is opened)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _csv(graph: ExportGraph) -> Iterator[str]:
    names = labels(graph)
    buffer = io.StringIO()
    # "\r\n" as the terminator makes the writer quote cells holding either character;
    # rows still end in "\n".
    writer = csv.writer(buffer, lineterminator="\r\n")

    def row(values: Collection[str]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_cell(v) for v in values])
        return buffer.getvalue()[:-2] + "\n"

    yield row(CSV_COLUMNS)
    for edge in graph.edges:
        record = edge_record(edge)
        yield row(
            [
                record["source"],
                split_id(edge.source)[0].value,
                names.get(edge.source, ""),
                record["target"],
                split_id(edge.target)[0].value,
                names.get(edge.target, ""),
                edge.kind,
                record.get("job", ""),
                record.get("transformationType", ""),
                record.get("transformationSubtype", ""),
                record.get("validSince", ""),
                record.get("validUntil", ""),
            ]
        )


def to_networkx(graph: ExportGraph) -> Any:
    """A ``networkx.MultiDiGraph`` keyed by readable ids, with the flat attributes of
    :func:`node_record` and :func:`edge_record` (so it writes as GraphML as is)."""
    out = nx.MultiDiGraph(granularity=graph.granularity.value, truncated=graph.truncated)
    names = labels(graph)
    for nid, node in graph.nodes.items():
        record = node_record(node, graph.depths.get(nid))
        record["label"] = names[nid]
        safe = {k: xml_text(v) if isinstance(v, str) else v for k, v in record.items()}
        out.add_node(safe.pop("id"), **safe)
    for edge in graph.edges:
        attrs = {k: xml_text(v) for k, v in edge_record(edge).items()}
        out.add_edge(attrs.pop("source"), attrs.pop("target"), **attrs)
    return out


#: What XML 1.0 cannot hold at all, even as a character reference.
_NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(text: str) -> str:
    """``text`` with the characters XML cannot hold written as ``\\uXXXX``, so a GraphML
    reader gets the name back, control characters spelled out."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


#: Line breaks (everything ``str.splitlines`` splits on) and other control characters.
_CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _graphml(graph: ExportGraph) -> Iterator[str]:
    for line in nx.generate_graphml(to_networkx(graph)):
        yield line + "\n"


_DOT_SHAPES: Final[Mapping[NodeKind, str]] = {
    NodeKind.DATASET: "cylinder",
    NodeKind.JOB: "box",
    NodeKind.FIELD: "ellipse",
    NodeKind.RUN: "hexagon",
    NodeKind.DATASET_VERSION: "note",
    NodeKind.INCIDENT: "octagon",
}


def _dot_quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{_CONTROL.sub(" ", escaped)}"'


def _edge_style(edge: LineageEdge) -> tuple[str | None, str | None]:
    """(label, style) for an edge: a column edge shows its transformation, an INDIRECT
    one is dashed, a FLOWS_TO one (through hidden nodes) dotted."""
    if edge.kind == EdgeKind.FEEDS.value:
        kind, subtype = edge.props.get("type"), edge.props.get("subtype")
        label = "/".join(str(p) for p in (kind, subtype) if p) or None
        return label, "dashed" if kind == "INDIRECT" else None
    if edge.kind in (EdgeKind.INPUT_TO.value, EdgeKind.PRODUCES.value):
        return None, None
    return edge.kind, "dotted" if edge.kind != EdgeKind.ALIAS_OF.value else "dashed"


def _dot(graph: ExportGraph) -> Iterator[str]:
    names = labels(graph)
    yield "digraph lineage {\n  rankdir=LR;\n  node [fontname=Helvetica];\n"
    for nid in graph.nodes:
        kind = split_id(nid)[0]
        shape = _DOT_SHAPES.get(kind, "box")
        extra = ", style=bold" if nid in graph.starts else ""
        yield (
            f"  {_dot_quote(public_id(nid))} [label={_dot_quote(names[nid])}, "
            f"shape={shape}{extra}];\n"
        )
    for edge in graph.edges:
        label, style = _edge_style(edge)
        attrs = []
        if label:
            attrs.append(f"label={_dot_quote(label)}")
        if style:
            attrs.append(f"style={style}")
        suffix = f" [{', '.join(attrs)}]" if attrs else ""
        yield f"  {_dot_quote(public_id(edge.source))} -> {_dot_quote(public_id(edge.target))}{suffix};\n"
    yield "}\n"


_MERMAID_SHAPES: Final[Mapping[NodeKind, tuple[str, str]]] = {
    NodeKind.DATASET: ("[(", ")]"),
    NodeKind.JOB: ("[", "]"),
    NodeKind.FIELD: ("(", ")"),
    NodeKind.RUN: ("{{", "}}"),
    NodeKind.DATASET_VERSION: ("[/", "/]"),
    NodeKind.INCIDENT: ("{", "}"),
}


def _one_line(text: str) -> str:
    """``text`` on one line: a name cannot start a Mermaid directive or statement."""
    return _CONTROL.sub(" ", text)


def _mermaid_text(text: str) -> str:
    escaped = (
        text.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    )
    return f'"{_one_line(escaped)}"'


def _mermaid(graph: ExportGraph) -> Iterator[str]:
    names = labels(graph)
    # Mermaid ids must be plain words; the readable id is kept in a comment.
    short = {nid: f"n{i}" for i, nid in enumerate(graph.nodes)}
    yield "flowchart LR\n"
    for nid, sid in short.items():
        opening, closing = _MERMAID_SHAPES.get(split_id(nid)[0], ("[", "]"))
        yield f"  %% {sid}: {_one_line(public_id(nid))}\n"
        yield f"  {sid}{opening}{_mermaid_text(names[nid])}{closing}\n"
    for edge in graph.edges:
        label, style = _edge_style(edge)
        arrow = "-.->" if style else "-->"
        text = f"|{_mermaid_text(label)}|" if label else ""
        yield f"  {short[edge.source]} {arrow}{text} {short[edge.target]}\n"
