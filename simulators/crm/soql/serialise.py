"""`Query` -> SOQL text; `parse(to_soql(q)) == q` for every tree `parse` can produce."""

from __future__ import annotations

from datetime import datetime

from . import ast

# Inverse of the parser's escape table. \_ and \% are stored escaped already, and a lone
# backslash is written as \\ so that the two read back the same.
_ESCAPE_OUT = {
    "\\": "\\\\",
    "'": "\\'",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
    '"': '\\"',
}


def to_soql(query: ast.Query) -> str:
    """Serialise a query tree to SOQL text."""
    parts = ["SELECT", ", ".join(_select_item(item) for item in query.select)]
    parts += ["FROM", query.sobject]
    if query.where is not None:
        parts += ["WHERE", condition(query.where)]
    if query.group_by:
        parts += ["GROUP BY", ", ".join(p.dotted for p in query.group_by)]
    if query.order_by:
        parts += ["ORDER BY", ", ".join(_order_key(k) for k in query.order_by)]
    if query.limit is not None:
        parts += ["LIMIT", str(query.limit)]
    if query.offset is not None:
        parts += ["OFFSET", str(query.offset)]
    return " ".join(parts)


def _select_item(item: ast.SelectItem) -> str:
    match item:
        case ast.SelectField(path=path):
            return path.dotted
        case ast.SelectAggregate(call=call, alias=alias):
            return _call(call) + (f" {alias}" if alias else "")
        case ast.SelectCount():
            return "COUNT()"
        case ast.SelectSubquery(query=sub):
            return f"({to_soql(sub)})"
    raise TypeError(item)  # pragma: no cover


def _call(call: ast.AggregateCall) -> str:
    return f"{call.function}({call.path.dotted})"


def _order_key(key: ast.OrderKey) -> str:
    text = key.expr.dotted if isinstance(key.expr, ast.FieldPath) else _call(key.expr)
    if key.direction:
        text += f" {key.direction}"
    if key.nulls:
        text += f" NULLS {key.nulls}"
    return text


def condition(cond: ast.Condition) -> str:
    """A WHERE condition; nested AND/OR are parenthesised (SOQL requires it when mixing)."""
    match cond:
        case ast.Comparison(path=path, op=op, value=value):
            return f"{path.dotted} {op} {value_literal(value)}"
        case ast.InList(path=path, values=values, negated=negated):
            keyword = "NOT IN" if negated else "IN"
            return f"{path.dotted} {keyword} ({', '.join(value_literal(v) for v in values)})"
        case ast.InSubquery(path=path, query=sub, negated=negated):
            keyword = "NOT IN" if negated else "IN"
            return f"{path.dotted} {keyword} ({to_soql(sub)})"
        case ast.And(operands=operands):
            return " AND ".join(_operand(c) for c in operands)
        case ast.Or(operands=operands):
            return " OR ".join(_operand(c) for c in operands)
        case ast.Not(operand=operand):
            return f"NOT {_operand(operand)}"
    raise TypeError(cond)  # pragma: no cover


def _operand(cond: ast.Condition) -> str:
    text = condition(cond)
    return f"({text})" if isinstance(cond, ast.And | ast.Or) else text


def value_literal(value: ast.Value) -> str:
    match value:
        case ast.StringValue(value=text):
            return "'" + "".join(_ESCAPE_OUT.get(ch, ch) for ch in _keep_like(text)) + "'"
        case ast.NumberValue(value=number):
            return format(number, "f")
        case ast.BooleanValue(value=flag):
            return "true" if flag else "false"
        case ast.NullValue():
            return "null"
        case ast.DateValue(value=day):
            return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"
        case ast.DateTimeValue(value=moment):
            return datetime_literal(moment)
        case ast.RelativeDate(name=name, n=n):
            return name if n is None else f"{name}:{n}"
    raise TypeError(value)  # pragma: no cover


def _keep_like(text: str) -> list[str]:
    # Split into units so that the stored LIKE escapes \_ and \% are written back as-is
    # rather than as an escaped backslash followed by a wildcard.
    units: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in "_%":
            units.append(text[i : i + 2])
            i += 2
        else:
            units.append(text[i])
            i += 1
    return units


def datetime_literal(moment: datetime) -> str:
    """YYYY-MM-DDThh:mm:ss[.fff]Z or with a ±hh:mm offset (SOQL date formats)."""
    text = (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    )
    if moment.microsecond:
        fraction = f"{moment.microsecond:06d}"
        text += "." + (fraction[:3] if fraction.endswith("000") else fraction)
    offset = moment.utcoffset()
    if not offset:
        return text + "Z"
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{text}{sign}{hours:02d}:{mins:02d}"
