"""The CRM's wire formats: JSON with exact decimals, and Salesforce's datetime text."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson

from simulators.crm.errors import JSON_PARSER_ERROR, bad_request


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Money goes out as a JSON number with its exact digits, never through float.
        return orjson.Fragment(format(value, "f"))
    return str(value)


def dumps(data: Any) -> bytes:
    try:
        return orjson.dumps(data, default=_default)
    except TypeError:
        # orjson refuses integers beyond 64 bits (a client may send or echo one); write
        # them as exact JSON numbers through the Decimal path instead.
        return orjson.dumps(_wide_ints(data), default=_default)


def _wide_ints(data: Any) -> Any:
    if isinstance(data, bool):
        return data
    if isinstance(data, int) and not -(2**63) <= data < 2**64:
        return Decimal(data)
    if isinstance(data, dict):
        return {k: _wide_ints(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_wide_ints(v) for v in data]
    return data


def loads_body(raw: bytes) -> Any:
    """A JSON request body with numbers as Decimal (ints stay int); JSON_PARSER_ERROR else:
    not UTF-8, not JSON, nested too deep for the parser, or a string with a lone UTF-16
    surrogate (``"\\ud800"``: Python reads it, but it cannot be stored or written back
    as UTF-8; issue 18: it answered 500 after the record was committed)."""
    try:
        data = json.loads(raw.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError) as exc:
        line = getattr(exc, "lineno", 1)
        col = getattr(exc, "colno", 1)
        raise bad_request(
            JSON_PARSER_ERROR,
            f"Unexpected character in request body at [line:{line}, column:{col}]",
        ) from None
    except RecursionError:
        raise bad_request(JSON_PARSER_ERROR, "The request body nests too deeply.") from None
    if b"\\u" in raw and _has_surrogate(data):
        raise bad_request(JSON_PARSER_ERROR,
                          "Invalid UTF-8 in request body: a lone surrogate escape (\\uD800 "
                          "to \\uDFFF) is not a character.")
    return data


def _has_surrogate(data: Any) -> bool:
    """Whether any key or string in ``data`` holds a lone surrogate (walked without
    recursion)."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def sf_datetime(ts: float) -> str:
    """``2024-01-31T10:00:00.000+0000``: how the REST API writes datetimes (UTC, millis)."""
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def parse_datetime(text: str) -> datetime | None:
    """An ISO 8601 datetime as clients send it (``Z``, ``+00:00`` or ``+0000``); None if bad."""
    raw = text.strip().replace(" ", "+")
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    if len(raw) >= 5 and raw[-5] in "+-" and raw[-3] != ":" and "T" in raw:
        raw = raw[:-2] + ":" + raw[-2:]
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
