"""Quote line discounts reach the opportunity through quote syncing, with
simple-salesforce (Object Reference: Opportunity.SyncedQuoteId, Quote.IsSyncing; Sales
Cloud help, "Sync Quotes and Opportunities")."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from simple_salesforce import Salesforce, SalesforceMalformedRequest

from tests.crm.conftest import Server


@pytest.fixture
def deal(server: Server) -> tuple[Salesforce, dict[str, Any]]:
    sf = server.salesforce()[0]
    book = sf.query("SELECT Id FROM Pricebook2 WHERE IsStandard = true")["records"][0]["Id"]
    account = sf.Account.create({"Name": "Acme"})["id"]
    product = sf.Product2.create({"Name": "Seat", "IsActive": True})["id"]
    entry = sf.PricebookEntry.create({"Pricebook2Id": book, "Product2Id": product,
                                      "UnitPrice": 100, "IsActive": True})["id"]
    opp = sf.Opportunity.create({"Name": "Acme seats", "StageName": "Prospecting",
                                 "CloseDate": "2024-03-15", "AccountId": account,
                                 "Pricebook2Id": book})["id"]
    quote = sf.Quote.create({"Name": "Q1", "OpportunityId": opp, "Pricebook2Id": book})["id"]
    sf.QuoteLineItem.create({"QuoteId": quote, "PricebookEntryId": entry, "Quantity": 10,
                             "UnitPrice": 100, "Discount": 15})
    return sf, {"opp": opp, "quote": quote, "entry": entry, "book": book}


def _money(value: Any) -> Decimal:
    return Decimal(str(value))


def test_syncing_a_quote_carries_its_discounted_lines_to_the_opportunity(
        deal: tuple[Salesforce, dict[str, Any]]) -> None:
    sf, ids = deal
    sf.Opportunity.update(ids["opp"], {"SyncedQuoteId": ids["quote"]})
    opp = sf.Opportunity.get(ids["opp"])
    assert _money(opp["Amount"]) == Decimal("850")  # 10 x 100 less 15 %
    assert sf.Quote.get(ids["quote"])["IsSyncing"] is True
    lines = sf.query(f"SELECT Quantity, UnitPrice, Discount, TotalPrice FROM "
                     f"OpportunityLineItem WHERE OpportunityId = '{ids['opp']}'")["records"]
    assert [(_money(x["Quantity"]), _money(x["Discount"]), _money(x["TotalPrice"]))
            for x in lines] == [(Decimal(10), Decimal(15), Decimal(850))]
    quote_line = sf.query(f"SELECT OpportunityLineItemId FROM QuoteLineItem WHERE QuoteId = "
                          f"'{ids['quote']}'")["records"][0]
    assert quote_line["OpportunityLineItemId"]


def test_a_quote_line_change_while_syncing_moves_the_opportunity_amount(
        deal: tuple[Salesforce, dict[str, Any]]) -> None:
    sf, ids = deal
    sf.Opportunity.update(ids["opp"], {"SyncedQuoteId": ids["quote"]})
    sf.QuoteLineItem.create({"QuoteId": ids["quote"], "PricebookEntryId": ids["entry"],
                             "Quantity": 1, "UnitPrice": 200, "Discount": 50})
    assert _money(sf.Opportunity.get(ids["opp"])["Amount"]) == Decimal("950")
    line = sf.query(f"SELECT Id FROM QuoteLineItem WHERE QuoteId = '{ids['quote']}' "
                    "AND Discount = 15")["records"][0]["Id"]
    sf.QuoteLineItem.update(line, {"Discount": 20})
    assert _money(sf.Opportunity.get(ids["opp"])["Amount"]) == Decimal("900")
    # Stopping the sync leaves the opportunity's products as they were.
    sf.Opportunity.update(ids["opp"], {"SyncedQuoteId": None})
    assert sf.Quote.get(ids["quote"])["IsSyncing"] is False
    sf.QuoteLineItem.update(line, {"Discount": 0})
    assert _money(sf.Opportunity.get(ids["opp"])["Amount"]) == Decimal("900")


def test_only_the_opportunitys_own_quote_can_sync(
        deal: tuple[Salesforce, dict[str, Any]]) -> None:
    sf, ids = deal
    other = sf.Opportunity.create({"Name": "Other", "StageName": "Prospecting",
                                   "CloseDate": "2024-03-15"})["id"]
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.Opportunity.update(other, {"SyncedQuoteId": ids["quote"]})
    assert refused.value.content[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert sf.Quote.get(ids["quote"])["IsSyncing"] is False
