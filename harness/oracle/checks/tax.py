"""Tax: billing taxes each legal entity's invoices at that entity's tax rates, and the ERP
books exactly billing's tax, per invoice and credit note and per jurisdiction.

A legal entity is a tax jurisdiction: the billing account's tax rates name their
``country`` (docs/quote-to-cash.md), the ERP's subsidiaries theirs. Tax rates may be
exclusive (added to the price) or inclusive (inside it); either way billing's tax amounts
are what the ERP's tax lines must come to, and its totals what the ERP invoice's total must
be (:mod:`harness.oracle.checks.postings`).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from harness.data import from_minor
from harness.oracle import codes as C
from harness.oracle.checks.postings import mapped_invoices
from harness.oracle.model import Violation
from harness.oracle.reconcile import note_tax, tax_totals
from harness.oracle.registry import invariant
from harness.oracle.view import FINALIZED, View, ref_id, violation


@invariant(C.ERP_TAX_MISMATCH)
def tax_per_document(view: View) -> Iterator[Violation]:
    """The tax lines of each ERP invoice (less its proration credit memo's) and of each
    ERP credit memo come to the billing invoice's or credit note's tax."""
    for inv, currency, _, crm, _ in mapped_invoices(view):
        inv_id = str(inv["id"])
        posted, credits = view.erp_invoices.get(inv_id, ()), view.proration_credits(inv_id)
        if not posted and not credits:
            continue  # nothing posted: the invoice checks say so
        billed = sum((from_minor(int(t.get("amount") or 0), currency)
                      for t in inv.get("total_tax_amounts") or ()), Decimal(0))
        credited = sum((view.tax_of(c) for c in credits), Decimal(0))
        for txn in posted or credits[:1]:
            booked = (view.tax_of(txn) if posted else Decimal(0)) - credited
            if booked != billed:
                what = "invoice" if posted else "proration credit memo"
                yield violation(C.ERP_TAX_MISMATCH,
                                f"ERP {what} {txn['id']} of {inv_id} books {booked} "
                                f"{currency} of tax; billing charged {billed} {currency} "
                                f"(difference {booked - billed})", crm=crm, billing=[inv_id],
                                erp=[txn["id"]], expected=billed, actual=booked)
    for note in view.billing.credit_notes:
        if note.get("status") == "void":
            continue
        note_id = str(note["id"])
        currency = str(note.get("currency") or "").upper()
        billed = from_minor(note_tax(note), currency)
        for memo in view.erp_memos.get(note_id, ()):
            booked = view.tax_of(memo)
            if booked != billed:
                yield violation(C.ERP_TAX_MISMATCH,
                                f"ERP credit memo {memo['id']} of {note_id} books {booked} "
                                f"{currency} of tax; the credit note credits {billed} "
                                f"{currency}", crm=view.crm_refs(note.get("customer")),
                                billing=[note_id], erp=[memo["id"]], expected=billed,
                                actual=booked)


@invariant(C.ERP_TAX_JURISDICTION_MISMATCH)
def tax_per_jurisdiction(view: View) -> Iterator[Violation]:
    """Per jurisdiction and currency, the tax the ERP booked in the subsidiaries of that
    country equals the tax billing charged at that country's rates (less credit notes)."""
    for key, row in sorted(tax_totals(view).items()):
        if not row.reconciled:
            yield violation(C.ERP_TAX_JURISDICTION_MISMATCH,
                            f"tax of jurisdiction {row.jurisdiction} in {row.currency}: "
                            f"billing {row.billing_tax}, ERP {row.erp_tax} (gap {row.gap})",
                            erp=[f"jurisdiction:{key}"], jurisdiction=row.jurisdiction,
                            currency=row.currency, billing_tax=row.billing_tax,
                            erp_tax=row.erp_tax)


@invariant(C.INVOICE_TAX_RATE_MISMATCH)
def tax_rates_by_entity(view: View) -> Iterator[Violation]:
    """An invoice of an account whose legal entity has active tax rates in billing (created
    before the invoice) is taxed at exactly those rates, and never at another country's."""
    by_country: dict[str, list[tuple[int, str]]] = {}
    for rate in view.billing.tax_rates:
        if rate.get("active", True) and rate.get("country"):
            by_country.setdefault(str(rate["country"]).upper(), []).append(
                (int(rate.get("created") or 0), str(rate["id"])))
    for inv in view.billing.invoices:
        if inv.get("status") not in FINALIZED or not int(inv.get("subtotal") or 0):
            continue
        account = view.account_of_customer(inv.get("customer"))
        if account is None:
            continue
        country = str(account.get("Legal_Entity__c") or "").upper()
        expected = {rid for created, rid in by_country.get(country, [])
                    if created <= int(inv.get("created") or 0)}
        charged = {ref_id(t.get("tax_rate")) or "" for t in inv.get("total_tax_amounts") or ()}
        if charged != expected:
            yield violation(C.INVOICE_TAX_RATE_MISMATCH,
                            f"invoice {inv['id']} of legal entity {country} is taxed at "
                            f"{sorted(charged) or 'no rate'}; the entity's rates are "
                            f"{sorted(expected) or 'none'}", crm=[str(account["Id"])],
                            billing=[str(inv["id"]), *sorted(charged ^ expected)],
                            expected=sorted(expected), actual=sorted(charged))
