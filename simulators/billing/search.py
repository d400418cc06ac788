"""Stripe's search query language over a kind's records (Stripe docs, "Search query
language"; Stripe API reference, "Search").

A query is clauses joined by ``AND`` or by ``OR`` (never both in one query, at most 10
clauses). A clause is ``field:value`` (exact match, case-insensitive for text),
``field~value`` (substring, at least 3 characters), ``field>value``, ``<``, ``>=``,
``<=`` (numbers: ``created``, ``amount``, ``total``), on ``metadata['key']`` as on any
field, and ``-`` before a clause negates it. Values are quoted ('single' or "double") or
bare numbers and booleans. Each resource searches its documented fields only; another
field is a 400 naming it. Stripe's documented freshness caveat (an object can take a
minute to be searchable) is modelled as immediate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from simulators.billing.errors import InvalidRequest
from simulators.engine.store import Record

# Stripe API reference, each resource's "Search" page: its query fields.
FIELDS: dict[str, frozenset[str]] = {
    "customer": frozenset({"created", "email", "metadata", "name", "phone"}),
    "subscription": frozenset({"created", "metadata", "status"}),
    "invoice": frozenset({"created", "currency", "customer", "metadata", "number",
                          "receipt_number", "status", "subscription", "total"}),
    "charge": frozenset({"amount", "billing_details.address.postal_code", "created",
                         "currency", "customer", "disputed", "metadata",
                         "payment_method_details.card.last4", "refunded", "status"}),
    "payment_intent": frozenset({"amount", "created", "currency", "customer", "metadata",
                                 "status"}),
    "price": frozenset({"active", "currency", "lookup_key", "metadata", "product", "type"}),
    "product": frozenset({"active", "description", "metadata", "name", "shippable", "url"}),
}
MAX_CLAUSES = 10

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<join>AND|OR)(?=\s|$)
    | (?P<clause>
        (?P<neg>-)?
        (?P<field>metadata\[(?:'[^']*'|"[^"]*")\]|[A-Za-z_][A-Za-z0-9_.]*)
        (?P<op>>=|<=|:|~|>|<)
        (?P<value>'[^']*'|"[^"]*"|[^\s]+)
      )
    )""", re.VERBOSE)


@dataclass(frozen=True, slots=True)
class Clause:
    negate: bool
    path: tuple[str, ...]  # ("metadata", key) or the dotted field's parts
    op: str
    value: str | float | bool


def _invalid(message: str) -> InvalidRequest:
    return InvalidRequest(message, param="query")


def parse(query: str, kind: str) -> tuple[str, list[Clause]]:
    """The query's joiner (``AND`` or ``OR``) and clauses, checked against ``kind``'s
    fields."""
    pos = 0
    clauses: list[Clause] = []
    joins: list[str] = []
    text = query.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise _invalid(f"Invalid query: could not parse the query at position {pos}: "
                           f"{text[pos:pos + 20]!r}.")
        pos = m.end()
        if m.group("join"):
            if not clauses or len(joins) + 1 != len(clauses):
                raise _invalid(f"Invalid query: unexpected {m.group('join')}.")
            joins.append(m.group("join"))
            continue
        if len(joins) != len(clauses):
            raise _invalid("Invalid query: clauses must be joined by AND or OR.")
        clauses.append(_clause(m, kind))
    if not clauses or len(joins) == len(clauses):
        raise _invalid("Invalid query: the query is empty or ends with AND or OR.")
    if len(set(joins)) > 1:
        raise _invalid("Invalid query: a query cannot mix AND and OR.")
    if len(clauses) > MAX_CLAUSES:
        raise _invalid(f"Invalid query: a query has at most {MAX_CLAUSES} clauses.")
    return (joins[0] if joins else "AND"), clauses


def _clause(m: re.Match[str], kind: str) -> Clause:
    field, op, raw = m.group("field"), m.group("op"), m.group("value")
    if field.startswith("metadata["):
        path: tuple[str, ...] = ("metadata", field[10:-2])
        name = "metadata"
    else:
        path, name = tuple(field.split(".")), field
    if name not in FIELDS[kind]:
        raise _invalid(f"Field `{field}` is an unsupported search field for resource "
                       f"`{kind}`. See http://stripe.com/docs/search#query-fields-for-"
                       f"{kind.replace('_', '-')}s for a list of supported fields.")
    quoted = raw[:1] in ("'", '"')
    value: str | float | bool
    if quoted:
        value = raw[1:-1]
    elif raw in ("true", "false"):
        value = raw == "true"
    else:
        try:
            value = float(raw)
        except ValueError:
            raise _invalid(f"Invalid query: the value {raw!r} of `{field}` must be quoted "
                           "or a number.") from None
    if op == "~" and (not isinstance(value, str) or len(value) < 3):
        raise _invalid(f"Invalid query: a substring match (~) on `{field}` needs a quoted "
                       "value of at least 3 characters.")
    if op in (">", "<", ">=", "<=") and not isinstance(value, float):
        raise _invalid(f"Invalid query: `{field}{op}` compares numbers only.")
    return Clause(m.group("neg") is not None, path, op, value)


def _lookup(rec: Record, path: tuple[str, ...]) -> Any:
    node: Any = rec
    for part in path:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _holds(rec: Record, c: Clause) -> bool:
    have = _lookup(rec, c.path)
    if c.op == ":":
        if isinstance(c.value, bool) or isinstance(have, bool):
            hit = have is c.value or (isinstance(c.value, str) and
                                      str(have).lower() == c.value.lower())
        elif isinstance(c.value, float):
            hit = isinstance(have, int | float) and have == c.value
        else:
            hit = have is not None and str(have).lower() == c.value.lower()
    elif c.op == "~":
        hit = isinstance(have, str) and str(c.value).lower() in have.lower()
    else:
        if not isinstance(have, int | float) or isinstance(have, bool):
            hit = False
        else:
            v = float(c.value)
            hit = {">": have > v, "<": have < v, ">=": have >= v, "<=": have <= v}[c.op]
    return hit != c.negate


def matches(rec: Record, joiner: str, clauses: list[Clause]) -> bool:
    results = (_holds(rec, c) for c in clauses)
    return all(results) if joiner == "AND" else any(results)
