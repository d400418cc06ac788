"""Flow 4: an activated amendment Order sets the subscription's quantities, prorated and
invoiced at once; flow 5: a Contract marked to cancel at period end cancels the
subscription then."""

from __future__ import annotations

from typing import Any

from pact import Pact, match

from tests.contracts.consumer import billing_calls, crm_calls, events, ids
from tests.contracts.consumer.pacts import Contract

ORDER_STATE = ("an order {order} amending contract {contract} was activated",
               {"order": ids.ORDER, "contract": ids.CONTRACT, "account": ids.ACCOUNT,
                "subscription": ids.SUBSCRIPTION,
                "lines": [{"product_code": ids.PRODUCT, "quantity": 5}]})
CANCEL_STATE = ("contract {contract} was set to cancel at period end",
                {"contract": ids.CONTRACT, "account": ids.ACCOUNT,
                 "subscription": ids.SUBSCRIPTION})


def _contract_subscription(crm: Pact, state: tuple[str, dict[str, Any]]) -> None:
    crm_calls.get_record(crm, "a read of a contract's subscription id", "Contract",
                         ids.CONTRACT, ["Billing_Subscription_Id__c"],
                         {"Billing_Subscription_Id__c": match.regex(ids.SUBSCRIPTION,
                                                                    regex=r"^sub_\w+$")},
                         state)


def test_an_activated_amendment_order_updates_the_subscription(contract: Contract) -> None:
    billing, crm = contract.http("billing"), contract.http("crm")
    crm_calls.token(crm)
    crm_calls.query(crm, "a SOQL query of an amendment order",
                    f"SELECT Id, ContractId, Status FROM Order WHERE Id = '{ids.ORDER}'",
                    match.each_like({"Id": match.regex(ids.ORDER, regex=crm_calls.SF_ID),
                                     "ContractId": ids.CONTRACT, "Status": "Activated"},
                                    min=1), ORDER_STATE)
    _contract_subscription(crm, ORDER_STATE)
    crm_calls.query(crm, "a SOQL query of an order's items",
                    "SELECT Product2.ProductCode, Quantity FROM OrderItem"
                    f" WHERE OrderId = '{ids.ORDER}'",
                    match.each_like({"Product2": {"ProductCode": match.str(ids.PRODUCT)},
                                     "Quantity": match.number(5)}, min=1), ORDER_STATE)
    billing_calls.retrieve_subscription(billing)
    billing_calls.list_all_prices(billing)
    billing_calls.amend_subscription(billing)
    contract.link("price_code", ids.PRICE, ids.PRODUCT)  # learnt when the deal closed
    events.change_event(contract.message("crm"), "an Order UPDATE change event to Activated",
                        ORDER_STATE, "Order", ids.ORDER, "UPDATE", ["Status"],
                        {"Status": "Activated"})
    assert contract.run(source="crm") == [None]


def test_a_cancellation_request_cancels_at_period_end(contract: Contract) -> None:
    billing, crm = contract.http("billing"), contract.http("crm")
    crm_calls.token(crm)
    crm_calls.get_record(crm, "a read of a contract's cancellation flag", "Contract",
                         ids.CONTRACT, ["Cancel_At_Period_End__c"],
                         {"Cancel_At_Period_End__c": True}, CANCEL_STATE)
    _contract_subscription(crm, CANCEL_STATE)
    billing_calls.cancel_at_period_end(billing)
    events.change_event(contract.message("crm"), "a Contract UPDATE change event to cancel "
                        "at period end", CANCEL_STATE, "Contract", ids.CONTRACT, "UPDATE",
                        ["Cancel_At_Period_End__c"], {"Cancel_At_Period_End__c": True})
    assert contract.run(source="crm") == [None]
