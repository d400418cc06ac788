"""Converting values into storage, and rendering results as NetSuite does.

Rendering choices (SuiteQL over REST):

- every value is a JSON string, and each item carries ``"links": []``: a sample
  response in public notes on the SuiteQL REST API (kinuski-dev/misc-python,
  oracle-netsuite-api-suiteql-notes.md) shows ``"links": []`` and string
  values for every column. That numbers are strings too is unverified.
- NULL columns are left out of the item (unverified; from memory of live use).
- numbers lose trailing zeros (Oracle NUMBER keeps no scale: 100.00 -> "100");
  whether a leading zero is printed (".5" vs "0.5") is unverified; we print it.
- dates are rendered in the account's date format preference; the fake's
  default is ``M/D/YYYY`` (the US default, unverified for SuiteQL REST).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from .tables import MONEY_SCALE, Column, ColumnType

_QUANTUM = Decimal(1).scaleb(-MONEY_SCALE)


def to_storage(column: Column, value: Any) -> Any:
    """Convert a Python value for ``column`` into what SQLite stores."""
    if value is None:
        return None
    kind = column.type
    if kind is ColumnType.MONEY:
        return money_to_units(value, column.name)
    if kind is ColumnType.BOOL:
        if isinstance(value, bool):
            return "T" if value else "F"
        if value in ("T", "F"):
            return value
        raise ValueError(f"{column.name}: expected a bool or 'T'/'F', got {value!r}")
    if kind is ColumnType.ID:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(f"{column.name}: expected an integer id, got {value!r}")
        return int(value)
    if kind is ColumnType.NUMBER:
        return float(Decimal(str(value)))
    if kind is ColumnType.DATE:
        if isinstance(value, dt.datetime):
            return value.date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        return dt.date.fromisoformat(str(value)).isoformat()
    if kind is ColumnType.DATETIME:
        if isinstance(value, dt.datetime):
            return value.replace(microsecond=0).isoformat()
        return dt.datetime.fromisoformat(str(value)).isoformat()
    return str(value)


def money_to_units(value: Any, name: str = "amount") -> int:
    """Exact conversion of a money value to integer 1/100 units."""
    if isinstance(value, float):
        raise ValueError(f"{name}: money must be Decimal, int or str, never float")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{name}: not a number: {value!r}") from None
    if amount != amount.quantize(_QUANTUM):
        raise ValueError(f"{name}: more than {MONEY_SCALE} decimals: {value!r}")
    return int(amount.scaleb(MONEY_SCALE))


def render_number(value: Decimal) -> str:
    """Oracle-NUMBER style: no exponent, no trailing zeros."""
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    return text


def render_fixed(units: int, scale: int) -> str:
    return render_number(Decimal(units).scaleb(-scale))


def render_float(value: float) -> str:
    if value.is_integer():
        return str(int(value))
    return render_number(Decimal(repr(value)))


def render_date(iso: str, date_format: str) -> str:
    day = dt.date.fromisoformat(iso[:10])
    return (
        date_format.replace("YYYY", f"{day.year:04d}")
        .replace("MM", f"{day.month:02d}")
        .replace("DD", f"{day.day:02d}")
        .replace("M", str(day.month))
        .replace("D", str(day.day))
    )


def render_datetime(iso: str, date_format: str) -> str:
    # Time-of-day rendering is unverified; 24-hour hh:mm after the date.
    stamp = dt.datetime.fromisoformat(iso)
    return f"{render_date(iso, date_format)} {stamp:%H:%M}"
