"""How fast the server answers while Neo4j is unreachable: the first request (which finds it
gone and opens the circuit breaker) and the ones after (answered by the open breaker).

    python -m benchmarks.outage [--requests 200] [--neo4j neo4j://127.0.0.1:PORT]

Without ``--neo4j`` it points the store at a port nothing listens on (a refused connection,
as a stopped Neo4j on the same host gives). Prints JSON, with the load average.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import time

import orjson
from fastapi.testclient import TestClient

from lineage.api.app import create_app
from lineage.settings import Settings
from lineage.store.neo4j import Neo4jStore


def _dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"neo4j://127.0.0.1:{s.getsockname()[1]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--neo4j", help="a Neo4j URL that is down (default: a closed port)")
    args = parser.parse_args()
    url = args.neo4j or _dead_url()
    store = Neo4jStore(url)  # its start-up migrate finds Neo4j down and opens the breaker
    assert store.breaker.retry_after() is not None
    # Wait out the cooldown so that the first request is a real attempt.
    time.sleep((store.breaker.retry_after() or 0) + 0.05)
    timings: list[float] = []
    statuses: dict[int, int] = {}
    with TestClient(create_app(Settings(store=url), store=store)) as client:
        for _ in range(args.requests):
            started = time.perf_counter()
            response = client.get("/api/v1/lineage", params={"nodeId": "dataset:pg:x"})
            timings.append(time.perf_counter() - started)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    store.close()
    rest = sorted(timings[1:])
    report = {
        "benchmark": "outage",
        "neo4j": url,
        "requests": args.requests,
        "statuses": {str(k): v for k, v in statuses.items()},
        "first_request_ms": round(timings[0] * 1000, 2),
        "while_open_ms": {
            "median": round(statistics.median(rest) * 1000, 3),
            "p99": round(rest[int(len(rest) * 0.99) - 1] * 1000, 3),
            "max": round(rest[-1] * 1000, 3),
        },
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
