"""Reading Stripe objects across API versions.

Since 2025-03-31.basil (Stripe changelog): ``invoice.subscription`` moved to
``invoice.parent.subscription_details.subscription``, an invoice line's ``price`` to
``pricing.price_details.price``, the subscription's ``current_period_end`` onto its
items, and ``invoice.paid``/``invoice.charge`` are gone. Webhook events render objects in
the account's default version, so an account upgraded mid-run changes the shapes the
integration receives without any change on its side.
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]


def _id(value: Any) -> str | None:
    if isinstance(value, dict):
        return str(value.get("id")) if value.get("id") else None
    return str(value) if value else None


class VersionTolerantReader:
    """The reference: reads the basil shape and falls back to the pre-basil one."""

    name = "tolerant"

    def invoice_subscription(self, invoice: Obj) -> str | None:
        parent = invoice.get("parent") or {}
        details = parent.get("subscription_details") or {}
        return _id(details.get("subscription")) or _id(invoice.get("subscription"))

    def line_price(self, line: Obj) -> str | None:
        pricing = line.get("pricing") or {}
        details = pricing.get("price_details") or {}
        return _id(details.get("price")) or _id(line.get("price"))

    def line_product(self, line: Obj) -> str | None:
        pricing = line.get("pricing") or {}
        details = pricing.get("price_details") or {}
        if details.get("product"):
            return _id(details["product"])
        price = line.get("price")
        return _id(price.get("product")) if isinstance(price, dict) else None

    def line_discount(self, line: Obj) -> int:
        """What coupons took off the line: its ``discount_amounts`` (both API versions).
        The ERP posts what the customer is charged, net of discounts; the tax is on the
        net amount already."""
        return sum(int(d.get("amount") or 0) for d in line.get("discount_amounts") or [])

    def subscription_period_end(self, sub: Obj) -> int | None:
        items = (sub.get("items") or {}).get("data") or []
        ends = [i["current_period_end"] for i in items if i.get("current_period_end")]
        if ends:
            return int(min(ends))
        end = sub.get("current_period_end")
        return int(end) if end else None


class PreBasilReader(VersionTolerantReader):
    """FAULTY: reads only the pre-basil fields (caught by the vendor-upgrade suite:
    after the account moves to 2025-03-31.basil, invoices no longer map to their
    subscription and are parked instead of posted)."""

    name = "pre-basil"

    def invoice_subscription(self, invoice: Obj) -> str | None:
        return _id(invoice.get("subscription"))

    def line_price(self, line: Obj) -> str | None:
        return _id(line.get("price"))

    def line_product(self, line: Obj) -> str | None:
        price = line.get("price")
        return _id(price.get("product")) if isinstance(price, dict) else None

    def subscription_period_end(self, sub: Obj) -> int | None:
        end = sub.get("current_period_end")
        return int(end) if end else None


class GrossAmountsReader(VersionTolerantReader):
    """FAULTY: reads invoice lines before their discounts (caught by the discounted-deal
    suite: the ERP invoice is the undiscounted amount, more than billing charged)."""

    name = "gross-amounts"

    def line_discount(self, line: Obj) -> int:
        return 0
