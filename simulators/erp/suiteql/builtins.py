"""SuiteQL's built-in functions (``BUILTIN.<NAME>(...)``), translated to SQLite.

Oracle, "SuiteQL Supported Built-in Functions" (ns-online-help article_161950565221):
a built-in is called with the ``BUILTIN.`` prefix. The fake implements:

- ``BUILTIN.DF(field)``, the display value of a field: for a reference, the referenced
  record's name (a customer's entity id, an account's number and name, a period's name,
  a currency's, a subsidiary's, an item's; a transaction's type and number); for a
  transaction's status, "<type> : <status>" as NetSuite's transaction list shows it
  (the exact wording per status is unverified); any other field, its value.
- ``BUILTIN.CONSOLIDATE(amount, view, rate type, subsidiary rate type, target
  subsidiary, period, book)`` (article_1029114527): the amount converted from the
  currency it is held in (a ledger line's: its subsidiary's base currency; a
  transaction's foreign total and a line's foreign amount: the transaction's currency)
  to the target subsidiary's base currency, at the currencies' exchange rates, rounded
  to cents. The view, rate types, period and book are checked against the documented
  values and otherwise not used: the fake keeps one rate per currency, not NetSuite's
  consolidated exchange rate table per period.
- ``BUILTIN.CURRENCY_CONVERT(amount[, target currency])``: the amount in the target
  currency (default: the first subsidiary's), likewise.

Other documented built-ins (CF, CURRENCY, HIERARCHY, MNFILTER, NAMED_GROUP, PERIOD,
RELATIVE_RANGES) and unknown names answer NetSuite's search error rather than a wrong
value.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from sqlglot import exp

from . import errors
from .tables import TABLES, Column

PREFIX = "builtin"
DOCUMENTED = frozenset({"CF", "CONSOLIDATE", "CURRENCY", "CURRENCY_CONVERT", "DF", "HIERARCHY",
                        "MNFILTER", "NAMED_GROUP", "PERIOD", "RELATIVE_RANGES"})
VIEWS = frozenset({"LEDGER", "INCOME"})
RATE_TYPES = frozenset({"DEFAULT", "STANDARD", "BUDGET"})
SUBSIDIARY_RATE_TYPES = frozenset({"DEFAULT", "CURRENT", "HISTORICAL", "AVERAGE"})

# (table, column) -> (table referenced, its display expression over alias "r").
_ENTITY = ("customer", "COALESCE(r.entityid, r.companyname)")
_SUBSIDIARY = ("subsidiary", "r.name")
_CURRENCY = ("currency", "r.name")
_ACCOUNT = ("account", "r.accountsearchdisplayname")
_TRANSACTION = ("transaction", "ns_type_display(r.type) || ' #' || r.tranid")
REFERENCES: dict[tuple[str, str], tuple[str, str]] = {
    ("transaction", "entity"): _ENTITY,
    ("transaction", "postingperiod"): ("accountingperiod", "r.periodname"),
    ("transaction", "currency"): _CURRENCY,
    ("transactionline", "transaction"): _TRANSACTION,
    ("transactionline", "entity"): _ENTITY,
    ("transactionline", "subsidiary"): _SUBSIDIARY,
    ("transactionline", "item"): ("item", "r.itemid"),
    ("transactionaccountingline", "transaction"): _TRANSACTION,
    ("transactionaccountingline", "account"): _ACCOUNT,
    ("customer", "subsidiary"): _SUBSIDIARY,
    ("customer", "currency"): _CURRENCY,
    ("account", "currency"): _CURRENCY,
    ("subsidiary", "currency"): _CURRENCY,
    ("subsidiary", "parent"): _SUBSIDIARY,
    ("item", "incomeaccount"): _ACCOUNT,
}

# Where an amount's currency is read, per (table, column), over the row's alias "q".
# (The subqueries' own aliases start with ns_ so that they never hide a query's alias.)
_LINE_SUBSIDIARY_CURRENCY = (
    "(SELECT ns_s.currency FROM transactionline ns_tl JOIN subsidiary ns_s "
    "ON ns_s.id = ns_tl.subsidiary WHERE ns_tl.\"transaction\" = q.\"transaction\" "
    "AND ns_tl.id = q.transactionline)")
_TRANSACTION_CURRENCY = ("(SELECT ns_t.currency FROM \"transaction\" ns_t "
                         "WHERE ns_t.id = q.\"transaction\")")
AMOUNT_CURRENCY: dict[tuple[str, str], str] = {
    ("transactionaccountingline", "debit"): _LINE_SUBSIDIARY_CURRENCY,
    ("transactionaccountingline", "credit"): _LINE_SUBSIDIARY_CURRENCY,
    ("transactionaccountingline", "amount"): _LINE_SUBSIDIARY_CURRENCY,
    ("transactionaccountingline", "netamount"): _LINE_SUBSIDIARY_CURRENCY,
    ("transactionline", "netamount"):
        "(SELECT ns_s.currency FROM subsidiary ns_s WHERE ns_s.id = q.subsidiary)",
    ("transactionline", "foreignamount"): _TRANSACTION_CURRENCY,
    ("transaction", "foreigntotal"): "q.currency",
}

# The schema's column objects -> their table (each Column instance belongs to one table).
_TABLE_OF: dict[int, str] = {id(c): t.name.lower() for t in TABLES.values() for c in t.columns}
_aliases = itertools.count(1)

# The translator's typing of an expression and its lowering to a plain value (its Kind
# is the translator's own: opaque here).
Typed = Callable[[exp.Expression], tuple[exp.Expression, Any]]
Lower = Callable[[exp.Expression, Any], exp.Expression]


def _sql(text: str) -> exp.Expression:
    parsed: exp.Expression = exp.maybe_parse(text, dialect="sqlite")
    return parsed


def name_of(node: exp.Expression) -> str | None:
    """``DF`` for ``BUILTIN.DF(...)`` (any letter case), else None."""
    if (isinstance(node, exp.Dot) and isinstance(node.this, exp.Identifier)
            and node.this.name.lower() == PREFIX
            and isinstance(node.expression, exp.Anonymous | exp.Func)):
        inner = node.expression
        return (inner.name if isinstance(inner, exp.Anonymous) else inner.sql_name()).upper()
    return None


def arguments(node: exp.Dot) -> list[exp.Expression]:
    inner = node.expression
    if isinstance(inner, exp.Anonymous):
        return list(inner.expressions)
    return [v for v in inner.args.values() if isinstance(v, exp.Expression)]


def rewrite(node: exp.Dot, name: str, columns: dict[int, Column | None], typed: Typed,
            lower: Lower) -> exp.Expression:
    """The SQLite expression for one built-in call (its value is plain: text or REAL)."""
    args = arguments(node)
    if name == "DF":
        return _display(args, columns, lower, typed)
    if name == "CONSOLIDATE":
        if len(args) != 7:
            raise errors.search_error("BUILTIN.CONSOLIDATE takes 7 parameters.")
        _check_choice(args[1], VIEWS, "view type")
        _check_choice(args[2], RATE_TYPES, "consolidation rate type")
        _check_choice(args[3], SUBSIDIARY_RATE_TYPES, "subsidiary rate type", sql=True)
        _check_choice(args[6], frozenset({"DEFAULT"}), "book", sql=True)
        target = typed(args[4])[0]
        return _convert(args[0], columns, typed, lower, _subsidiary_currency(target))
    if name == "CURRENCY_CONVERT":
        if not 1 <= len(args) <= 2:
            raise errors.search_error("BUILTIN.CURRENCY_CONVERT takes 1 or 2 parameters.")
        to = (typed(args[1])[0] if len(args) == 2 else
              _subsidiary_currency(exp.Literal.number(1)))
        return _convert(args[0], columns, typed, lower, to)
    if name in DOCUMENTED:
        raise errors.search_error(f"BUILTIN.{name} is not supported by fintwin's SuiteQL.")
    raise errors.search_error(f"Unknown built-in function BUILTIN.{name}.")


def _column_table(arg: exp.Expression, columns: dict[int, Column | None]) -> tuple[str, str]:
    """(table, column) of a field argument, or ('', '') for anything else."""
    if not isinstance(arg, exp.Column):
        return "", ""
    schema = columns.get(id(arg))
    if schema is None:
        return "", ""
    return _TABLE_OF.get(id(schema), ""), schema.name


def _display(args: list[exp.Expression], columns: dict[int, Column | None], lower: Lower,
             typed: Typed) -> exp.Expression:
    if len(args) != 1:
        raise errors.search_error("BUILTIN.DF takes 1 parameter.")
    (arg,) = args
    table, column = _column_table(arg, columns)
    if (table, column) == ("transaction", "status") and isinstance(arg, exp.Column):
        kind = exp.column("type", table=arg.table) if arg.table else exp.column("type")
        return exp.Anonymous(this="ns_status_display", expressions=[kind, arg.copy()])
    target = REFERENCES.get((table, column))
    if target is None:
        value, kind = typed(arg)
        return lower(value, kind)
    ref_table, display = target
    alias = f"ns_df{next(_aliases)}"
    sub = _sql(f"SELECT {display.replace('r.', alias + '.')} FROM {_quoted(ref_table)} "
               f"{alias} WHERE {alias}.id = 0")
    assert isinstance(sub, exp.Select)
    where = sub.args["where"].this
    assert isinstance(where, exp.EQ)
    where.set("expression", arg.copy())
    return exp.Subquery(this=sub)


def _convert(arg: exp.Expression, columns: dict[int, Column | None], typed: Typed, lower: Lower,
             target_currency: exp.Expression) -> exp.Expression:
    table, column = _column_table(arg, columns)
    source = AMOUNT_CURRENCY.get((table, column))
    if source is None or not isinstance(arg, exp.Column) or not arg.table:
        raise errors.search_error(
            "Currency conversion needs a qualified amount field (alias.field) of "
            "transaction, transactionLine or transactionAccountingLine.")
    value, kind = typed(arg)
    amount = lower(value, kind)
    src = _sql(source.replace("q.", f"{_quoted(arg.table)}."))
    rate_of = "(SELECT ns_c.exchangerate FROM currency ns_c WHERE ns_c.id = {})"
    from_rate = _sql(rate_of.format(src.sql(dialect="sqlite")))
    to_rate = _sql(rate_of.format(target_currency.sql(dialect="sqlite")))
    converted = exp.Div(this=exp.Mul(this=amount, expression=from_rate), expression=to_rate)
    return exp.Round(this=converted, decimals=exp.Literal.number(2))


def _subsidiary_currency(subsidiary: exp.Expression) -> exp.Expression:
    return _sql("(SELECT ns_s.currency FROM subsidiary ns_s WHERE ns_s.id = "
                f"{subsidiary.sql(dialect='sqlite')})")


def _check_choice(arg: exp.Expression, allowed: frozenset[str], what: str,
                  sql: bool = False) -> None:
    if isinstance(arg, exp.Literal) and arg.is_string:
        if arg.this.upper() not in allowed:
            raise errors.search_error(
                f"Invalid {what} '{arg.this}': use one of {', '.join(sorted(allowed))}.")
        return
    if not sql:
        raise errors.search_error(f"The {what} must be one of {', '.join(sorted(allowed))}.")


def _quoted(name: str) -> str:
    return f'"{name}"'


# Transaction type codes -> the names NetSuite shows (mirror.TYPE_CODES).
TYPE_NAMES = {"CustInvc": "Invoice", "CustCred": "Credit Memo", "CustPymt": "Payment",
              "Journal": "Journal"}
# Status letters per type (the fake sets A/B: simulators/erp/records).
STATUS_NAMES = {
    ("CustInvc", "A"): "Open", ("CustInvc", "B"): "Paid In Full",
    ("CustCred", "A"): "Open", ("CustCred", "B"): "Fully Applied",
    ("CustPymt", "A"): "Unapplied", ("CustPymt", "B"): "Not Deposited",
    ("Journal", "A"): "Pending Approval", ("Journal", "B"): "Approved for Posting",
}


def type_display(code: object) -> str | None:
    return None if code is None else TYPE_NAMES.get(str(code), str(code))


def status_display(code: object, status: object) -> str | None:
    if status is None:
        return None
    name = STATUS_NAMES.get((str(code), str(status)), str(status))
    return f"{type_display(code)} : {name}"

