"""SOQL text -> `Query`, through the lark grammar in grammar.lark (LALR)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Any, cast

from lark import Lark, Token, Transformer
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)

from . import ast
from .errors import MALFORMED_QUERY, SoqlError, locate

# Escape sequences of SOQL string literals (SOQL and SOSL Reference, "Quoted String
# Escape Sequences"); upper-case forms are accepted too. \_ and \% only mean something
# to LIKE, so they are kept escaped for the LIKE matcher.
_ESCAPES = {
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "b": "\b",
    "f": "\f",
    '"': '"',
    "'": "'",
    "\\": "\\",
}
_LIKE_ESCAPES = {"_", "%"}


@cache
def _lark() -> Lark:
    grammar = resources.files(__package__).joinpath("grammar.lark").read_text("utf-8")
    return Lark(grammar, parser="lalr", start="start", maybe_placeholders=False)


def parse(text: str) -> ast.Query:
    """Parse SOQL; raise `SoqlError` (MALFORMED_QUERY) with Salesforce's message shape."""
    try:
        tree = _lark().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    try:
        query = cast(ast.Query, _ToAst().transform(tree))
    except VisitError as exc:
        if isinstance(exc.orig_exc, _LiteralError):
            err = exc.orig_exc
            reason = locate(text, err.line, err.column, err.reason)
            raise SoqlError(MALFORMED_QUERY, reason) from None
        raise
    # The text travels with the tree so that semantic errors can point into it.
    return replace(query, text=text)


def _syntax_error(text: str, exc: UnexpectedInput) -> SoqlError:
    line, column = exc.line, exc.column
    if isinstance(exc, UnexpectedCharacters):
        at = exc.pos_in_stream or 0
        found = text[at] if at < len(text) else "<EOF>"
    elif isinstance(exc, UnexpectedToken):
        found = "<EOF>" if exc.token.type == "$END" else str(exc.token)
        if exc.token.type == "$END":
            line, column = _end_position(text)
    elif isinstance(exc, UnexpectedEOF):
        found = "<EOF>"
        line, column = _end_position(text)
    else:  # pragma: no cover - lark has no other UnexpectedInput kinds
        found = "?"
    return SoqlError(MALFORMED_QUERY, locate(text, line, column, f"unexpected token: '{found}'"))


def _end_position(text: str) -> tuple[int, int]:
    stripped = text.rstrip()
    lines = stripped.splitlines() or [""]
    return len(lines), len(lines[-1]) + 1


class _LiteralError(Exception):
    def __init__(self, token: Token, reason: str) -> None:
        super().__init__(reason)
        self.line = token.line or 0
        self.column = token.column or 0
        self.reason = reason


def _pos(token: Token) -> ast.Pos:
    return ast.Pos(token.line or 0, token.column or 0)


def decode_string(token: Token) -> str:
    body = str(token)[1:-1]
    out: list[str] = []
    chars = iter(body)
    for ch in chars:
        if ch != "\\":
            out.append(ch)
            continue
        nxt = next(chars, "")
        if nxt in _LIKE_ESCAPES:
            out.append("\\" + nxt)
        elif nxt.lower() in _ESCAPES or nxt in _ESCAPES:
            out.append(_ESCAPES.get(nxt, _ESCAPES.get(nxt.lower(), "")))
        else:
            # Salesforce refuses unknown escapes rather than passing them through.
            raise _LiteralError(token, f"Invalid string literal '{body}'. Illegal escape sequence")
    return "".join(out)


def _parse_datetime(token: Token) -> datetime:
    raw = str(token).upper()
    if raw.endswith("Z"):
        raw = raw[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        raise _LiteralError(
            token, f"line {token.line}:{token.column} no viable alternative at character '{token}'"
        ) from None


class _ToAst(Transformer[Token, Any]):
    """Tree -> ast dataclasses. Methods are named after the grammar's rules/aliases."""

    def query(self, items: list[Any]) -> ast.Query:
        select, sobject, *clauses = items
        kwargs: dict[str, Any] = {}
        for clause in clauses:
            kwargs.update(clause)
        return ast.Query(
            select=tuple(select), sobject=str(sobject), sobject_pos=_pos(sobject), **kwargs
        )

    def select_list(self, items: list[ast.SelectItem]) -> list[ast.SelectItem]:
        return items

    def select_field(self, items: list[ast.FieldPath]) -> ast.SelectField:
        return ast.SelectField(items[0])

    def select_aggregate(self, items: list[Any]) -> ast.SelectAggregate:
        alias = str(items[1]) if len(items) > 1 else None
        return ast.SelectAggregate(items[0], alias)

    def select_count(self, items: list[Token]) -> ast.SelectCount:
        return ast.SelectCount(_pos(items[0]))

    def select_subquery(self, items: list[ast.Query]) -> ast.SelectSubquery:
        return ast.SelectSubquery(items[0])

    def alias(self, items: list[Token]) -> Token:
        return items[0]

    def aggregate_call(self, items: list[Any]) -> ast.AggregateCall:
        function, path = items
        return ast.AggregateCall(cast(ast.AggregateFunction, str(function).upper()), path)

    def field_path(self, items: list[Token]) -> ast.FieldPath:
        return ast.FieldPath(tuple(str(t) for t in items), _pos(items[0]))

    # --- WHERE --------------------------------------------------------------------------

    def where_clause(self, items: list[ast.Condition]) -> dict[str, Any]:
        return {"where": items[0]}

    def and_cond(self, items: list[ast.Condition]) -> ast.And:
        return ast.And(tuple(items))

    def or_cond(self, items: list[ast.Condition]) -> ast.Or:
        return ast.Or(tuple(items))

    def not_cond(self, items: list[Any]) -> ast.Not:
        return ast.Not(items[-1])

    def comparison(self, items: list[Any]) -> ast.Comparison:
        path, op, value = items
        text = str(op).upper()
        # <> is another spelling of != (SOQL and SOSL Reference, "Comparison Operators").
        normalised = "!=" if text == "<>" else text
        return ast.Comparison(path, cast(ast.ComparisonOp, normalised), value)

    def in_list(self, items: list[Any]) -> ast.InList:
        path, *rest = items
        negated = bool(rest) and isinstance(rest[0], Token) and rest[0].type == "NOT"
        values = tuple(rest[1:] if negated else rest)
        return ast.InList(path, values, negated)

    def in_subquery(self, items: list[Any]) -> ast.InSubquery:
        path, *rest = items
        negated = isinstance(rest[0], Token) and rest[0].type == "NOT"
        return ast.InSubquery(path, rest[-1], negated)

    # --- values -------------------------------------------------------------------------

    def string(self, items: list[Token]) -> ast.StringValue:
        return ast.StringValue(decode_string(items[0]))

    def number(self, items: list[Token]) -> ast.NumberValue:
        try:
            return ast.NumberValue(Decimal(str(items[0])))
        except InvalidOperation:  # pragma: no cover - the terminal only matches numbers
            raise _LiteralError(items[0], f"invalid number '{items[0]}'") from None

    def null(self, items: list[Token]) -> ast.NullValue:
        return ast.NullValue()

    def true(self, items: list[Token]) -> ast.BooleanValue:
        return ast.BooleanValue(True)

    def false(self, items: list[Token]) -> ast.BooleanValue:
        return ast.BooleanValue(False)

    def date(self, items: list[Token]) -> ast.DateValue:
        try:
            return ast.DateValue(date.fromisoformat(str(items[0])))
        except ValueError:
            raise _LiteralError(items[0], f"invalid date '{items[0]}'") from None

    def datetime(self, items: list[Token]) -> ast.DateTimeValue:
        return ast.DateTimeValue(_parse_datetime(items[0]))

    def relative_date(self, items: list[Token]) -> ast.RelativeDate:
        name, _, n = str(items[0]).upper().partition(":")
        return ast.RelativeDate(name, int(n) if n else None)

    # --- GROUP BY / ORDER BY / LIMIT / OFFSET -------------------------------------------

    def group_clause(self, items: list[ast.FieldPath]) -> dict[str, Any]:
        return {"group_by": tuple(items)}

    def order_clause(self, items: list[ast.OrderKey]) -> dict[str, Any]:
        return {"order_by": tuple(items)}

    def order_key(self, items: list[Any]) -> ast.OrderKey:
        expr, *modifiers = items
        direction = next((m for m in modifiers if m in ("ASC", "DESC")), None)
        nulls = next((m for m in modifiers if m in ("FIRST", "LAST")), None)
        return ast.OrderKey(expr, direction, nulls)

    def direction(self, items: list[Token]) -> str:
        return str(items[0]).upper()

    def nulls_position(self, items: list[Token]) -> str:
        return str(items[0]).upper()

    def limit_clause(self, items: list[Token]) -> dict[str, Any]:
        return {"limit": int(items[0])}

    def offset_clause(self, items: list[Token]) -> dict[str, Any]:
        return {"offset": int(items[0])}
