"""The ``q`` parameter of record collection GETs: NetSuite's simple filters.

``q=companyName START_WITH "Acme" AND isInactive IS false``: a field, an
operator and its value(s), joined by AND / OR (AND binds tighter). Operator
names are Oracle's ("Record Collection Filtering": EMPTY, EMPTY_NOT, IS,
IS_NOT, CONTAIN, CONTAIN_NOT, START_WITH, END_WITH, EQUAL, GREATER, LESS,
GREATER_OR_EQUAL, LESS_OR_EQUAL, BETWEEN, ANY_OF, AFTER, BEFORE, ON,
ON_OR_AFTER, ON_OR_BEFORE, WITHIN); dates may be ``M/D/YYYY`` or ISO. The input
is tokenised with :mod:`shlex` (quotes), then parsed by hand; no regular
expressions. Unknown fields or operators: 400 INVALID_PARAMETER on ``q``.
"""

from __future__ import annotations

import datetime as dt
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from simulators.engine.store import Record
from simulators.erp.errors import InvalidParameter
from simulators.erp.records import RecordType

NO_VALUE = {"EMPTY", "EMPTY_NOT"}
TWO_VALUES = {"BETWEEN", "BETWEEN_NOT", "WITHIN", "WITHIN_NOT"}
LIST_VALUES = {"ANY_OF", "ANY_OF_NOT"}
OPERATORS = (
    NO_VALUE
    | TWO_VALUES
    | LIST_VALUES
    | {
        "IS",
        "IS_NOT",
        "CONTAIN",
        "CONTAIN_NOT",
        "START_WITH",
        "START_WITH_NOT",
        "END_WITH",
        "END_WITH_NOT",
        "EQUAL",
        "EQUAL_NOT",
        "GREATER",
        "GREATER_OR_EQUAL",
        "LESS",
        "LESS_OR_EQUAL",
        "AFTER",
        "BEFORE",
        "ON",
        "ON_OR_AFTER",
        "ON_OR_BEFORE",
        "NOT_AFTER",
        "NOT_BEFORE",
        "NOT_ON",
    }
)


@dataclass(frozen=True)
class Condition:
    field: str
    kind: str
    op: str
    values: tuple[str, ...]


Predicate = Callable[[Record], bool]


def _bad(message: str) -> InvalidParameter:
    return InvalidParameter(f"Invalid query parameter q: {message}", "q")


def compile_filter(rtype: RecordType, q: str) -> Predicate:
    try:
        tokens = shlex.split(q)
    except ValueError as exc:
        raise _bad(str(exc)) from None
    if not tokens:
        raise _bad("empty filter")
    groups: list[list[Condition]] = [[]]
    pos = 0
    while True:
        if pos + 1 >= len(tokens):
            raise _bad("expected a field and an operator")
        name, op = tokens[pos], tokens[pos + 1].upper()
        pos += 2
        kind = _kind(rtype, name)
        if op not in OPERATORS:
            raise _bad(f"unknown operator {tokens[pos - 1]}")
        values: list[str] = []
        if op in LIST_VALUES:
            while pos < len(tokens):
                token = tokens[pos]
                pos += 1
                values.extend(v for v in token.split(",") if v)
                if not token.endswith(","):
                    break
        elif op not in NO_VALUE:
            count = 2 if op in TWO_VALUES else 1
            values = tokens[pos : pos + count]
            pos += count
            if len(values) != count:
                raise _bad(f"{op} needs {count} value(s)")
        if not values and op not in NO_VALUE:
            raise _bad(f"{op} needs a value")
        groups[-1].append(Condition(name, kind, op, tuple(values)))
        if pos >= len(tokens):
            break
        joiner = tokens[pos].upper()
        pos += 1
        if joiner == "OR":
            groups.append([])
        elif joiner != "AND":
            raise _bad(f"expected AND or OR, got {tokens[pos - 1]}")
    checks = [[_predicate(c) for c in group] for group in groups]
    return lambda rec: any(all(check(rec) for check in group) for group in checks)


def _kind(rtype: RecordType, name: str) -> str:
    if name in ("id",):
        return "number"
    if name == "externalId":
        return "text"
    if name in ("createdDate", "lastModifiedDate"):
        return "date"
    spec = rtype.field(name)
    if spec is None:
        raise _bad(f"unknown field {name}")
    return {"money": "number", "int": "number", "enum": "text", "country": "text"}.get(
        spec.kind, spec.kind
    )


def _date(text: str) -> str:
    try:
        if "/" in text:
            month, day, year = (int(p) for p in text.split("/"))
            return dt.date(year, month, day).isoformat()
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise _bad(f"invalid date {text}") from None


def _number(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _bad(f"invalid number {text}") from None
    if not value.is_finite():
        raise _bad(f"invalid number {text}")
    return value


def _value(rec: Record, cond: Condition) -> Any:
    raw = rec.get(cond.field)
    if isinstance(raw, dict):
        raw = raw.get("id")
    if raw is None:
        return None
    if cond.kind == "number" or cond.kind == "ref":
        return Decimal(str(raw))
    if cond.kind == "date":
        return str(raw)[:10]
    if cond.kind == "bool":
        return "true" if raw else "false"
    return str(raw)


def _predicate(cond: Condition) -> Predicate:
    op = cond.op
    negate = op.endswith("_NOT") or op.startswith("NOT_")
    base = op.removesuffix("_NOT").removeprefix("NOT_")
    if base == "EMPTY":
        return lambda rec: (_value(rec, cond) in (None, "")) != negate
    kind = cond.kind
    if kind in ("number", "ref"):
        wanted: list[Any] = [_number(v) for v in cond.values]
    elif kind == "date":
        wanted = [_date(v) for v in cond.values]
    elif kind == "bool":
        wanted = [v.lower() for v in cond.values]
        if any(v not in ("true", "false") for v in wanted) or base != "IS":
            raise _bad(f"{cond.field} takes IS true or IS false")
    else:
        wanted = [v.lower() for v in cond.values]
    tests: dict[str, Callable[[Any], bool]] = {
        "IS": lambda v: v == wanted[0],
        "EQUAL": lambda v: v == wanted[0],
        "ON": lambda v: v == wanted[0],
        "CONTAIN": lambda v: wanted[0] in v,
        "START_WITH": lambda v: v.startswith(wanted[0]),
        "END_WITH": lambda v: v.endswith(wanted[0]),
        "GREATER": lambda v: v > wanted[0],
        "AFTER": lambda v: v > wanted[0],
        "GREATER_OR_EQUAL": lambda v: v >= wanted[0],
        "ON_OR_AFTER": lambda v: v >= wanted[0],
        "LESS": lambda v: v < wanted[0],
        "BEFORE": lambda v: v < wanted[0],
        "LESS_OR_EQUAL": lambda v: v <= wanted[0],
        "ON_OR_BEFORE": lambda v: v <= wanted[0],
        "BETWEEN": lambda v: wanted[0] <= v <= wanted[1],
        "WITHIN": lambda v: wanted[0] <= v <= wanted[1],
        "ANY_OF": lambda v: v in wanted,
    }
    text_only = {"CONTAIN", "START_WITH", "END_WITH"}
    if base not in tests or (base in text_only and kind != "text"):
        raise _bad(f"operator {op} does not apply to {cond.field}")
    test = tests[base]

    def check(rec: Record) -> bool:
        value = _value(rec, cond)
        if value is None:
            return negate
        if kind == "text":
            value = value.lower()
        return test(value) != negate

    return check
