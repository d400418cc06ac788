"""Creation order and cursors, with each id's place worked out only when asked for."""

from __future__ import annotations

from simulators.engine.store import Store


def _ids(records: object) -> list[str]:
    return [r["id"] for r in records]  # type: ignore[attr-defined]


def _store(n: int) -> Store:
    store = Store("t")
    for i in range(1, n + 1):
        store.put("customer", {"id": f"cus_{i}"})
    return store


def test_puts_keep_no_positions_until_a_cursor_needs_them() -> None:
    coll = _store(5).collection("customer")
    assert coll._pos == {}  # the memory a put no longer spends
    assert _ids(coll.newest_first(starting_after="cus_4")) == ["cus_3", "cus_2", "cus_1"]
    assert _ids(coll.newest_first(ending_before="cus_2")) == ["cus_3", "cus_4", "cus_5"]
    assert coll.positions() == {f"cus_{i}": i - 1 for i in range(1, 6)}


def test_positions_follow_puts_after_they_were_built() -> None:
    store = _store(3)
    coll = store.collection("customer")
    coll.positions()
    store.put("customer", {"id": "cus_4"})
    assert _ids(coll.newest_first(starting_after="cus_4")) == ["cus_3", "cus_2", "cus_1"]
    assert _ids(coll.newest_first(ending_before="cus_3")) == ["cus_4"]
    assert _ids(coll.newest_first(starting_after="cus_unknown")) == []


def test_a_record_put_again_or_replaced_keeps_its_place_and_is_not_new() -> None:
    store = _store(3)
    coll = store.collection("customer")
    same = coll.items["cus_2"]
    assert coll.put(same) is False
    assert coll.put({"id": "cus_1", "name": "replaced"}) is False
    assert coll.order == ["cus_1", "cus_2", "cus_3"]
    assert _ids(coll.newest_first()) == ["cus_3", "cus_2", "cus_1"]
    assert coll.items["cus_1"]["name"] == "replaced"


def test_a_deleted_id_put_back_keeps_its_place_before_and_after_positions_exist() -> None:
    for built in (False, True):
        store = _store(4)
        coll = store.collection("customer")
        if built:
            coll.positions()
        store.delete("customer", "cus_2")
        assert _ids(coll.newest_first()) == ["cus_4", "cus_3", "cus_1"]
        assert coll.put({"id": "cus_2"}) is False  # back in its old place, not new
        assert built or coll._pos == {}  # and found so without building the positions
        assert coll.put({"id": "cus_5"}) is True
        assert coll.order == ["cus_1", "cus_2", "cus_3", "cus_4", "cus_5"]
        assert _ids(coll.newest_first(starting_after="cus_3")) == ["cus_2", "cus_1"]
        assert coll.gone == set()


def test_compact_drops_deleted_ids_and_positions_are_rebuilt() -> None:
    store = _store(6)
    coll = store.collection("customer")
    coll.positions()
    for i in (1, 2, 4):
        store.delete("customer", f"cus_{i}")
    coll.compact()
    assert coll.order == ["cus_3", "cus_5", "cus_6"]
    assert coll.positions() == {"cus_3": 0, "cus_5": 1, "cus_6": 2}
    assert _ids(coll.newest_first(starting_after="cus_6")) == ["cus_5", "cus_3"]
    assert coll.put({"id": "cus_1"}) is True  # forgotten: now the newest
    assert _ids(coll.newest_first()) == ["cus_1", "cus_6", "cus_5", "cus_3"]


def test_index_buckets_sort_by_place_with_lazy_positions() -> None:
    store = Store("t", {"customer": ("email",)})
    for i in (1, 2, 3):
        store.put("customer", {"id": f"cus_{i}", "email": "a@x"})
    coll = store.collection("customer")
    assert _ids(coll.by_index("email", "a@x")) == ["cus_3", "cus_2", "cus_1"]
    store.put("customer", {"id": "cus_4", "email": "a@x"})
    assert _ids(coll.by_index("email", "a@x")) == ["cus_4", "cus_3", "cus_2", "cus_1"]


def test_deleted_ids_are_dropped_from_the_order_once_they_outnumber_live_ones() -> None:
    store = _store(300)
    coll = store.collection("customer")
    coll.positions()
    for i in range(1, 200):  # the 151st delete leaves 150 deleted against 149 live
        store.delete("customer", f"cus_{i}")
    # The 151st delete (151 deleted against 149 live) compacted; 48 more since.
    assert (len(coll.order), len(coll.gone), len(coll.items)) == (149, 48, 101)
    assert _ids(coll.newest_first())[-1] == "cus_200"
    assert _ids(coll.newest_first(starting_after="cus_202")) == ["cus_201", "cus_200"]
    assert all(coll.order[coll.positions()[i]] == i for i in coll.items)
