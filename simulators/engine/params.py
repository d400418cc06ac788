"""Declared parameters: one declaration validates a request and documents it.

A fake declares each operation's parameters with these types. ``check`` turns a
raw value (form text, query text, decoded JSON) into what the handler gets, or
raises :class:`ParamError`, which names the parameter and says what is wrong in
vendor-neutral terms (``reason`` plus the facts). Each vendor words it in its own
envelope (``Vendor.param_error``), so the same ``Int(maximum=100)`` answers
Stripe's ``parameter_invalid_integer`` in the billing fake and NetSuite's
``INVALID_PARAMETER`` in the ERP. ``schema`` describes the parameter in the
fake's OpenAPI document, which schemathesis fuzzes and the docs list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

_INT = re.compile(r"-?[0-9]{1,18}")
MAX_INT = 2**63 - 1


class ParamError(Exception):
    """A parameter failed its declaration. ``reason`` is one of:

    unknown, missing, not_string, empty, too_long, not_integer, out_of_range,
    not_boolean, not_in_enum, not_decimal, not_object, not_array, too_many_items,
    invalid (a vendor-specific rule; ``message`` says which).
    """

    def __init__(self, reason: str, param: str, value: Any = None, *,
                 minimum: Any = None, maximum: Any = None,
                 allowed: tuple[str, ...] = (), message: str | None = None) -> None:
        super().__init__(message or f"{reason}: {param}")
        self.reason = reason
        self.param = param
        self.value = value
        self.minimum = minimum
        self.maximum = maximum
        self.allowed = allowed
        self.message = message


@dataclass(kw_only=True)
class Param:
    """One parameter: whether it is required, what it means, and how it is checked."""

    required: bool = False
    description: str = ""
    # An empty value ("?limit=") counts as not given: vendors that read a blank query
    # parameter as absent (NetSuite's limit and offset, the CRM's change-event paging).
    blank_means_absent: bool = False

    def check(self, value: Any, path: str) -> Any:
        raise NotImplementedError

    def schema(self) -> dict[str, Any]:
        raise NotImplementedError

    def documented(self) -> dict[str, Any]:
        """The schema with the description, as the OpenAPI document shows it."""
        schema = self.schema()
        if self.description:
            schema = {**schema, "description": self.description}
        return schema


@dataclass
class Str(Param):
    max_length: int = 5000
    min_length: int = 0
    emptyable: bool = False  # "" unsets the field (Stripe allows it for many params)
    pattern: str | None = None  # documented only: handlers check their own formats
    # Documented as these values (what a fuzzer draws from) though any text is taken: the
    # handler answers for a name it does not know (an sObject, a record type) in the
    # vendor's own way.
    known: tuple[str, ...] = ()

    def check(self, value: Any, path: str) -> Any:
        if value.__class__ is str and value and len(value) <= self.max_length:
            return value  # the usual string: none of the cases below
        if not isinstance(value, str):
            raise ParamError("not_string", path, value)
        if value == "" and self.emptyable:
            return None
        if value == "" and (self.required or self.min_length):
            raise ParamError("empty", path, value)
        if len(value) > self.max_length:
            raise ParamError("too_long", path, value, maximum=self.max_length)
        return value

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "string", "maxLength": self.max_length}
        if self.min_length:
            out["minLength"] = self.min_length
        if self.pattern:
            out["pattern"] = self.pattern
        if self.known:
            out = {"type": "string", "enum": list(self.known)}
        return out


@dataclass
class Int(Param):
    """An integer, as a number or as decimal text (forms and query strings)."""

    minimum: int = 0
    maximum: int = 99_999_999_999

    def check(self, value: Any, path: str) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            n = value
        elif isinstance(value, str) and _INT.fullmatch(value):
            n = int(value)
        else:
            raise ParamError("not_integer", path, value)
        if n < self.minimum or n > self.maximum:
            raise ParamError("out_of_range", path, value, minimum=self.minimum,
                             maximum=self.maximum)
        return n

    def schema(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}


@dataclass
class Bool(Param):
    """``true`` or ``false`` (text or JSON); anything else is an error."""

    def check(self, value: Any, path: str) -> Any:
        if value in ("true", True):
            return True
        if value in ("false", False):
            return False
        raise ParamError("not_boolean", path, value)

    def schema(self) -> dict[str, Any]:
        return {"type": "boolean"}


@dataclass
class Flag(Param):
    """A switch that is on only when given as ``true`` (any case); any other value is off.
    For vendors that read a query flag leniently (NetSuite's ``expandSubResources``)."""

    def check(self, value: Any, path: str) -> Any:
        return value is True or (isinstance(value, str) and value.lower() == "true")

    def schema(self) -> dict[str, Any]:
        return {"type": "boolean"}


@dataclass
class Enum(Param):
    values: tuple[str, ...] = ()
    case_insensitive: bool = False

    def check(self, value: Any, path: str) -> Any:
        if value in self.values:
            return value
        if self.case_insensitive and isinstance(value, str):
            for allowed in self.values:
                if allowed.lower() == value.lower():
                    return allowed
        raise ParamError("not_in_enum", path, value, allowed=self.values)

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.values)}


@dataclass
class Decimal_(Param):
    """A decimal number kept as text (never float), within [minimum, maximum]."""

    minimum: Decimal = Decimal(0)
    maximum: Decimal = Decimal(100)
    pattern: str = r"^\d{1,3}(\.\d{1,4})?$"

    def check(self, value: Any, path: str) -> Any:
        try:
            d = Decimal(str(value))
        except InvalidOperation:
            raise ParamError("not_decimal", path, value) from None
        if not d.is_finite() or d < self.minimum or d > self.maximum:
            raise ParamError("not_decimal", path, value, minimum=self.minimum,
                             maximum=self.maximum)
        return str(d)

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": self.pattern}


@dataclass
class Hash(Param):
    """A nested object whose own fields are declared (``address[city]=...``)."""

    fields: dict[str, Param] = field(default_factory=dict)

    def check(self, value: Any, path: str) -> Any:
        if value == "" and not self.required:
            return None
        if not isinstance(value, dict):
            raise ParamError("not_object", path, value)
        return check_fields(self.fields, value, path)

    def schema(self) -> dict[str, Any]:
        return object_schema(self.fields)


@dataclass
class ListOf(Param):
    """A list, sent indexed (``a[0]=x``), appended (``a[]=x``) or as JSON."""

    item: Param = field(default_factory=Str)
    max_items: int = 100

    def check(self, value: Any, path: str) -> Any:
        if value == "" and not self.required:
            return []
        if isinstance(value, dict) and all(is_index(k) for k in value):
            value = [value[k] for k in sorted(value, key=int)]
        if not isinstance(value, list):
            raise ParamError("not_array", path, value)
        if len(value) > self.max_items:
            raise ParamError("too_many_items", path, value, maximum=self.max_items)
        return [self.item.check(v, f"{path}[{i}]") for i, v in enumerate(value)]

    def schema(self) -> dict[str, Any]:
        return {"type": "array", "items": self.item.schema(), "maxItems": self.max_items}


@dataclass
class CommaList(Param):
    """Names separated by commas in one query value (``fields=Id,Name``); blanks dropped."""

    max_items: int = 2000

    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, str):
            raise ParamError("not_string", path, value)
        names = [part.strip() for part in value.split(",") if part.strip()]
        if len(names) > self.max_items:
            raise ParamError("too_many_items", path, value, maximum=self.max_items)
        return names

    def schema(self) -> dict[str, Any]:
        return {"type": "string"}


def is_index(key: str) -> bool:
    """ASCII digits only: str.isdigit() also accepts superscripts such as '²'."""
    return key.isascii() and key.isdigit()


# id of a fields table -> (the table, its required names): every request checks
# its parameters against one, and most fields are optional.
_REQUIRED: dict[int, tuple[dict[str, Param], tuple[str, ...]]] = {}


def _required(fields: dict[str, Param]) -> tuple[str, ...]:
    known = _REQUIRED.get(id(fields))
    if known is None or known[0] is not fields:
        if len(_REQUIRED) >= 4096:  # tables are module constants; bounded all the same
            _REQUIRED.clear()
        known = _REQUIRED[id(fields)] = (
            fields, tuple(name for name, spec in fields.items() if spec.required))
    return known[1]


def check_fields(fields: dict[str, Param], values: dict[str, Any], prefix: str = "", *,
                 unknown: bool = False) -> dict[str, Any]:
    """``values`` checked against ``fields``. A name not declared is an error, unless
    ``unknown`` (then it is left out: vendors that ignore query parameters they do not
    know). A required name that is absent or null is an error."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        spec = fields.get(name)
        if spec is None:
            if unknown:
                continue
            raise ParamError("unknown", f"{prefix}[{name}]" if prefix else name, value)
        if value == "" and spec.blank_means_absent:
            continue
        out[name] = spec.check(value, f"{prefix}[{name}]" if prefix else name)
    for name in _required(fields):
        if out.get(name) is None:
            raise ParamError("missing", f"{prefix}[{name}]" if prefix else name)
    return out


def object_schema(fields: dict[str, Param], *, closed: bool = True) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {k: v.documented() for k, v in fields.items()},
    }
    if closed:
        schema["additionalProperties"] = False
    required = [k for k, v in fields.items() if v.required]
    if required:
        schema["required"] = required
    return schema
