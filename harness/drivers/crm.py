"""The CRM driver: what a sales rep and a Salesforce admin do, over the REST API.

It logs in with the client-credentials flow (a new client id is a new org), refreshes
its session when the CRM answers 401 (sessions expire in business time, so advancing
the clock expires them), and speaks sObject CRUD and SOQL like simple-salesforce.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.data import Contact, Deal, Product
from harness.drivers import crm_fields
from harness.drivers.base import Driver, Endpoint, decode, expect

API_VERSION = "59.0"
DATA = f"/services/data/v{API_VERSION}"
TOKEN_PATH = "/services/oauth2/token"


def soql_quote(value: str) -> str:
    """A SOQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass
class CrmCatalog:
    """Ids of the catalog in one org: Product2 and standard PricebookEntry per currency."""

    pricebook_id: str
    products: dict[str, str] = field(default_factory=dict)  # ProductCode -> Product2 Id
    entries: dict[tuple[str, str], str] = field(default_factory=dict)  # (code, CUR) -> id


@dataclass
class CrmDeal:
    """The CRM records one :class:`harness.data.Deal` became."""

    deal: Deal
    account_id: str
    contact_ids: list[str]
    opportunity_id: str
    line_ids: dict[str, str]  # ProductCode -> OpportunityLineItem Id
    quote_id: str | None = None


class CrmDriver(Driver):
    """One CRM org, reached with an OAuth client id/secret (``?tenant=`` is the client id)."""

    def __init__(self, endpoint: Endpoint, client_id: str, client_secret: str, *,
                 observer: bool = False) -> None:
        super().__init__(endpoint, client_id, observer=observer)
        self.client_id = client_id
        self.client_secret = client_secret
        self.catalog: CrmCatalog | None = None

    # --- session -------------------------------------------------------------------------

    async def login(self) -> str:
        response = await self.http.post(TOKEN_PATH, data={
            "grant_type": "client_credentials", "client_id": self.client_id,
            "client_secret": self.client_secret})
        self._token = str(expect(response, "CRM token").json()["access_token"])
        return self._token

    # --- sObjects and SOQL ---------------------------------------------------------------

    async def create(self, sobject: str, fields: Mapping[str, Any]) -> str:
        response = await self.request("POST", f"{DATA}/sobjects/{sobject}/",
                                      json=dict(fields))
        return str(decode(expect(response, f"create {sobject}", 201))["id"])

    async def update(self, sobject: str, record_id: str, fields: Mapping[str, Any]) -> None:
        response = await self.request("PATCH", f"{DATA}/sobjects/{sobject}/{record_id}",
                                      json=dict(fields))
        expect(response, f"update {sobject} {record_id}", 204)

    async def get(self, sobject: str, record_id: str,
                  fields: Iterable[str] | None = None) -> dict[str, Any]:
        params = {"fields": ",".join(fields)} if fields else None
        response = await self.request("GET", f"{DATA}/sobjects/{sobject}/{record_id}",
                                      params=params)
        body: dict[str, Any] = decode(expect(response, f"get {sobject} {record_id}"))
        return body

    async def delete(self, sobject: str, record_id: str) -> None:
        response = await self.request("DELETE", f"{DATA}/sobjects/{sobject}/{record_id}")
        expect(response, f"delete {sobject} {record_id}", 204)

    async def query(self, soql: str) -> list[dict[str, Any]]:
        """Every record of a SOQL query, following ``nextRecordsUrl``."""
        response = await self.request("GET", f"{DATA}/query", params={"q": soql},
                                      headers={"Sforce-Query-Options": "batchSize=2000"})
        page = decode(expect(response, f"SOQL {soql[:80]}"))
        records: list[dict[str, Any]] = list(page["records"])
        while not page.get("done", True) and page.get("nextRecordsUrl"):
            response = await self.request("GET", page["nextRecordsUrl"])
            page = decode(expect(response, "SOQL next batch"))
            records.extend(page["records"])
        return records

    # --- a sales rep's work --------------------------------------------------------------

    async def standard_pricebook(self) -> str:
        rows = await self.query("SELECT Id FROM Pricebook2 WHERE IsStandard = true")
        return str(rows[0]["Id"])

    async def seed_catalog(self, products: Iterable[Product],
                           currencies: Iterable[str] = ("USD", "GBP", "EUR")) -> CrmCatalog:
        """Product2 per product and a standard PricebookEntry per currency."""
        catalog = self.catalog or CrmCatalog(await self.standard_pricebook())
        for product in products:
            pid = catalog.products.get(product.code)
            if pid is None:
                pid = await self.create("Product2", {
                    "Name": product.name, "ProductCode": product.code,
                    "Family": product.family, "IsActive": True})
                catalog.products[product.code] = pid
            for currency in currencies:
                cur = currency.upper()
                if cur not in product.prices or (product.code, cur) in catalog.entries:
                    continue
                catalog.entries[(product.code, cur)] = await self.create("PricebookEntry", {
                    "Pricebook2Id": catalog.pricebook_id, "Product2Id": pid,
                    "UnitPrice": product.price(cur), "CurrencyIsoCode": cur, "IsActive": True})
        self.catalog = catalog
        return catalog

    async def create_account(self, deal: Deal) -> str:
        return await self.create("Account", crm_fields.account(deal))

    async def create_contact(self, account_id: str, contact: Contact) -> str:
        return await self.create("Contact", crm_fields.contact(account_id, contact))

    async def create_opportunity(self, deal: Deal, account_id: str,
                                 stage: str = crm_fields.OPEN_STAGE) -> tuple[str, dict[str, str]]:
        """The opportunity and its line items; returns (Id, ProductCode -> line Id)."""
        catalog = await self._catalog_for(deal)
        opp = await self.create("Opportunity", crm_fields.opportunity(
            deal, account_id, catalog.pricebook_id, stage))
        lines = {}
        for line in deal.lines:
            entry = catalog.entries[(line.product.code, deal.currency)]
            lines[line.product.code] = await self.create(
                "OpportunityLineItem", crm_fields.opportunity_line(deal, line, opp, entry))
        return opp, lines

    async def create_quote(self, deal: Deal, opportunity_id: str, lines: Mapping[str, str],
                           contact_id: str | None = None) -> str:
        """A Quote mirroring the opportunity's lines (each QuoteLineItem linked to its
        OpportunityLineItem), Status Accepted: the quote the opportunity is synced with.

        The CRM fake has no ``Opportunity.SyncedQuoteId`` and ``Quote.IsSyncing`` is
        read-only, so "synced" here means: the accepted quote whose lines are linked to
        the opportunity's lines with the same products and quantities."""
        catalog = await self._catalog_for(deal)
        quote = await self.create("Quote", crm_fields.quote(deal, opportunity_id,
                                                        catalog.pricebook_id, contact_id))
        for line in deal.lines:
            await self.create("QuoteLineItem", crm_fields.quote_line(
                deal, line, quote, catalog.entries[(line.product.code, deal.currency)],
                lines.get(line.product.code)))
        await self.update("Quote", quote, crm_fields.ACCEPTED)
        return quote

    async def create_deal(self, deal: Deal, *, quote: bool = True) -> CrmDeal:
        """Account, contacts, opportunity with lines and (by default) a synced quote;
        the opportunity is left open: close it with :meth:`close_won`."""
        await self._catalog_for(deal)
        account = await self.create_account(deal)
        contacts = [await self.create_contact(account, c) for c in deal.contacts]
        opp, lines = await self.create_opportunity(deal, account)
        quote_id = None
        if quote:
            quote_id = await self.create_quote(deal, opp, lines,
                                               contacts[0] if contacts else None)
        return CrmDeal(deal, account, contacts, opp, lines, quote_id)

    async def close_won(self, opportunity_id: str) -> None:
        await self.update("Opportunity", opportunity_id, crm_fields.CLOSED_WON)

    async def close_lost(self, opportunity_id: str) -> None:
        await self.update("Opportunity", opportunity_id, {"StageName": "Closed Lost"})

    async def amend(self, contract_id: str, quantities: Mapping[str, int], currency: str,
                    effective: dt.date | None = None) -> str:
        """An amendment: an ``Upgrade`` Order on the contract with the new quantity per
        ProductCode (0 removes the product), activated. Returns the Order Id."""
        contract = await self.get("Contract", contract_id, ["AccountId", "Pricebook2Id"])
        catalog = self.catalog or CrmCatalog(await self.standard_pricebook())
        self.catalog = catalog
        book = contract.get("Pricebook2Id") or catalog.pricebook_id
        order = await self.create("Order", {
            "AccountId": contract["AccountId"], "ContractId": contract_id,
            "Pricebook2Id": book, "Status": "Draft", "Type": "Upgrade",
            "CurrencyIsoCode": currency.upper(),
            "EffectiveDate": effective or dt.date(2026, 1, 15)})
        for code, quantity in quantities.items():
            rows = await self.query(
                "SELECT Id, UnitPrice FROM PricebookEntry WHERE ProductCode = "
                f"{soql_quote(code)} AND CurrencyIsoCode = {soql_quote(currency.upper())} "
                f"AND Pricebook2Id = {soql_quote(book)}")
            if not rows:
                raise LookupError(f"no {currency} price book entry for {code}")
            await self.create("OrderItem", {"OrderId": order, "PricebookEntryId": rows[0]["Id"],
                                            "Quantity": quantity,
                                            "UnitPrice": rows[0]["UnitPrice"]})
        await self.update("Order", order, {"Status": "Activated"})
        return order

    async def request_cancellation(self, contract_id: str) -> None:
        """Ask for cancellation at period end (``Contract.Cancel_At_Period_End__c``)."""
        await self.update("Contract", contract_id, {"Cancel_At_Period_End__c": True})

    async def contract_for(self, opportunity_id: str) -> dict[str, Any] | None:
        """The contract the SUT created for an opportunity's subscription, if any."""
        opp = await self.get("Opportunity", opportunity_id, ["Billing_Subscription_Id__c"])
        sub = opp.get("Billing_Subscription_Id__c")
        if not sub:
            return None
        rows = await self.query("SELECT Id, Status, AccountId, Billing_Subscription_Id__c "
                                f"FROM Contract WHERE External_Id__c = {soql_quote(sub)}")
        return rows[0] if rows else None

    async def subscribe(self, url: str, secret: str,
                        events: Iterable[str] = ("*",)) -> dict[str, Any]:
        """A change-event subscription on the CRM control plane (``POST /_sim/subscriptions``),
        pushed to ``url`` signed with ``secret``."""
        result: dict[str, Any] = await self.control(
            "POST", "/_sim/subscriptions",
            json={"url": url, "secret": secret, "events": list(events)})
        return result

    async def _catalog_for(self, deal: Deal) -> CrmCatalog:
        products = [line.product for line in deal.lines]
        missing = self.catalog is None or any(
            (p.code, deal.currency) not in self.catalog.entries for p in products)
        if missing:
            await self.seed_catalog(products, (deal.currency,))
        assert self.catalog is not None
        return self.catalog
