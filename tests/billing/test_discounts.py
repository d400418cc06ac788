"""Coupons, promotion codes and discounts, driven with the official stripe SDK.

Stripe API reference, "Coupons", "Promotion codes", "Discounts"; the Invoice object's
``total_discount_amounts`` and the line's ``discount_amounts``; Stripe changelog,
"2025-03-31.basil" (single coupon parameters removed) and "2025-09-30.clover" (discount
``source``, promotion code ``promotion``).
"""

from __future__ import annotations

from typing import Any, cast

import httpx
import pytest
import stripe

from simulators.engine.app import SimApp

T0 = 1_767_225_600  # 2026-01-01, a test clock's start
MONTH = 31 * 86400
HOUR = 3600
OLD: stripe.RequestOptions = {"stripe_version": "2024-06-20"}


def _setup(client: stripe.StripeClient, amount: int = 10_000, clock: bool = False
           ) -> tuple[stripe.Customer, stripe.Price, str | None]:
    clock_id = (client.v1.test_helpers.test_clocks.create({"frozen_time": T0}).id
                if clock else None)
    extra: dict[str, Any] = {"test_clock": clock_id} if clock_id else {}
    cust = client.v1.customers.create({"payment_method": "pm_card_visa", "invoice_settings": {
        "default_payment_method": "pm_card_visa"}, **extra})
    product = client.v1.products.create({"name": "Platform"})
    price = client.v1.prices.create({"product": product.id, "unit_amount": amount,
                                     "currency": "usd", "recurring": {"interval": "month"}})
    return cust, price, clock_id


def _renew(client: stripe.StripeClient, clock: str | None, months: int) -> None:
    assert clock is not None
    client.v1.test_helpers.test_clocks.advance(
        clock, {"frozen_time": T0 + months * MONTH + HOUR})


def test_percent_coupon_forever_on_a_subscription(client: stripe.StripeClient) -> None:
    cust, price, _ = _setup(client)
    coupon = client.v1.coupons.create({"percent_off": 15.5, "duration": "forever",
                                       "name": "Partner"})
    assert coupon.percent_off == 15.5 and coupon.valid and len(coupon.id) == 8
    tax = client.v1.tax_rates.create({"display_name": "VAT", "percentage": 20.0,
                                      "inclusive": False})
    sub = client.v1.subscriptions.create({
        "customer": cust.id, "items": [{"price": price.id, "quantity": 3}],
        "discounts": [{"coupon": coupon.id}], "default_tax_rates": [tax.id],
        "expand": ["latest_invoice"]})
    inv = sub.latest_invoice
    assert isinstance(inv, stripe.Invoice)
    # 30000 less 15.5 % (4650) is 25350; 20 % tax on that is 5070.
    assert inv.subtotal == 30_000 and inv.total_excluding_tax == 25_350
    assert inv.total == 30_420 and inv.amount_paid == 30_420
    assert inv.total_discount_amounts is not None
    assert [(d.amount, d.discount) for d in inv.total_discount_amounts] == \
        [(4650, sub.discounts[0])]
    line = inv.lines.data[0]
    assert line.discount_amounts is not None and line.discount_amounts[0].amount == 4650
    assert client.v1.coupons.retrieve(coupon.id).times_redeemed == 1
    got = client.v1.subscriptions.retrieve(sub.id, {"expand": ["discounts"]})
    discount = got.discounts[0]
    assert isinstance(discount, stripe.Discount)
    assert discount.source.coupon == coupon.id and discount.end is None  # clover shape



def test_inclusive_tax_on_a_discounted_line(client: stripe.StripeClient) -> None:
    """Both branches' rule together: total = subtotal - discounts + exclusive tax, an
    inclusive tax inside what the discount left; a credit note of the whole line gives
    back what was charged for it."""
    cust, price, _ = _setup(client, 12_000)
    coupon = client.v1.coupons.create({"percent_off": 25, "duration": "forever"})
    vat = client.v1.tax_rates.create({"display_name": "VAT", "percentage": 20,
                                      "inclusive": True})
    sub = client.v1.subscriptions.create({
        "customer": cust.id, "items": [{"price": price.id}],
        "discounts": [{"coupon": coupon.id}], "default_tax_rates": [vat.id],
        "expand": ["latest_invoice"]})
    inv = sub.latest_invoice
    assert isinstance(inv, stripe.Invoice)
    # 12000 less 25 % is 9000, VAT inside it 1500 (9000 / 1.2 = 7500 taxable); before the
    # discount the VAT inside 12000 was 2000.
    assert (inv.subtotal, inv.total, inv.amount_paid) == (12_000, 9_000, 9_000)
    assert inv.total_excluding_tax == 7_500 and inv.subtotal_excluding_tax == 10_000
    assert [(t.amount, t.taxable_amount, t.tax_behavior) for t in inv.total_taxes or []] \
        == [(1_500, 7_500, "inclusive")]
    line = inv.lines.data[0]
    assert line.amount == 12_000 and line.discount_amounts is not None
    assert [d.amount for d in line.discount_amounts] == [3_000]
    assert inv.id is not None and line.id is not None
    note = client.v1.credit_notes.create({
        "invoice": inv.id, "lines": [{"type": "invoice_line_item",
                                      "invoice_line_item": line.id}]})
    assert note.total == 9_000


def test_amount_off_once_applies_to_the_first_invoice_only(
        client: stripe.StripeClient) -> None:
    cust, price, clock = _setup(client, 10_000, clock=True)
    coupon = client.v1.coupons.create({"amount_off": 2500, "currency": "usd",
                                       "duration": "once"})
    sub = client.v1.subscriptions.create({"customer": cust.id, "items": [{"price": price.id}],
                                          "discounts": [{"coupon": coupon.id}]})
    _renew(client, clock, 1)
    paid = [i.amount_paid for i in client.v1.invoices.list({"subscription": sub.id}).data]
    assert paid == [10_000, 7_500]
    assert client.v1.subscriptions.retrieve(sub.id).discounts == []
    types = [e.type for e in client.v1.events.list({"limit": 100}).data]
    assert "customer.discount.created" in types and "customer.discount.deleted" in types


def test_promotion_code_repeating_for_two_months(client: stripe.StripeClient) -> None:
    cust, price, clock = _setup(client, 4000, clock=True)
    coupon = client.v1.coupons.create({"percent_off": 50, "duration": "repeating",
                                       "duration_in_months": 2})
    promo = client.v1.promotion_codes.create({"promotion": {"type": "coupon",
                                                            "coupon": coupon.id},
                                              "code": "LAUNCH50", "max_redemptions": 1})
    assert promo.promotion.coupon == coupon.id and promo.code == "LAUNCH50"
    assert client.v1.promotion_codes.list({"code": "LAUNCH50"}).data[0].id == promo.id
    sub = client.v1.subscriptions.create({"customer": cust.id, "items": [{"price": price.id}],
                                          "discounts": [{"promotion_code": promo.id}]})
    _renew(client, clock, 1)
    _renew(client, clock, 2)
    paid = [i.amount_paid for i in client.v1.invoices.list({"subscription": sub.id}).data]
    assert paid == [4000, 2000, 2000]
    assert client.v1.promotion_codes.retrieve(promo.id).times_redeemed == 1
    with pytest.raises(stripe.InvalidRequestError) as err:  # max_redemptions reached
        client.v1.subscriptions.create({"customer": cust.id, "items": [{"price": price.id}],
                                        "discounts": [{"promotion_code": promo.id}]})
    assert err.value.param == "discounts[0][promotion_code]"


def test_invoice_item_discount_and_customer_coupon_before_basil(
        client: stripe.StripeClient) -> None:
    cust, _, _ = _setup(client)
    ten = client.v1.coupons.create({"percent_off": 10, "duration": "forever"})
    five = client.v1.coupons.create({"amount_off": 500, "currency": "usd",
                                     "duration": "forever"})
    client.v1.customers.update(cust.id, cast(Any, {"coupon": ten.id}), OLD)
    client.v1.invoice_items.create({"customer": cust.id, "amount": 3000, "currency": "usd",
                                    "discounts": [{"coupon": five.id}]})
    client.v1.invoice_items.create({"customer": cust.id, "amount": 1000, "currency": "usd"})
    inv = client.v1.invoices.create({"customer": cust.id,
                                     "pending_invoice_items_behavior": "include"}, OLD)
    # The item's own 500 first (3000 -> 2500), then the customer's 10 % of 2500 + 1000.
    assert inv.subtotal == 4000 and inv.total == 4000 - 500 - 350
    old = inv.to_dict()
    assert old["discount"]["coupon"]["id"] == ten.id  # pre-basil: one discount, coupon inline
    assert client.v1.customers.retrieve(cust.id).discount is not None
    deleted = client.v1.customers.delete_discount(cust.id)
    assert deleted.deleted is True
    assert client.v1.customers.retrieve(cust.id).discount is None


def test_basil_refuses_the_single_coupon_parameter(client: stripe.StripeClient) -> None:
    cust, price, _ = _setup(client)
    coupon = client.v1.coupons.create({"percent_off": 10})
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.subscriptions.create(cast(Any, {
            "customer": cust.id, "items": [{"price": price.id}], "coupon": coupon.id}))
    assert err.value.code == "parameter_unknown" and err.value.param == "coupon"


def test_coupon_validation_and_shapes_by_version(billing: tuple[SimApp, str], api_key: str,
                                                 client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.coupons.create({"percent_off": 10, "amount_off": 100, "currency": "usd"})
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.coupons.create({"percent_off": 10, "duration": "repeating"})
    assert err.value.param == "duration_in_months"
    coupon = client.v1.coupons.create({"id": "SPRING", "percent_off": 20})
    promo = client.v1.promotion_codes.create({"promotion": {"type": "coupon",
                                                            "coupon": "SPRING"}})
    _, url = billing
    for version, field in (("2024-06-20", "coupon"), ("2025-03-31.basil", "coupon"),
                           ("2025-09-30.clover", "promotion")):
        got = httpx.get(f"{url}/v1/promotion_codes/{promo.id}",
                        headers={"Authorization": f"Bearer {api_key}",
                                 "Stripe-Version": version}).json()
        assert field in got and ("coupon" in got) == (field == "coupon")
        if field == "coupon":
            assert got["coupon"]["id"] == "SPRING" and "_percent_off" not in got["coupon"]
    client.v1.coupons.delete(coupon.id)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.coupons.retrieve(coupon.id)


def test_preview_shows_the_discount(client: stripe.StripeClient) -> None:
    cust, price, _ = _setup(client, 2000)
    coupon = client.v1.coupons.create({"percent_off": 25, "duration": "forever"})
    sub = client.v1.subscriptions.create({"customer": cust.id, "items": [{"price": price.id}],
                                          "discounts": [{"coupon": coupon.id}]})
    preview = client.v1.invoices.create_preview({"subscription": sub.id})
    assert preview.total == 1500
    assert preview.total_discount_amounts is not None
    assert preview.total_discount_amounts[0].amount == 500


def test_an_invoices_own_discounts_replace_the_customers(client: stripe.StripeClient) -> None:
    # Stripe API reference, "Create an invoice", discounts: "If not specified, inherits
    # the discount from the invoice's customer."
    cust, _, _ = _setup(client)
    inherited = client.v1.coupons.create({"percent_off": 50, "duration": "once"})
    own = client.v1.coupons.create({"amount_off": 100, "currency": "usd"})
    client.v1.customers.update(cust.id, cast(Any, {"coupon": inherited.id}), OLD)
    client.v1.invoice_items.create({"customer": cust.id, "amount": 1000, "currency": "usd"})
    inv = client.v1.invoices.create({"customer": cust.id, "discounts": [{"coupon": own.id}],
                                     "pending_invoice_items_behavior": "include"})
    assert inv.total == 900
    # The customer's once-coupon was not spent on it.
    assert client.v1.customers.retrieve(cust.id).discount is not None
