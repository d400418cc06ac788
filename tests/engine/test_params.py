"""Declared parameters check values and name what is wrong in vendor-neutral terms."""

from __future__ import annotations

from decimal import Decimal

import pytest

from simulators.engine.params import (
    Bool,
    CommaList,
    Decimal_,
    Enum,
    Flag,
    Hash,
    Int,
    ListOf,
    ParamError,
    Str,
    check_fields,
    object_schema,
)

FIELDS = {"name": Str(required=True, max_length=5), "n": Int(minimum=1, maximum=9),
          "on": Bool(), "tags": ListOf(Str(), max_items=2),
          "where": Hash(fields={"city": Str()}), "kind": Enum(values=("a", "b"))}


def _reason(values: dict[str, object]) -> tuple[str, str]:
    with pytest.raises(ParamError) as caught:
        check_fields(FIELDS, values)
    return caught.value.reason, caught.value.param


def test_values_are_converted() -> None:
    out = check_fields(FIELDS, {"name": "x", "n": "3", "on": "true",
                                "tags": {"1": "b", "0": "a"}, "where": {"city": "c"}})
    assert out == {"name": "x", "n": 3, "on": True, "tags": ["a", "b"],
                   "where": {"city": "c"}}


@pytest.mark.parametrize(("values", "expected"), [
    ({"name": "x", "extra": 1}, ("unknown", "extra")),
    ({}, ("missing", "name")),
    ({"name": ""}, ("empty", "name")),
    ({"name": "toolong"}, ("too_long", "name")),
    ({"name": 5}, ("not_string", "name")),
    ({"name": "x", "n": "3.5"}, ("not_integer", "n")),
    ({"name": "x", "n": 10}, ("out_of_range", "n")),
    ({"name": "x", "on": "yes"}, ("not_boolean", "on")),
    ({"name": "x", "tags": ["a", "b", "c"]}, ("too_many_items", "tags")),
    ({"name": "x", "tags": "a"}, ("not_array", "tags")),
    ({"name": "x", "where": "here"}, ("not_object", "where")),
    ({"name": "x", "where": {"town": "t"}}, ("unknown", "where[town]")),
    ({"name": "x", "kind": "c"}, ("not_in_enum", "kind")),
])
def test_each_failure_names_its_parameter(values: dict[str, object],
                                          expected: tuple[str, str]) -> None:
    assert _reason(values) == expected


def test_unknown_names_may_be_left_out() -> None:
    assert check_fields({"a": Str()}, {"a": "x", "b": "y"}, unknown=True) == {"a": "x"}


def test_blank_means_absent_where_declared() -> None:
    fields = {"limit": Int(blank_means_absent=True), "q": Str()}
    assert check_fields(fields, {"limit": "", "q": ""}) == {"q": ""}
    with pytest.raises(ParamError):
        check_fields({"limit": Int()}, {"limit": ""})


def test_lenient_kinds() -> None:
    assert Flag().check("TRUE", "f") is True and Flag().check("no", "f") is False
    assert CommaList().check(" Id, Name ,,", "fields") == ["Id", "Name"]
    assert Enum(values=("Error",), case_insensitive=True).check("error", "v") == "Error"
    assert Decimal_().check("7.25", "p") == "7.25"
    with pytest.raises(ParamError):
        Decimal_(maximum=Decimal(5)).check("7.25", "p")


def test_schema_lists_required_and_descriptions() -> None:
    schema = object_schema({"a": Str(required=True, description="the a"), "b": Int()})
    assert schema["required"] == ["a"] and schema["additionalProperties"] is False
    assert schema["properties"]["a"]["description"] == "the a"
