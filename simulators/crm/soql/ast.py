"""The SOQL abstract syntax tree: frozen dataclasses, compared by meaning.

Source positions are kept for error messages but excluded from equality, so that a query
and its re-serialisation compare equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal


@dataclass(frozen=True)
class Pos:
    """1-based line and column of a token in the query text (0, 0: unknown)."""

    line: int = 0
    column: int = 0


NOWHERE = Pos()


@dataclass(frozen=True)
class FieldPath:
    """`Name` or a relationship path such as `Opportunity.Account.Name`."""

    names: tuple[str, ...]
    pos: Pos = field(default=NOWHERE, compare=False)

    @property
    def dotted(self) -> str:
        return ".".join(self.names)


# --- values -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StringValue:
    #: Decoded text. The LIKE escapes \% and \_ stay as backslash + character.
    value: str


@dataclass(frozen=True)
class NumberValue:
    value: Decimal


@dataclass(frozen=True)
class BooleanValue:
    value: bool


@dataclass(frozen=True)
class NullValue:
    pass


@dataclass(frozen=True)
class DateValue:
    value: date


@dataclass(frozen=True)
class DateTimeValue:
    #: Always timezone-aware.
    value: datetime


@dataclass(frozen=True)
class RelativeDate:
    """A date literal such as TODAY or LAST_N_DAYS:30 (`n` set for the `:n` forms)."""

    name: str
    n: int | None = None


Value = (
    StringValue | NumberValue | BooleanValue | NullValue | DateValue | DateTimeValue | RelativeDate
)

# --- conditions ---------------------------------------------------------------------------

ComparisonOp = Literal["=", "!=", "<", "<=", ">", ">=", "LIKE"]


@dataclass(frozen=True)
class Comparison:
    path: FieldPath
    op: ComparisonOp
    value: Value


@dataclass(frozen=True)
class InList:
    path: FieldPath
    values: tuple[Value, ...]
    negated: bool = False


@dataclass(frozen=True)
class And:
    operands: tuple[Condition, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    operand: Condition


@dataclass(frozen=True)
class InSubquery:
    """A semi-join (``Id IN (SELECT AccountId FROM Opportunity ...)``) or, negated, an
    anti-join (SOQL and SOSL Reference, "Comparison Operators": semi-joins and anti-joins)."""

    path: FieldPath
    query: Query
    negated: bool = False


Condition = Comparison | InList | InSubquery | And | Or | Not

# --- select list --------------------------------------------------------------------------

AggregateFunction = Literal["COUNT", "COUNT_DISTINCT", "SUM", "MIN", "MAX", "AVG"]


@dataclass(frozen=True)
class AggregateCall:
    function: AggregateFunction
    path: FieldPath


@dataclass(frozen=True)
class SelectField:
    path: FieldPath
    alias: str | None = None


@dataclass(frozen=True)
class SelectAggregate:
    call: AggregateCall
    alias: str | None = None


@dataclass(frozen=True)
class SelectCount:
    """`COUNT()`: only the number of rows, no records."""

    pos: Pos = field(default=NOWHERE, compare=False)


@dataclass(frozen=True)
class SelectSubquery:
    """A parent-to-child subquery; its `sobject` is the child relationship name."""

    query: Query


SelectItem = SelectField | SelectAggregate | SelectCount | SelectSubquery


@dataclass(frozen=True)
class OrderKey:
    expr: FieldPath | AggregateCall
    #: As written; None means the default (ascending, nulls first).
    direction: Literal["ASC", "DESC"] | None = None
    nulls: Literal["FIRST", "LAST"] | None = None

    @property
    def descending(self) -> bool:
        return self.direction == "DESC"

    @property
    def nulls_last(self) -> bool:
        # "By default, null values are sorted first" (SOQL and SOSL Reference, ORDER BY).
        return self.nulls == "LAST"


@dataclass(frozen=True)
class Query:
    select: tuple[SelectItem, ...]
    sobject: str
    where: Condition | None = None
    group_by: tuple[FieldPath, ...] = ()
    order_by: tuple[OrderKey, ...] = ()
    limit: int | None = None
    offset: int | None = None
    sobject_pos: Pos = field(default=NOWHERE, compare=False)
    #: The query text this tree was parsed from, for error messages.
    text: str = field(default="", compare=False, repr=False)
