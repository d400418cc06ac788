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
