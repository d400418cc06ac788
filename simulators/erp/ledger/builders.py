"""Postings for NetSuite's posting transactions, built from plain dicts.

Accounting (standard double entry, as NetSuite's GL impact shows it):

- invoice: debit A/R for the total; credit each line's income account; credit
  tax payable for the tax;
- customer payment: debit the deposit account (bank or undeposited funds) and
  credit A/R for the payment;
- credit memo: the invoice reversed;
- journal entry: the lines as given; debits must equal credits.

Request shapes follow NetSuite REST: references may be ``{"id": "1"}`` and
error paths name sublist items like ``line.items[0].debit`` (Oracle, "Error
Handling in REST Web Services"). Amounts in the transaction currency are
converted to the subsidiary's base currency with the exchange rate and
rounded half up; on invoices and credit memos the A/R line takes the sum of
the rounded lines so that the posting always balances (how NetSuite
allocates FX rounding is unverified).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Required, TypedDict, Unpack

from .errors import LedgerError
from .money import quantize, to_decimal
from .posting import GLLine, Posting

Line = Mapping[str, Any]


def ref_id(value: Any, path: str) -> int:
    """An internal id from ``5``, ``"5"`` or ``{"id": "5"}``."""
    if isinstance(value, Mapping):
        value = value.get("id")
    if isinstance(value, bool):
        value = None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise LedgerError(
            "INVALID_CONTENT", f"Invalid reference {value!r}: expected an internal id.", path
        ) from None


def _rate(value: Any) -> Decimal:
    rate = to_decimal(value, "exchangeRate")
    if rate <= 0:
        raise LedgerError("INVALID_CONTENT", "The exchange rate must be positive.", "exchangeRate")
    return rate


def _positive(value: Any, currency: str, path: str) -> Decimal:
    amount = quantize(to_decimal(value, path), currency)
    if amount <= 0:
        raise LedgerError("INVALID_CONTENT", f"Amount must be positive, got {amount}.", path)
    return amount


def _sales_lines(
    lines: Sequence[Line], *, currency: str, sublist: str
) -> list[tuple[int, Decimal, Line]]:
    if not lines:
        raise LedgerError("USER_ERROR", "You must enter at least one line item.", sublist)
    out = []
    for index, line in enumerate(lines):
        path = f"{sublist}.items[{index}]"
        account = ref_id(line.get("account"), f"{path}.account")
        if line.get("discount"):
            # A discount line takes its amount off the sale: negative, posted on the
            # other side (a debit on an invoice).
            amount = -_positive(-to_decimal(line.get("amount"), f"{path}.amount"), currency,
                                f"{path}.amount")
        elif line.get("amount") is not None:
            amount = _positive(line["amount"], currency, f"{path}.amount")
        else:
            quantity = to_decimal(line.get("quantity", 1), f"{path}.quantity")
            rate = to_decimal(line.get("rate"), f"{path}.rate")
            amount = _positive(quantity * rate, currency, f"{path}.rate")
        out.append((account, amount, line))
    return out


class SalesTerms(TypedDict, total=False):
    """What an invoice or a credit memo posts: ``lines`` are ``{"account": income
    account, "amount"}`` or ``{"account", "quantity", "rate"}``, optionally ``item`` and
    ``memo``; the currency defaults to the subsidiary's base currency, at rate 1."""

    subsidiary_id: Required[int]
    base_currency: Required[str]
    customer_id: Required[int]
    ar_account_id: Required[int]
    lines: Required[Sequence[Line]]
    currency: str | None
    exchange_rate: Any
    tax_account_id: int | None
    tax_total: Any
    memo: str | None


def invoice(**terms: Unpack[SalesTerms]) -> Posting:
    """Debit A/R for the total, credit income per line and tax payable for tax."""
    return _sales_posting(1, terms)


def credit_memo(**terms: Unpack[SalesTerms]) -> Posting:
    """The invoice reversed: debit income and tax payable, credit A/R."""
    return _sales_posting(-1, terms)


def _sales_posting(sign: int, terms: SalesTerms) -> Posting:
    """Invoice (sign=+1: A/R debit) or credit memo (sign=-1: A/R credit)."""
    subsidiary_id, customer_id = terms["subsidiary_id"], terms["customer_id"]
    base_currency = terms["base_currency"]
    currency = terms.get("currency") or base_currency
    tax_account_id, memo = terms.get("tax_account_id"), terms.get("memo")
    rate = _rate(terms.get("exchange_rate", 1))
    items = _sales_lines(terms["lines"], currency=currency, sublist="item")
    tax = quantize(to_decimal(terms.get("tax_total", 0), "taxTotal"), currency)
    if tax < 0:
        raise LedgerError("INVALID_CONTENT", "Tax must not be negative.", "taxTotal")
    if tax and tax_account_id is None:
        raise LedgerError("USER_ERROR", "A tax account is required for tax.", "taxTotal")

    def side(base: Decimal, towards_ar: bool) -> tuple[Decimal, Decimal]:
        debit_side = (sign > 0) == towards_ar
        return (base, Decimal(0)) if debit_side else (Decimal(0), base)

    gl: list[GLLine] = []
    base_sum = Decimal(0)
    foreign_sum = Decimal(0)
    for account, amount, line in items:
        base = quantize(amount * rate, base_currency)
        base_sum += base
        foreign_sum += amount
        # A discount (negative) sits on the A/R side: debit on an invoice.
        debit, credit = side(abs(base), towards_ar=base < 0)
        quantity = line.get("quantity")
        gl.append(
            GLLine(
                account_id=account,
                debit=debit,
                credit=credit,
                subsidiary_id=subsidiary_id,
                memo=line.get("memo") or line.get("description"),
                entity_id=customer_id,
                item_id=ref_id(line["item"], "item") if line.get("item") is not None else None,
                quantity=to_decimal(quantity) if quantity is not None else None,
                rate=to_decimal(line["rate"]) if line.get("rate") is not None else None,
                foreign_amount=abs(amount) if debit else -abs(amount),
            )
        )
    if base_sum < 0:
        raise LedgerError("INVALID_FLD_VALUE", "The discounts exceed the items.", "item.items")
    if tax:
        assert tax_account_id is not None
        base = quantize(tax * rate, base_currency)
        base_sum += base
        foreign_sum += tax
        debit, credit = side(base, towards_ar=False)
        gl.append(
            GLLine(
                account_id=tax_account_id,
                debit=debit,
                credit=credit,
                subsidiary_id=subsidiary_id,
                entity_id=customer_id,
                foreign_amount=tax if debit else -tax,
                taxline=True,
            )
        )
    debit, credit = side(base_sum, towards_ar=True)
    ar = GLLine(
        account_id=terms["ar_account_id"],
        debit=debit,
        credit=credit,
        subsidiary_id=subsidiary_id,
        memo=memo,
        entity_id=customer_id,
        foreign_amount=foreign_sum if debit else -foreign_sum,
        mainline=True,
    )
    return Posting(
        lines=(ar, *gl),
        currency=currency.upper(),
        exchange_rate=rate,
        foreign_total=foreign_sum,
        subsidiary_id=subsidiary_id,
        memo=memo,
    )


def customer_payment(
    *,
    subsidiary_id: int,
    base_currency: str,
    customer_id: int,
    ar_account_id: int,
    deposit_account_id: int,
    payment: Any,
    applied: Sequence[Line] = (),
    currency: str | None = None,
    exchange_rate: Any = 1,
    memo: str | None = None,
) -> Posting:
    """Debit the deposit account, credit A/R, for the payment amount.

    ``applied`` (``apply.items``: ``{"doc": invoice id, "amount"}``) must not
    exceed the payment; an unapplied rest stays on A/R as customer credit.
    """
    currency = (currency or base_currency).upper()
    rate = _rate(exchange_rate)
    total = _positive(payment, currency, "payment")
    applied_sum = Decimal(0)
    for index, item in enumerate(applied):
        path = f"apply.items[{index}]"
        ref_id(item.get("doc"), f"{path}.doc")
        applied_sum += _positive(item.get("amount"), currency, f"{path}.amount")
    if applied_sum > total:
        raise LedgerError(
            "USER_ERROR",
            f"The total applied ({applied_sum}) exceeds the payment amount ({total}).",
            "apply.items",
        )
    base = quantize(total * rate, base_currency)
    deposit = GLLine(
        account_id=deposit_account_id,
        debit=base,
        credit=Decimal(0),
        subsidiary_id=subsidiary_id,
        memo=memo,
        entity_id=customer_id,
        foreign_amount=total,
        mainline=True,
    )
    ar = GLLine(
        account_id=ar_account_id,
        debit=Decimal(0),
        credit=base,
        subsidiary_id=subsidiary_id,
        entity_id=customer_id,
        foreign_amount=-total,
    )
    return Posting(
        lines=(deposit, ar),
        currency=currency,
        exchange_rate=rate,
        foreign_total=total,
        subsidiary_id=subsidiary_id,
        memo=memo,
    )


def journal_entry(
    *,
    subsidiary_id: int,
    base_currency: str,
    lines: Sequence[Line],
    memo: str | None = None,
) -> Posting:
    """The lines as given (``line.items``); refused unless debits equal credits.

    Journals are posted in the subsidiary's base currency only (the fake does
    not model foreign-currency journals).
    """
    if len(lines) < 2:
        raise LedgerError("USER_ERROR", "A journal entry needs at least two lines.", "line.items")
    gl: list[GLLine] = []
    for index, line in enumerate(lines):
        path = f"line.items[{index}]"
        account = ref_id(line.get("account"), f"{path}.account")
        has_debit = line.get("debit") not in (None, 0, "0")
        has_credit = line.get("credit") not in (None, 0, "0")
        if has_debit == has_credit:
            raise LedgerError(
                "USER_ERROR", "Each line must have either a debit or a credit amount.", path
            )
        if has_debit:
            debit, credit = _positive(line["debit"], base_currency, f"{path}.debit"), Decimal(0)
        else:
            debit, credit = Decimal(0), _positive(line["credit"], base_currency, f"{path}.credit")
        line_subsidiary = line.get("subsidiary")
        gl.append(
            GLLine(
                account_id=account,
                debit=debit,
                credit=credit,
                subsidiary_id=(
                    ref_id(line_subsidiary, f"{path}.subsidiary")
                    if line_subsidiary is not None
                    else subsidiary_id
                ),
                memo=line.get("memo"),
                entity_id=(
                    ref_id(line["entity"], f"{path}.entity")
                    if line.get("entity") is not None
                    else None
                ),
                foreign_amount=debit - credit,
                mainline=index == 0,
            )
        )
    posting = Posting(
        lines=tuple(gl),
        currency=base_currency.upper(),
        foreign_total=sum((g.debit for g in gl), Decimal(0)),
        subsidiary_id=subsidiary_id,
        memo=memo,
    )
    if posting.total_debit() != posting.total_credit() or not posting.is_balanced():
        # NetSuite's wording for an unbalanced journal is unverified.
        raise LedgerError(
            "USER_ERROR",
            f"The total of debit entries ({posting.total_debit()}) must equal the total of "
            f"credit entries ({posting.total_credit()}).",
            "line.items",
        )
    return posting
