"""One writer per embedded store file; readers see what it committed.

Two writers on one file would each keep a graph in memory that the other's writes never
reach, and overwrite each other's rows: the second is refused, naming the first (and the
server to send writes to). Reads open the file without the lock."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import orjson
import pytest

from lineage.store import StoreError
from lineage.store.embedded import EmbeddedStore
from lineage.store.owner import StoreBusy
from tests.conftest import feed
from tests.e2e.server import Server
from tests.factories import dataset, pipeline_run
from tests.test_cli_query import lineage_cli

NS = "pg://db"


def _events(name: str) -> list[dict[str, object]]:
    return pipeline_run(("etl", name), [dataset(NS, "raw")], [dataset(NS, name)], start=0)


def test_a_second_writer_is_refused_naming_the_first(tmp_path: Path) -> None:
    first = EmbeddedStore(tmp_path / "l.db")
    with pytest.raises(StoreBusy, match=rf"being written by process {os.getpid()}") as refused:
        EmbeddedStore(tmp_path / "l.db")
    assert refused.value.owner["pid"] == os.getpid()
    first.close()
    again = EmbeddedStore(tmp_path / "l.db")  # the lock went with the first writer
    again.close()


def test_a_reader_sees_what_the_writer_committed_and_cannot_write(tmp_path: Path) -> None:
    writer = EmbeddedStore(tmp_path / "l.db")
    feed(writer, _events("mart"))
    reader = EmbeddedStore(tmp_path / "l.db", read_only=True)
    try:
        assert reader.count()["events"] == 2
        with pytest.raises(StoreError, match="opened for reading only"):
            feed(reader, _events("other"))
    finally:
        reader.close()
        writer.close()


def test_reading_a_store_that_does_not_exist_says_so(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="there is no embedded store at"):
        EmbeddedStore(tmp_path / "none.db", read_only=True)
    assert not (tmp_path / "none.db").exists()


def test_while_a_server_writes_a_store_the_cli_reads_it_and_is_sent_to_the_server(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/served.db"
    server = Server(url, tmp_path / "server.log").start()
    try:
        for event in _events("mart"):
            httpx.post(server.url + "/api/v1/lineage", json=event).raise_for_status()
        # A read from another process sees what the server committed.
        tree = lineage_cli("upstream", NS, "mart", "--store", url)
        assert tree.returncode == 0, tree.stderr
        assert tree.stdout.splitlines()[1] == "└── job mart etl"
        # A write from another process is refused, and told where to send it.
        source = tmp_path / "more.jsonl"
        source.write_bytes(b"\n".join(orjson.dumps(e) for e in _events("other")))
        ingest = lineage_cli("ingest", str(source), "--store", url)
        assert ingest.returncode == 1
        assert f"send this to that server instead: --server http://127.0.0.1:{server.port}" in (
            ingest.stderr
        )
        sent = lineage_cli("ingest", str(source), "--server", server.url)
        assert sent.returncode == 0, sent.stderr
        assert len(httpx.get(server.url + "/api/v1/events/lineage").json()["events"]) == 4
    finally:
        server.stop()
