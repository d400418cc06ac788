"""Stripe's words for a parameter that fails its declaration, and Stripe's own kinds.

The parameter types are the engine's (``engine.params``); this module says how
Stripe reports each failure (400 ``invalid_request_error`` with ``param`` and a
``parameter_*`` code, before anything executes), and declares what only Stripe
has: metadata with its documented limits, ``expand``, list and ``created`` filters.
"""

from __future__ import annotations

from typing import Any

from simulators.billing.errors import InvalidRequest
from simulators.billing.metadata import CLEAR_ALL
from simulators.engine.frozen import FrozenDict
from simulators.engine.params import (
    MAX_INT,
    Bool,
    Decimal_,
    Enum,
    Hash,
    Int,
    ListOf,
    Param,
    ParamError,
    Str,
)

__all__ = [
    "CREATED_FILTER",
    "CURRENCIES",
    "EXPAND",
    "LIST_PARAMS",
    "ONLY_EXPAND",
    "Bool",
    "Currency",
    "Decimal_",
    "Enum",
    "Hash",
    "Int",
    "ListOf",
    "Metadata",
    "Param",
    "Str",
    "param_error",
]


def param_error(e: ParamError) -> InvalidRequest:
    """``e`` in Stripe's wording (the messages Stripe's API answers, e.g. "Received
    unknown parameter: foo" with code parameter_unknown)."""
    path, value = e.param, e.value
    code = "parameter_invalid"
    reason = e.reason
    if reason == "unknown":
        message, code = f"Received unknown parameter: {path}", "parameter_unknown"
    elif reason == "missing":
        message, code = f"Missing required param: {path}.", "parameter_missing"
    elif reason == "not_string":
        message, code = f"Invalid string: {path} must be a string", "parameter_invalid_string"
    elif reason == "empty":
        message, code = (f"You passed an empty string for '{path}'. We assume empty values are "
                         f"an attempt to unset a parameter; however '{path}' cannot be unset. "
                         f"You should remove '{path}' from your request or supply a non-empty "
                         "value.", "parameter_invalid_empty")
    elif reason == "too_long":
        message, code = (f"Invalid string: {value[:20]}...; must be at most {e.maximum} "
                         "characters", "parameter_invalid_string")
    elif reason == "not_integer":
        message, code = f"Invalid integer: {value}", "parameter_invalid_integer"
    elif reason == "out_of_range":
        message, code = (f"Invalid integer: {value}; must be between {e.minimum} and "
                         f"{e.maximum}", "parameter_invalid_integer")
    elif reason == "not_boolean":
        message, code = f"Invalid boolean: {value}", "parameter_invalid_boolean"
    elif reason == "not_in_enum":
        allowed = e.allowed
        listed = (", ".join(allowed[:-1]) + f", or {allowed[-1]}" if len(allowed) > 1
                  else allowed[0])
        message = f"Invalid {path}: must be one of {listed}"
    elif reason == "not_decimal":
        message, code = f"Invalid decimal: {value}", "parameter_invalid_decimal"
    elif reason == "not_object":
        message = f"Invalid object: {path} must be a hash"
    elif reason == "not_array":
        message = f"Invalid array: {path} must be an array"
    elif reason == "too_many_items":
        message = f"Invalid array: {path} can have at most {e.maximum} items"
    else:
        message = e.message or f"Invalid value for {path}"
    return InvalidRequest(message, param=path, code=code)


class Metadata(Param):
    """Up to 50 keys (40 chars) of string values (500 chars): Stripe's documented limits
    (Stripe API reference, "Metadata")."""

    def check(self, value: Any, path: str) -> Any:
        if value == "":
            return CLEAR_ALL  # an update removes every key (billing.metadata)
        if not isinstance(value, dict):
            raise ParamError("invalid", path, value,
                             message="Invalid object: metadata must be a hash")
        if len(value) > 50:
            raise ParamError("invalid", path, value, message="Metadata can have at most 50 keys")
        out: dict[str, str] = {}
        for k, v in value.items():
            if not isinstance(v, str):
                raise ParamError("invalid", f"{path}[{k}]", v,
                                 message=f"Invalid value for {path}[{k}]: must be a string")
            if len(k) > 40 or len(v) > 500 or not k:
                raise ParamError("invalid", f"{path}[{k}]", v, message=(
                    f"Metadata keys are at most 40 characters and values at most 500: {k}"))
            out[k] = v
        # Read-only (every update path merges into a new dict): a record holding it
        # can be snapshotted by reference (frozen.immutable_values).
        return FrozenDict(out)

    def schema(self) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": {"type": "string", "maxLength": 500}}


# The currencies Stripe charges in (Stripe docs, "Supported currencies": ISO 4217 codes,
# lower case). An unknown one is refused before anything is created (issue 18:
# ``currency=xyz`` made an invoice item).
CURRENCIES = (
    "usd", "aed", "afn", "all", "amd", "ang", "aoa", "ars", "aud", "awg", "azn", "bam",
    "bbd", "bdt", "bgn", "bhd", "bif", "bmd", "bnd", "bob", "brl", "bsd", "bwp", "byn",
    "bzd", "cad", "cdf", "chf", "clp", "cny", "cop", "crc", "cve", "czk", "djf", "dkk",
    "dop", "dzd", "egp", "etb", "eur", "fjd", "fkp", "gbp", "gel", "gip", "gmd", "gnf",
    "gtq", "gyd", "hkd", "hnl", "htg", "huf", "idr", "ils", "inr", "isk", "jmd", "jod",
    "jpy", "kes", "kgs", "khr", "kmf", "krw", "kwd", "kyd", "kzt", "lak", "lbp", "lkr",
    "lrd", "lsl", "mad", "mdl", "mga", "mkd", "mmk", "mnt", "mop", "mur", "mvr", "mwk",
    "mxn", "myr", "mzn", "nad", "ngn", "nio", "nok", "npr", "nzd", "omr", "pab", "pen",
    "pgk", "php", "pkr", "pln", "pyg", "qar", "ron", "rsd", "rub", "rwf", "sar", "sbd",
    "scr", "sek", "sgd", "shp", "sle", "sos", "srd", "std", "szl", "thb", "tjs", "tnd",
    "top", "try", "ttd", "twd", "tzs", "uah", "ugx", "uyu", "uzs", "vnd", "vuv", "wst",
    "xaf", "xcd", "xof", "xpf", "yer", "zar", "zmw",
)
_CURRENCY_SET = frozenset(CURRENCIES)


class Currency(Str):
    """A three-letter ISO code Stripe supports, in any case; answered in lower case."""

    def __init__(self, *, required: bool = False, description: str = "") -> None:
        super().__init__(required=required, description=description, max_length=3,
                         known=CURRENCIES)

    def check(self, value: Any, path: str) -> Any:
        text = super().check(value, path)
        if text is None or text == "":
            return text
        code = text.lower()
        if code not in _CURRENCY_SET:
            # Stripe's answer to an unknown currency (the list shortened here).
            raise ParamError("invalid", path, value, message=(
                f"Invalid currency: {text}. Stripe currently supports these currencies: "
                f"{', '.join(CURRENCIES[:8])}, ..."))
        return code


EXPAND = ListOf(Str(max_length=5000), max_items=20, description="Fields to expand")
ONLY_EXPAND: dict[str, Param] = {"expand": EXPAND}
LIST_PARAMS: dict[str, Param] = {
    "limit": Int(minimum=1, maximum=100),
    "starting_after": Str(max_length=5000),
    "ending_before": Str(max_length=5000),
    "expand": EXPAND,
}
CREATED_FILTER = Hash(fields={"gt": Int(maximum=MAX_INT), "gte": Int(maximum=MAX_INT),
                              "lt": Int(maximum=MAX_INT), "lte": Int(maximum=MAX_INT)})
LIST: dict[str, Param] = dict(LIST_PARAMS, created=CREATED_FILTER)
