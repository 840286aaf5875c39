"""The circuit breaker's states, on a clock the test moves."""

from __future__ import annotations

import pytest

from lineage.store.breaker import CircuitBreaker, StoreOutage


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_open_fails_fast_then_one_probe_closes_it() -> None:
    clock = Clock()
    breaker = CircuitBreaker("Neo4j", cooldown=2, max_cooldown=8, clock=clock)
    assert breaker.before() is False and breaker.state == "closed"
    breaker.failed("connection refused")
    assert breaker.state == "open" and breaker.retry_after() == 2
    with pytest.raises(StoreOutage) as raised:
        breaker.before()
    assert "Neo4j unreachable: connection refused" in str(raised.value)
    assert raised.value.retry_after_header == "2"
    clock.now += 2
    assert breaker.before() is True  # the probe
    with pytest.raises(StoreOutage):
        breaker.before()  # only one probe at a time
    breaker.succeeded()
    assert breaker.state == "closed" and breaker.retry_after() is None
    assert breaker.before() is False


def test_a_failed_probe_doubles_the_cooldown_up_to_the_maximum() -> None:
    clock = Clock()
    breaker = CircuitBreaker("Neo4j", cooldown=2, max_cooldown=5, clock=clock)
    breaker.failed("down")
    for expected in (4, 5, 5):
        clock.now += 10
        assert breaker.before() is True
        breaker.failed("still down")
        assert breaker.retry_after() == expected
    clock.now += 10
    assert breaker.before() is True
    breaker.succeeded()
    breaker.failed("down again")
    assert breaker.retry_after() == 2  # a new outage starts from the base cooldown
