"""The fields a sales rep fills in for each CRM record of a deal, as pure functions: the
async CRM driver sends them, and so do the Locust users of ``loadtests/`` (which cannot
run the asyncio driver inside gevent)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from harness.data import Contact, Deal, LineItem

OPEN_STAGE = "Proposal/Price Quote"


def account(deal: Deal) -> dict[str, Any]:
    company = deal.company
    address = company.address
    return {
        "Name": company.name, "Industry": company.industry, "Website": company.website,
        "Phone": company.phone, "Type": "Customer - Direct",
        "BillingStreet": address.street, "BillingCity": address.city,
        "BillingState": address.state, "BillingPostalCode": address.postal_code,
        "BillingCountry": address.country, "Legal_Entity__c": company.entity.country,
        "CurrencyIsoCode": company.currency}


def contact(account_id: str, person: Contact) -> dict[str, Any]:
    return {"AccountId": account_id, "FirstName": person.first_name,
            "LastName": person.last_name, "Email": person.email, "Title": person.title,
            "Phone": person.phone}


def opportunity(deal: Deal, account_id: str, pricebook_id: str,
                stage: str = OPEN_STAGE) -> dict[str, Any]:
    return {"AccountId": account_id, "Name": deal.name, "StageName": stage,
            "CloseDate": deal.close_date, "CurrencyIsoCode": deal.currency,
            "Pricebook2Id": pricebook_id, "Type": "New Business"}


def opportunity_line(deal: Deal, line: LineItem, opportunity_id: str,
                     entry_id: str) -> dict[str, Any]:
    return {"OpportunityId": opportunity_id, "Quantity": line.quantity,
            "PricebookEntryId": entry_id, "UnitPrice": line.product.price(deal.currency)}


def quote(deal: Deal, opportunity_id: str, pricebook_id: str,
          contact_id: str | None) -> dict[str, Any]:
    return {"Name": f"Q - {deal.name}"[:255], "OpportunityId": opportunity_id,
            "Pricebook2Id": pricebook_id, "ContactId": contact_id,
            "ExpirationDate": deal.close_date + dt.timedelta(days=30)}


def quote_line(deal: Deal, line: LineItem, quote_id: str, entry_id: str,
               opportunity_line_id: str | None) -> dict[str, Any]:
    return {"QuoteId": quote_id, "Quantity": line.quantity, "PricebookEntryId": entry_id,
            "UnitPrice": line.product.price(deal.currency),
            "OpportunityLineItemId": opportunity_line_id}


ACCEPTED = {"Status": "Accepted"}
CLOSED_WON = {"StageName": "Closed Won"}
