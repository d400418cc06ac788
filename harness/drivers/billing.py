"""The billing driver: what a Stripe account's admin does, over the Stripe-shaped API.

Requests are form-encoded as Stripe expects (``metadata[k]=v``, ``items[0][price]=...``);
every POST carries an ``Idempotency-Key`` like the Stripe SDK sends, so a driver call
retried after a lost response does not act twice.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

import httpx

from harness.data import Product
from harness.drivers.base import Driver, Endpoint, expect

#: The pre-basil version pins response shapes the driver and the oracle read
#: (``invoice.subscription``, ``invoice.charge``) whatever the account's default is.
READ_VERSION = "2024-06-20"
CARD_OK = "pm_card_visa"
CARD_FAILS = "pm_card_chargeCustomerFail"  # attaches, but every charge fails


def form_encode(data: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Stripe's form encoding: nested dicts as ``a[b]``, lists indexed ``a[0]``."""
    out: list[tuple[str, str]] = []
    for key, value in data.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        out.extend(_encode_value(name, value))
    return out


def _encode_value(name: str, value: Any) -> list[tuple[str, str]]:
    if value is None:
        return []
    if isinstance(value, Mapping):
        return form_encode(value, name)
    if isinstance(value, list | tuple):
        out: list[tuple[str, str]] = []
        for index, item in enumerate(value):
            out.extend(_encode_value(f"{name}[{index}]", item))
        return out
    if isinstance(value, bool):
        return [(name, "true" if value else "false")]
    return [(name, str(value))]


class BillingDriver(Driver):
    """One billing account (tenant), reached with its ``sk_test_...`` key."""

    def __init__(self, endpoint: Endpoint, api_key: str, *, observer: bool = False) -> None:
        super().__init__(endpoint, api_key, observer=observer)
        self.api_key = api_key
        self._keys = itertools.count(1)
        # Unique per driver: two drivers on one account must not reuse each other's keys.
        self._key_prefix = f"driver-{api_key}-{secrets.token_hex(4)}"

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}", "Stripe-Version": READ_VERSION}

    # --- raw API -------------------------------------------------------------------------

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        query = httpx.QueryParams(form_encode(params or {}))  # type: ignore[arg-type]
        response = await self.http.get(path, params=query, headers=self._headers())
        body: dict[str, Any] = expect(response, f"GET {path}").json()
        return body

    async def post(self, path: str, data: Mapping[str, Any] | None = None, *,
                   idempotency_key: str | None = None) -> dict[str, Any]:
        headers = self._headers()
        headers["Idempotency-Key"] = idempotency_key or f"{self._key_prefix}-{next(self._keys)}"
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        response = await self.http.post(path, content=_body(data), headers=headers)
        body: dict[str, Any] = expect(response, f"POST {path}").json()
        return body

    async def delete(self, path: str) -> dict[str, Any]:
        response = await self.http.delete(path, headers=self._headers())
        body: dict[str, Any] = expect(response, f"DELETE {path}").json()
        return body

    async def list_all(self, path: str, params: Mapping[str, Any] | None = None,
                       page_size: int = 100) -> AsyncIterator[dict[str, Any]]:
        """Every object of a list endpoint, following ``starting_after``."""
        query: dict[str, Any] = {**(params or {}), "limit": page_size}
        while True:
            page = await self.get(path, query)
            data = page.get("data", [])
            for obj in data:
                yield obj
            if not page.get("has_more") or not data:
                return
            query["starting_after"] = data[-1]["id"]

    async def all(self, path: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        return [obj async for obj in self.list_all(path, params)]

    # --- admin actions -------------------------------------------------------------------

    async def seed_catalog(self, products: Iterable[Product],
                           currencies: Iterable[str] = ("USD", "GBP", "EUR")
                           ) -> dict[str, str]:
        """A product per catalog product and a monthly price per currency with
        ``lookup_key`` ``{ProductCode}:{CURRENCY}``. Returns lookup key -> price id."""
        prices: dict[str, str] = {}
        wanted = [c.upper() for c in currencies]
        for product in products:
            prod = await self.post("/v1/products", {
                "name": product.name, "metadata": {"product_code": product.code}})
            for currency in wanted:
                if currency not in product.prices:
                    continue
                price = await self.post("/v1/prices", {
                    "product": prod["id"], "currency": currency.lower(),
                    "unit_amount": product.price_minor(currency),
                    "recurring": {"interval": "month"},
                    "lookup_key": product.lookup_key(currency),
                    "metadata": {"product_code": product.code}})
                prices[product.lookup_key(currency)] = price["id"]
        return prices

    async def register_webhook(self, url: str, events: Iterable[str] = ("*",),
                               api_version: str | None = None) -> tuple[str, str]:
        """``POST /v1/webhook_endpoints``; returns (endpoint id, ``whsec_`` secret)."""
        body: dict[str, Any] = {"url": url, "enabled_events": list(events)}
        if api_version:
            body["api_version"] = api_version
        found = await self.post("/v1/webhook_endpoints", body)
        return str(found["id"]), str(found["secret"])

    async def set_card(self, customer_id: str, *, fails: bool) -> str:
        """Attach a failing (``pm_card_chargeCustomerFail``) or good (``pm_card_visa``) card
        and make it the customer's default; returns the payment method id."""
        pm = await self.post(f"/v1/payment_methods/{CARD_FAILS if fails else CARD_OK}/attach",
                             {"customer": customer_id})
        await self.post(f"/v1/customers/{customer_id}",
                        {"invoice_settings": {"default_payment_method": pm["id"]}})
        return str(pm["id"])

    async def give_discount(self, customer_id: str, *, percent_off: str | None = None,
                            amount_off: int | None = None, currency: str | None = None,
                            duration: str = "forever") -> str:
        """A coupon on the customer (as sales ops gives one before the deal closes): its
        invoices are discounted while it lasts. Returns the coupon id. The customer's
        ``coupon`` parameter is pre-basil, which READ_VERSION is."""
        spec: dict[str, Any] = {"duration": duration, "name": "fintwin deal discount"}
        if percent_off is not None:
            spec["percent_off"] = percent_off
        else:
            spec.update(amount_off=amount_off, currency=(currency or "usd").lower())
        coupon = await self.post("/v1/coupons", spec)
        await self.post(f"/v1/customers/{customer_id}", {"coupon": coupon["id"]})
        return str(coupon["id"])

    async def fail_card(self, customer_id: str) -> str:
        return await self.set_card(customer_id, fails=True)

    async def fix_card(self, customer_id: str) -> str:
        return await self.set_card(customer_id, fails=False)

    async def pay_invoice(self, invoice_id: str) -> dict[str, Any]:
        return await self.post(f"/v1/invoices/{invoice_id}/pay")

    async def pay_out_of_band(self, invoice_id: str) -> dict[str, Any]:
        """Mark an open invoice paid outside Stripe (a bank transfer, a cheque): nothing is
        charged (``paid_out_of_band=true``)."""
        return await self.post(f"/v1/invoices/{invoice_id}/pay", {"paid_out_of_band": True})

    async def refund_invoice(self, invoice_id: str, amount: int | None = None) -> dict[str, Any]:
        """Refund an invoice's charge (all of it, or ``amount`` minor units)."""
        invoice = await self.get(f"/v1/invoices/{invoice_id}")
        if not invoice.get("charge"):
            raise ValueError(f"invoice {invoice_id} has no charge to refund")
        return await self.post("/v1/refunds", {"charge": invoice["charge"], "amount": amount})

    async def credit_note(self, invoice_id: str, amount: int, *, refund: bool = False,
                          reason: str | None = None, memo: str | None = None
                          ) -> dict[str, Any]:
        """A credit note of ``amount`` minor units. On an open invoice it reduces the amount
        due; on a paid one it is refunded (``refund=True``) or credited to the balance."""
        invoice = await self.get(f"/v1/invoices/{invoice_id}")
        body: dict[str, Any] = {"invoice": invoice_id, "reason": reason, "memo": memo}
        if invoice["status"] == "paid":
            body["refund_amount" if refund else "credit_amount"] = amount
        else:
            body["amount"] = amount
        return await self.post("/v1/credit_notes", body)

    async def set_api_version(self, version: str) -> dict[str, Any]:
        """Switch the account's default API version (``PUT /_sim/billing/account``)."""
        result: dict[str, Any] = await self.control("PUT", "/_sim/billing/account",
                                                    json={"api_version": version})
        return result

    async def set_dunning(self, days: list[int], final: str = "cancel") -> dict[str, Any]:
        result: dict[str, Any] = await self.control(
            "PUT", "/_sim/billing/account", json={"dunning_days": days, "dunning_final": final})
        return result

    # --- reads ---------------------------------------------------------------------------

    async def customers(self) -> list[dict[str, Any]]:
        return await self.all("/v1/customers")

    async def subscriptions(self, status: str = "all") -> list[dict[str, Any]]:
        return await self.all("/v1/subscriptions", {"status": status})

    async def invoices(self, **filters: str) -> list[dict[str, Any]]:
        return await self.all("/v1/invoices", filters)

    async def credit_notes(self) -> list[dict[str, Any]]:
        return await self.all("/v1/credit_notes")

    async def events(self, *types: str) -> list[dict[str, Any]]:
        return await self.all("/v1/events", {"types": list(types)} if types else None)


def _body(data: Mapping[str, Any] | None) -> bytes:
    return str(httpx.QueryParams(form_encode(data or {}))).encode()  # type: ignore[arg-type]
