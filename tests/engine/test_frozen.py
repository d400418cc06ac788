"""Shared read-only values: usable as the dict or list they are, never changed in place."""

from __future__ import annotations

import copy
import pickle

import orjson
import pytest

from simulators.engine.frozen import FrozenDict, FrozenList


def test_frozen_values_read_and_serialise_as_plain_ones() -> None:
    settings = FrozenDict({"footer": None, "default_payment_method": None})
    locales = FrozenList(["en"])
    assert orjson.dumps({"s": settings, "l": locales}) == \
        b'{"s":{"footer":null,"default_payment_method":null},"l":["en"]}'
    assert {**settings, "footer": "x"} == {"footer": "x", "default_payment_method": None}
    assert settings.get("footer") is None and [*locales, "fr"] == ["en", "fr"]
    clones = (copy.copy(settings), copy.deepcopy(settings),
              pickle.loads(pickle.dumps(settings)))
    for clone in clones:
        assert type(clone) is dict and clone == settings
    assert type(copy.deepcopy(locales)) is list


@pytest.mark.parametrize("change", [
    lambda d, xs: d.__setitem__("footer", "x"), lambda d, xs: d.update(footer="x"),
    lambda d, xs: d.pop("footer"), lambda d, xs: d.setdefault("new", 1),
    lambda d, xs: d.clear(), lambda d, xs: xs.append("fr"),
    lambda d, xs: xs.__setitem__(0, "fr"), lambda d, xs: xs.sort(),
])
def test_changing_a_shared_value_in_place_fails_loudly(change: object) -> None:
    settings, locales = FrozenDict({"footer": None}), FrozenList(["en"])
    with pytest.raises(TypeError, match="shared between records"):
        change(settings, locales)  # type: ignore[operator]
    assert settings == {"footer": None} and locales == ["en"]


def test_immutable_values_snapshot_only_records_that_cannot_change() -> None:
    from simulators.engine.frozen import immutable_values

    record = {"id": "cus_1", "n": 3, "ok": True, "none": None, "meta": FrozenDict({"a": "b"}),
              "locales": FrozenList()}
    values = immutable_values(record)
    assert values == ("cus_1", 3, True, None, {"a": "b"}, [])
    assert values is not None and values[4] is record["meta"]  # shared, not copied
    assert immutable_values({"id": "cus_1", "address": {"city": "X"}}) is None
    assert immutable_values({"id": "cus_1", "items": []}) is None
