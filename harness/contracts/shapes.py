"""What recorded traffic says about a request's shape and an answer's types.

A recorded contract holds one interaction per distinct request shape: the method, the
path with its ids replaced by placeholders, the query's keys (a SOQL query with its
literals replaced), and the body's keys. An answer seen several times is described by
what all of them had in common: the keys present and not null in every one, each with
its JSON type (a value that was null, or of another type, says nothing the consumer may
rely on, and is left out).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

from pact import match

_STRIPE_ID = re.compile(r"^(acct|ch|cn|cus|evt|ii|il|in|pi|pm|price|prod|re|si|sub|txr|we|"
                        r"clock)_[A-Za-z0-9]+$")
_SOQL_LITERAL = re.compile(r"'(?:[^'\\]|\\.)*'")
Absent = object()


def path_template(provider: str, path: str) -> str:
    """``/v1/customers/cus_X`` -> ``/v1/customers/{id}``; a Salesforce record id or upsert
    value, a NetSuite internal or external id alike."""
    parts = path.split("/")
    if provider == "billing":
        return "/".join("{id}" if _STRIPE_ID.match(p) else p for p in parts)
    if provider == "crm":
        if "sobjects" in parts:
            at = parts.index("sobjects")
            if len(parts) == at + 3:
                parts[at + 2] = "{id}"
            elif len(parts) == at + 4:
                parts[at + 3] = "{value}"  # an upsert: .../{Obj}/{ExternalIdField}/{value}
        elif len(parts) >= 2 and parts[-2] == "query":
            parts[-1] = "{locator}"  # nextRecordsUrl
        return "/".join(parts)
    return "/".join("{id}" if p.isdigit() and n > 3 else
                    "eid:{externalId}" if p.startswith("eid:") else p
                    for n, p in enumerate(parts))


def query_pairs(query: str) -> list[tuple[str, str]]:
    return parse_qsl(query, keep_blank_values=True)


def without_literals(soql: str) -> str:
    return _SOQL_LITERAL.sub("?", soql)


def query_shape(query: str) -> tuple[tuple[str, str], ...]:
    """The query's keys, with a SOQL/SuiteQL ``q`` kept without its literals."""
    out = []
    for key, value in query_pairs(query):
        out.append((key, without_literals(value) if key == "q" else ""))
    return tuple(sorted(out))


def body_of(text: str | None, content_type: str | None) -> Any:
    """A recorded body: JSON decoded, a form as a dict, anything else as text; ``Absent``
    when empty."""
    if not text:
        return Absent
    kind = (content_type or "").lower()
    if "json" in kind or text[:1] in "{[":
        try:
            return json.loads(text)
        except ValueError:
            return text
    if "x-www-form-urlencoded" in kind:
        return dict(parse_qsl(text, keep_blank_values=True))
    return text


def key_shape(value: Any) -> Any:
    """The keys of a body, recursively (lists by their first element)."""
    if isinstance(value, dict):
        return tuple(sorted((k, key_shape(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("[]", key_shape(value[0]) if value else None)
    return None


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def common(values: Sequence[Any]) -> Any:
    """What every one of ``values`` has, with the first one's example values; ``Absent``
    when they disagree (a null, a missing key, another type)."""
    values = [v for v in values if v is not Absent]
    if not values or any(v is None for v in values):
        return Absent
    kinds = {_kind(v) for v in values}
    if len(kinds) > 1:
        return Absent
    first = values[0]
    if isinstance(first, dict):
        keys = [k for k in first if all(k in v for v in values)]
        out = {}
        for key in keys:
            merged = common([v[key] for v in values])
            if merged is not Absent:
                out[key] = merged
        return out
    if isinstance(first, list):
        if any(not v for v in values):
            return []  # sometimes empty: nothing can be said of its elements
        items = [item for v in values for item in v]
        element = common(items)
        return [element] if element is not Absent else Absent
    return first


def matchers(value: Any) -> Any:
    """Type matchers for a merged example: each leaf matches by type, each array holds at
    least one element like its first (an always-empty one: any array)."""
    if isinstance(value, dict):
        return {k: matchers(v) for k, v in value.items()}
    if isinstance(value, list):
        if not value:
            return match.type([])
        return match.each_like(matchers(value[0]), min=1)
    if isinstance(value, bool):
        return match.bool(value)
    if isinstance(value, int | float):
        return match.number(value)
    return match.type(value)


def first_present(values: Iterable[Any]) -> Any:
    for value in values:
        if value is not Absent:
            return value
    return Absent


def header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None
