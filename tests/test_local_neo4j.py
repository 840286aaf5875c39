"""The Neo4j that `make test` starts (tools/neo4j) is a real server answering Bolt."""

from __future__ import annotations

import os

from tests.conftest import skip_or_fail


def test_the_local_neo4j_answers_cypher_over_bolt() -> None:
    url = os.environ.get("LINEAGE_TEST_NEO4J")
    if not url:
        skip_or_fail(
            "no local Neo4j: run `make neo4j-start` and set "
            "LINEAGE_TEST_NEO4J=neo4j://127.0.0.1:7687 (make test does both)"
        )
        return
    from neo4j import GraphDatabase

    with GraphDatabase.driver(url) as driver:
        records, _, _ = driver.execute_query(
            "CALL dbms.components() YIELD name, versions, edition "
            "RETURN name, versions[0] AS version, edition"
        )
    [component] = records
    assert component["name"] == "Neo4j Kernel"
    assert component["version"].startswith("5.26.")
