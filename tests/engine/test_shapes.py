"""Shapes build ordinary dicts that share one key table, whatever keys they are given."""

from __future__ import annotations

import sys

from simulators.engine.shapes import Shape


def test_records_of_one_shape_share_keys_and_keep_every_value() -> None:
    shape = Shape("t_share")
    fields = [f"field_{i}" for i in range(20)]  # a record the size of a customer
    first = shape({k: 1 for k in fields})
    second = shape({k: i for i, k in enumerate(fields)})
    assert first == dict.fromkeys(fields, 1) and type(second) is dict
    assert second == {k: i for i, k in enumerate(fields)}
    plain = {k: i for i, k in enumerate(fields)}
    assert sys.getsizeof(second) < sys.getsizeof(plain)  # no key table of its own


def test_other_keys_fall_back_without_losing_data() -> None:
    shape = Shape("t_fallback")
    shape({"id": "a", "x": 1})
    assert shape({"id": "b", "y": 2}) == {"id": "b", "y": 2}  # same size, other keys
    assert shape({"id": "c"}) == {"id": "c"}
    assert shape({"id": "d", "x": 1, "z": 3}) == {"id": "d", "x": 1, "z": 3}
    assert shape({"x": 5, "id": "e"}) == {"id": "e", "x": 5}  # the first record's order


def test_keys_that_are_not_identifiers_still_build() -> None:
    shape = Shape("t_odd")
    for i in range(3):
        assert shape({"id": str(i), "class": "k", "a.b": i}) == {"id": str(i), "class": "k",
                                                                   "a.b": i}
