"""Behaviours real integrations meet, driven with the official stripe SDK (issue 19).

Each test cites the Stripe document it checks the fake against.
"""

from __future__ import annotations

from typing import Any, cast

import pytest
import stripe


def test_deleted_customer_retrieves_as_its_stub(client: stripe.StripeClient) -> None:
    # Stripe API reference, "Retrieve a customer": a deleted customer answers "a subset
    # of the customer's information ... including a deleted property that's set to true".
    cust = client.v1.customers.create({"name": "Gone"})
    client.v1.customers.delete(cust.id)
    got = client.v1.customers.retrieve(cust.id)
    assert got.to_dict() == {"id": cust.id, "object": "customer", "deleted": True}
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.customers.update(cust.id, {"name": "Back"})
    assert err.value.http_status == 404


def test_list_expands_each_item_with_the_data_prefix(client: stripe.StripeClient) -> None:
    # Stripe API reference, "Expanding responses": on a list, expand[]=data.customer.
    cust = client.v1.customers.create({"name": "Acme", "payment_method": "pm_card_visa"})
    client.v1.payment_intents.create({"amount": 500, "currency": "usd", "customer": cust.id,
                                      "payment_method": "pm_card_visa", "confirm": True})
    page = client.v1.payment_intents.list({"customer": cust.id,
                                           "expand": ["data.customer"]})
    assert isinstance(page.data[0].customer, stripe.Customer)
    assert page.data[0].customer.name == "Acme"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.list({"expand": ["data.nothing"]})


def test_metadata_update_semantics(client: stripe.StripeClient) -> None:
    # Stripe API reference, "Metadata": an empty value unsets a key; posting an empty
    # value to metadata unsets all keys.
    cust = client.v1.customers.create({"metadata": {"a": "1", "b": "2", "c": "3"}})
    cust = client.v1.customers.update(cust.id, {"metadata": {"a": "", "d": "4"}})
    assert cust.to_dict()["metadata"] == {"b": "2", "c": "3", "d": "4"}
    cust = client.v1.customers.update(cust.id, {"metadata": ""})
    assert cust.to_dict()["metadata"] == {}
    prod = client.v1.products.create({"name": "P", "metadata": {"k": "v", "j": "w"}})
    prod = client.v1.products.update(prod.id, {"metadata": {"k": ""}})
    assert prod.to_dict()["metadata"] == {"j": "w"}


def test_parameters_stripe_accepts(client: stripe.StripeClient) -> None:
    # Stripe API reference, "Create a product" (type, statement_descriptor,
    # package_dimensions, shippable), "Create a price" (billing_scheme), "Create a
    # customer" (preferred_locales).
    prod = client.v1.products.create({
        "name": "Box", "type": "good", "statement_descriptor": "FINTWIN BOX",
        "shippable": True,
        "package_dimensions": {"height": 1.5, "length": 2, "weight": 3.25, "width": 4}})
    assert prod.type == "good" and prod.shippable is True
    assert prod.statement_descriptor == "FINTWIN BOX"
    assert prod.package_dimensions is not None and prod.package_dimensions.weight == 3.25
    price = client.v1.prices.create({"product": prod.id, "unit_amount": 900, "currency": "usd",
                                     "billing_scheme": "per_unit"})
    assert price.billing_scheme == "per_unit"
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.prices.create({"product": prod.id, "currency": "usd",
                                 "billing_scheme": "tiered"})
    assert err.value.param == "billing_scheme"
    cust = client.v1.customers.create({"preferred_locales": ["fr-FR", "en"]})
    assert cust.preferred_locales == ["fr-FR", "en"]
    cust = client.v1.customers.update(cust.id, {"preferred_locales": ["de"]})
    assert cust.preferred_locales == ["de"]


def test_off_session_payment(client: stripe.StripeClient) -> None:
    # Stripe API reference, "Create a PaymentIntent": off_session only with confirm=true.
    cust = client.v1.customers.create({"payment_method": "pm_card_visa"})
    pm = client.v1.payment_methods.list({"customer": cust.id}).data[0]
    pi = client.v1.payment_intents.create({"amount": 700, "currency": "usd",
                                           "customer": cust.id, "payment_method": pm.id,
                                           "confirm": True, "off_session": True})
    assert pi.status == "succeeded"
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.payment_intents.create({"amount": 700, "currency": "usd",
                                          "off_session": True})
    assert err.value.param == "off_session"


def test_manual_capture_then_partial_capture_and_refund(client: stripe.StripeClient) -> None:
    # Stripe docs, "Place a hold on a payment method": capture_method=manual authorizes,
    # the intent waits in requires_capture; capture takes all or amount_to_capture.
    cust = client.v1.customers.create({"payment_method": "pm_card_visa"})
    pm = client.v1.payment_methods.list({"customer": cust.id}).data[0]
    pi = client.v1.payment_intents.create({"amount": 1000, "currency": "usd",
                                           "customer": cust.id, "payment_method": pm.id,
                                           "capture_method": "manual", "confirm": True})
    assert pi.status == "requires_capture" and pi.amount_capturable == 1000
    charge = client.v1.charges.retrieve(str(pi.latest_charge))
    assert charge.captured is False and charge.amount_captured == 0
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create({"charge": charge.id})
    pi = client.v1.payment_intents.capture(pi.id, {"amount_to_capture": 600})
    assert pi.status == "succeeded" and pi.amount_received == 600
    charge = client.v1.charges.retrieve(charge.id)
    assert charge.captured and charge.amount_captured == 600 and charge.amount_refunded == 400
    refund = client.v1.refunds.create({"charge": charge.id})
    assert refund.amount == 600
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.capture(pi.id)


def test_charge_capture_and_cancel_releases(client: stripe.StripeClient) -> None:
    # Stripe API reference, "Capture a charge" and "Cancel a PaymentIntent".
    cust = client.v1.customers.create({"payment_method": "pm_card_visa"})
    pm = client.v1.payment_methods.list({"customer": cust.id}).data[0]

    def held() -> stripe.PaymentIntent:
        return client.v1.payment_intents.create({
            "amount": 800, "currency": "usd", "customer": cust.id, "payment_method": pm.id,
            "capture_method": "manual", "confirm": True})

    charge = client.v1.charges.capture(str(held().latest_charge))
    assert charge.captured and charge.amount_captured == 800
    pi = client.v1.payment_intents.cancel(held().id,
                                          {"cancellation_reason": "requested_by_customer"})
    assert pi.status == "canceled" and pi.cancellation_reason == "requested_by_customer"
    assert client.v1.charges.retrieve(str(pi.latest_charge)).refunded is True


def test_tax_rate_update_and_list(client: stripe.StripeClient) -> None:
    # Stripe API reference, "Update a tax rate", "List all tax rates".
    rate = client.v1.tax_rates.create({"display_name": "VAT", "percentage": 20.0,
                                       "inclusive": False})
    rate = client.v1.tax_rates.update(rate.id, {"active": False, "display_name": "Old VAT",
                                                "metadata": {"k": "v"}})
    assert rate.active is False and rate.display_name == "Old VAT" and rate.percentage == 20.0
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.tax_rates.update(rate.id, cast(Any, {"percentage": 10.0}))
    assert err.value.param == "percentage"
    assert [r.id for r in client.v1.tax_rates.list({"active": False}).data] == [rate.id]
    assert client.v1.tax_rates.list({"active": True}).data == []


def test_invoice_list_expands_charge_refunds(client: stripe.StripeClient) -> None:
    # Stripe changelog, "2022-11-15": a charge's refunds are listed only when expanded.
    product = client.v1.products.create({"name": "Seat"})
    price = client.v1.prices.create({"product": product.id, "unit_amount": 1200,
                                     "currency": "usd", "recurring": {"interval": "month"}})
    cust = client.v1.customers.create({"payment_method": "pm_card_visa",
                                       "invoice_settings": {
                                           "default_payment_method": "pm_card_visa"}})
    client.v1.subscriptions.create({"customer": cust.id, "items": [{"price": price.id}]})
    # invoice.charge is pre-basil (Stripe changelog, "2025-03-31.basil").
    old: stripe.RequestOptions = {"stripe_version": "2024-06-20"}
    inv = client.v1.invoices.list({"customer": cust.id}, old).data[0]
    client.v1.refunds.create({"charge": str(inv["charge"]), "amount": 200})
    page = client.v1.invoices.list({"customer": cust.id,
                                    "expand": ["data.charge.refunds"]}, old)
    charge = page.data[0]["charge"]
    assert isinstance(charge, stripe.Charge) and charge.refunds is not None
    assert [r.amount for r in charge.refunds.data] == [200]
    assert client.v1.charges.retrieve(str(inv["charge"])).refunds is None


def _subscribed(client: stripe.StripeClient, amount: int = 3000
                ) -> tuple[stripe.Subscription, stripe.Price]:
    product = client.v1.products.create({"name": "Seat"})
    price = client.v1.prices.create({"product": product.id, "unit_amount": amount,
                                     "currency": "usd", "recurring": {"interval": "month"}})
    cust = client.v1.customers.create({"payment_method": "pm_card_visa",
                                       "invoice_settings": {
                                           "default_payment_method": "pm_card_visa"}})
    sub = client.v1.subscriptions.create({"customer": cust.id, "items": [{"price": price.id}]})
    return sub, price


def test_create_preview_shows_the_proration_the_update_makes(
        client: stripe.StripeClient) -> None:
    # Stripe API reference, "Create a preview invoice": pass the same proration_date to
    # the update and the proration is the one previewed; prorations are the lines whose
    # parent.subscription_item_details.proration is true; the preview is not listed.
    sub, _ = _subscribed(client)
    si = sub["items"].data[0]
    start, end = si.current_period_start, si.current_period_end
    midway = start + (end - start) // 2
    details: Any = {"items": [{"id": si.id, "quantity": 3}], "proration_date": midway}
    preview = client.v1.invoices.create_preview({"subscription": sub.id,
                                                 "subscription_details": details})
    assert preview.id is not None and preview.id.startswith("upcoming_in")
    prorations = [line.amount for line in preview.lines.data
                  if line.parent and line.parent.subscription_item_details
                  and line.parent.subscription_item_details.proration]
    assert prorations == [-1500, 4500]  # half a month of 1 seat back, of 3 seats charged
    assert preview.total == 3 * 3000 + 3000  # the renewal at 3 seats, and the prorations
    assert [i.id for i in client.v1.invoices.list({"customer": str(sub.customer)}).data] \
        == [str(sub.latest_invoice)]
    client.v1.subscriptions.update(sub.id, {"items": [{"id": si.id, "quantity": 3}],
                                            "proration_date": midway})
    pending = client.v1.invoice_items.list({"customer": str(sub.customer)}).data
    assert sorted(ii.amount for ii in pending) == sorted(prorations)


def test_upcoming_invoice_before_basil_only(client: stripe.StripeClient) -> None:
    # Stripe changelog, "2025-03-31.basil": the Upcoming Invoice API is removed.
    sub, _ = _subscribed(client, 2000)
    upcoming = client.raw_request("get", "/v1/invoices/upcoming", subscription=sub.id,
                                  stripe_version="2024-06-20")
    body = client.deserialize(upcoming, api_mode="V1")
    assert body["amount_due"] == 2000 and "id" not in body.to_dict()
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.raw_request("get", "/v1/invoices/upcoming", subscription=sub.id)
    assert err.value.http_status == 404
    with pytest.raises(stripe.InvalidRequestError) as none:
        client.v1.invoices.create_preview({"customer": str(sub.customer),
                                           "subscription": "sub_missing"})
    assert none.value.http_status == 404
    cust = client.v1.customers.create({"name": "Nothing due"})
    with pytest.raises(stripe.InvalidRequestError) as nothing:
        client.v1.invoices.create_preview({"customer": cust.id})
    assert nothing.value.code == "invoice_upcoming_none"
