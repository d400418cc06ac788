"""Declared parameters for every billing operation.

One declaration serves two purposes: validating requests with Stripe's error
(the offending parameter named, 400, before anything executes) and describing
the operation in the fake's OpenAPI document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from simulators.billing.errors import InvalidRequest
from simulators.billing.forms import is_index as _is_index
from simulators.engine.frozen import NO_METADATA, FrozenDict

_MAX_INT = 2**63 - 1


_INT = re.compile(r"-?[0-9]{1,18}")


def _bad(message: str, path: str, code: str = "parameter_invalid") -> InvalidRequest:
    return InvalidRequest(message, param=path, code=code)


@dataclass(kw_only=True)
class P:
    required: bool = False
    description: str = ""

    def check(self, value: Any, path: str) -> Any:
        raise NotImplementedError

    def schema(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclass
class Str(P):
    max_length: int = 5000
    emptyable: bool = False  # "" unsets the field, as Stripe allows for many params

    def check(self, value: Any, path: str) -> Any:
        if value.__class__ is str and value and len(value) <= self.max_length:
            return value  # the usual string: none of the cases below
        if not isinstance(value, str):
            raise _bad(f"Invalid string: {path} must be a string", path,
                       "parameter_invalid_string")
        if value == "" and self.emptyable:
            return None
        if value == "" and self.required:
            raise _bad(f"You passed an empty string for '{path}'. We assume empty values are an "
                       f"attempt to unset a parameter; however '{path}' cannot be unset. You "
                       f"should remove '{path}' from your request or supply a non-empty value.",
                       path, "parameter_invalid_empty")
        if len(value) > self.max_length:
            raise _bad(f"Invalid string: {value[:20]}...; must be at most {self.max_length} "
                       "characters", path, "parameter_invalid_string")
        return value

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "maxLength": self.max_length}


@dataclass
class Int(P):
    minimum: int = 0
    maximum: int = 99_999_999_999

    def check(self, value: Any, path: str) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            n = value
        elif isinstance(value, str) and _INT.fullmatch(value):
            n = int(value)
        else:
            raise _bad(f"Invalid integer: {value}", path, "parameter_invalid_integer")
        if n < self.minimum or n > self.maximum:
            raise _bad(f"Invalid integer: {value}; must be between {self.minimum} and "
                       f"{self.maximum}", path, "parameter_invalid_integer")
        return n

    def schema(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}


@dataclass
class Bool(P):
    def check(self, value: Any, path: str) -> Any:
        if value in ("true", True):
            return True
        if value in ("false", False):
            return False
        raise _bad(f"Invalid boolean: {value}", path, "parameter_invalid_boolean")

    def schema(self) -> dict[str, Any]:
        return {"type": "boolean"}


@dataclass
class Enum(P):
    values: tuple[str, ...] = ()

    def check(self, value: Any, path: str) -> Any:
        if value not in self.values:
            listed = ", ".join(self.values[:-1]) + f", or {self.values[-1]}" \
                if len(self.values) > 1 else self.values[0]
            raise _bad(f"Invalid {path}: must be one of {listed}", path)
        return value

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.values)}


@dataclass
class Decimal_(P):
    """A decimal string such as a tax percentage; kept as text (never float)."""

    def check(self, value: Any, path: str) -> Any:
        from decimal import Decimal, InvalidOperation

        try:
            d = Decimal(str(value))
        except InvalidOperation:
            raise _bad(f"Invalid decimal: {value}", path, "parameter_invalid_decimal") from None
        if not d.is_finite() or d < 0 or d > 100:
            raise _bad(f"Invalid decimal: {value}", path, "parameter_invalid_decimal")
        return str(d)

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": r"^\d{1,3}(\.\d{1,4})?$"}


@dataclass
class Hash(P):
    fields: dict[str, P] = field(default_factory=dict)

    def check(self, value: Any, path: str) -> Any:
        if value == "" and not self.required:
            return None
        if not isinstance(value, dict):
            raise _bad(f"Invalid object: {path} must be a hash", path, "parameter_invalid")
        return check_fields(self.fields, value, path)

    def schema(self) -> dict[str, Any]:
        return object_schema(self.fields)


@dataclass
class Metadata(P):
    """Up to 50 keys (40 chars) of string values (500 chars): Stripe's documented limits."""

    def check(self, value: Any, path: str) -> Any:
        if value == "":
            return NO_METADATA
        if not isinstance(value, dict):
            raise _bad("Invalid object: metadata must be a hash", path)
        if len(value) > 50:
            raise _bad("Metadata can have at most 50 keys", path)
        out: dict[str, str] = {}
        for k, v in value.items():
            if not isinstance(v, str):
                raise _bad(f"Invalid value for {path}[{k}]: must be a string", f"{path}[{k}]")
            if len(k) > 40 or len(v) > 500 or not k:
                raise _bad(f"Metadata keys are at most 40 characters and values at most 500: "
                           f"{k}", f"{path}[{k}]")
            out[k] = v
        # Read-only (every update path merges into a new dict): a record holding it
        # can be snapshotted by reference (frozen.immutable_values).
        return FrozenDict(out)

    def schema(self) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": {"type": "string", "maxLength": 500}}


@dataclass
class ListOf(P):
    item: P = field(default_factory=Str)
    max_items: int = 100

    def check(self, value: Any, path: str) -> Any:
        if value == "" and not self.required:
            return []
        if isinstance(value, dict) and all(_is_index(k) for k in value):
            value = [value[k] for k in sorted(value, key=int)]
        if not isinstance(value, list):
            raise _bad(f"Invalid array: {path} must be an array", path, "parameter_invalid")
        if len(value) > self.max_items:
            raise _bad(f"Invalid array: {path} can have at most {self.max_items} items", path)
        return [self.item.check(v, f"{path}[{i}]") for i, v in enumerate(value)]

    def schema(self) -> dict[str, Any]:
        return {"type": "array", "items": self.item.schema(), "maxItems": self.max_items}


# id of a fields table -> (the table, its required names): every request checks
# its parameters against one, and most fields are optional.
_REQUIRED: dict[int, tuple[dict[str, P], tuple[str, ...]]] = {}


def _required(fields: dict[str, P]) -> tuple[str, ...]:
    known = _REQUIRED.get(id(fields))
    if known is None or known[0] is not fields:
        if len(_REQUIRED) >= 4096:  # tables are module constants; bounded all the same
            _REQUIRED.clear()
        known = _REQUIRED[id(fields)] = (
            fields, tuple(name for name, spec in fields.items() if spec.required))
    return known[1]


def check_fields(fields: dict[str, P], values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in values.items():
        path = f"{prefix}[{name}]" if prefix else name
        spec = fields.get(name)
        if spec is None:
            raise InvalidRequest(f"Received unknown parameter: {path}", param=path,
                                 code="parameter_unknown")
        out[name] = spec.check(value, path)
    for name in _required(fields):
        if out.get(name) is None:
            path = f"{prefix}[{name}]" if prefix else name
            raise InvalidRequest(f"Missing required param: {path}.", param=path,
                                 code="parameter_missing")
    return out


def object_schema(fields: dict[str, P]) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {k: v.schema() for k, v in fields.items()},
        "additionalProperties": False,
    }
    required = [k for k, v in fields.items() if v.required]
    if required:
        schema["required"] = required
    return schema


EXPAND = ListOf(Str(max_length=5000), max_items=20, description="Fields to expand")
LIST_PARAMS: dict[str, P] = {
    "limit": Int(minimum=1, maximum=100),
    "starting_after": Str(max_length=5000),
    "ending_before": Str(max_length=5000),
    "expand": EXPAND,
}
CREATED_FILTER = Hash(fields={"gt": Int(maximum=_MAX_INT), "gte": Int(maximum=_MAX_INT),
                              "lt": Int(maximum=_MAX_INT), "lte": Int(maximum=_MAX_INT)})
