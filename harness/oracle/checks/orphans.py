"""Nothing orphaned: every ERP posting, subscription and customer the SUT made mirrors an
object of its system of record."""

from __future__ import annotations

from collections.abc import Iterator

from harness.oracle import codes as C
from harness.oracle.model import Violation
from harness.oracle.registry import invariant
from harness.oracle.view import (
    FINALIZED,
    PAYMENT_PREFIX,
    PRORATION_CREDIT_PREFIX,
    View,
    meta,
    violation,
)


@invariant(C.ERP_INVOICE_ORPHANED, C.ERP_PAYMENT_ORPHANED, C.ERP_CREDIT_MEMO_ORPHANED)
def orphaned_postings(view: View) -> Iterator[Violation]:
    """Every ERP invoice mirrors a finalized billing invoice, every payment an invoice,
    every credit memo a credit note (or the proration credit of an invoice)."""
    for ext, txns in view.erp_invoices.items():
        inv = view.invoices.get(ext)
        if inv is None or inv.get("status") not in FINALIZED:
            yield violation(C.ERP_INVOICE_ORPHANED,
                            f"ERP invoice(s) {', '.join(str(t['id']) for t in txns)} with "
                            f"externalId {ext or '(none)'} mirror no finalized billing "
                            f"invoice ({'unknown' if inv is None else inv.get('status')})",
                            billing=[ext] if ext else [], erp=[t["id"] for t in txns])
    for ext, txns in view.erp_payments.items():
        if not ext.startswith(PAYMENT_PREFIX) or ext[len(PAYMENT_PREFIX):] not in view.invoices:
            yield violation(C.ERP_PAYMENT_ORPHANED, f"ERP payment {ext} mirrors no billing "
                            "invoice", erp=[t["id"] for t in txns])
    for ext, txns in view.erp_memos.items():
        if ext.startswith(PRORATION_CREDIT_PREFIX) and \
                ext[len(PRORATION_CREDIT_PREFIX):] in view.invoices:
            continue
        if ext not in view.credit_notes or not ext:
            yield violation(C.ERP_CREDIT_MEMO_ORPHANED, f"ERP credit memo {ext} mirrors no "
                            "billing credit note", erp=[t["id"] for t in txns])


@invariant(C.SUBSCRIPTION_ORPHANED, C.CUSTOMER_BILLING_ORPHANED, C.CUSTOMER_ERP_ORPHANED)
def orphaned_records(view: View) -> Iterator[Violation]:
    """Every subscription belongs to a closed-won opportunity, every billing and ERP
    customer to a CRM account."""
    for sub in view.billing.subscriptions:
        opp_id = meta(sub, "crm_opportunity_id")
        opp = view.opportunities.get(opp_id) if opp_id else None
        if opp is None or not opp.get("IsWon"):
            yield violation(C.SUBSCRIPTION_ORPHANED,
                            f"subscription {sub['id']} has no closed-won opportunity "
                            f"(crm_opportunity_id {opp_id})", crm=[opp_id] if opp_id else [],
                            billing=[sub["id"]])
    for cust in view.billing.customers:
        account_id = meta(cust, "crm_account_id")
        if account_id not in view.accounts:
            yield violation(C.CUSTOMER_BILLING_ORPHANED,
                            f"billing customer {cust['id']} has no CRM account "
                            f"(crm_account_id {account_id})", billing=[cust["id"]])
    for cust in view.erp.customers:
        if str(cust.get("externalid") or "") not in view.accounts:
            yield violation(C.CUSTOMER_ERP_ORPHANED,
                            f"ERP customer {cust['id']} has no CRM account "
                            f"(externalId {cust.get('externalid')})", erp=[cust["id"]])
