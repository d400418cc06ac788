"""Deals: one subscription per closed-won opportunity, on its account's customer, in its
currency, with the items the deal and its activated amendments say; one activated CRM
Contract per subscription."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from harness.oracle import codes as C
from harness.oracle.model import Violation
from harness.oracle.registry import invariant
from harness.oracle.snapshot import Row
from harness.oracle.view import Rows, View, dec, group, violation

ENDED = ("canceled", "incomplete_expired")


def won(view: View) -> Iterator[tuple[str, Row, Rows]]:
    """(opportunity id, opportunity, its subscriptions) of every closed-won opportunity."""
    for opp_id, opp in view.opportunities.items():
        if opp.get("IsWon"):
            yield opp_id, opp, view.subs_by_opportunity.get(opp_id, ())


@invariant(C.SUBSCRIPTION_MISSING, C.SUBSCRIPTION_DUPLICATE, C.SUBSCRIPTION_WRONG_CUSTOMER,
           C.SUBSCRIPTION_CURRENCY_MISMATCH)
def subscriptions(view: View) -> Iterator[Violation]:
    """Every closed-won opportunity has exactly one subscription (metadata
    ``crm_opportunity_id``), on its account's customer, in its currency."""
    for opp_id, opp, subs in won(view):
        account_id = str(opp.get("AccountId") or "")
        if not subs:
            yield violation(C.SUBSCRIPTION_MISSING,
                            f"closed-won opportunity {opp_id} has no billing subscription",
                            crm=[opp_id, account_id])
            continue
        if len(subs) > 1:
            yield violation(C.SUBSCRIPTION_DUPLICATE,
                            f"closed-won opportunity {opp_id} has {len(subs)} subscriptions",
                            crm=[opp_id, account_id], billing=[str(s["id"]) for s in subs])
        currency = str(opp.get("CurrencyIsoCode") or "").upper()
        for sub in subs:
            sub_id = str(sub["id"])
            owner = view.account_of_customer(sub.get("customer"))
            if owner is None or str(owner["Id"]) != account_id:
                yield violation(
                    C.SUBSCRIPTION_WRONG_CUSTOMER,
                    f"subscription {sub_id} of opportunity {opp_id} belongs to customer "
                    f"{sub.get('customer')}, not to account {account_id}'s customer",
                    crm=[opp_id, account_id], billing=[sub_id, str(sub.get("customer"))])
            if currency and str(sub.get("currency") or "").upper() != currency:
                yield violation(C.SUBSCRIPTION_CURRENCY_MISMATCH,
                                f"subscription {sub_id} is in {sub.get('currency')}, "
                                f"opportunity {opp_id} in {currency}", crm=[opp_id],
                                billing=[sub_id])


@invariant(C.CONTRACT_MISSING, C.CONTRACT_DUPLICATE, C.CONTRACT_NOT_ACTIVATED)
def contracts(view: View) -> Iterator[Violation]:
    """Every subscription of a closed-won deal has exactly one CRM Contract
    (External_Id__c = the subscription id), activated."""
    for opp_id, opp, subs in won(view):
        for sub in subs:
            sub_id = str(sub["id"])
            found = view.contracts_by_subscription.get(sub_id, ())
            if not found:
                yield violation(C.CONTRACT_MISSING,
                                f"no CRM contract with External_Id__c {sub_id}",
                                crm=[opp_id, str(opp.get("AccountId") or "")],
                                billing=[sub_id])
            elif len(found) > 1:
                yield violation(C.CONTRACT_DUPLICATE,
                                f"{len(found)} CRM contracts with External_Id__c {sub_id}",
                                crm=[str(c["Id"]) for c in found], billing=[sub_id])
            for contract in found:
                if contract.get("Status") != "Activated":
                    yield violation(C.CONTRACT_NOT_ACTIVATED,
                                    f"contract {contract['Id']} of subscription {sub_id} is "
                                    f"{contract.get('Status')}",
                                    crm=[str(contract["Id"]), opp_id], billing=[sub_id])


@invariant(C.SUBSCRIPTION_ITEMS_MISMATCH)
def subscription_items(view: View) -> Iterator[Violation]:
    """A live subscription's items are the deal's quantities per product, as the latest
    activated amendment (CRM Order) of its contract sets them (0 removes a product)."""
    lines = group(view.crm.opportunity_lines, lambda r: r.get("OpportunityId"))
    orders = group(view.crm.orders, lambda r: r.get("ContractId"))
    order_items = group(view.crm.order_items, lambda r: r.get("OrderId"))
    for opp_id, opp, subs in won(view):
        currency = str(opp.get("CurrencyIsoCode") or "").upper()
        for sub in subs:
            if sub.get("status") in ENDED:
                continue
            sub_id = str(sub["id"])
            expected: dict[str, int] = defaultdict(int)
            for line in lines.get(opp_id, ()):
                expected[str(line.get("ProductCode"))] += int(dec(line.get("Quantity")))
            amendments = [o for c in view.contracts_by_subscription.get(sub_id, ())
                          for o in orders.get(str(c["Id"]), ())]
            amendments.sort(key=lambda o: (str(o.get("ActivatedDate") or ""),
                                           str(o.get("CreatedDate") or ""), str(o["Id"])))
            for order in amendments:
                for item in order_items.get(str(order["Id"]), ()):
                    code = str((item.get("Product2") or {}).get("ProductCode"))
                    expected[code] = int(dec(item.get("Quantity")))
            want = {k: v for k, v in expected.items() if v > 0}
            have: dict[str, int] = defaultdict(int)
            for item in (sub.get("items") or {}).get("data", ()):
                key = str((item.get("price") or {}).get("lookup_key") or "")
                code, _, cur = key.rpartition(":")
                if cur.upper() != currency:
                    code = key  # a price of another currency never matches the deal's product
                have[code] += int(item.get("quantity") or 0)
            if dict(have) != want:
                yield violation(C.SUBSCRIPTION_ITEMS_MISMATCH,
                                f"subscription {sub_id} items {dict(sorted(have.items()))} "
                                f"differ from the deal {dict(sorted(want.items()))}",
                                crm=[opp_id, *[str(o["Id"]) for o in amendments]],
                                billing=[sub_id], expected=want, actual=dict(have))
