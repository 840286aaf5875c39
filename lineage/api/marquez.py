"""Marquez's read API, at its paths and in its JSON shapes, so tools written for Marquez
(its web UI, its clients, scripts) keep working against this service.

Namespaces, datasets (and their versions), jobs (and their runs), runs, search, and the
lineage graph (``/lineage``, ``/column-lineage``) with Marquez's node ids
(``dataset:<namespace>:<name>``, ``job:<namespace>:<name>``,
``datasetField:<namespace>:<name>:<field>``).

Where Marquez has something this graph does not (job versions, run arguments, UUID
versions), the field is there with an empty or null value; dataset and job types are
mapped to Marquez's (``DB_TABLE`` or ``STREAM``, ``BATCH`` or ``STREAM``) while every
facet is kept verbatim in ``facets``. Errors are ``{"code", "message", "error"}``:
Marquez clients read the first two, this service's own routes use ``error``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Final
from urllib.parse import unquote

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from lineage.analysis import (
    MAX_DEPTH,
    Granularity,
    InvalidArgument,
    LineageGraph,
    NotFound,
    Timeout,
    lineage,
    schema_field,
    version_at,
    versions_of,
)
from lineage.analysis.catalog import (
    Catalog,
    column_owners,
    column_sources,
    column_starts,
    dataset_node,
    job_node,
    merged,
    namespace_times,
    nodes_in,
    require_namespace,
    run_node,
    runs_by_job,
    schema_of,
    span,
    times_in,
    version_named,
    writers,
)
from lineage.analysis.export import parse_public_id, public_id
from lineage.analysis.jobs import listed
from lineage.analysis.search import SEARCH_LIMIT, search
from lineage.api import marquez_models as shapes
from lineage.api.auth import require
from lineage.api.responses import answer
from lineage.api.visibility import store_for
from lineage.graph.mapping import FACET_PREFIX
from lineage.graph.model import NodeKind, dataset_id, split_id
from lineage.settings import Settings
from lineage.store import Direction, Edge, GraphStore, Node, StoreUnavailable

#: The errors every Marquez route may answer, in Marquez's shape.
ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    400: answer(shapes.MarquezError, "An argument is not valid."),
    404: answer(shapes.MarquezError, "No such namespace, dataset, job, version or run."),
    503: answer(shapes.MarquezError, "The store is unavailable."),
    504: answer(shapes.MarquezError, "The answer took too long."),
}

router = APIRouter(
    prefix="/api/v1",
    dependencies=[Depends(require("read"))],
    tags=["marquez"],
    responses=ERRORS,
)

#: Seconds one lineage request may take before it is answered 504.
LINEAGE_TIMEOUT: Final = 30.0

#: OpenLineage run states as Marquez names them.
_RUN_STATES: Final[Mapping[str, str]] = {
    "START": "RUNNING",
    "RUNNING": "RUNNING",
    "COMPLETE": "COMPLETED",
    "FAIL": "FAILED",
    "ABORT": "ABORTED",
}
_STREAM_TYPES: Final = frozenset({"STREAM", "TOPIC"})

Json = dict[str, Any]


# -- answering ------------------------------------------------------------------------------


def _json(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


def _error(status: int, message: str) -> Response:
    return _json({"code": status, "message": message, "error": message}, status)


async def _answer(work: Callable[[], Response]) -> Response:
    """Run a blocking read off the event loop; turn what can go wrong into JSON errors."""
    try:
        return await run_in_threadpool(work)
    except NotFound as exc:
        return _error(404, str(exc))
    except InvalidArgument as exc:
        return _error(400, str(exc))
    except Timeout as exc:
        return _error(504, str(exc))
    except StoreUnavailable as exc:
        response = _error(503, f"the store is unavailable: {exc}")
        response.headers["Retry-After"] = "5"
        return response


def _store(request: Request) -> GraphStore:
    # What the request's token may see (all of it unless its scope names namespaces).
    return store_for(request)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _page(items: Sequence[Any], limit: int, offset: int) -> Sequence[Any]:
    return items[offset : offset + limit]


Limit = Annotated[int, Query(ge=0, le=10_000, description="Most items to return.")]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000, description="Items to skip.")]


# -- small conversions -------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    """Epoch seconds as Marquez writes instants: ISO 8601 in UTC with a ``Z``."""
    if value is None:
        return None
    return datetime.fromtimestamp(float(value), UTC).isoformat().replace("+00:00", "Z")


def _facets(props: Mapping[str, Any]) -> Json:
    return {k[len(FACET_PREFIX) :]: v for k, v in props.items() if k.startswith(FACET_PREFIX)}


def _key(nid: str) -> tuple[str, str]:
    """(namespace, name) of a dataset or job id."""
    _, parts = split_id(nid)
    return parts[0], parts[1]


def _tags(props: Mapping[str, Any]) -> list[str]:
    """Marquez tags are names: a tags facet entry's key."""
    keys = {t.get("key") for t in props.get("tags") or () if isinstance(t, Mapping)}
    return sorted(str(k) for k in keys if k is not None)


def _fields(schema: Any) -> list[Json]:
    return [
        {
            "name": str(f.get("name", "")),
            "type": f.get("type"),
            "tags": [],
            "description": f.get("description"),
        }
        for f in schema or ()
        if isinstance(f, Mapping)
    ]


# -- shapes ------------------------------------------------------------------------------------


def _dataset(catalog: Catalog, node: Node) -> Json:
    namespace, name = _key(node.id)
    props = node.props
    versions = catalog.versions.get(node.id, [])
    current = version_at(versions, None)
    written = [v.props.get("created_at") for v in versions if not v.props.get("observed")]
    created, updated = catalog.dataset_times(node.id)
    kind = str(props.get("type") or "").upper()
    return {
        "id": {"namespace": namespace, "name": name},
        "type": "STREAM" if kind in _STREAM_TYPES else "DB_TABLE",
        "name": name,
        "physicalName": name,
        "createdAt": _iso(created),
        "updatedAt": _iso(updated),
        "namespace": namespace,
        "sourceName": str(props.get("source") or namespace),
        "fields": _fields(schema_of(node, current)),
        "tags": _tags(props),
        "lastModifiedAt": _iso(span(written)[1]),
        "lastLifecycleState": current.props.get("lifecycle") if current else None,
        "description": props.get("description"),
        "facets": _facets(props),
        "currentVersion": current.props.get("version") if current else None,
        "deleted": bool(props.get("dropped")),
    }


def _dataset_version(catalog: Catalog, dataset: Node, version: Node, run: Node | None) -> Json:
    namespace, name = _key(dataset.id)
    base = _dataset(catalog, dataset)
    return {
        "id": {"namespace": namespace, "name": name, "version": version.props.get("version")},
        "type": base["type"],
        "name": name,
        "physicalName": name,
        "createdAt": _iso(version.props.get("created_at")),
        "version": version.props.get("version"),
        "namespace": namespace,
        "sourceName": base["sourceName"],
        "fields": _fields(version.props.get("schema")),
        "tags": base["tags"],
        "lifecycleState": version.props.get("lifecycle"),
        "description": base["description"],
        "createdByRun": _run(catalog, run) if run is not None else None,
        "facets": {},
    }


def _job(catalog: Catalog, node: Node) -> Json:
    namespace, name = _key(node.id)
    props = node.props
    runs = catalog.runs.get(node.id, [])
    created, updated = catalog.job_times(node.id)
    streaming = str(props.get("processing_type") or "").upper() == "STREAMING"
    parent = catalog.parent(node.id)
    return {
        "id": {"namespace": namespace, "name": name},
        "type": "STREAM" if streaming else "BATCH",
        "name": name,
        "simpleName": name,
        "parentJobName": _key(parent)[1] if parent is not None else None,
        "createdAt": _iso(created),
        "updatedAt": _iso(updated),
        "namespace": namespace,
        "inputs": [_dataset_ref(d) for d in sorted(catalog.inputs(node.id))],
        "outputs": [_dataset_ref(d) for d in sorted(catalog.outputs(node.id))],
        "location": props.get("source_url"),
        "context": {"sql": props["sql"]} if props.get("sql") else {},
        "description": props.get("description"),
        "latestRun": _run(catalog, runs[0]) if runs else None,
        "facets": _facets(props),
        "currentVersion": None,
        "tags": _tags(props),
    }


def _run(catalog: Catalog, node: Node) -> Json:
    props = node.props
    started, ended = props.get("started_at"), props.get("ended_at")
    job = str(props.get("job") or "")
    namespace, name = _key(job) if job else (None, None)
    inputs, outputs = catalog.read_and_written(node.id)
    return {
        "id": str(props.get("runId") or split_id(node.id)[1][0]),
        "createdAt": _iso(props.get("first_seen")),
        "updatedAt": _iso(props.get("last_seen")),
        "nominalStartTime": _iso(props.get("nominal_start")),
        "nominalEndTime": _iso(props.get("nominal_end")),
        "state": _RUN_STATES.get(str(props.get("state") or ""), "NEW"),
        "startedAt": _iso(started),
        "endedAt": _iso(ended),
        "durationMs": (
            round((float(ended) - float(started)) * 1000)
            if started is not None and ended is not None
            else None
        ),
        "args": {},
        "jobVersion": {"namespace": namespace, "name": name, "version": None},
        "inputDatasetVersions": [_version_ref(v) for v in sorted(inputs)],
        "outputDatasetVersions": [_version_ref(v) for v in sorted(outputs)],
        "context": {},
        "facets": _facets(props),
    }


def _dataset_ref(nid: str) -> Json:
    namespace, name = _key(nid)
    return {"namespace": namespace, "name": name}


def _version_ref(nid: str) -> Json:
    _, parts = split_id(nid)
    return {
        "datasetVersionId": {"namespace": parts[0], "name": parts[1], "version": parts[2]},
        "facets": {},
    }


# -- namespaces, datasets, jobs, runs -------------------------------------------------------------


def _list_namespaces(store: GraphStore) -> Json:
    spans = namespace_times(store)
    return {"namespaces": [_namespace(ns, times) for ns, times in sorted(spans.items())]}


def _namespace(name: str, times: Iterable[float | None]) -> Json:
    created, updated = span(times)
    return {
        "name": name,
        "createdAt": _iso(created),
        "updatedAt": _iso(updated),
        # Marquez gives namespaces that OpenLineage events created this owner.
        "ownerName": "anonymous",
        "description": None,
        "isHidden": False,
    }


def _get_namespace(store: GraphStore, namespace: str) -> Json:
    return _namespace(namespace, times_in(store, namespace))


def _list_datasets(store: GraphStore, namespace: str, limit: int, offset: int) -> Json:
    datasets = list(nodes_in(store, NodeKind.DATASET, namespace))
    if not datasets:
        require_namespace(store, namespace)
    page = _page(datasets, limit, offset)
    catalog = Catalog(store, datasets=page)
    return {"datasets": [_dataset(catalog, d) for d in page], "totalCount": len(datasets)}


def _get_dataset(store: GraphStore, namespace: str, name: str) -> Json:
    node = dataset_node(store, namespace, name)
    body = _dataset(Catalog(store, datasets=[node]), node)
    body["columnLineage"] = _column_lineage_of(column_sources(store, node.id))
    return body


def _how(feed: Mapping[str, Any]) -> Json:
    """How a column derives from another, from a FEEDS edge's properties: the type and
    the description of its main transformation, and every transformation reported."""
    reported = []
    for raw in feed.get("transformations") or ():
        try:
            entry = orjson.loads(raw) if isinstance(raw, str | bytes) else raw
        except orjson.JSONDecodeError:
            continue
        if isinstance(entry, Mapping):
            reported.append(dict(entry))
    main = next(
        (
            t
            for t in reported
            if (t.get("type"), t.get("subtype")) == (feed.get("type"), feed.get("subtype"))
        ),
        None,
    )
    if not reported and feed.get("type"):
        reported = [{"type": feed.get("type"), "subtype": feed.get("subtype")}]
    return {
        "transformationDescription": main.get("description") if main else None,
        "transformationType": feed.get("type"),
        "transformations": reported,
    }


def _column_lineage_of(feeds: Sequence[Edge]) -> list[Json]:
    """Each field a dataset's ``feeds`` lead to, with the fields it is derived from
    (Marquez's ``columnLineage`` of a dataset)."""
    by_field: dict[str, list[Json]] = {}
    for edge in feeds:
        _, (namespace, name, path) = split_id(edge.src)
        by_field.setdefault(split_id(edge.dst)[1][2], []).append(
            {
                "namespace": namespace,
                "dataset": name,
                "field": path,
                **_how(edge.props),
            }
        )
    return [
        {
            "name": path,
            "inputFields": inputs,
            "transformationDescription": None,
            "transformationType": inputs[0]["transformationType"] if inputs else None,
        }
        for path, inputs in sorted(by_field.items())
    ]


def _list_versions(store: GraphStore, namespace: str, name: str, limit: int, offset: int) -> Json:
    node = dataset_node(store, namespace, name)
    versions = list(reversed(versions_of(store, [node.id])[node.id]))
    page = _page(versions, limit, offset)
    runs = writers(store, page)
    catalog = Catalog(store, datasets=[node]).with_runs(list(runs.values()))
    return {
        "versions": [
            _dataset_version(catalog, node, v, runs.get(str(v.props.get("run")))) for v in page
        ],
        "totalCount": len(versions),
    }


def _get_version(store: GraphStore, namespace: str, name: str, version: str) -> Json:
    node = dataset_node(store, namespace, name)
    chosen = version_named(store, namespace, name, version)
    runs = writers(store, [chosen])
    catalog = Catalog(store, datasets=[node]).with_runs(list(runs.values()))
    return _dataset_version(catalog, node, chosen, next(iter(runs.values()), None))


def _list_jobs(store: GraphStore, namespace: str, limit: int, offset: int) -> Json:
    found = list(nodes_in(store, NodeKind.JOB, namespace))
    if not found:
        require_namespace(store, namespace)
    # Statements and dbt tests are parts of the job they ran under, not jobs of their own;
    # each is still served at its own path, with that job as parentJobName.
    jobs = listed(store, found)
    page = _page(jobs, limit, offset)
    catalog = Catalog(store, jobs=page)
    return {"jobs": [_job(catalog, j) for j in page], "totalCount": len(jobs)}


def _get_job(store: GraphStore, namespace: str, name: str) -> Json:
    node = job_node(store, namespace, name)
    return _job(Catalog(store, jobs=[node]), node)


def _list_runs(store: GraphStore, namespace: str, name: str, limit: int, offset: int) -> Json:
    node = job_node(store, namespace, name)
    runs = runs_by_job(store, [node.id])[node.id]
    page = _page(runs, limit, offset)
    catalog = Catalog(store, runs=page)
    return {"runs": [_run(catalog, r) for r in page], "totalCount": len(runs)}


def _get_run(store: GraphStore, rid: str) -> Json:
    node = run_node(store, rid)
    return _run(Catalog(store, runs=[node]), node)


# -- search -------------------------------------------------------------------------------------


def _pattern(query: str) -> re.Pattern[str]:
    """Marquez's search pattern: ``%`` any run of characters, ``_`` any one character,
    matched anywhere in a name, ignoring case."""
    parts = [".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in query]
    return re.compile("".join(parts), re.IGNORECASE)


def _search(
    store: GraphStore,
    query: str,
    kind: NodeKind | None,
    namespace: str | None,
    sort: str,
    limit: int,
) -> Json:
    literal = max(re.split(r"[%_]", query), key=len)
    kinds = [kind] if kind is not None else [NodeKind.DATASET, NodeKind.JOB]
    pattern = _pattern(query)
    found = [
        n
        for n in search(store, literal, kinds, namespace, SEARCH_LIMIT)
        if pattern.search(_key(n.id)[1])
    ]
    datasets = [n for n in found if n.kind is NodeKind.DATASET]
    jobs = [n for n in found if n.kind is NodeKind.JOB]
    catalog = Catalog(store, datasets, jobs)
    results = []
    for node in found:
        namespace_, name = _key(node.id)
        times = (
            catalog.dataset_times(node.id)
            if node.kind is NodeKind.DATASET
            else catalog.job_times(node.id)
        )
        results.append(
            {
                "type": node.kind.value,
                "name": name,
                "updatedAt": _iso(times[1]),
                "namespace": namespace_,
                "nodeId": public_id(node.id),
            }
        )
    if sort == "UPDATE_AT":
        results.sort(key=lambda r: (r["updatedAt"] or "", r["name"]), reverse=True)
    else:
        results.sort(key=lambda r: (r["name"], r["namespace"], r["type"]))
    results = results[:limit]
    return {"totalCount": len(results), "results": results}


# -- lineage ---------------------------------------------------------------------------------------


def _graph_json(
    answer: LineageGraph, data: Mapping[str, Json | None], kind_names: Mapping[NodeKind, str]
) -> Json:
    inbound: dict[str, list[Json]] = {nid: [] for nid in answer.nodes}
    outbound: dict[str, list[Json]] = {nid: [] for nid in answer.nodes}
    for edge in answer.edges:
        link = {"origin": public_id(edge.source), "destination": public_id(edge.target)}
        if link["origin"] == link["destination"]:
            continue
        outbound[edge.source].append(link)
        inbound[edge.target].append(link)

    def unique(links: list[Json]) -> list[Json]:
        seen = {(link["origin"], link["destination"]): link for link in links}
        return [seen[key] for key in sorted(seen)]

    graph = [
        {
            "id": public_id(nid),
            "type": kind_names.get(node.kind, node.kind.value),
            "data": data.get(nid),
            "inEdges": unique(inbound[nid]),
            "outEdges": unique(outbound[nid]),
        }
        for nid, node in answer.nodes.items()
    ]
    graph.sort(key=lambda n: str(n["id"]))
    return {"graph": graph}


def _deadline() -> float:
    return time.monotonic() + LINEAGE_TIMEOUT


def _lineage(store: GraphStore, settings: Settings, node_id: str, depth: int) -> Response:
    start = parse_public_id(store, node_id)
    # Marquez counts depth in jobs: dataset -> job -> dataset is one step of depth, two edges.
    hops = min(2 * depth, settings.max_depth, MAX_DEPTH)
    answer = lineage(
        store,
        start,
        Direction.BOTH,
        hops,
        node_budget=settings.node_budget,
        deadline=_deadline(),
    )
    datasets = [n for n in answer.nodes.values() if n.kind is NodeKind.DATASET]
    jobs = [n for n in answer.nodes.values() if n.kind is NodeKind.JOB]
    catalog = Catalog(store, datasets, jobs)
    data: dict[str, Json | None] = {d.id: _dataset(catalog, d) for d in datasets}
    data.update({j.id: _job(catalog, j) for j in jobs})
    body = _graph_json(answer, data, {})
    return _json(body, headers=_truncation(answer))


def _truncation(answer: LineageGraph) -> dict[str, str]:
    """Marquez's shape has no room to say an answer was cut: a header says it."""
    return {"X-Lineage-Truncated": "true" if answer.truncated else "false"}


def _column_lineage(
    store: GraphStore, settings: Settings, node_id: str, depth: int, with_downstream: bool
) -> Response:
    starts, as_of = column_starts(store, node_id)
    deadline = _deadline()
    answers = [
        lineage(
            store,
            start,
            Direction.BOTH if with_downstream else Direction.UPSTREAM,
            min(depth, settings.max_depth, MAX_DEPTH),
            as_of,
            Granularity.COLUMN,
            node_budget=settings.node_budget,
            deadline=deadline,
        )
        for start in starts
    ]
    answer = merged(answers)
    owners = column_owners(store, answer)
    datasets, current = owners.datasets, owners.current

    def ref(nid: str) -> Json:
        _, (namespace, name, path) = split_id(nid)
        version = current.get(dataset_id(namespace, name))
        return {
            "namespace": namespace,
            "dataset": name,
            "datasetVersion": version.props.get("version") if version else None,
            "field": path,
        }

    inputs: dict[str, list[Json]] = {}
    for edge in answer.edges:
        inputs.setdefault(edge.target, []).append({**ref(edge.source), **_how(edge.props)})
    data: dict[str, Json | None] = {}
    for nid in answer.nodes:
        owner = datasets.get(dataset_id(*split_id(nid)[1][:2]))
        base = ref(nid)
        entry = None
        if owner is not None:
            schema = schema_of(owner, current.get(owner.id))
            entry = schema_field(schema, str(base["field"]))
        mine = inputs.get(nid, [])
        data[nid] = {
            **base,
            "fieldType": entry.get("type") if entry else None,
            "transformationDescription": None,
            "transformationType": mine[0]["transformationType"] if mine else None,
            "inputFields": mine,
        }
    body = _graph_json(answer, data, {NodeKind.FIELD: "DATASET_FIELD"})
    return _json(body, headers=_truncation(answer))


# -- routes -------------------------------------------------------------------------------------------


@router.get("/namespaces", responses={200: answer(shapes.NamespaceList, "Every namespace.")})
async def list_namespaces(request: Request) -> Response:
    """Every namespace a dataset or job has been seen in (Marquez's ``NamespaceList``)."""
    store = _store(request)
    return await _answer(lambda: _json(_list_namespaces(store)))


def _segments(request: Request, rest: str) -> list[str]:
    """The path after ``/namespaces/``, split at the slashes the client sent as slashes.

    Namespaces hold ``://`` and names may hold ``/``: clients send them percent-encoded
    (``postgres%3A%2F%2Fdb%3A5432``), so the undecoded path is split before decoding.
    """
    raw = request.scope.get("raw_path")
    marker = b"/namespaces/"
    if isinstance(raw, bytes) and marker in raw:
        tail = raw.split(marker, 1)[1].decode("latin-1")
        parts = [unquote(p) for p in tail.split("/")]
    else:
        parts = rest.split("/")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    return parts


def _resource(parts: list[str]) -> tuple[str, str, str | None, str | None, str | None]:
    """(namespace, collection, name, sub-collection, item) of a path under ``/namespaces/``.

    A namespace or name sent with unencoded slashes still reads right: the namespace runs
    up to the first ``datasets`` or ``jobs``, a name up to a trailing ``versions`` or
    ``runs``.
    """
    split = next((i for i, p in enumerate(parts) if i > 0 and p in ("datasets", "jobs")), None)
    if split is None:
        return "/".join(parts), "", None, None, None
    namespace, collection, tail = "/".join(parts[:split]), parts[split], parts[split + 1 :]
    if not tail:
        return namespace, collection, None, None, None
    sub = "versions" if collection == "datasets" else "runs"
    if collection == "datasets" and len(tail) >= 3 and tail[-2] == sub:
        return namespace, collection, "/".join(tail[:-2]), sub, tail[-1]
    if len(tail) >= 2 and tail[-1] == sub:
        return namespace, collection, "/".join(tail[:-1]), sub, None
    return namespace, collection, "/".join(tail), None, None


# Described in /openapi.json at Marquez's paths, one per shape (lineage.api.marquez_paths).
@router.get("/namespaces/{rest:path}", include_in_schema=False)
async def namespace_resource(
    request: Request, rest: str, limit: Limit = 100, offset: Offset = 0
) -> Response:
    """A namespace, its datasets (one, its versions, one version), its jobs (one, its
    runs): Marquez's ``/namespaces/{namespace}/...`` routes."""
    store = _store(request)
    namespace, collection, name, sub, item = _resource(_segments(request, rest))

    def work() -> Response:
        if not collection:
            return _json(_get_namespace(store, namespace))
        if collection == "datasets":
            if name is None:
                return _json(_list_datasets(store, namespace, limit, offset))
            if sub is None:
                return _json(_get_dataset(store, namespace, name))
            if item is None:
                return _json(_list_versions(store, namespace, name, limit, offset))
            return _json(_get_version(store, namespace, name, item))
        if name is None:
            return _json(_list_jobs(store, namespace, limit, offset))
        if sub is None:
            return _json(_get_job(store, namespace, name))
        return _json(_list_runs(store, namespace, name, limit, offset))

    return await _answer(work)


@router.get("/jobs/runs/{run}", responses={200: answer(shapes.Run, "The run.")})
async def get_run(request: Request, run: str) -> Response:
    """One run by its id (Marquez's ``Run``)."""
    store = _store(request)
    return await _answer(lambda: _json(_get_run(store, run)))


@router.get(
    "/search", responses={200: answer(shapes.SearchResultList, "What matched, at most limit.")}
)
async def search_datasets_and_jobs(
    request: Request,
    q: Annotated[
        str,
        Query(
            min_length=1,
            description="Part of a dataset's or job's name; % matches any run of "
            "characters, _ any one character.",
        ),
    ],
    filter: Annotated[str | None, Query(description="DATASET or JOB.")] = None,
    sort: Annotated[str, Query(description="NAME or UPDATE_AT (newest first).")] = "NAME",
    limit: Annotated[int, Query(ge=1, le=SEARCH_LIMIT)] = 10,
    namespace: Annotated[str | None, Query(description="Only this namespace.")] = None,
) -> Response:
    """Datasets and jobs whose name matches ``q`` (Marquez's ``SearchResultList``)."""
    store = _store(request)
    wanted = (filter or "").upper()
    if wanted not in ("", "DATASET", "JOB"):
        return _error(400, f"filter must be DATASET or JOB (got {filter!r})")
    order = sort.upper()
    if order not in ("NAME", "UPDATE_AT"):
        return _error(400, f"sort must be NAME or UPDATE_AT (got {sort!r})")
    kind = NodeKind(wanted) if wanted else None
    return await _answer(lambda: _json(_search(store, q, kind, namespace, order, limit)))


NodeIdQuery = Annotated[
    str,
    Query(
        alias="nodeId",
        description="dataset:<namespace>:<name>, job:<namespace>:<name> (or for "
        "column lineage datasetField:<namespace>:<name>:<field>).",
    ),
]


@router.get(
    "/lineage", responses={200: answer(shapes.LineageGraph, "The datasets and jobs around it.")}
)
async def get_lineage(
    request: Request,
    node_id: NodeIdQuery,
    depth: Annotated[
        int, Query(ge=0, description="Jobs to follow away from the node, as in Marquez.")
    ] = 20,
) -> Response:
    """The datasets and jobs upstream and downstream of a node (Marquez's
    ``LineageGraph``). ``X-Lineage-Truncated: true`` says the node budget cut it short."""
    store, settings = _store(request), _settings(request)
    return await _answer(lambda: _lineage(store, settings, node_id, depth))


@router.get(
    "/column-lineage", responses={200: answer(shapes.ColumnLineageGraph, "The columns around it.")}
)
async def get_column_lineage(
    request: Request,
    node_id: NodeIdQuery,
    depth: Annotated[int, Query(ge=0, description="Column hops to follow.")] = 20,
    with_downstream: Annotated[
        bool, Query(alias="withDownstream", description="Also the columns it feeds.")
    ] = False,
) -> Response:
    """The columns a dataset's columns (or one column) are derived from, and with
    ``withDownstream`` the ones derived from them (Marquez's column lineage graph)."""
    store, settings = _store(request), _settings(request)
    return await _answer(lambda: _column_lineage(store, settings, node_id, depth, with_downstream))
