"""The compensation: a renewal invoice of a legal entity the ERP has no subsidiary for is
held in draft (auto_advance false) and its event parked; replayed once the subsidiary
exists, it is released (finalized, then charged)."""

from __future__ import annotations

import pytest
from pact import match

from integration_layer.service.flows.accounts import ACCOUNT_FIELDS
from integration_layer.service.outcomes import Park
from simulators.billing.versions import BASIL, PRE_BASIL
from tests.contracts.consumer import billing_calls, crm_calls, erp_calls, events, ids
from tests.contracts.consumer.pacts import Contract
from tests.contracts.consumer.test_credit_notes import subscription_of

PARAMS = billing_calls.SUBSCRIPTION_PARAMS
DRAFT = ("a draft invoice {invoice} exists for subscription {subscription}", PARAMS)
HELD = ("a held draft invoice {invoice} exists for subscription {subscription}", PARAMS)
OPEN = ("an open invoice {invoice} exists for subscription {subscription}", PARAMS)


def _invoice(contract: Contract, version: str, what: str, state: tuple[str, dict[str, object]],
             auto_advance: bool) -> None:
    billing_calls.retrieve_invoice(
        contract.http("billing"), f"a read of a {what} renewal invoice ({events.shapes(version)})",
        state, version, {"status": "draft", "auto_advance": auto_advance,
                         "collection_method": match.str("charge_automatically"),
                         **subscription_of(version)})
    contract.link("subscription_account", ids.SUBSCRIPTION, ids.ACCOUNT)
    events.invoice_created(contract.message("billing"))


def _account(contract: Contract, country: str, currency: str) -> None:
    crm = contract.http("crm")
    crm_calls.token(crm)
    crm_calls.get_account(crm, f"a read of an account of legal entity {country}", ACCOUNT_FIELDS,
                          {"Legal_Entity__c": country, "CurrencyIsoCode": match.str(currency)},
                          ("an account {account} exists",
                           {**crm_calls.ACCOUNT_STATE[1], "legal_entity": country,
                            "currency": currency}))
    erp = contract.http("erp")
    erp_calls.token(erp)


@pytest.mark.parametrize("version", [PRE_BASIL, BASIL])
def test_an_unmapped_entity_holds_the_renewal(contract: Contract, version: str) -> None:
    _invoice(contract, version, "draft", DRAFT, True)
    _account(contract, "FR", "EUR")
    erp_calls.subsidiaries(contract.http("erp"), unmapped="FR")
    billing_calls.hold_invoice(contract.http("billing"), DRAFT)
    [outcome] = contract.run(source="billing")
    assert isinstance(outcome, Park) and outcome.code == "LEGAL_ENTITY_UNMAPPED"


@pytest.mark.parametrize("version", [PRE_BASIL, BASIL])
def test_a_held_renewal_is_released_once_mapped(contract: Contract, version: str) -> None:
    _invoice(contract, version, "held", HELD, False)
    _account(contract, "US", "USD")
    erp_calls.subsidiaries(contract.http("erp"))
    billing_calls.release_invoice(contract.http("billing"), HELD, OPEN)
    assert contract.run(source="billing") == [None]
