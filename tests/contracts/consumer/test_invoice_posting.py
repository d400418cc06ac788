"""Flow 3: a finalized billing invoice becomes an ERP invoice; a paid one, an ERP customer
payment applied to it (and the account's billing status follows)."""

from __future__ import annotations

import pytest

from simulators.billing.versions import BASIL, PRE_BASIL
from tests.contracts.consumer import billing_calls, crm_calls, erp_calls, events, ids
from tests.contracts.consumer.pacts import Contract


def _erp_reference_data(contract: Contract) -> None:
    erp = contract.http("erp")
    erp_calls.token(erp)
    erp_calls.subsidiaries(erp)
    erp_calls.currencies(erp)
    erp_calls.upsert_customer(erp)


@pytest.mark.parametrize("version", [PRE_BASIL, BASIL])
def test_a_finalized_invoice_is_posted_as_an_erp_invoice(contract: Contract,
                                                         version: str) -> None:
    billing, crm, erp = (contract.http(p) for p in ("billing", "crm", "erp"))
    billing_calls.retrieve_customer(billing)
    billing_calls.retrieve_price(billing)
    crm_calls.token(crm)
    crm_calls.account_for_posting(crm)
    _erp_reference_data(contract)
    erp_calls.items(erp)
    erp_calls.create_invoice(erp)
    events.invoice_finalized(contract.message("billing"), version)
    assert contract.run(source="billing") == [None]


@pytest.mark.parametrize("version", [PRE_BASIL, BASIL])
def test_a_paid_invoice_is_posted_as_an_erp_payment(contract: Contract, version: str) -> None:
    billing, crm, erp = (contract.http(p) for p in ("billing", "crm", "erp"))
    billing_calls.retrieve_customer(billing)
    billing_calls.list_subscriptions(billing)
    crm_calls.token(crm)
    crm_calls.account_for_posting(crm)
    crm_calls.get_account(crm, "a read of an account's billing status",
                          ["Billing_Status__c"],
                          {"Billing_Status__c": "Active"},
                          ("an account {account} exists",
                           {**crm_calls.ACCOUNT_STATE[1], "billing_status": "Active"}))
    _erp_reference_data(contract)
    erp_calls.create_payment(erp)
    contract.link("erp_invoice", ids.INVOICE, ids.ERP_INVOICE)  # posted when finalized
    events.invoice_paid(contract.message("billing"), version)
    assert contract.run(source="billing") == [None]
