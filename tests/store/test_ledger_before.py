"""`GraphStore.ledger_before`: the entry a schema ledger's window starts after, found by
each store as `entry_before` finds it in the whole ledger.

Single events reread the baseline of every schema ledger they touch: read whole, that grew
with each dataset's history (290 entries an event at 2,000 stored events, 1,076 at 8,000).
The embedded store finds it through an index of versions instead; these ledgers hold long
runs of one version (past the few latest entries it looks at first), versions that come
back, entries without a version, ties in time, and entries that arrived out of order.
"""

from __future__ import annotations

import random
from typing import Any

import orjson
import pytest

from lineage.graph.model import LedgerEntry
from lineage.store import GraphStore
from lineage.store.base import IngestItem, LedgerAsk, entry_before
from tests.conftest import StoreFactory

VERSIONS: list[Any] = ["v1", "v2", "v3", None, "v10", "v1 ", ""]


def _ledger(rng: random.Random, name: str) -> list[LedgerEntry]:
    entries: list[LedgerEntry] = []
    at = 0.0
    for run in range(rng.randint(1, 6)):
        version = rng.choice(VERSIONS)
        for i in range(rng.choice([1, 2, 5, 17, 40])):
            at += rng.choice([0.0, 1.0, 2.5])  # ties in time: the key orders them
            body: dict[str, Any] = {"schema": [["a", "int"]], "run": f"r{run}-{i}"}
            if version is not None or rng.random() < 0.5:
                body["version"] = version
            entries.append(LedgerEntry(name, f"s{rng.randrange(16**6):06x}", at, orjson.dumps(body)))
    return entries


def _write(store: GraphStore, entries: list[LedgerEntry], rng: random.Random) -> None:
    shuffled = entries[:]
    rng.shuffle(shuffled)  # stored out of order, a few at a time
    for i in range(0, len(shuffled), 7):
        store.write([IngestItem(b"", 0.0, None, None, None, None, shuffled[i : i + 7])])


def _asks(rng: random.Random, entries: list[LedgerEntry]) -> list[LedgerAsk]:
    asks = []
    for _ in range(12):
        entry = rng.choice(entries)
        version = orjson.loads(entry.body).get("version")
        if rng.random() < 0.2:
            version = rng.choice(VERSIONS)
        asks.append(LedgerAsk(entry.at, entry.key, version))
    last = max(entries, key=lambda e: (e.at, e.key))
    asks.append(LedgerAsk(last.at + 1, "", orjson.loads(last.body).get("version")))
    asks.append(LedgerAsk(-1.0, "", "v1"))  # nothing before it
    return asks


@pytest.mark.parametrize("seed", range(6))
def test_the_entry_before_an_ask_is_the_one_the_whole_ledger_gives(
    store_factory: StoreFactory, seed: int
) -> None:
    rng = random.Random(seed)
    store = store_factory()
    ledgers = {f"schema\x1eds{i}": _ledger(rng, f"schema\x1eds{i}") for i in range(4)}
    _write(store, [e for entries in ledgers.values() for e in entries], rng)
    for name, entries in ledgers.items():
        stored = sorted(entries, key=lambda e: (e.at, e.key))
        assert store.ledger({name: None})[name] == stored
        for ask in _asks(rng, entries):
            expected = entry_before(stored, ask)
            assert store.ledger_before({name: ask}) == {name: expected}, ask
    asked = {name: _asks(rng, entries)[0] for name, entries in ledgers.items()}
    asked["schema\x1enone"] = LedgerAsk(5.0, "k", "v1")
    found = store.ledger_before(asked)
    assert found["schema\x1enone"] is None
    for name, entries in ledgers.items():
        stored = sorted(entries, key=lambda e: (e.at, e.key))
        assert found[name] == entry_before(stored, asked[name])


def test_a_long_run_of_one_version_is_passed_over_to_the_version_before_it(
    store_factory: StoreFactory,
) -> None:
    name = "schema\x1elong"
    entries = [
        LedgerEntry(name, f"k{i:04d}", float(i), orjson.dumps({"version": v}))
        for i, v in enumerate(["old"] * 3 + ["mid"] * 2 + ["new"] * 300)
    ]
    store = store_factory()
    _write(store, entries, random.Random(1))
    ask = LedgerAsk(entries[-1].at, entries[-1].key, "new")
    assert store.ledger_before({name: ask})[name] == entries[4]  # the last "mid"
    ask = LedgerAsk(entries[4].at, entries[4].key, "mid")
    assert store.ledger_before({name: ask})[name] == entries[2]
    only = [LedgerEntry(name + "2", e.key, e.at, e.body) for e in entries[5:]]
    _write(store, only, random.Random(2))
    ask = LedgerAsk(only[-1].at, only[-1].key, "new")
    assert store.ledger_before({name + "2": ask})[name + "2"] == only[0]  # the earliest


def test_versions_are_told_apart_as_python_tells_them_apart(store_factory: StoreFactory) -> None:
    # 1, 1.0 and true are one version to Python; "1", 0 and none are others; a list is not
    # the text of its JSON.
    name = "schema\x1emixed"
    runs: list[Any] = [None, 1, 1.0, True, "1", 0, False, 2.5, [1], "[1]", {"a": 1}, None, 1]
    entries = [
        LedgerEntry(name, f"k{i:04d}", float(i), orjson.dumps({"version": v}))
        for i, v in enumerate(v for v in runs for _ in range(20))
    ]
    store = store_factory()
    _write(store, entries, random.Random(3))
    for entry in entries[::3]:
        for version in [None, 1, 1.0, True, "1", 0, -0.0, False, 2.5, "none", [1], "[1]"]:
            ask = LedgerAsk(entry.at, entry.key, version)
            assert store.ledger_before({name: ask}) == {name: entry_before(entries, ask)}, ask
