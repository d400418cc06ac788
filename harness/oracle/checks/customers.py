"""Master data: one billing and one ERP customer per CRM account, in the subsidiary of its
legal entity (none for an entity without one), and the ids written back to the Account."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from harness.oracle import codes as C
from harness.oracle.model import Violation
from harness.oracle.registry import invariant
from harness.oracle.view import View, violation

BILLING_FIELDS = ("Account.Billing_Customer_Id__c", "Opportunity.Billing_Subscription_Id__c",
                  "Contract.Billing_Subscription_Id__c")


@invariant(C.CUSTOMER_BILLING_MISSING, C.CUSTOMER_BILLING_DUPLICATE)
def billing_customers(view: View) -> Iterator[Violation]:
    """Every CRM account has exactly one billing customer (metadata ``crm_account_id``)."""
    for account_id in view.accounts:
        mine = view.billing_customers.get(account_id, ())
        if not mine:
            yield violation(C.CUSTOMER_BILLING_MISSING,
                            f"CRM account {account_id} has no billing customer",
                            crm=[account_id])
        elif len(mine) > 1:
            yield violation(C.CUSTOMER_BILLING_DUPLICATE,
                            f"CRM account {account_id} has {len(mine)} billing customers",
                            crm=[account_id], billing=[str(c["id"]) for c in mine])


@invariant(C.CUSTOMER_ERP_MISSING, C.CUSTOMER_ERP_DUPLICATE, C.CUSTOMER_ERP_WRONG_SUBSIDIARY,
           C.ERP_POSTED_UNMAPPED_ENTITY)
def erp_customers(view: View) -> Iterator[Violation]:
    """Every CRM account of a mapped legal entity has exactly one ERP customer (externalId
    = Account Id) in that entity's subsidiary; an unmapped entity has none."""
    for account_id, account in view.accounts.items():
        billing_ids = [str(c["id"]) for c in view.billing_customers.get(account_id, ())]
        erp = view.erp_customers.get(account_id, ())
        erp_ids = [str(c["id"]) for c in erp]
        expected = view.subsidiary_for(account)
        if expected is None:
            if erp:
                yield violation(C.ERP_POSTED_UNMAPPED_ENTITY,
                                f"ERP customer for account {account_id}, whose legal entity "
                                f"{account.get('Legal_Entity__c')!r} has no subsidiary",
                                crm=[account_id], erp=erp_ids)
            continue
        if not erp:
            yield violation(C.CUSTOMER_ERP_MISSING,
                            f"CRM account {account_id} has no ERP customer", crm=[account_id],
                            billing=billing_ids)
            continue
        if len(erp) > 1:
            yield violation(C.CUSTOMER_ERP_DUPLICATE,
                            f"CRM account {account_id} has {len(erp)} ERP customers",
                            crm=[account_id], billing=billing_ids, erp=erp_ids)
        for cust in erp:
            if str(cust.get("subsidiary")) != expected:
                yield violation(
                    C.CUSTOMER_ERP_WRONG_SUBSIDIARY,
                    f"ERP customer {cust['id']} of account {account_id} is in subsidiary "
                    f"{cust.get('subsidiary')}, legal entity {account.get('Legal_Entity__c')} "
                    f"is subsidiary {expected}", crm=[account_id], erp=[cust["id"]],
                    expected=expected, actual=cust.get("subsidiary"))


@invariant(C.CUSTOMER_NAME_MISMATCH)
def customer_names(view: View) -> Iterator[Violation]:
    """The billing and the ERP customer of a CRM account carry the account's name: the
    name billing puts on the customer's invoices and the ERP on its receivables."""
    for account_id, account in view.accounts.items():
        name = account.get("Name")
        if not name:
            continue
        named = [("billing", str(c["id"]), c.get("name"))
                 for c in view.billing_customers.get(account_id, ())]
        named += [("erp", str(c["id"]), c.get("companyname"))
                  for c in view.erp_customers.get(account_id, ())]
        for system, customer_id, found in named:
            if found != name:
                yield violation(C.CUSTOMER_NAME_MISMATCH,
                                f"{system} customer {customer_id} of account {account_id} is "
                                f"named {found!r}, the account {name!r}", crm=[account_id],
                                **{system: [customer_id]}, expected=name, actual=found)


def writeback(record_id: str, field: str, value: Any, expected: list[str]
              ) -> Iterator[Violation]:
    """A CRM field that mirrors an id of another system: empty or another id."""
    if not expected:
        return
    refs: dict[str, Iterable[str]] = {"crm": [record_id]}
    if field in BILLING_FIELDS:
        refs["billing"] = expected
    elif field == "Account.ERP_Customer_Id__c":
        refs["erp"] = expected
    if not value:
        yield violation(C.WRITEBACK_MISSING, f"{field} of {record_id} is empty; expected "
                        f"{' or '.join(expected)}", field=field, expected=expected, **refs)
    elif str(value) not in expected:
        yield violation(C.WRITEBACK_MISMATCH, f"{field} of {record_id} is {value}; expected "
                        f"{' or '.join(expected)}", field=field, expected=expected,
                        actual=value, **refs)


@invariant(C.WRITEBACK_MISSING, C.WRITEBACK_MISMATCH)
def writebacks(view: View) -> Iterator[Violation]:
    """The ids the CRM mirrors are written back: the Account's billing and ERP customer,
    the closed-won Opportunity's and each Contract's billing subscription."""
    for account_id, account in view.accounts.items():
        yield from writeback(account_id, "Account.Billing_Customer_Id__c",
                             account.get("Billing_Customer_Id__c"),
                             [str(c["id"]) for c in view.billing_customers.get(account_id, ())])
        if view.subsidiary_for(account) is not None:
            yield from writeback(account_id, "Account.ERP_Customer_Id__c",
                                 account.get("ERP_Customer_Id__c"),
                                 view.erp_customer_ids(account_id))
    for opp_id, opp in view.opportunities.items():
        if not opp.get("IsWon"):
            continue
        subs = [str(s["id"]) for s in view.subs_by_opportunity.get(opp_id, ())]
        yield from writeback(opp_id, "Opportunity.Billing_Subscription_Id__c",
                             opp.get("Billing_Subscription_Id__c"), subs)
        for sub_id in subs:
            for contract in view.contracts_by_subscription.get(sub_id, ()):
                yield from writeback(str(contract["Id"]), "Contract.Billing_Subscription_Id__c",
                                     contract.get("Billing_Subscription_Id__c"), [sub_id])
