"""Field and sublist declarations, and parsing a request body against them.

NetSuite REST bodies are JSON; references are objects ``{"id": "5"}`` (or
``{"externalId": "X"}``) and sublists are ``{"items": [...]}`` (Oracle,
"Working with Records" / "Using External IDs"; VENDORS.md). A bad value is
answered ``INVALID_CONTENT`` with the wording of Oracle's own example
("Error while accessing resource: You have entered an Invalid Field Value 9999
for the following field: item", "Error Handling in REST Web Services").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from simulators.erp.countries import country_code
from simulators.erp.errors import InvalidContent

# Properties a GET returns that a client may echo back in a PATCH; never stored.
ECHOED = frozenset({"links", "refName", "id"})


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # text | bool | ref | money | number | int | date | enum | country
    ref: str | None = None  # the store kind a reference points to
    required: bool = False
    read_only: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sublist:
    name: str
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


def invalid(value: Any, name: str, path: str) -> InvalidContent:
    return InvalidContent(
        "Error while accessing resource: You have entered an Invalid Field Value "
        f"{_show(value)} for the following field: {name}",
        path,
    )


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("id", value.get("externalId", value)))
    return str(value)


def to_decimal(value: Any, name: str, path: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise invalid(value, name, path)
    try:
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    except InvalidOperation:
        raise invalid(value, name, path) from None
    if not amount.is_finite() or abs(amount) >= Decimal(10) ** 15:
        raise invalid(value, name, path)
    return amount


def parse_value(field: Field, value: Any, path: str) -> Any:
    """The stored (JSON-able) form of ``value``; raises INVALID_CONTENT."""
    if value is None:
        return None
    kind = field.kind
    name = field.name
    if kind == "text":
        if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
            raise invalid(value, name, path)
        text = str(value)
        if len(text) > 4000:
            raise invalid(value, name, path)
        return text
    if kind == "bool":
        if not isinstance(value, bool):
            raise invalid(value, name, path)
        return value
    if kind == "ref":
        if isinstance(value, dict):
            if value.get("id") is not None:
                ref_id = value["id"]
                if isinstance(ref_id, bool) or not isinstance(ref_id, int | str):
                    raise invalid(value, name, path)
                text = str(ref_id).strip()
                if not text.isdigit() or len(text) > 12:
                    raise invalid(value, name, path)
                return {"id": str(int(text))}
            external = value.get("externalId")
            if isinstance(external, str) and external:
                return {"externalId": external}
        raise invalid(value, name, path)
    if kind in ("money", "number"):
        return str(to_decimal(value, name, path))
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 10**6:
            raise invalid(value, name, path)
        return value
    if kind == "date":
        if not isinstance(value, str):
            raise invalid(value, name, path)
        try:
            return dt.date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            raise invalid(value, name, path) from None
    if kind == "enum":
        if value not in field.choices:
            raise invalid(value, name, path)
        return value
    if kind == "country":
        return _country(value, name, path)
    raise AssertionError(kind)


def _country(value: Any, name: str, path: str) -> str:
    """A country enum value: ``"FR"``, ``{"id": "FR"}`` or ``{"refName": "France"}``
    (Oracle, "Format of Enumeration Values": writes take the internal id or the
    reference name) -> the stored ISO 3166-1 alpha-2 code."""
    raw = value
    if isinstance(value, dict):
        raw = value.get("id") if value.get("id") is not None else value.get("refName")
    code = country_code(raw) if isinstance(raw, str) else None
    if code is None:
        raise invalid(value, name, path)
    return code


def parse_lines(sublist: Sublist, value: Any, strict: bool) -> list[dict[str, Any]]:
    """``{"items": [...]}`` -> parsed lines (a ``line`` number is kept for merges)."""
    name = sublist.name
    if not isinstance(value, dict) or not isinstance(value.get("items"), list):
        raise InvalidContent(
            f'Invalid value for the sublist {name}: expected {{"items": [...]}}.', name
        )
    out = []
    for index, raw in enumerate(value["items"]):
        path = f"{name}.items[{index}]"
        if not isinstance(raw, dict):
            raise InvalidContent("Invalid sublist line: expected an object.", path)
        line: dict[str, Any] = {}
        for key, item in raw.items():
            if key == "line":
                if isinstance(item, bool) or not isinstance(item, int) or item < 1:
                    raise invalid(item, "line", f"{path}.line")
                line["line"] = item
                continue
            if key in ECHOED:
                continue
            field = sublist.field(key)
            if field is None or field.read_only:
                if strict and field is None:
                    raise unknown_property(key, f"{path}.{key}")
                continue
            parsed = parse_value(field, item, f"{path}.{key}")
            if parsed is not None:
                line[key] = parsed
        out.append(line)
    return out


def unknown_property(name: str, path: str) -> InvalidContent:
    # NetSuite's X-NetSuite-PropertyNameValidation (Error | Warning | Ignore)
    # decides whether an unknown property fails; the wording is unverified.
    return InvalidContent(
        f"Invalid field name: {name}. The field does not exist on this record or sublist.", path
    )
