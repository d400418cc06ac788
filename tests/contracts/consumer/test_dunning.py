"""Flow 5 (dunning): a failed payment marks the Account Delinquent; a cancelled subscription
with nothing live left marks it Churned. The status follows billing's current truth (the
customer's delinquent flag, its subscriptions), whatever the event."""

from __future__ import annotations

from typing import Any

from pact import Pact

from tests.contracts.consumer import billing_calls, crm_calls, events, ids
from tests.contracts.consumer.pacts import Contract

FAILED = ("a payment failed for an invoice of subscription {subscription}",
          billing_calls.SUBSCRIPTION_PARAMS)
CANCELLED = ("subscription {subscription} was cancelled", billing_calls.SUBSCRIPTION_PARAMS)
ACTIVE_ACCOUNT = ("an account {account} exists",
                  {**crm_calls.ACCOUNT_STATE[1], "billing_status": "Active"})


def _status_sync(contract: Contract, customer: tuple[str, Any],
                 subscriptions: tuple[str, str], status: str) -> tuple[Pact, Pact]:
    billing, crm = contract.http("billing"), contract.http("crm")
    description, state = customer
    billing_calls.retrieve_customer(billing, description, state)
    billing_calls.list_subscriptions(billing, *subscriptions)
    crm_calls.token(crm)
    crm_calls.get_account(crm, "a read of an account's billing status", ["Billing_Status__c"],
                          {"Billing_Status__c": "Active"}, ACTIVE_ACCOUNT)
    crm_calls.update(crm, f"a write of billing status {status} to an account", "Account",
                     ids.ACCOUNT, {"Billing_Status__c": status}, ACTIVE_ACCOUNT)
    return billing, crm


def test_a_failed_payment_marks_the_account_delinquent(contract: Contract) -> None:
    _status_sync(contract, ("a read of a delinquent customer", (FAILED, True)),
                 ("a list of a delinquent customer's subscriptions", "past_due"), "Delinquent")
    events.payment_failed(contract.message("billing"))
    assert contract.run(source="billing") == [None]


def test_a_cancelled_subscription_churns_the_account(contract: Contract) -> None:
    _status_sync(contract, ("a read of a customer whose subscription was cancelled",
                            (CANCELLED, False)),
                 ("a list of a customer's subscriptions, all cancelled", "canceled"), "Churned")
    events.subscription_deleted(contract.message("billing"))
    assert contract.run(source="billing") == [None]


def test_the_status_matches_billing_after_a_paid_invoice(contract: Contract) -> None:
    """Flow 3's payment also syncs the status: Active stays Active (no write)."""
    billing, crm = contract.http("billing"), contract.http("crm")
    billing_calls.retrieve_customer(billing)
    billing_calls.list_subscriptions(billing)
    crm_calls.token(crm)
    crm_calls.get_account(crm, "a read of an account's billing status", ["Billing_Status__c"],
                          {"Billing_Status__c": "Active"}, ACTIVE_ACCOUNT)
    contract.link("customer_account", ids.CUSTOMER, ids.ACCOUNT)

    async def sync(ctx: Any) -> None:
        from integration_layer.service.flows.accounts import sync_billing_status

        await sync_billing_status(ctx, ids.CUSTOMER)

    assert contract.run(sync) == [None]
