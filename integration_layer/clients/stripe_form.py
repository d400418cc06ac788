"""Stripe's form encoding of request parameters.

Mirrors stripe-python's ``stripe/_encode.py`` (``_api_encode``): nested hashes become
``key[sub]``, lists are always indexed (``items[0][price]``, ``expand[0]``), booleans are
``true``/``false`` and ``None`` values are left out; an empty string is kept (it is how
Stripe unsets a field, e.g. ``metadata[k]=``). Floats are refused: money is integers in
minor units, and Stripe's fractional amounts go as ``*_decimal`` strings or Decimals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode


def encode_params(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Flatten ``params`` into ordered ``(key, value)`` pairs in Stripe's wire format."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        _encode(str(key), value, pairs)
    return pairs


def encode_body(params: Mapping[str, Any]) -> str:
    """``params`` as an ``application/x-www-form-urlencoded`` body."""
    return urlencode(encode_params(params))


def _encode(key: str, value: Any, out: list[tuple[str, str]]) -> None:
    if value is None:
        return
    if isinstance(value, bool):  # before int: bool is an int subclass
        out.append((key, "true" if value else "false"))
    elif isinstance(value, str):
        out.append((key, value))
    elif isinstance(value, int | Decimal):
        out.append((key, str(value)))
    elif isinstance(value, float):
        raise TypeError(f"{key}: float is not allowed in Stripe parameters; use int or Decimal")
    elif isinstance(value, Mapping):
        for sub, sub_value in value.items():
            _encode(f"{key}[{sub}]", sub_value, out)
    elif isinstance(value, Sequence):
        for index, item in enumerate(value):
            _encode(f"{key}[{index}]", item, out)
    else:
        raise TypeError(f"{key}: cannot form-encode {type(value).__name__}")
