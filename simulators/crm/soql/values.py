"""Field-typed values: how stored values and literals compare, sort and match.

SOQL compares by the field's type (SOQL and SOSL Reference, "Comparison Operators"):
text case-insensitively, numbers exactly (Decimal here, never float), dates and
datetimes as instants, ids by their case-sensitive 15-character key.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from ..ids import id_key
from ..schema import ID_TYPES, NUMBER_TYPES, TEXT_TYPES, FieldDef, FieldType
from . import ast
from .dates import day_start, parse_wire_date, parse_wire_datetime, relative_range


def typed(field: FieldDef, raw: Any) -> Any:
    """A stored value as a comparable Python value (None stays None)."""
    if raw is None:
        return None
    kind = field.type
    if kind in TEXT_TYPES:
        return str(raw).casefold()
    if kind in ID_TYPES:
        return id_key(str(raw))
    if kind in NUMBER_TYPES:
        if isinstance(raw, Decimal):
            return raw
        return Decimal(str(raw)) if isinstance(raw, float) else Decimal(raw)
    if kind is FieldType.BOOLEAN:
        return raw if isinstance(raw, bool) else str(raw).lower() == "true"
    if kind is FieldType.DATE:
        return raw if isinstance(raw, date) else parse_wire_date(str(raw))
    if kind is FieldType.DATETIME:
        return raw if isinstance(raw, datetime) else parse_wire_datetime(str(raw))
    return raw  # pragma: no cover - every FieldType is handled above


def sort_key(field: FieldDef, raw: Any) -> Any:
    """The ORDER BY key of a non-null stored value.

    Picklists sort in the order their values are defined, not alphabetically (SOQL and
    SOSL Reference, ORDER BY: picklist fields sort by the order of their values);
    text sorts case-insensitively ("Sorting is case insensitive").
    """
    if field.type is FieldType.PICKLIST and field.picklist_values:
        folded = [v.casefold() for v in field.picklist_values]
        text = str(raw).casefold()
        return (folded.index(text), "") if text in folded else (len(folded), text)
    return typed(field, raw)


# --- literals -----------------------------------------------------------------------------


class LiteralTypeError(Exception):
    """A literal of the wrong kind for its field; the caller adds the position."""


@dataclass(frozen=True)
class Range:
    """A relative date literal resolved to [start, end) in the field's value space."""

    start: date | datetime
    end: date | datetime


# SOAP type names, as Salesforce names them in "must be of type ..." messages.
_SOAP_NAMES = {
    FieldType.ID: "id",
    FieldType.REFERENCE: "id",
    FieldType.INT: "int",
    FieldType.DOUBLE: "double",
    FieldType.CURRENCY: "double",
    FieldType.PERCENT: "double",
    FieldType.BOOLEAN: "boolean",
    FieldType.DATE: "date",
    FieldType.DATETIME: "dateTime",
}


def _mismatch(field: FieldDef) -> LiteralTypeError:
    # e.g. "value of filter criterion for field 'CloseDate' must be of type date and
    # should not be enclosed in quotes" (INVALID_FIELD, as the API answers).
    soap = _SOAP_NAMES.get(field.type, "string")
    quoting = "be enclosed" if soap in ("string", "id") else "not be enclosed"
    return LiteralTypeError(
        f"value of filter criterion for field '{field.name}' must be of type {soap} "
        f"and should {quoting} in quotes"
    )


def literal(field: FieldDef, value: ast.Value, now: datetime) -> Any:
    """`value` as a comparable value for `field` (None for null, a Range for date
    literals such as TODAY); raises LiteralTypeError when the kinds do not match."""
    kind = field.type
    match value:
        case ast.NullValue():
            return None
        case ast.StringValue(value=text) if kind in TEXT_TYPES or kind in ID_TYPES:
            return text.casefold() if kind in TEXT_TYPES else id_key(text)
        case ast.NumberValue(value=number) if kind in NUMBER_TYPES:
            return number
        case ast.BooleanValue(value=flag) if kind is FieldType.BOOLEAN:
            return flag
        case ast.DateValue(value=day) if kind is FieldType.DATE:
            return day
        case ast.DateTimeValue(value=moment) if kind is FieldType.DATETIME:
            return moment
        case ast.RelativeDate() if kind in (FieldType.DATE, FieldType.DATETIME):
            zone = now.tzinfo or UTC
            start, end = relative_range(value, now.astimezone(zone).date())
            if kind is FieldType.DATE:
                return Range(start, end)
            return Range(day_start(start, zone), day_start(end, zone))
    raise _mismatch(field)


_ORDERING: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def like_matcher(text: str) -> Callable[[str], bool]:
    """A LIKE pattern as a test: % any run, _ one character, \\% and \\_ literal;
    case-insensitive (SOQL and SOSL Reference, "Comparison Operators": LIKE).

    Matched without backtracking: the pattern is split at each unescaped % into
    segments of fixed length (literals and _), the first anchored at the start, the last
    at the end, and each one between found at its leftmost place after the one before.
    Leftmost placement is always right for such patterns (a later placement only leaves
    less text for the segments after it), so a test costs O(len(value) x len(pattern)),
    not the exponential time a regex of ``.*`` runs takes on ``'%a%a%a%a%b'``.
    """
    segments: list[list[str]] = [[]]
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in "%_":
            segments[-1].append(re.escape(text[i + 1]))
            i += 2
            continue
        if ch == "%":
            segments.append([])
        else:
            segments[-1].append("." if ch == "_" else re.escape(ch))
        i += 1
    flags = re.IGNORECASE | re.DOTALL
    # Each segment is a regex of literals and single-character wildcards: no
    # quantifier, so the regex engine never backtracks more than the segment's length.
    compiled = [(re.compile("".join(parts), flags), len(parts)) for parts in segments]
    if len(compiled) == 1:
        only = compiled[0][0]
        return lambda value: only.fullmatch(value) is not None
    (head, head_len), *middle, (tail, tail_len) = compiled

    def test(value: str) -> bool:
        end = len(value) - tail_len
        if end < head_len or head.match(value) is None:
            return False
        if tail.fullmatch(value, end) is None:
            return False
        at = head_len
        for pattern, length in middle:
            if length == 0:
                continue
            found = pattern.search(value, at, end)
            if found is None:
                return False
            at = found.end()
        return True

    return test


def matcher(op: str, lit: Any) -> Callable[[Any], bool]:
    """A test of a typed stored value against a typed literal.

    Null semantics follow SOQL, not SQL: `= null` finds nulls, and `!=` a value also
    returns records where the field is null.
    """
    if isinstance(lit, Range):
        return _range_matcher(op, lit)
    if op == "=":
        return lambda v: v == lit
    if op == "!=":
        return lambda v: v != lit
    if op == "LIKE":
        if lit is None:
            return lambda v: False
        like = like_matcher(str(lit))
        return lambda v: v is not None and like(str(v))
    compare = _ORDERING[op]
    if lit is None:
        return lambda v: False
    return lambda v: v is not None and compare(v, lit)


def _range_matcher(op: str, rng: Range) -> Callable[[Any], bool]:
    # A date literal is a range: "=" is inside it, "<" before its start, ">" after its end
    # (SOQL and SOSL Reference, "Date Literals").
    start, end = rng.start, rng.end
    tests: dict[str, Callable[[Any], bool]] = {
        "=": lambda v: start <= v < end,
        "!=": lambda v: not start <= v < end,
        "<": lambda v: v < start,
        "<=": lambda v: v < end,
        ">": lambda v: v >= end,
        ">=": lambda v: v >= start,
    }
    test = tests.get(op)
    if test is None:
        return lambda v: False
    if op == "!=":
        return lambda v: v is None or test(v)
    return lambda v: v is not None and test(v)


def in_matcher(lits: Sequence[Any], negated: bool) -> Callable[[Any], bool]:
    ranges = [matcher("=", r) for r in lits if isinstance(r, Range)]
    scalars = {v for v in lits if not isinstance(v, Range)}

    def inside(v: Any) -> bool:
        return v in scalars or any(test(v) for test in ranges)

    if negated:
        return lambda v: not inside(v)
    return inside
