"""Deferred records: built in order before anything reads their collection."""

from __future__ import annotations

import itertools
from typing import Any

from simulators.engine.store import Record, Store

Built = list[str]


class Recorder:
    """A journal that records what was put, in order."""

    def __init__(self) -> None:
        self.puts: list[str] = []

    def record_put(self, tenant: str, kind: str, obj: Record) -> None:
        self.puts.append(obj["id"])

    def record_delete(self, tenant: str, kind: str, obj_id: str) -> None:
        pass


def deferring() -> tuple[Store, Any, Built]:
    """A store and a builder that draws ids from one counter, like an id stream."""
    store = Store("t")
    ids = itertools.count(1)
    built: Built = []

    def build(name: str) -> Record:
        built.append(name)
        return {"id": f"evt_{next(ids)}", "name": name}

    return store, build, built


def test_deferred_records_are_built_in_order_on_first_read() -> None:
    store, build, built = deferring()
    for name in ("a", "b", "c"):
        store.defer("event", build, name)
    assert built == []
    assert store.count("event") == 3  # counted before they exist
    assert [r["name"] for r in store.all("event")] == ["a", "b", "c"]
    assert [r["id"] for r in store.all("event")] == ["evt_1", "evt_2", "evt_3"]
    assert built == ["a", "b", "c"]  # once each


def test_every_read_builds_first() -> None:
    readers = {
        "get": lambda s: s.get("event", "evt_1"),
        "collection": lambda s: list(s.collection("event").newest_first()),
        "snapshot": lambda s: s.snapshot(),
        "settle": lambda s: s.settle(),
        "delete": lambda s: s.delete("event", "evt_1"),
    }
    for name, read in readers.items():
        store, build, built = deferring()
        store.defer("event", build, "a")
        read(store)
        assert built == ["a"], name


def test_a_put_of_the_same_kind_comes_after_the_deferred_ones() -> None:
    store, build, _ = deferring()
    store.defer("event", build, "a")
    store.put("event", {"id": "evt_now", "name": "now"})
    store.defer("event", build, "b")
    assert [r["name"] for r in store.all("event")] == ["a", "now", "b"]
    assert [r["name"] for r in store.collection("event").newest_first()] == ["b", "now", "a"]


def test_other_kinds_do_not_build_deferred_records() -> None:
    store, build, built = deferring()
    store.defer("event", build, "a")
    store.put("customer", {"id": "cus_1"})
    assert store.get("customer", "cus_1") == {"id": "cus_1"}
    assert built == []


def test_with_a_journal_records_are_put_at_once() -> None:
    store, build, built = deferring()
    journal = Recorder()
    store.journal = journal
    store.defer("event", build, "a")
    assert built == ["a"] and journal.puts == ["evt_1"]


def test_clear_and_restore_drop_what_was_deferred() -> None:
    store, build, built = deferring()
    store.defer("event", build, "a")
    store.clear()
    assert store.count("event") == 0
    store.defer("event", build, "b")
    store.restore({"event": [{"id": "evt_x"}]})
    assert [r["id"] for r in store.all("event")] == ["evt_x"] and built == []
