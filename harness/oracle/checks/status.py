"""Dunning mirrored in the CRM: ``Account.Billing_Status__c`` says what billing says."""

from __future__ import annotations

from collections.abc import Iterator

from harness.oracle import codes as C
from harness.oracle.model import Violation
from harness.oracle.registry import invariant
from harness.oracle.view import LIVE, View, violation


@invariant(C.BILLING_STATUS_MISMATCH)
def billing_status(view: View) -> Iterator[Violation]:
    """Churned when no subscription is live, Delinquent when the customer is, else Active
    (or not yet set)."""
    for account_id, account in view.accounts.items():
        customers = view.billing_customers.get(account_id, ())
        if not customers:
            continue
        subs = [s for c in customers for s in view.subs_by_customer.get(str(c["id"]), ())]
        live = [s for s in subs if s.get("status") in LIVE]
        delinquent = any(c.get("delinquent") for c in customers)
        status = account.get("Billing_Status__c")
        accepted: set[str | None]
        if subs and not live:
            expected, accepted = "Churned", {"Churned"}
        elif delinquent:
            expected, accepted = "Delinquent", {"Delinquent"}
        elif live:
            expected, accepted = "Active", {"Active", None}
        else:
            continue
        if status not in accepted:
            yield violation(C.BILLING_STATUS_MISMATCH,
                            f"account {account_id} Billing_Status__c is {status!r}; billing "
                            f"says {expected} (delinquent={delinquent}, live subscriptions="
                            f"{len(live)}/{len(subs)})", crm=[account_id],
                            billing=[str(c["id"]) for c in customers] + [s["id"] for s in subs],
                            expected=expected, actual=status)
