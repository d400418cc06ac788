"""Secondary indexes: one id per value until a second record shares it."""

from __future__ import annotations

from simulators.engine.store import Store


def test_index_finds_one_then_many_newest_first() -> None:
    store = Store("t", {"customer": ("email",)})
    store.put("customer", {"id": "cus_1", "email": "a@x"})
    assert [r["id"] for r in store.collection("customer").by_index("email", "a@x")] == ["cus_1"]
    store.put("customer", {"id": "cus_2", "email": "a@x"})
    store.put("customer", {"id": "cus_3", "email": "b@x"})
    coll = store.collection("customer")
    assert [r["id"] for r in coll.by_index("email", "a@x")] == ["cus_2", "cus_1"]
    assert [r["id"] for r in coll.by_index("email", "b@x")] == ["cus_3"]
    assert coll.by_index("email", "none@x") == []


def test_index_follows_replacement_mutation_and_delete() -> None:
    store = Store("t", {"customer": ("email",)})
    store.put("customer", {"id": "cus_1", "email": "a@x"})
    store.put("customer", {"id": "cus_1", "email": "b@x"})  # replaced by a new dict
    coll = store.collection("customer")
    assert coll.by_index("email", "a@x") == []
    assert [r["id"] for r in coll.by_index("email", "b@x")] == ["cus_1"]
    rec = coll.items["cus_1"]
    rec["email"] = "c@x"  # mutated in place: the stale entry is dropped on read
    store.put("customer", rec)
    assert coll.by_index("email", "b@x") == []
    assert [r["id"] for r in coll.by_index("email", "c@x")] == ["cus_1"]
    store.delete("customer", "cus_1")
    assert coll.by_index("email", "c@x") == []
