"""Reconciliation: the money per currency and the tax per jurisdiction, billing against the
ERP, computed from a :class:`View` on its own (no check needs to run first, and none
changes what it sums)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from harness.data import from_minor
from harness.oracle.model import CurrencyTotals, TaxTotals
from harness.oracle.snapshot import Row
from harness.oracle.view import CREDIT_MEMO, FINALIZED, INVOICE, PAYMENT_PREFIX, View, dec, ref_id


def _sum(txns: Iterable[Row]) -> Decimal:
    return sum((dec(t.get("foreigntotal")) for t in txns), Decimal(0))


def currency_totals(view: View) -> dict[str, CurrencyTotals]:
    """Per currency: what billing invoiced, collected and credited for accounts whose legal
    entity has a subsidiary, what the ERP holds for it, and what is held for the others."""
    totals: dict[str, CurrencyTotals] = {}

    def of(currency: str) -> CurrencyTotals:
        return totals.setdefault(currency, CurrencyTotals(currency))

    for inv in view.billing.invoices:
        if inv.get("status") not in FINALIZED:
            continue
        inv_id = str(inv["id"])
        currency = str(inv.get("currency") or "").upper()
        total = from_minor(int(inv.get("total") or 0), currency)
        row = of(currency)
        if view.subsidiary_for(view.account_of_customer(inv.get("customer"))) is None:
            row.held += total
            continue
        if not total:
            continue
        row.billing_invoiced += total  # a downgrade's credit invoice counts negative
        # A proration invoice may post as an ERP invoice of its charges and a credit memo
        # ``cr:<invoice id>`` of its credits (docs/quote-to-cash.md): net them.
        row.erp_invoiced += _sum(view.erp_invoices.get(inv_id, ())) - _sum(
            view.proration_credits(inv_id))
        row.billing_paid += from_minor(int(inv.get("amount_paid") or 0), currency)
        row.erp_payments += _sum(view.erp_payments.get(PAYMENT_PREFIX + inv_id, ()))
    for note in view.billing.credit_notes:
        if note.get("status") == "void":
            continue
        inv = view.invoices.get(str(note.get("invoice"))) or {}
        account = view.account_of_customer(note.get("customer") or inv.get("customer"))
        if view.subsidiary_for(account) is None:
            continue
        currency = str(note.get("currency") or "").upper()
        row = of(currency)
        row.billing_credited += from_minor(int(note.get("total") or note.get("amount") or 0),
                                           currency)
        row.erp_credited += _sum(view.erp_memos.get(str(note["id"]), ()))
    return totals


def invoice_tax(view: View, inv: Row) -> dict[str, Decimal]:
    """A billing invoice's tax by jurisdiction (its tax rates' ``country``, else their
    ``jurisdiction``), major units."""
    currency = str(inv.get("currency") or "").upper()
    out: dict[str, Decimal] = {}
    for amount in inv.get("total_tax_amounts") or ():
        rate = view.tax_rates.get(ref_id(amount.get("tax_rate")) or "") or {}
        where = str(rate.get("country") or rate.get("jurisdiction") or "?").upper()
        out[where] = out.get(where, Decimal(0)) + from_minor(int(amount.get("amount") or 0),
                                                             currency)
    return out


def note_tax(note: Row) -> int:
    """A credit note's tax in minor units (its total less its total excluding tax)."""
    total = int(note.get("total") or note.get("amount") or 0)
    net = note.get("total_excluding_tax")
    if net is None:
        net = note.get("subtotal")
    return total - int(net if net is not None else total)


def tax_totals(view: View) -> dict[str, TaxTotals]:
    """Per jurisdiction and currency: billing's tax (invoices less credit notes) against the
    tax lines the ERP posted in the subsidiaries of that country (invoices less credit
    memos). Only what carries tax appears."""
    totals: dict[str, TaxTotals] = {}

    def add(where: str, currency: str, billing: Decimal = Decimal(0),
            erp: Decimal = Decimal(0)) -> None:
        row = totals.setdefault(f"{where}/{currency}", TaxTotals(where, currency))
        row.billing_tax += billing
        row.erp_tax += erp

    for inv in view.billing.invoices:
        if inv.get("status") not in FINALIZED:
            continue
        if view.subsidiary_for(view.account_of_customer(inv.get("customer"))) is None:
            continue
        currency = str(inv.get("currency") or "").upper()
        for where, amount in invoice_tax(view, inv).items():
            add(where, currency, billing=amount)
    for note in view.billing.credit_notes:
        if note.get("status") == "void" or not note_tax(note):
            continue
        inv = view.invoices.get(str(note.get("invoice"))) or {}
        if view.subsidiary_for(view.account_of_customer(inv.get("customer"))) is None:
            continue
        currency = str(note.get("currency") or "").upper()
        by_where = invoice_tax(view, inv)
        where = max(by_where, key=lambda w: by_where[w]) if by_where else "?"
        add(where, currency, billing=-from_minor(note_tax(note), currency))
    for kind, sign in ((INVOICE, 1), (CREDIT_MEMO, -1)):
        for txn in view.erp_by_type.get(kind, ()):
            tax = view.tax_of(txn)
            if tax:
                where = view.country_of_subsidiary.get(str(txn.get("subsidiary")), "?")
                add(where or "?", view.symbol(txn), erp=sign * tax)
    return totals


__all__ = ["currency_totals", "invoice_tax", "note_tax", "tax_totals"]
