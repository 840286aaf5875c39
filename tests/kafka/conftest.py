"""A real Kafka (tools/kafka, started by `make test`) and topics made for each test."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator

import pytest

from tests.conftest import skip_or_fail


@pytest.fixture(scope="session")
def kafka() -> str:
    servers = os.environ.get("LINEAGE_TEST_KAFKA")
    if not servers:
        skip_or_fail(
            "Kafka tests need a running Kafka: run `make kafka-start` and set "
            "LINEAGE_TEST_KAFKA=127.0.0.1:9092 (make test does both)"
        )
    assert servers is not None
    return servers


@pytest.fixture
def new_topic(kafka: str) -> Iterator[Callable[[int], str]]:
    """Creates a topic with a given number of partitions, unique to the test."""
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": kafka})
    made: list[str] = []

    def make(partitions: int = 1) -> str:
        name = f"openlineage-{uuid.uuid4().hex[:10]}"
        futures = admin.create_topics([NewTopic(name, num_partitions=partitions)])
        futures[name].result(30)
        made.append(name)
        return name

    yield make
    if made:
        for future in admin.delete_topics(made).values():
            with contextlib.suppress(Exception):  # a topic left behind is harmless
                future.result(30)
