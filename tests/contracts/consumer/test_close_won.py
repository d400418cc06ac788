"""Flow 2: an opportunity closed won becomes a billing subscription (keyed by the
opportunity) and an activated CRM Contract carrying the subscription id."""

from __future__ import annotations

from pact import match

from tests.contracts.consumer import billing_calls, crm_calls, events, ids
from tests.contracts.consumer.pacts import Contract

OPPORTUNITY_SOQL = ("SELECT Id, AccountId, StageName, CurrencyIsoCode, CloseDate,"
                    " Billing_Subscription_Id__c FROM Opportunity WHERE Id = "
                    f"'{ids.OPPORTUNITY}'")
LINES_SOQL = ("SELECT Product2.ProductCode, Quantity FROM OpportunityLineItem"
              f" WHERE OpportunityId = '{ids.OPPORTUNITY}'")


def test_a_deal_closed_won_gets_its_subscription_and_contract(contract: Contract) -> None:
    billing, crm = contract.http("billing"), contract.http("crm")
    crm_calls.token(crm)
    crm_calls.query(crm, "a SOQL query of a closed-won opportunity", OPPORTUNITY_SOQL,
                    match.each_like({
                        "Id": match.regex(ids.OPPORTUNITY, regex=crm_calls.SF_ID),
                        "AccountId": ids.ACCOUNT, "StageName": "Closed Won",
                        "CurrencyIsoCode": match.str("USD"),
                        "CloseDate": match.regex("2026-01-15", regex=r"^\d{4}-\d{2}-\d{2}$"),
                        "Billing_Subscription_Id__c": None}, min=1),
                    crm_calls.CLOSED_WON_STATE)
    crm_calls.query(crm, "a SOQL query of an opportunity's line items", LINES_SOQL,
                    match.each_like({"Product2": {"ProductCode": match.str(ids.PRODUCT)},
                                     "Quantity": match.number(ids.QUANTITY)}, min=1),
                    crm_calls.CLOSED_WON_STATE)
    billing_calls.list_prices(billing)
    billing_calls.list_tax_rates(billing)
    billing_calls.create_subscription(billing)
    crm_calls.upsert_contract(crm)
    crm_calls.update(crm, "an activation of a draft contract", "Contract", ids.CONTRACT,
                     {"Status": "Activated"}, crm_calls.CONTRACT_STATE)
    crm_calls.update(crm, "a write-back of the subscription id to an opportunity",
                     "Opportunity", ids.OPPORTUNITY,
                     {"Billing_Subscription_Id__c": match.regex(ids.SUBSCRIPTION,
                                                                regex=r"^sub_\w+$")},
                     crm_calls.CLOSED_WON_STATE)
    contract.link("billing_customer", ids.ACCOUNT, ids.CUSTOMER)  # the account sync's
    contract.link("account_entity", ids.ACCOUNT, "US")  # the account sync's too
    events.change_event(contract.message("crm"), "an Opportunity UPDATE change event to "
                        "Closed Won", ("an opportunity {opportunity} was closed won",
                                       crm_calls.CLOSED_WON_STATE[1]),
                        "Opportunity", ids.OPPORTUNITY, "UPDATE", ["StageName"],
                        {"StageName": "Closed Won"})
    assert contract.run(source="crm") == [None]
