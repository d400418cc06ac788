"""Invoices, payments and credit notes mirrored into the ERP exactly once, to the cent, in
the account's subsidiary and currency; and nothing posted for a legal entity without a
subsidiary, whose renewals billing must hold."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from harness.data import from_minor
from harness.oracle import codes as C
from harness.oracle.model import Violation
from harness.oracle.registry import invariant
from harness.oracle.snapshot import Row
from harness.oracle.view import (
    FINALIZED,
    PAID_IN_FULL,
    PAYMENT_PREFIX,
    View,
    dec,
    violation,
)

RENEWAL = "subscription_cycle"


def mapped_invoices(view: View) -> Iterator[tuple[Row, str, Decimal, list[str], str]]:
    """(invoice, currency, total, CRM refs, subsidiary) of each finalized invoice with a
    total (a negative one: the credit of a downgrade) whose account's legal entity has a
    subsidiary."""
    for inv in view.billing.invoices:
        if inv.get("status") not in FINALIZED:
            continue
        account = view.account_of_customer(inv.get("customer"))
        subsidiary = view.subsidiary_for(account)
        currency = str(inv.get("currency") or "").upper()
        total = from_minor(int(inv.get("total") or 0), currency)
        if subsidiary is None or not total:
            continue
        yield inv, currency, total, [str(account["Id"])] if account else [], subsidiary


def discounts_of(inv: Row, currency: str) -> Decimal:
    """What coupons took off a billing invoice (Stripe's ``total_discount_amounts``)."""
    return from_minor(sum(int(d.get("amount") or 0)
                          for d in inv.get("total_discount_amounts") or ()), currency)


def amounts(view: View, code: str, currency_code: str, what: str, source_id: str, txn: Row,
            amount: Decimal, currency: str, crm: list[str], *,
            discount: Decimal = Decimal(0)) -> Iterator[Violation]:
    """An ERP transaction's amount and currency against billing's. A difference of
    exactly the invoice's ``discount`` names its likely cause: lines posted before their
    discounts (a check of its own would only report the same postings twice)."""
    erp_amount = dec(txn.get("foreigntotal"))
    if erp_amount != amount:
        cause: dict[str, object] = {}
        if discount and erp_amount - amount == discount:
            cause = {"discount": discount, "cause": "discounts not taken off"}
        yield violation(code, f"ERP {what} {txn['id']} of {source_id} is {erp_amount} "
                        f"{view.symbol(txn)}; billing says {amount} {currency} "
                        f"(difference {erp_amount - amount}"
                        + (": exactly the invoice's discounts, not taken off in the ERP)"
                           if cause else ")"), crm=crm, billing=[source_id],
                        erp=[txn["id"]], expected=amount, actual=erp_amount,
                        difference=erp_amount - amount, **cause)
    if view.symbol(txn) != currency:
        yield violation(currency_code, f"ERP {what} {txn['id']} of {source_id} is in "
                        f"{view.symbol(txn)}, billing in {currency}", crm=crm,
                        billing=[source_id], erp=[txn["id"]])


@invariant(C.ERP_INVOICE_MISSING, C.ERP_INVOICE_DUPLICATE, C.ERP_INVOICE_AMOUNT_MISMATCH,
           C.ERP_INVOICE_CURRENCY_MISMATCH, C.ERP_INVOICE_WRONG_SUBSIDIARY,
           C.ERP_INVOICE_WRONG_CUSTOMER)
def invoices(view: View) -> Iterator[Violation]:
    """Every finalized billing invoice with a positive total (mapped legal entity) has
    exactly one ERP invoice (externalId = the invoice id) of its total, less any proration
    credit memo ``cr:{invoice id}``, in its currency, subsidiary and ERP customer."""
    for inv, currency, total, crm, subsidiary in mapped_invoices(view):
        if total < 0:
            continue  # a credit: proration_credits checks it
        inv_id = str(inv["id"])
        posted = view.erp_invoices.get(inv_id, ())
        erp_ids = [str(t["id"]) for t in posted]
        if not posted:
            yield violation(C.ERP_INVOICE_MISSING, f"billing invoice {inv_id} ({total} "
                            f"{currency}) has no ERP invoice", crm=crm, billing=[inv_id])
            continue
        if len(posted) > 1:
            yield violation(C.ERP_INVOICE_DUPLICATE,
                            f"billing invoice {inv_id} has {len(posted)} ERP invoices",
                            crm=crm, billing=[inv_id], erp=erp_ids)
        credits = sum((dec(t.get("foreigntotal")) for t in view.proration_credits(inv_id)),
                      Decimal(0))
        customers = view.erp_customer_ids(crm[0] if crm else None)
        for txn in posted:
            yield from amounts(view, C.ERP_INVOICE_AMOUNT_MISMATCH,
                               C.ERP_INVOICE_CURRENCY_MISMATCH, "invoice", inv_id, txn,
                               total + credits, currency, crm,
                               discount=discounts_of(inv, currency))
            if str(txn.get("subsidiary")) != subsidiary:
                yield violation(C.ERP_INVOICE_WRONG_SUBSIDIARY,
                                f"ERP invoice {txn['id']} of {inv_id} is in subsidiary "
                                f"{txn.get('subsidiary')}; the account's legal entity is "
                                f"subsidiary {subsidiary}", crm=crm, billing=[inv_id],
                                erp=[txn["id"]], expected=subsidiary,
                                actual=txn.get("subsidiary"))
            if customers and str(txn.get("entity")) not in customers:
                yield violation(C.ERP_INVOICE_WRONG_CUSTOMER,
                                f"ERP invoice {txn['id']} of {inv_id} is for customer "
                                f"{txn.get('entity')}, not {' or '.join(customers)}",
                                crm=crm, billing=[inv_id], erp=[txn["id"]])


@invariant(C.ERP_CREDIT_MEMO_MISSING, C.ERP_CREDIT_MEMO_DUPLICATE,
           C.ERP_CREDIT_MEMO_AMOUNT_MISMATCH)
def proration_credits(view: View) -> Iterator[Violation]:
    """An invoice whose credits outweigh its charges (a downgrade, a product removed,
    prorated) is posted as a credit memo ``cr:{invoice id}`` for what it credits, less any
    ERP invoice of its charges: what billing credits the customer's balance, the ERP holds
    as the customer's credit."""
    for inv, currency, total, crm, _ in mapped_invoices(view):
        if total > 0:
            continue
        inv_id = str(inv["id"])
        memos = view.proration_credits(inv_id)
        charges = sum((dec(t.get("foreigntotal")) for t in view.erp_invoices.get(inv_id, ())),
                      Decimal(0))
        if not memos:
            yield violation(C.ERP_CREDIT_MEMO_MISSING,
                            f"invoice {inv_id} credits {-total} {currency} (a downgrade); no "
                            f"ERP credit memo cr:{inv_id}", crm=crm, billing=[inv_id])
            continue
        if len(memos) > 1:
            yield violation(C.ERP_CREDIT_MEMO_DUPLICATE,
                            f"invoice {inv_id} has {len(memos)} proration credit memos",
                            crm=crm, billing=[inv_id], erp=[str(m["id"]) for m in memos])
        credited = sum((dec(m.get("foreigntotal")) for m in memos), Decimal(0)) - charges
        if credited != -total or any(view.symbol(m) != currency for m in memos):
            yield violation(C.ERP_CREDIT_MEMO_AMOUNT_MISMATCH,
                            f"ERP credit memo(s) of {inv_id} credit {credited} "
                            f"{view.symbol(memos[0])} net of charges; billing credits "
                            f"{-total} {currency} (difference {credited + total})", crm=crm,
                            billing=[inv_id], erp=[str(m["id"]) for m in memos],
                            expected=-total, actual=credited, difference=credited + total)


def _partials(payments: tuple[Row, ...], inv_id: str) -> bool:
    """Several ERP payments each keyed ``pay:{invoice}:{payment}``, all different: the
    invoice was paid in parts (docs/quote-to-cash.md), not posted twice."""
    keys = [str(p.get("externalid") or "") for p in payments]
    return len(set(keys)) == len(keys) and all(
        k.startswith(f"{PAYMENT_PREFIX}{inv_id}:") for k in keys)


@invariant(C.ERP_PAYMENT_MISSING, C.ERP_PAYMENT_DUPLICATE, C.ERP_PAYMENT_AMOUNT_MISMATCH,
           C.ERP_PAYMENT_NOT_APPLIED, C.ERP_PAYMENT_ORPHANED)
def payments(view: View) -> Iterator[Violation]:
    """What billing collected on each invoice (``amount_paid``: after credit notes, the
    customer's balance, in parts or out of band) is posted as ERP customer payment(s)
    ``pay:{invoice id}`` of exactly that amount, applied to its ERP invoice, which is then
    paid in full; nothing is posted for an invoice billing has not collected on."""
    for inv, currency, _, crm, _ in mapped_invoices(view):
        inv_id = str(inv["id"])
        paid = from_minor(int(inv.get("amount_paid") or 0), currency)
        found = view.erp_payments.get(PAYMENT_PREFIX + inv_id, ())
        pay_ids = [str(p["id"]) for p in found]
        posted = view.erp_invoices.get(inv_id, ())
        if paid <= 0:
            if found:
                yield violation(C.ERP_PAYMENT_ORPHANED,
                                f"ERP payment for {inv_id}, which billing has not collected "
                                f"on (status {inv.get('status')})", crm=crm,
                                billing=[inv_id], erp=pay_ids)
            continue
        if not posted:
            continue  # ERP_INVOICE_MISSING says it; its payment cannot be applied yet
        if not found:
            yield violation(C.ERP_PAYMENT_MISSING,
                            f"invoice {inv_id} collected {paid} {currency}; no ERP payment",
                            crm=crm, billing=[inv_id], erp=[t["id"] for t in posted])
            continue
        if len(found) > 1 and not _partials(found, inv_id):
            yield violation(C.ERP_PAYMENT_DUPLICATE,
                            f"paid invoice {inv_id} has {len(found)} ERP payments", crm=crm,
                            billing=[inv_id], erp=pay_ids)
            for payment in found:
                yield from amounts(view, C.ERP_PAYMENT_AMOUNT_MISMATCH,
                                   C.ERP_PAYMENT_AMOUNT_MISMATCH, "payment", inv_id, payment,
                                   paid, currency, crm)
        else:
            total = sum((dec(p.get("foreigntotal")) for p in found), Decimal(0))
            if total != paid:
                yield violation(C.ERP_PAYMENT_AMOUNT_MISMATCH,
                                f"ERP payment(s) {', '.join(pay_ids)} of {inv_id} come to "
                                f"{total} {view.symbol(found[0])}; billing collected {paid} "
                                f"{currency} (difference {total - paid})", crm=crm,
                                billing=[inv_id], erp=pay_ids, expected=paid, actual=total,
                                difference=total - paid)
            for payment in found:
                if view.symbol(payment) != currency:
                    yield violation(C.ERP_PAYMENT_AMOUNT_MISMATCH,
                                    f"ERP payment {payment['id']} of {inv_id} is in "
                                    f"{view.symbol(payment)}, billing in {currency}", crm=crm,
                                    billing=[inv_id], erp=[payment["id"]])
        if inv.get("status") == "paid" and len(posted) == 1 \
                and posted[0].get("status") != PAID_IN_FULL:
            yield violation(C.ERP_PAYMENT_NOT_APPLIED,
                            f"ERP invoice {posted[0]['id']} of paid invoice {inv_id} is still "
                            "open", crm=crm, billing=[inv_id], erp=[posted[0]["id"], *pay_ids])


@invariant(C.ERP_CREDIT_MEMO_MISSING, C.ERP_CREDIT_MEMO_DUPLICATE,
           C.ERP_CREDIT_MEMO_AMOUNT_MISMATCH)
def credit_memos(view: View) -> Iterator[Violation]:
    """Every issued credit note (mapped legal entity) has exactly one ERP credit memo
    (externalId = the credit note id) of its total."""
    for note in view.billing.credit_notes:
        if note.get("status") == "void":
            continue
        note_id = str(note["id"])
        currency = str(note.get("currency") or "").upper()
        amount = from_minor(int(note.get("total") or note.get("amount") or 0), currency)
        inv = view.invoices.get(str(note.get("invoice"))) or {}
        customer = note.get("customer") or inv.get("customer")
        if view.subsidiary_for(view.account_of_customer(customer)) is None:
            continue
        crm = view.crm_refs(customer)
        memos = view.erp_memos.get(note_id, ())
        if not memos:
            yield violation(C.ERP_CREDIT_MEMO_MISSING,
                            f"credit note {note_id} ({amount} {currency}) has no ERP credit "
                            "memo", crm=crm, billing=[note_id, str(note.get("invoice"))])
            continue
        if len(memos) > 1:
            yield violation(C.ERP_CREDIT_MEMO_DUPLICATE,
                            f"credit note {note_id} has {len(memos)} ERP credit memos",
                            crm=crm, billing=[note_id], erp=[str(m["id"]) for m in memos])
        for memo in memos:
            yield from amounts(view, C.ERP_CREDIT_MEMO_AMOUNT_MISMATCH,
                               C.ERP_CREDIT_MEMO_AMOUNT_MISMATCH, "credit memo", note_id, memo,
                               amount, currency, crm)


@invariant(C.ERP_POSTED_UNMAPPED_ENTITY, C.INVOICE_NOT_HELD)
def unmapped_entities(view: View) -> Iterator[Violation]:
    """Compensation: nothing is posted to the ERP for an account whose legal entity has no
    subsidiary, and its renewal invoices are held (not finalized)."""
    for inv in view.billing.invoices:
        if inv.get("status") not in FINALIZED:
            continue
        account = view.account_of_customer(inv.get("customer"))
        if view.subsidiary_for(account) is not None:
            continue
        inv_id = str(inv["id"])
        crm = [str(account["Id"])] if account else []
        posted = view.erp_invoices.get(inv_id, ())
        if posted:
            yield violation(C.ERP_POSTED_UNMAPPED_ENTITY,
                            f"invoice {inv_id} posted to the ERP although its account's legal "
                            "entity has no subsidiary", crm=crm, billing=[inv_id],
                            erp=[str(t["id"]) for t in posted])
        if inv.get("billing_reason") == RENEWAL:
            yield violation(C.INVOICE_NOT_HELD,
                            f"renewal invoice {inv_id} of an account without an ERP "
                            f"subsidiary was finalized ({inv.get('status')}), not held",
                            crm=crm, billing=[inv_id])
    for note in view.billing.credit_notes:
        if note.get("status") == "void":
            continue
        inv = view.invoices.get(str(note.get("invoice"))) or {}
        customer = note.get("customer") or inv.get("customer")
        if view.subsidiary_for(view.account_of_customer(customer)) is not None:
            continue
        memos = view.erp_memos.get(str(note["id"]), ())
        if memos:
            yield violation(C.ERP_POSTED_UNMAPPED_ENTITY,
                            f"credit note {note['id']} posted although its account's legal "
                            "entity has no subsidiary", crm=view.crm_refs(customer),
                            billing=[str(note["id"])], erp=[str(m["id"]) for m in memos])
