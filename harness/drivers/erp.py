"""The ERP driver: what a NetSuite administrator and controller do.

Records go through the REST record service (POST 204 + Location), reads through SuiteQL;
account setup the vendor does in its UI (subsidiaries, period close) goes through the
fake's control plane. The driver fetches an OAuth token with its client id/secret and
fetches a new one when the ERP answers 401 (tokens expire in business time).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from harness.data import Product
from harness.drivers.base import Driver, Endpoint, decode, expect

TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"
RECORDS = "/services/rest/record/v1"
SUITEQL = "/services/rest/query/v1/suiteql"
PAGE = 1000  # SuiteQL's largest page


class ErpDriver(Driver):
    """One ERP account, reached with a client id/secret registered for it."""

    def __init__(self, endpoint: Endpoint, account_id: str, client_id: str, client_secret: str,
                 *, observer: bool = False) -> None:
        super().__init__(endpoint, account_id, observer=observer)
        self.account_id = account_id
        self.client_id = client_id
        self.client_secret = client_secret

    # --- session -------------------------------------------------------------------------

    async def register_client(self) -> None:
        """Register this driver's client for its account (control plane)."""
        await self.control("POST", "/_sim/erp/clients", json={
            "client_id": self.client_id, "client_secret": self.client_secret})

    async def login(self) -> str:
        response = await self.http.post(TOKEN_PATH, data={"grant_type": "client_credentials"},
                                        auth=(self.client_id, self.client_secret))
        self._token = str(expect(response, "ERP token").json()["access_token"])
        return self._token

    # --- records and SuiteQL -------------------------------------------------------------

    async def create(self, record_type: str, body: Mapping[str, Any]) -> str:
        """POST a record; returns the new internal id (from ``Location``)."""
        response = await self.request("POST", f"{RECORDS}/{record_type}", json=dict(body))
        expect(response, f"create {record_type}", 204)
        return response.headers["location"].rstrip("/").rsplit("/", 1)[-1]

    async def upsert(self, record_type: str, external_id: str, body: Mapping[str, Any]) -> None:
        response = await self.request("PUT", f"{RECORDS}/{record_type}/eid:{external_id}",
                                      json=dict(body))
        expect(response, f"upsert {record_type} eid:{external_id}", 204)

    async def update(self, record_type: str, record_id: str, body: Mapping[str, Any]) -> None:
        response = await self.request("PATCH", f"{RECORDS}/{record_type}/{record_id}",
                                      json=dict(body))
        expect(response, f"update {record_type} {record_id}", 204)

    async def get(self, record_type: str, key: str, *,
                  expand: bool = False) -> dict[str, Any]:
        """A record by internal id or ``eid:<external id>``."""
        params = {"expandSubResources": "true"} if expand else None
        response = await self.request("GET", f"{RECORDS}/{record_type}/{key}", params=params)
        body: dict[str, Any] = decode(expect(response, f"get {record_type} {key}"))
        return body

    async def delete(self, record_type: str, record_id: str) -> None:
        response = await self.request("DELETE", f"{RECORDS}/{record_type}/{record_id}")
        expect(response, f"delete {record_type} {record_id}", 204)

    async def suiteql(self, q: str) -> list[dict[str, Any]]:
        """Every row of a SuiteQL query (pages of 1,000), without ``links``."""
        rows: list[dict[str, Any]] = []
        offset = 0
        while True:
            response = await self.request(
                "POST", SUITEQL, json={"q": q},
                params={"limit": str(PAGE), "offset": str(offset)},
                headers={"Prefer": "transient"})
            page = decode(expect(response, f"SuiteQL {q[:80]}"))
            rows.extend({k: v for k, v in item.items() if k != "links"}
                        for item in page.get("items", []))
            if not page.get("hasMore"):
                return rows
            offset += PAGE

    # --- an administrator's work --------------------------------------------------------

    async def account_id_by_number(self, number: str) -> str:
        rows = await self.suiteql(f"SELECT id FROM account WHERE acctnumber = '{number}'")
        return str(rows[0]["id"])

    async def seed_items(self, products: Iterable[Product],
                         income_account: str = "4000") -> dict[str, str]:
        """A service sale item per product, ``itemId`` = ProductCode; returns code -> id."""
        income = await self.account_id_by_number(income_account)
        existing = {str(r["itemid"]): str(r["id"]) for r in await self.suiteql(
            "SELECT id, itemid FROM item")}
        out: dict[str, str] = {}
        for product in products:
            if product.code in existing:
                out[product.code] = existing[product.code]
                continue
            out[product.code] = await self.create("serviceSaleItem", {
                "itemId": product.code, "displayName": product.name,
                "incomeAccount": {"id": income},
                "basePrice": product.prices.get("USD", next(iter(product.prices.values())))})
        return out

    async def subsidiaries(self) -> list[dict[str, Any]]:
        return await self.suiteql("SELECT id, name, country, currency, parent FROM subsidiary")

    async def add_subsidiary(self, name: str, country: str, currency: str,
                             parent: str = "1") -> str:
        """A new subsidiary (legal entity) under ``parent``, with a bank account of its own;
        returns its id."""
        found = await self.control("POST", "/_sim/erp/subsidiaries", json={
            "name": name, "country": country, "currency": currency, "parent": parent})
        sub_id = str(found["id"])
        currencies = {str(r["symbol"]): str(r["id"])
                      for r in await self.suiteql("SELECT id, symbol FROM currency")}
        await self.create("account", {
            "acctNumber": f"10{sub_id}9", "acctName": f"Operating Bank {name}",
            "acctType": "Bank", "subsidiary": {"id": sub_id},
            "currency": {"id": currencies[currency.upper()]}})
        return sub_id

    async def remove_subsidiary(self, subsidiary_id: str) -> None:
        await self.control("DELETE", f"/_sim/erp/subsidiaries/{subsidiary_id}")

    async def period_for(self, day: dt.date) -> dict[str, Any]:
        """The monthly (posting) accounting period containing ``day``."""
        iso = day.isoformat()
        rows = await self.suiteql(
            "SELECT id, periodname, startdate, enddate, closed FROM accountingPeriod "
            f"WHERE startdate <= '{iso}' AND enddate >= '{iso}' "
            "AND isquarter = 'F' AND isyear = 'F'")
        if not rows:
            raise LookupError(f"no accounting period contains {iso}")
        return rows[0]

    async def _period_id(self, period: str | dt.date) -> str:
        if isinstance(period, dt.date):
            return str((await self.period_for(period))["id"])
        return period

    async def close_period(self, period: str | dt.date) -> dict[str, Any]:
        """Close a period (id, or the month of a date)."""
        pid = await self._period_id(period)
        result: dict[str, Any] = await self.control("POST", f"/_sim/erp/periods/{pid}/close")
        return result

    async def reopen_period(self, period: str | dt.date) -> dict[str, Any]:
        pid = await self._period_id(period)
        result: dict[str, Any] = await self.control("POST", f"/_sim/erp/periods/{pid}/reopen")
        return result

    async def today(self) -> dt.date:
        """The account's business date (UTC) from its clock."""
        now = float((await self.clock())["now"])
        return dt.datetime.fromtimestamp(now, dt.UTC).date()

    async def trial_balance(self) -> dict[str, Decimal]:
        """Balance per subsidiary id (sum of every posting line: zero when balanced)."""
        rows = await self.suiteql(
            "SELECT tl.subsidiary AS subsidiary, SUM(tal.amount) AS balance "
            "FROM transactionAccountingLine tal JOIN transactionLine tl "
            "ON tl.transaction = tal.transaction AND tl.id = tal.transactionline "
            "GROUP BY tl.subsidiary")
        return {str(r["subsidiary"]): Decimal(str(r.get("balance") or 0)) for r in rows}
