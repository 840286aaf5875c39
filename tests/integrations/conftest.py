"""The integration tests use the end-to-end server fixture (a real server on each store)."""

from tests.e2e.conftest import server

__all__ = ["server"]
