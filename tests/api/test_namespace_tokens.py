"""A token limited to one namespace sees nothing of another: every REST route and every
GraphQL query field, asked by a token holding ``read:shop`` about a graph that spans
``shop`` and ``zqvault``, answers without a trace of ``zqvault``: no name, run id or
incident id of it appears anywhere in the answer's text (ids encoded in base64 decoded
too). Writes by a token limited to ``shop`` are refused for events naming another
namespace. On each store under contract."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from lineage.api.app import create_app
from lineage.settings import Settings
from lineage.store import GraphStore
from tests.factories import (
    column_lineage,
    dataset,
    facet,
    new_run_id,
    run_event,
    schema,
)

SHOP = "shop"
VAULT = "zqvault"
#: Every name of the hidden namespace holds this.
SECRET = "zqsecret"

TOKENS = [
    "admin-token=admin",
    "shop-reader=read:shop",
    "shop-writer=ingest:shop",
    "shop-incidents=read:shop+incidents:shop",
    "two-reader=read:shop,zqvault",
    "wide-reader=read+incidents:shop",
]

RUN_LOAD = new_run_id("load")
RUN_SECRET = new_run_id("zq-secret-run")
RUN_SECRET_AGAIN = new_run_id("zq-secret-run-2")
RUN_REPORT = new_run_id("report")
RUN_CHECK = new_run_id("check")
RUN_PARENT = new_run_id("zq-parent")
RUN_SECRET_TEST = new_run_id("zq-secret-test")


def events() -> list[dict[str, Any]]:
    """Three visible jobs and a hidden one, with lineage crossing the two namespaces both
    ways, column lineage, a symlink, a parent run, failures and schema changes."""
    raw_orders = dataset(SHOP, "raw_orders", s=schema("id", "amount"))
    orders = dataset(
        SHOP,
        "orders",
        s=schema("id", "amount"),
        c=column_lineage({"amount": [(SHOP, "raw_orders", "amount")]}),
        l={
            "symlinks": facet(
                "SymlinksDatasetFacet",
                identifiers=[{"namespace": VAULT, "name": f"{SECRET}_alias", "type": "TABLE"}],
            )
        },
    )
    orders_dropped = dataset(SHOP, "orders", s=schema("id"))
    secret_table = dataset(
        VAULT,
        f"{SECRET}_table",
        s=schema(f"{SECRET}_col", "id"),
        c=column_lineage({f"{SECRET}_col": [(SHOP, "orders", "amount")]}),
    )
    secret_table_changed = dataset(VAULT, f"{SECRET}_table", s=schema(("id", "BIGINT")))
    report = dataset(
        SHOP,
        "report",
        s=schema("total"),
        c=column_lineage(
            {"total": [(VAULT, f"{SECRET}_table", f"{SECRET}_col"), (SHOP, "orders", "amount")]}
        ),
    )
    secret_job = (VAULT, f"{SECRET}_job")
    parent = {
        "parent": facet(
            "ParentRunFacet",
            run={"runId": RUN_PARENT},
            job={"namespace": VAULT, "name": f"{SECRET}_parent"},
        )
    }
    sql = {"sql": facet("SQLJobFacet", query="insert into report select sum(amount) from src")}
    # A hidden job tests a visible dataset, and a test fails: the visible dataset's incident
    # must not give the hidden run away.
    tested = {
        **dataset(SHOP, "raw_orders"),
        "inputFacets": {
            "dataQualityAssertions": facet(
                "DataQualityAssertionsDatasetFacet",
                assertions=[{"assertion": "not_null", "column": "id", "success": False}],
            )
        },
    }
    tests_job = (VAULT, f"{SECRET}_tests")
    return [
        run_event("START", RUN_SECRET_TEST, tests_job, time=0.5, inputs=[tested]),
        run_event("FAIL", RUN_SECRET_TEST, tests_job, time=0.6, inputs=[tested]),
        run_event(
            "START", RUN_LOAD, (SHOP, "load_orders"), time=0, inputs=[raw_orders], outputs=[orders]
        ),
        run_event(
            "COMPLETE",
            RUN_LOAD,
            (SHOP, "load_orders"),
            time=1,
            inputs=[raw_orders],
            outputs=[orders],
        ),
        run_event("START", RUN_SECRET, secret_job, time=2, inputs=[orders], outputs=[secret_table]),
        run_event(
            "COMPLETE", RUN_SECRET, secret_job, time=3, inputs=[orders], outputs=[secret_table]
        ),
        run_event(
            "START",
            RUN_REPORT,
            (SHOP, "build_report"),
            time=4,
            inputs=[secret_table, orders],
            outputs=[report],
            run_facets=parent,
            job_facets=sql,
        ),
        run_event(
            "COMPLETE",
            RUN_REPORT,
            (SHOP, "build_report"),
            time=5,
            inputs=[secret_table, orders],
            outputs=[report],
            run_facets=parent,
            job_facets=sql,
        ),
        # The visible orders lose a column its hidden consumer reads; the hidden table
        # changes a column's type and its job then fails.
        run_event(
            "START", new_run_id("load-2"), (SHOP, "load_orders"), time=6, outputs=[orders_dropped]
        ),
        run_event(
            "COMPLETE",
            new_run_id("load-2"),
            (SHOP, "load_orders"),
            time=7,
            outputs=[orders_dropped],
        ),
        run_event(
            "START",
            RUN_SECRET_AGAIN,
            secret_job,
            time=8,
            inputs=[orders],
            outputs=[secret_table_changed],
        ),
        run_event(
            "FAIL",
            RUN_SECRET_AGAIN,
            secret_job,
            time=9,
            inputs=[orders],
            outputs=[secret_table_changed],
        ),
        run_event("START", RUN_CHECK, (SHOP, "check_orders"), time=10, inputs=[orders_dropped]),
        run_event("FAIL", RUN_CHECK, (SHOP, "check_orders"), time=11, inputs=[orders_dropped]),
    ]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(store: GraphStore) -> Iterator[TestClient]:
    settings = Settings(
        tokens=TOKENS,
        graphql_max_cost=10**15,
        graphql_default_list_size=1,
        graphql_max_items=10_000_000,
        graphql_max_fragment_spreads=10_000,
    )
    with TestClient(create_app(settings, store=store), raise_server_exceptions=False) as c:
        answer = c.post("/api/v1/lineage/batch", json=events(), headers=auth("admin-token"))
        assert answer.status_code == 201, answer.text
        for namespace, name in [(SHOP, "report"), (VAULT, f"{SECRET}_table"), (SHOP, "orders")]:
            opened = c.post(
                "/api/v1/incidents",
                json={"namespace": namespace, "name": name, "title": "looks wrong"},
                headers=auth("admin-token"),
            )
            assert opened.status_code == 201, opened.text
        yield c


def hidden_marks(client: TestClient) -> list[str]:
    """What must not appear: the hidden namespace, its names, its runs and incidents."""
    marks = [VAULT, SECRET, RUN_SECRET, RUN_SECRET_AGAIN, RUN_PARENT, RUN_SECRET_TEST]
    every = client.get("/api/v1/incidents", headers=auth("admin-token")).json()["nodes"]
    for incident in every:
        text = str(incident)
        if VAULT in text or SECRET in text:
            marks.append(incident["id"])
    assert len(marks) > 5, "the hidden namespace has incidents"
    return marks


_TOKEN = re.compile(r"[A-Za-z0-9_-]{8,}")


def readable(text: str) -> str:
    """``text`` and every base64url run in it decoded (ids and cursors are such)."""
    decoded = [text]
    for token in _TOKEN.findall(text):
        try:
            decoded.append(
                base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("utf-8")
            )
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
    return "\n".join(decoded)


def leaks(text: str, marks: list[str], echoed: Iterable[str] = ()) -> list[str]:
    """The marks found in ``text``, apart from what the request itself said (``echoed``:
    a 404 names what was asked for)."""
    seen = readable(text)
    for said in sorted(echoed, key=len, reverse=True):
        seen = re.sub(re.escape(said) + r"(?![\w.])", "", seen)
    seen = seen.lower()
    return [m for m in marks if m.lower() in seen]


def said(path: str, params: dict[str, Any], body: Any, marks: list[str]) -> set[str]:
    """The words of a request that name something of the hidden namespace."""
    words = set(path.split("/")) | {str(v) for v in params.values()}
    words |= set(re.findall(r"[\w.:-]+", str(body)))
    words |= {w.split(":", 1)[1] for w in words if ":" in w}
    words |= set(readable(" ".join(words)).replace("\x1f", " ").split())
    return {w for w in words if any(m in w for m in marks)}


# REST -------------------------------------------------------------------------------------

#: Routes that answer no graph data (or need admin): nothing of a namespace to filter.
NO_GRAPH_DATA = {
    ("GET", "/"),
    ("GET", "/bench.html"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/docs"),
    ("GET", "/openapi.json"),
    ("GET", "/metrics"),
    ("GET", "/api/v1/webhooks/deliveries"),
    ("POST", "/api/v1/admin/prune"),
    # Writes: tested below.
    ("POST", "/api/v1/lineage"),
    ("POST", "/api/v1/lineage/batch"),
    ("POST", "/api/v1/incidents"),
    ("POST", "/api/v1/incidents/{incident}/acknowledge"),
    ("POST", "/api/v1/incidents/{incident}/resolve"),
    ("POST", "/api/v1/incidents/{incident}/reopen"),
}

DS = f"dataset:{SHOP}:orders"
#: (route as in the route table, method, concrete path, query parameters, JSON body)
REST: list[tuple[str, str, str, dict[str, Any], Any]] = [
    ("/api/v1/namespaces", "GET", "/api/v1/namespaces", {}, None),
    ("/api/v1/namespaces/{rest:path}", "GET", f"/api/v1/namespaces/{SHOP}", {}, None),
    ("/api/v1/namespaces/{rest:path}", "GET", f"/api/v1/namespaces/{VAULT}", {}, None),
    ("/api/v1/namespaces/{rest:path}", "GET", f"/api/v1/namespaces/{SHOP}/datasets", {}, None),
    ("/api/v1/namespaces/{rest:path}", "GET", f"/api/v1/namespaces/{VAULT}/datasets", {}, None),
    (
        "/api/v1/namespaces/{rest:path}",
        "GET",
        f"/api/v1/namespaces/{SHOP}/datasets/orders",
        {},
        None,
    ),
    (
        "/api/v1/namespaces/{rest:path}",
        "GET",
        f"/api/v1/namespaces/{SHOP}/datasets/report",
        {},
        None,
    ),
    (
        "/api/v1/namespaces/{rest:path}",
        "GET",
        f"/api/v1/namespaces/{SHOP}/datasets/orders/versions",
        {},
        None,
    ),
    (
        "/api/v1/namespaces/{rest:path}",
        "GET",
        f"/api/v1/namespaces/{SHOP}/datasets/zqsecret_tabl",
        {},
        None,
    ),
    ("/api/v1/namespaces/{rest:path}", "GET", f"/api/v1/namespaces/{SHOP}/jobs", {}, None),
    (
        "/api/v1/namespaces/{rest:path}",
        "GET",
        f"/api/v1/namespaces/{SHOP}/jobs/build_report",
        {},
        None,
    ),
    (
        "/api/v1/namespaces/{rest:path}",
        "GET",
        f"/api/v1/namespaces/{SHOP}/jobs/build_report/runs",
        {},
        None,
    ),
    (
        "/api/v1/namespaces/{rest:path}",
        "GET",
        f"/api/v1/namespaces/{SHOP}/jobs/load_orders/runs",
        {},
        None,
    ),
    (
        "/api/v1/namespaces/{rest:path}",
        "GET",
        f"/api/v1/namespaces/{SHOP}/jobs/zqsecret_jo",
        {},
        None,
    ),
    ("/api/v1/jobs/runs/{run}", "GET", f"/api/v1/jobs/runs/{RUN_REPORT}", {}, None),
    ("/api/v1/jobs/runs/{run}", "GET", f"/api/v1/jobs/runs/{RUN_LOAD}", {}, None),
    ("/api/v1/search", "GET", "/api/v1/search", {"q": "zqsecret"}, None),
    ("/api/v1/search", "GET", "/api/v1/search", {"q": "o"}, None),
    ("/api/v1/search", "GET", "/api/v1/search", {"q": "%", "limit": 100}, None),
    ("/api/v1/lineage", "GET", "/api/v1/lineage", {"nodeId": DS, "depth": 20}, None),
    (
        "/api/v1/lineage",
        "GET",
        "/api/v1/lineage",
        {"nodeId": f"dataset:{SHOP}:report", "depth": 20},
        None,
    ),
    ("/api/v1/lineage", "GET", "/api/v1/lineage", {"nodeId": f"job:{SHOP}:build_report"}, None),
    (
        "/api/v1/column-lineage",
        "GET",
        "/api/v1/column-lineage",
        {"nodeId": f"dataset:{SHOP}:report", "withDownstream": "true"},
        None,
    ),
    (
        "/api/v1/column-lineage",
        "GET",
        "/api/v1/column-lineage",
        {"nodeId": f"datasetField:{SHOP}:orders:amount", "withDownstream": "true"},
        None,
    ),
    ("/api/v1/events/lineage", "GET", "/api/v1/events/lineage", {"limit": 1000}, None),
    ("/api/v1/events/lineage", "GET", "/api/v1/events/lineage", {"runId": RUN_REPORT}, None),
    ("/api/v1/incidents", "GET", "/api/v1/incidents", {}, None),
    (
        "/api/v1/triage",
        "GET",
        "/api/v1/triage",
        {"namespace": SHOP, "name": "report", "since": "2026-01-01T00:00:00Z"},
        None,
    ),
    (
        "/api/v1/triage",
        "GET",
        "/api/v1/triage",
        {"namespace": SHOP, "name": "orders", "since": "2026-01-01T00:00:00Z"},
        None,
    ),
    (
        "/api/v1/impact",
        "POST",
        "/api/v1/impact",
        {},
        {
            "dataset": {"namespace": SHOP, "name": "orders"},
            "changes": [{"kind": "DROP_FIELD", "field": "amount"}],
        },
    ),
    (
        "/api/v1/impact",
        "POST",
        "/api/v1/impact",
        {},
        {
            "dataset": {"namespace": SHOP, "name": "raw_orders"},
            "changes": [{"kind": "DROP_FIELD", "field": "amount"}],
        },
    ),
]
for fmt in ("json", "csv", "graphml", "dot", "mermaid"):
    REST.append(("/api/v1/export", "GET", "/api/v1/export", {"format": fmt}, None))
    REST.append(
        ("/api/v1/export", "GET", "/api/v1/export", {"format": fmt, "start": DS, "depth": 20}, None)
    )
REST.append(("/api/v1/export", "GET", "/api/v1/export", {"granularity": "COLUMN"}, None))
REST.append(("/api/v1/export", "GET", "/api/v1/export", {"granularity": "RUN"}, None))


def test_the_table_covers_every_route_that_answers_graph_data() -> None:
    from tests.api.test_access_scopes import ROUTES

    covered = {(method, route) for route, method, *_ in REST} | {
        ("GET", "/api/v1/incidents/{incident}/triage"),  # below, per incident
        ("GET", "/graphql"),
        ("POST", "/graphql"),
    }
    assert set(ROUTES) - NO_GRAPH_DATA - covered == set()


def test_no_rest_answer_names_anything_of_another_namespace(client: TestClient) -> None:
    marks = hidden_marks(client)
    found_by_admin: set[str] = set()
    problems = []
    for _route, method, path, params, body in REST:
        for token in ("shop-reader", "admin-token"):
            answer = client.request(method, path, params=params, json=body, headers=auth(token))
            assert answer.status_code < 500, (path, params, answer.text)
            if token == "admin-token":
                found_by_admin.update(leaks(answer.text, marks))
                continue
            assert answer.status_code not in (401, 403), (path, answer.text)
            leaked = leaks(
                answer.text + str(dict(answer.headers)), marks, said(path, params, body, marks)
            )
            if leaked:
                problems.append((method, path, params, leaked, answer.text[:400]))
    assert problems == [], "\n".join(map(str, problems))
    # The table is worth something: an unlimited token sees the hidden namespace there.
    assert {VAULT, SECRET, RUN_SECRET} <= found_by_admin


def test_an_answer_says_something_was_left_out_without_naming_it(client: TestClient) -> None:
    limited = client.get(
        "/api/v1/lineage", params={"nodeId": DS, "depth": 20}, headers=auth("shop-reader")
    )
    assert limited.headers.get("x-lineage-hidden") == "true"
    assert leaks(limited.text, [VAULT, SECRET]) == []
    both = client.get(
        "/api/v1/lineage", params={"nodeId": DS, "depth": 20}, headers=auth("two-reader")
    )
    assert "x-lineage-hidden" not in both.headers
    assert SECRET in both.text
    # A visible job read the hidden table: its lineage shows its visible input only.
    names = {
        n["data"].get("name")
        for n in client.get(
            "/api/v1/lineage",
            params={"nodeId": f"job:{SHOP}:build_report"},
            headers=auth("shop-reader"),
        ).json()["graph"]
    }
    assert "orders" in names and "report" in names
    # GraphQL (and so the explorer) says so the same way.
    query = (
        '{ lineage(start: {namespace: "shop", name: "orders"}, direction: BOTH) { nodes { id } } }'
    )
    asked = client.post("/graphql", json={"query": query}, headers=auth("shop-reader"))
    assert asked.status_code == 200 and "errors" not in asked.json(), asked.text
    assert asked.headers.get("x-lineage-hidden") == "true"


def test_counts_hold_only_what_is_visible(client: TestClient) -> None:
    limited = client.get("/api/v1/incidents", headers=auth("shop-reader")).json()
    every = client.get("/api/v1/incidents", headers=auth("admin-token")).json()
    assert limited["totalCount"] == len(limited["nodes"]) < every["totalCount"]
    query = '{ search(query: "o", first: 100) { totalCount edges { node { id } } } }'
    found = client.post("/graphql", json={"query": query}, headers=auth("shop-reader")).json()
    assert found["data"]["search"]["totalCount"] == len(found["data"]["search"]["edges"])


def test_listings_hold_only_the_visible_namespace(client: TestClient) -> None:
    namespaces = client.get("/api/v1/namespaces", headers=auth("shop-reader")).json()["namespaces"]
    assert [n["name"] for n in namespaces] == [SHOP]
    datasets = client.get(f"/api/v1/namespaces/{SHOP}/datasets", headers=auth("shop-reader")).json()
    assert sorted(d["name"] for d in datasets["datasets"]) == ["orders", "raw_orders", "report"]
    assert datasets["totalCount"] == 3
    hidden = client.get(
        f"/api/v1/namespaces/{VAULT}/datasets/{SECRET}_table", headers=auth("shop-reader")
    )
    missing = client.get(
        f"/api/v1/namespaces/{VAULT}/datasets/no_such_table", headers=auth("shop-reader")
    )
    assert hidden.status_code == missing.status_code == 404


def test_incident_triage_shows_only_visible_incidents(client: TestClient) -> None:
    marks = hidden_marks(client)
    seen = client.get("/api/v1/incidents", headers=auth("shop-reader")).json()["nodes"]
    assert seen, "the visible namespace has incidents"
    for incident in seen:
        answer = client.get(
            f"/api/v1/incidents/{incident['id']}/triage", headers=auth("shop-reader")
        )
        assert answer.status_code == 200, answer.text
        assert leaks(answer.text, marks) == []
    every = client.get("/api/v1/incidents", headers=auth("admin-token")).json()["nodes"]
    for incident in every:
        if incident["id"] in marks:
            answer = client.get(
                f"/api/v1/incidents/{incident['id']}/triage", headers=auth("shop-reader")
            )
            assert answer.status_code == 404, answer.text
            # An incidents token limited to shop cannot touch it either.
            acted = client.post(
                f"/api/v1/incidents/{incident['id']}/acknowledge", headers=auth("shop-incidents")
            )
            assert acted.status_code == 404, acted.text


# GraphQL ----------------------------------------------------------------------------------

INTROSPECTION = """{ __schema { queryType { name } types { name kind possibleTypes { name }
  fields { name args { name defaultValue type { kind ofType { kind ofType { kind } } } }
    type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }"""


def _named(t: dict[str, Any]) -> tuple[str, str]:
    while t.get("ofType"):
        t = t["ofType"]
    return t["kind"], t["name"]


def _signature(t: dict[str, Any]) -> str:
    return f"{t['kind']}:{t.get('name')}:{_signature(t['ofType']) if t.get('ofType') else ''}"


def selection(
    types: dict[str, Any], name: str, depth: int, skip: frozenset[str] = frozenset()
) -> str:
    """Every field of ``name`` that takes no required argument, ``depth`` levels down (in
    fragments on several types, a field whose type differs from the first fragment's
    holding it is left out: the two could not be merged)."""
    kind = types[name]["kind"]
    if kind in ("INTERFACE", "UNION"):
        if depth <= 0:
            return "__typename"
        parts = ["__typename"]
        first: dict[str, str] = {}
        for possible in sorted(p["name"] for p in types[name]["possibleTypes"]):
            clash = set()
            for f in types[possible]["fields"]:
                sig = _signature(f["type"])
                if first.setdefault(f["name"], sig) != sig:
                    clash.add(f["name"])
            inner = selection(types, possible, depth - 1, frozenset(clash))
            parts.append(f"... on {possible} {{ {inner} }}")
        return " ".join(parts)
    fields = []
    for f in types[name]["fields"]:
        required = [
            a for a in f["args"] if a["type"]["kind"] == "NON_NULL" and a["defaultValue"] is None
        ]
        if required or f["name"] in skip:
            continue
        field_kind, field_type = _named(f["type"])
        named = f["name"]
        if field_kind in ("SCALAR", "ENUM"):
            fields.append(named)
        elif depth > 0:
            fields.append(f"{named} {{ {selection(types, field_type, depth - 1)} }}")
    return " ".join(fields) or "__typename"


def documents(types: dict[str, Any], field: str, args: str, returns: str) -> list[str]:
    """Queries of ``field`` that together ask for every field of what it returns, each as
    deep as the server's token limit allows (one query per field of the answer)."""
    parts = selection(types, returns, 1).split(" ") if types[returns]["kind"] == "OBJECT" else []
    heads = [
        f["name"]
        for f in types[returns]["fields"] or []
        if not any(a["type"]["kind"] == "NON_NULL" and a["defaultValue"] is None for a in f["args"])
    ]
    out = []
    for head in heads or ["__typename"]:
        for depth in (3, 2, 1, 0):
            inner = selection(types, returns, depth)
            picked = _pick(types, returns, head, depth) if heads else inner
            document = f"{{ {field}({args}) {{ __typename {picked} }} }}"
            if len(_TOKENS.findall(document)) < 4500:
                out.append(document)
                break
    del parts
    return out


_TOKENS = re.compile(r"\.\.\.|[A-Za-z_][A-Za-z0-9_]*|[{}():,\[\]!]|\"[^\"]*\"|-?\d+")


def _pick(types: dict[str, Any], name: str, head: str, depth: int) -> str:
    """The selection of one field ``head`` of ``name``, ``depth`` levels below it."""
    [f] = [f for f in types[name]["fields"] if f["name"] == head]
    kind, returns = _named(f["type"])
    if kind in ("SCALAR", "ENUM"):
        return head
    return f"{head} {{ {selection(types, returns, depth)} }}"


def ref(namespace: str, name: str) -> str:
    return f'{{namespace: "{namespace}", name: "{name}"}}'


#: Each query field with the arguments it is asked with (some visible, some probing).
GRAPHQL: list[tuple[str, str]] = [
    ("dataset", f'namespace: "{SHOP}", name: "orders"'),
    ("dataset", f'namespace: "{SHOP}", name: "report"'),
    ("dataset", f'namespace: "{VAULT}", name: "{SECRET}_table"'),
    ("field", f'namespace: "{SHOP}", name: "orders", path: "amount"'),
    ("field", f'namespace: "{SHOP}", name: "report", path: "total"'),
    ("job", f'namespace: "{SHOP}", name: "build_report"'),
    ("job", f'namespace: "{SHOP}", name: "load_orders"'),
    ("job", f'namespace: "{VAULT}", name: "{SECRET}_job"'),
    ("run", f'runId: "{RUN_REPORT}"'),
    ("run", f'runId: "{RUN_SECRET}"'),
    (
        "node",
        f'id: "{base64.urlsafe_b64encode(f"DATASET{chr(31)}{VAULT}{chr(31)}{SECRET}_table".encode()).decode().rstrip("=")}"',
    ),
    (
        "node",
        f'id: "{base64.urlsafe_b64encode(f"DATASET{chr(31)}{SHOP}{chr(31)}orders".encode()).decode().rstrip("=")}"',
    ),
    ("lineage", f"start: {ref(SHOP, 'orders')}, direction: BOTH, depth: 20"),
    ("lineage", f"start: {ref(SHOP, 'report')}, direction: BOTH, depth: 20, granularity: COLUMN"),
    ("lineage", f'start: {{runId: "{RUN_REPORT}"}}, direction: BOTH, depth: 20, granularity: RUN'),
    ("lineage", f"start: {ref(SHOP, 'orders')}, direction: BOTH, depth: 20, kinds: [DATASET]"),
    ("paths", f"from: {ref(SHOP, 'orders')}, to: {ref(SHOP, 'report')}"),
    (
        "paths",
        f'from: {{namespace: "{SHOP}", name: "orders", field: "amount"}}, '
        f'to: {{namespace: "{SHOP}", name: "report", field: "total"}}, granularity: COLUMN',
    ),
    ("search", 'query: "zqsecret"'),
    ("search", 'query: "o", first: 100'),
    ("search", f'query: "o", namespace: "{VAULT}"'),
    (
        "lineageDiff",
        f'start: {ref(SHOP, "orders")}, since: "2026-01-01T00:00:00Z", direction: BOTH',
    ),
    (
        "lineageDiff",
        f'start: {ref(SHOP, "report")}, since: "2026-01-01T00:00:00Z", direction: BOTH',
    ),
    ("impact", f'dataset: {ref(SHOP, "orders")}, changes: [{{kind: DROP_FIELD, field: "amount"}}]'),
    (
        "impact",
        f'dataset: {ref(SHOP, "raw_orders")}, changes: [{{kind: DROP_FIELD, field: "amount"}}]',
    ),
    ("incidents", "first: 100"),
    ("triage", f'node: {ref(SHOP, "report")}, since: "2026-01-01T00:00:00Z"'),
    ("triage", f'node: {ref(SHOP, "orders")}, since: "2026-01-01T00:00:00Z"'),
]


ADMIN_TOO = {"lineage", "search", "run"}


def test_no_graphql_field_names_anything_of_another_namespace(client: TestClient) -> None:
    marks = hidden_marks(client)
    schema_answer = client.post(
        "/graphql", json={"query": INTROSPECTION}, headers=auth("shop-reader")
    )
    described = schema_answer.json()["data"]["__schema"]
    types = {t["name"]: t for t in described["types"]}
    query_fields = {f["name"]: f for f in types[described["queryType"]["name"]]["fields"]}
    assert set(query_fields) - {name for name, _ in GRAPHQL} == set(), "every query field is asked"
    incident_ids = [
        i["id"]
        for i in client.get("/api/v1/incidents", headers=auth("shop-reader")).json()["nodes"]
    ]
    asked = list(GRAPHQL) + [("triage", f'incident: "{i}"') for i in incident_ids]
    problems = []
    found_by_admin: set[str] = set()
    for field, args in asked:
        _, returns = _named(query_fields[field]["type"])
        for document, token in [
            (d, t)
            for d in documents(types, field, args, returns)
            # An unlimited token asks a few, to show the probes reach the hidden namespace.
            for t in (("shop-reader", "admin-token") if field in ADMIN_TOO else ("shop-reader",))
        ]:
            answer = client.post("/graphql", json={"query": document}, headers=auth(token))
            assert answer.status_code == 200, (field, answer.text[:2000])
            body = answer.json()
            refused = [
                e
                for e in body.get("errors") or []
                if (e.get("extensions") or {}).get("code") not in ("NOT_FOUND",)
            ]
            assert refused == [], (field, args, refused)
            if token == "admin-token":
                found_by_admin.update(leaks(answer.text, marks))
            elif leaked := leaks(
                answer.text + str(dict(answer.headers)), marks, said("", {}, args, marks)
            ):
                problems.append((field, args, leaked, answer.text[:600]))
    assert problems == [], "\n".join(map(str, problems))
    assert {VAULT, SECRET, RUN_SECRET} <= found_by_admin


def test_the_explorer_reads_over_get_the_same_way(client: TestClient) -> None:
    query = '{ search(query: "o", first: 100) { edges { node { id name namespace } } } }'
    answer = client.get(f"/graphql?query={quote(query)}", headers=auth("shop-reader"))
    assert answer.status_code == 200, answer.text
    assert leaks(answer.text, [VAULT, SECRET]) == []


# Writes -----------------------------------------------------------------------------------


def test_a_limited_ingest_token_writes_its_namespace_only(client: TestClient) -> None:
    mine = run_event("START", new_run_id("w1"), (SHOP, "w"), outputs=[dataset(SHOP, "w_out")])
    assert client.post("/api/v1/lineage", json=mine, headers=auth("shop-writer")).status_code == 201
    crossing = run_event("START", new_run_id("w2"), (SHOP, "w"), inputs=[dataset("elsewhere", "x")])
    refused = client.post("/api/v1/lineage", json=crossing, headers=auth("shop-writer"))
    assert refused.status_code == 403, refused.text
    assert "'elsewhere'" in refused.json()["error"]
    batch = client.post("/api/v1/lineage/batch", json=[mine, crossing], headers=auth("shop-writer"))
    assert batch.status_code == 403, batch.text
    assert "index 1" in batch.json()["error"] and "'elsewhere'" in batch.json()["error"]
    # Nothing of the refused batch was stored.
    assert (
        client.get(
            "/api/v1/namespaces/elsewhere/datasets/x", headers=auth("admin-token")
        ).status_code
        == 404
    )


def test_a_limited_incidents_token_opens_incidents_in_its_namespace_only(
    client: TestClient,
) -> None:
    ok = client.post(
        "/api/v1/incidents",
        json={"namespace": SHOP, "name": "orders", "title": "t"},
        headers=auth("shop-incidents"),
    )
    assert ok.status_code == 201, ok.text
    hidden = client.post(
        "/api/v1/incidents",
        json={"namespace": VAULT, "name": f"{SECRET}_table", "title": "t"},
        headers=auth("shop-incidents"),
    )
    assert hidden.status_code == 404, hidden.text


def test_settings_read_namespaces_in_token_entries() -> None:
    settings = Settings(tokens="a=read:shop,zqvault+ingest:shop,b=read,c=read:pg%3A%2F%2Fh%2Cx")
    grants = list(settings.token_grants().values())
    assert grants[0] == {"read": frozenset({SHOP, VAULT}), "ingest": frozenset({SHOP})}
    assert grants[1] == {"read": None}
    assert grants[2] == {"read": frozenset({"pg://h,x"})}
    with pytest.raises(ValueError, match="admin"):
        Settings(tokens="a=admin:shop")


def test_graphql_changes_incidents_only_where_the_incidents_scope_covers_what_is_read(
    client: TestClient,
) -> None:
    [visible] = [
        i["id"]
        for i in client.get("/api/v1/incidents", headers=auth("shop-reader")).json()["nodes"]
        if i["subject"].get("name") == "report"
    ]
    mutation = f'mutation {{ acknowledgeIncident(id: "{visible}") {{ status }} }}'
    # Reads everything, changes incidents of shop only: GraphQL cannot tell the two apart.
    wide = client.post("/graphql", json={"query": mutation}, headers=auth("wide-reader")).json()
    assert wide["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    same = client.post("/graphql", json={"query": mutation}, headers=auth("shop-incidents")).json()
    assert same.get("errors") is None, same
    assert same["data"]["acknowledgeIncident"]["status"] == "ACKNOWLEDGED"


def test_openapi_describes_scopes_limited_to_namespaces(client: TestClient) -> None:
    described = client.get("/openapi.json", headers=auth("shop-reader")).json()
    scheme = described["components"]["securitySchemes"]["bearerAuth"]["description"]
    assert "read:ns1,ns2" in scheme and "X-Lineage-Hidden" in scheme and "403" in scheme
