"""Flow 1: an Account created in the CRM becomes a billing customer and an ERP customer, and
their ids are written back to the Account; the SUT's polling fallback reads the same
change events."""

from __future__ import annotations

import asyncio

from pact import match

from integration_layer.service.config import ServiceConfig
from integration_layer.service.flows.accounts import ACCOUNT_FIELDS
from integration_layer.service.runtime import Service
from tests.contracts.consumer import billing_calls, crm_calls, erp_calls, events, ids
from tests.contracts.consumer.pacts import Contract, connection

NEW_ACCOUNT = ("an account {account} was created", crm_calls.ACCOUNT_STATE[1])


def test_a_new_account_gets_a_billing_and_an_erp_customer(contract: Contract) -> None:
    billing, crm, erp = (contract.http(p) for p in ("billing", "crm", "erp"))
    crm_calls.token(crm)
    crm_calls.get_account(crm, "a read of an account not yet synced", ACCOUNT_FIELDS, {
        "Id": match.regex(ids.ACCOUNT, regex=crm_calls.SF_ID), "Name": match.str("Acme Corp"),
        "Legal_Entity__c": match.str("US"), "CurrencyIsoCode": match.str("USD"),
        "Billing_Customer_Id__c": None, "ERP_Customer_Id__c": None, "Billing_Status__c": None})
    billing_calls.create_customer(billing)
    crm_calls.update(crm, "a write-back of the billing customer id to an account", "Account",
                     ids.ACCOUNT, {"Billing_Customer_Id__c": match.regex(
                         ids.CUSTOMER, regex=r"^cus_\w+$"), "Billing_Status__c": "Active"},
                     crm_calls.ACCOUNT_STATE)
    crm_calls.update(crm, "a write-back of the ERP customer id to an account", "Account",
                     ids.ACCOUNT, {"ERP_Customer_Id__c": match.regex(ids.ERP_CUSTOMER,
                                                                     regex=r"^\d+$")},
                     crm_calls.ACCOUNT_STATE)
    erp_calls.token(erp)
    erp_calls.subsidiaries(erp)
    erp_calls.currencies(erp)
    erp_calls.upsert_customer(erp)
    events.change_event(contract.message("crm"), "an Account CREATE change event",
                        NEW_ACCOUNT, "Account", ids.ACCOUNT, "CREATE", [], {})
    assert contract.run(source="crm") == [None]


def test_the_polling_fallback_reads_change_events(contract: Contract) -> None:
    crm = contract.http("crm")
    crm_calls.token(crm)
    crm_calls.change_events(crm)

    async def poll(urls: dict[str, str]) -> int:
        service = Service(ServiceConfig(database_url="sqlite://:memory:",
                                        connections=[connection(urls)]))
        await service.start(workers=False)
        try:
            return await service.poll_crm("contract")
        finally:
            await service.stop()

    with contract.serving() as urls:
        assert asyncio.run(poll(urls)) == 1
