"""docker-compose.yml runs Neo4j and the service built from the Dockerfile (checked without Docker)."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest

from tests.conftest import REPO

yaml = pytest.importorskip("yaml")


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return loaded


def dockerfile() -> list[str]:
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def test_neo4j_is_the_5_26_community_image_with_auth_from_the_environment_and_a_volume() -> None:
    neo4j = compose()["services"]["neo4j"]
    assert neo4j["image"] == "neo4j:5.26-community"
    assert re.fullmatch(r"neo4j/\$\{NEO4J_PASSWORD[^}]*\}", neo4j["environment"]["NEO4J_AUTH"])
    assert any(v.endswith(":/data") for v in neo4j["volumes"])
    assert compose()["volumes"] and "neo4j-data" in compose()["volumes"]


def test_neo4j_has_a_healthcheck_that_runs_a_query() -> None:
    check = compose()["services"]["neo4j"]["healthcheck"]
    assert "cypher-shell" in " ".join(check["test"])
    assert check["retries"] >= 3 and check["interval"]


def test_the_service_is_built_here_and_waits_for_a_healthy_neo4j() -> None:
    service = compose()["services"]["lineage"]
    assert service["build"] == "."
    assert service["depends_on"] == {"neo4j": {"condition": "service_healthy"}}
    env = service["environment"]
    assert env["LINEAGE_STORE"] == "neo4j://neo4j:7687"
    assert env["LINEAGE_NEO4J_USER"] == "neo4j"
    assert "${NEO4J_PASSWORD" in env["LINEAGE_NEO4J_PASSWORD"]
    assert any(str(p).endswith("8000:8000") for p in service["ports"])


def test_the_image_builds_the_explorer_in_a_node_stage_and_serves_it() -> None:
    lines = dockerfile()
    assert lines[0] == "FROM node:20-slim AS explorer"
    assert any(line.startswith("RUN") and "npm ci" in line for line in lines)
    assert any(line.startswith("RUN") and "npm run build" in line for line in lines)
    assert "COPY --from=explorer /src/lineage/web/static ./lineage/web/static" in lines
    # The build context leaves out what the stages build, so a stale local build never wins.
    ignored = (REPO / ".dockerignore").read_text().split()
    assert "lineage/web/static" in ignored and "**/node_modules" in ignored


def test_the_dockerfile_installs_the_package_from_pyproject_and_serves_it() -> None:
    lines = dockerfile()
    assert next(line for line in lines if line.startswith("FROM python")).startswith(
        "FROM python:3.11"
    )
    assert any(line.startswith("COPY pyproject.toml") for line in lines)
    # The package itself (with the Kafka client its consumer service needs).
    assert any(
        line.startswith("RUN pip install") and " '.[kafka]' " in line + " " for line in lines
    )
    cmd = next(line for line in lines if line.startswith("CMD"))
    assert '"lineage", "serve"' in cmd and '"--host", "0.0.0.0"' in cmd
    assert any("EXPOSE 8000" in line for line in lines)
    # The image installs what pyproject declares: the Neo4j driver among it.
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["lineage"] == "lineage.cli:main"
    assert any(dep.startswith("neo4j") for dep in project["dependencies"])


def test_the_image_ships_the_neo4j_schema_the_store_applies() -> None:
    lines = dockerfile()
    assert any(line.startswith("COPY schema") for line in lines)
    env = " ".join(line for line in lines if line.startswith("ENV"))
    assert "LINEAGE_NEO4J_SCHEMA=/app/schema/neo4j" in env
    assert sorted(p.name for p in (REPO / "schema" / "neo4j").glob("*.cypher"))


def test_kafka_and_a_consumer_run_under_the_kafka_profile() -> None:
    services = compose()["services"]
    kafka, consumer = services["kafka"], services["lineage-consumer"]
    assert kafka["image"].startswith("apache/kafka:4.")
    assert kafka["profiles"] == consumer["profiles"] == ["kafka"]
    assert "kafka:9092" in kafka["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    assert consumer["build"] == "."
    assert consumer["command"][:2] == ["lineage", "consume"]
    assert consumer["environment"]["LINEAGE_KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert consumer["environment"]["LINEAGE_STORE"] == "neo4j://neo4j:7687"
    assert set(consumer["depends_on"]) == {"neo4j", "kafka"}
    # The image installs the Kafka client the consumer needs.
    assert any(line.startswith("RUN pip install") and "[kafka]" in line for line in dockerfile())
