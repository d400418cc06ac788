"""The official stripe SDK drives the billing fake unchanged."""

from __future__ import annotations

import json

import httpx
import pytest
import stripe

from harness.waiting import eventually
from simulators.engine.app import SimApp
from tests.conftest import Receiver

MONTH = 31 * 86400
HOUR = 3600


def _catalog(client: stripe.StripeClient, amount: int = 1500) -> stripe.Price:
    product = client.v1.products.create({"name": "Analytics Pro"})
    return client.v1.prices.create({"product": product.id, "unit_amount": amount,
                                    "currency": "usd", "recurring": {"interval": "month"}})


def _customer(client: stripe.StripeClient, pm: str = "pm_card_visa", **extra: object
              ) -> stripe.Customer:
    params: dict[str, object] = {"email": "ap@acme.test", "name": "Acme",
                                 "payment_method": pm,
                                 "invoice_settings": {"default_payment_method": pm}}
    params.update(extra)
    cust = client.v1.customers.create(params)  # type: ignore[arg-type]
    return cust


def test_customers_auto_paginate_newest_first_and_expand(client: stripe.StripeClient) -> None:
    ids = [client.v1.customers.create({"name": f"c{i}"}).id for i in range(23)]
    seen = [c.id for c in client.v1.customers.list({"limit": 5}).auto_paging_iter()]
    assert seen == list(reversed(ids))
    cust = _customer(client)
    got = client.v1.customers.retrieve(
        cust.id, {"expand": ["invoice_settings.default_payment_method"]})
    pm = got.invoice_settings.default_payment_method
    assert isinstance(pm, stripe.PaymentMethod) and pm.card is not None
    assert pm.card.last4 == "4242"


def test_subscription_first_invoice_is_charged(client: stripe.StripeClient) -> None:
    price = _catalog(client)
    cust = _customer(client)
    sub = client.v1.subscriptions.create({"customer": cust.id,
                                          "items": [{"price": price.id, "quantity": 3}],
                                          "expand": ["latest_invoice"]})
    assert sub.status == "active"
    inv = sub.latest_invoice
    assert isinstance(inv, stripe.Invoice)
    assert inv.status == "paid" and inv.amount_paid == 4500 and inv.total == 4500
    charges = client.v1.charges.list({"customer": cust.id}).data
    assert [c.amount for c in charges] == [4500] and charges[0].paid


def test_idempotent_retry_returns_same_object(billing: tuple[SimApp, str], api_key: str,
                                              client: stripe.StripeClient) -> None:
    first = client.v1.customers.create({"name": "Once"}, {"idempotency_key": "key-1"})
    second = client.v1.customers.create({"name": "Once"}, {"idempotency_key": "key-1"})
    assert first.id == second.id
    assert len(client.v1.customers.list().data) == 1
    _, url = billing
    raw = httpx.post(f"{url}/v1/customers", data={"name": "Once"},
                     headers={"Authorization": f"Bearer {api_key}", "Idempotency-Key": "key-1"})
    assert raw.headers["idempotent-replayed"] == "true" and raw.json()["id"] == first.id


def test_mismatched_idempotency_key_raises(client: stripe.StripeClient) -> None:
    client.v1.customers.create({"name": "A"}, {"idempotency_key": "key-2"})
    with pytest.raises(stripe.IdempotencyError):
        client.v1.customers.create({"name": "B"}, {"idempotency_key": "key-2"})


def test_test_clock_advance_renews_and_charges(client: stripe.StripeClient) -> None:
    clock = client.v1.test_helpers.test_clocks.create({"frozen_time": 1_767_225_600})
    cust = _customer(client, test_clock=clock.id)
    price = _catalog(client, 2000)
    sub = client.v1.subscriptions.create({"customer": cust.id, "items": [{"price": price.id}]})
    client.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": 1_767_225_600 + MONTH})
    invoices = client.v1.invoices.list({"subscription": sub.id}).data
    assert [i.billing_reason for i in invoices] == ["subscription_cycle", "subscription_create"]
    # The renewal stays a draft for an hour, then is finalized and charged.
    assert invoices[0].status == "draft"
    client.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": 1_767_225_600 + MONTH
                                                          + HOUR})
    invoices = client.v1.invoices.list({"subscription": sub.id}).data
    assert all(i.status == "paid" and i.amount_paid == 2000 for i in invoices)
    renewed = client.v1.subscriptions.retrieve(sub.id)
    assert renewed.items.data[0].current_period_start == invoices[0].period_start


def test_held_renewal_invoice_stays_draft_until_released(client: stripe.StripeClient) -> None:
    clock = client.v1.test_helpers.test_clocks.create({"frozen_time": 1_767_225_600})
    cust = _customer(client, test_clock=clock.id)
    price = _catalog(client, 2000)
    sub = client.v1.subscriptions.create({"customer": cust.id, "items": [{"price": price.id}]})
    client.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": 1_767_225_600 + MONTH})
    renewal = client.v1.invoices.list({"subscription": sub.id}).data[0]
    client.v1.invoices.update(renewal.id, {"auto_advance": False})
    client.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": 1_767_225_600 + MONTH
                                                          + 2 * HOUR})
    assert client.v1.invoices.retrieve(renewal.id).status == "draft"
    client.v1.invoices.finalize_invoice(renewal.id)
    assert client.v1.invoices.pay(renewal.id).status == "paid"


def test_declined_card_runs_dunning_to_cancellation(client: stripe.StripeClient) -> None:
    clock = client.v1.test_helpers.test_clocks.create({"frozen_time": 1_767_225_600})
    cust = _customer(client, test_clock=clock.id)
    price = _catalog(client, 1000)
    sub = client.v1.subscriptions.create({"customer": cust.id, "items": [{"price": price.id}]})
    failing = client.v1.payment_methods.attach("pm_card_chargeCustomerFail",
                                               {"customer": cust.id})
    client.v1.customers.update(cust.id, {"invoice_settings": {
        "default_payment_method": failing.id}})
    t = 1_767_225_600 + MONTH + HOUR
    client.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": t})
    assert client.v1.subscriptions.retrieve(sub.id).status == "past_due"
    assert client.v1.customers.retrieve(cust.id).delinquent is True
    renewal = client.v1.invoices.list({"subscription": sub.id}).data[0]
    assert renewal.status == "open" and renewal.attempt_count == 1
    client.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": t + 16 * 86400})
    renewal = client.v1.invoices.retrieve(renewal.id)
    assert renewal.attempt_count == 4 and renewal.next_payment_attempt is None
    assert client.v1.subscriptions.retrieve(sub.id).status == "canceled"
    types = [e.type for e in client.v1.events.list({"limit": 100}).auto_paging_iter()]
    assert types.count("invoice.payment_failed") == 4
    assert "customer.subscription.deleted" in types


def test_webhooks_verify_with_construct_event(client: stripe.StripeClient,
                                              receiver: Receiver) -> None:
    we = client.v1.webhook_endpoints.create({"url": receiver.url, "enabled_events": ["*"]})
    assert we.secret and we.secret.startswith("whsec_")
    cust = client.v1.customers.create({"name": "Hooked"})
    delivered = eventually(lambda: [r for r in receiver.received
                                    if json.loads(r["body"])["data"]["object"]["id"] == cust.id],
                           what="customer.created delivered")
    rec = delivered[0]
    event = stripe.Webhook.construct_event(rec["body"].decode(),
                                           rec["headers"]["stripe-signature"], we.secret)
    assert event.type == "customer.created"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(rec["body"].decode(),
                                       rec["headers"]["stripe-signature"], "whsec_wrong")


def test_pinned_endpoint_gets_its_version_and_events_keep_the_account_one(
        client: stripe.StripeClient, receiver: Receiver, billing: tuple[SimApp, str],
        api_key: str) -> None:
    pinned = client.v1.webhook_endpoints.create({
        "url": receiver.url, "enabled_events": ["customer.subscription.created"],
        "api_version": "2025-03-31.basil"})
    price = _catalog(client)
    cust = _customer(client)
    sub = client.v1.subscriptions.create({"customer": cust.id, "items": [{"price": price.id}]})
    delivered = eventually(lambda: [json.loads(r["body"]) for r in receiver.received
                                    if json.loads(r["body"])["data"]["object"]["id"] == sub.id],
                           what="customer.subscription.created delivered")
    pushed = delivered[0]
    assert pushed["api_version"] == "2025-03-31.basil"
    assert "current_period_end" not in pushed["data"]["object"]
    assert pushed["data"]["object"]["items"]["data"][0]["current_period_end"]
    _, url = billing
    r = httpx.get(f"{url}/v1/events/{pushed['id']}",
                  headers={"Authorization": f"Bearer {api_key}",
                           "Stripe-Version": "2025-03-31.basil"})
    stored = r.json()
    assert stored["api_version"] == "2024-06-20"  # the account's version at the event
    assert "current_period_end" in stored["data"]["object"]
    assert stored["request"]["id"] and stored["data"]["object"]["customer"] == cust.id
    client.v1.webhook_endpoints.delete(pinned.id)


def test_basil_and_pre_basil_shapes_differ(client: stripe.StripeClient,
                                           billing: tuple[SimApp, str], api_key: str) -> None:
    price = _catalog(client)
    cust = _customer(client)
    sub = client.v1.subscriptions.create({"customer": cust.id, "items": [{"price": price.id}]})
    inv_id = client.v1.invoices.list({"subscription": sub.id}).data[0].id
    _, url = billing

    def get(path: str, version: str) -> dict[str, object]:
        r = httpx.get(url + path, headers={"Authorization": f"Bearer {api_key}",
                                           "Stripe-Version": version})
        assert r.status_code == 200
        return dict(r.json())

    old, new = get(f"/v1/invoices/{inv_id}", "2024-06-20"), get(f"/v1/invoices/{inv_id}",
                                                               "2025-03-31.basil")
    assert old["subscription"] == sub.id and old["paid"] is True and old["charge"]
    assert "subscription" not in new and "paid" not in new and "charge" not in new
    assert new["parent"]["subscription_details"]["subscription"] == sub.id  # type: ignore[index]
    line_old = old["lines"]["data"][0]  # type: ignore[index]
    line_new = new["lines"]["data"][0]  # type: ignore[index]
    assert line_old["price"]["id"] == price.id
    assert line_new["pricing"]["price_details"]["price"] == price.id
    s_old, s_new = get(f"/v1/subscriptions/{sub.id}", "2024-06-20"), get(
        f"/v1/subscriptions/{sub.id}", "2026-10-28.endive")
    assert "current_period_end" in s_old and "current_period_end" not in s_new
    assert s_new["items"]["data"][0]["current_period_end"] == s_old["current_period_end"]  # type: ignore[index]


@pytest.mark.parametrize(("params", "param", "status"), [
    ({"name": "x", "colour": "red"}, "colour", 400),
    ({"customer": "cus_missing", "items": [{"price": "price_x"}]}, "customer", 404),
    ({"customer": None}, None, 400),
])
def test_bad_input_names_the_param(client: stripe.StripeClient, params: dict[str, object],
                                   param: str | None, status: int) -> None:
    with pytest.raises(stripe.StripeError) as err:
        if "items" in params or "customer" in params:
            client.v1.subscriptions.create({k: v for k, v in params.items()  # type: ignore[arg-type]
                                            if v is not None})
        else:
            client.v1.customers.create(params)  # type: ignore[arg-type]
    assert err.value.http_status == status
    if param:
        assert err.value.error is not None and err.value.error.param == param


def test_wire_errors_over_http(billing: tuple[SimApp, str], api_key: str) -> None:
    _, url = billing
    auth = {"Authorization": f"Bearer {api_key}"}
    cases = [
        ("POST", "/v1/prices", {"currency": "usd", "unit_amount": "abc", "product": "p"},
         400, "unit_amount"),
        ("POST", "/v1/prices", {"unit_amount": "5", "product": "p"}, 400, "currency"),
        ("POST", "/v1/subscriptions/sub_x", {"proration_behavior": "sometimes"}, 400,
         "proration_behavior"),
        ("GET", "/v1/customers/cus_nope", None, 404, "id"),
        ("GET", "/v1/customers?limit=1000", None, 400, "limit"),
        ("POST", "/v1/customers", {"metadata[k]": "v", "expand[0]": "nope"}, 400, "expand[0]"),
    ]
    for method, path, data, status, param in cases:
        r = httpx.request(method, url + path, data=data, headers=auth)
        assert r.status_code == status, (path, r.text)
        assert r.json()["error"]["param"] == param, (path, r.text)
    assert httpx.get(url + "/v1/customers").status_code == 401
    assert httpx.get(url + "/v1/customers",
                     headers={"Authorization": "Bearer sk_live_nope12345"}).status_code == 401
    r = httpx.get(url + "/v1/customers", headers={**auth, "Stripe-Version": "yesterday"})
    assert r.status_code == 400 and "version" in r.json()["error"]["message"].lower()


def test_tenants_are_isolated(billing: tuple[SimApp, str], api_key: str) -> None:
    _, url = billing
    a = stripe.StripeClient(api_key, base_addresses={"api": url})
    b = stripe.StripeClient(api_key + "_other", base_addresses={"api": url})
    cust = a.v1.customers.create({"name": "Mine"})
    with pytest.raises(stripe.InvalidRequestError) as err:
        b.v1.customers.retrieve(cust.id)
    assert err.value.http_status == 404
    assert b.v1.customers.list().data == []


def test_proration_always_invoice_and_credit_note_refund(client: stripe.StripeClient) -> None:
    clock = client.v1.test_helpers.test_clocks.create({"frozen_time": 1_767_225_600})
    cust = _customer(client, test_clock=clock.id)
    price = _catalog(client, 3100)
    sub = client.v1.subscriptions.create({"customer": cust.id,
                                          "items": [{"price": price.id, "quantity": 1}]})
    client.v1.test_helpers.test_clocks.advance(clock.id,
                                               {"frozen_time": 1_767_225_600 + 15 * 86400})
    item = sub.items.data[0]
    client.v1.subscriptions.update(sub.id, {"items": [{"id": item.id, "quantity": 2}],
                                            "proration_behavior": "always_invoice"})
    latest = client.v1.invoices.list({"subscription": sub.id}).data[0]
    assert latest.billing_reason == "subscription_update" and latest.status == "paid"
    # 31-day January: 16 of 31 days remain -> 2*3100*16/31 - 3100*16/31 = 1600
    assert latest.amount_paid == 1600
    note = client.v1.credit_notes.create({"invoice": latest.id, "refund_amount": 600,
                                          "credit_amount": 1000})
    # Basil (the SDK's version) lists a credit note's refunds: credit_note.refunds.
    assert note.type == "post_payment" and len(note.refunds) == 1
    assert client.v1.customers.retrieve(cust.id).balance == -1000
    refund = client.v1.refunds.retrieve(str(note.refunds[0].refund))
    refunded = client.v1.charges.retrieve(str(refund.charge))
    assert refunded.amount_refunded == 600


def test_a_downgrade_credits_the_balance_and_the_renewal_uses_it(
        client: stripe.StripeClient) -> None:
    """A prorated downgrade invoiced at once totals less than zero: nothing is due, the
    credit goes to the customer's balance, and the next invoice (the renewal) takes it off
    what is charged (Stripe, "Customer invoice balance")."""
    price = _catalog(client, amount=3000)
    cust = _customer(client)
    sub = client.v1.subscriptions.create({"customer": cust.id,
                                          "items": [{"price": price.id, "quantity": 4}]})
    item = sub["items"].data[0]
    down = client.v1.subscriptions.update(sub.id, {
        "items": [{"id": item.id, "quantity": 1}], "proration_behavior": "always_invoice",
        "expand": ["latest_invoice"]})
    credit = down.latest_invoice
    assert isinstance(credit, stripe.Invoice)
    assert credit.total < 0 and credit.amount_due == 0 and credit.status == "paid"
    assert credit.amount_paid == 0 and credit.ending_balance == credit.total
    assert client.v1.customers.retrieve(cust.id).balance == credit.total
    later = client.v1.invoice_items.create({"customer": cust.id, "amount": 10000,
                                           "currency": "usd"})
    manual = client.v1.invoices.create({"customer": cust.id,
                                        "pending_invoice_items_behavior": "include"})
    assert later.id and manual.total == 10000
    paid = client.v1.invoices.pay(manual.id)
    assert paid.starting_balance == credit.total and paid.ending_balance == 0
    assert paid.amount_due == paid.amount_paid == 10000 + credit.total
    assert client.v1.customers.retrieve(cust.id).balance == 0


def test_inclusive_and_exclusive_tax_rates(client: stripe.StripeClient) -> None:
    """An exclusive rate adds tax to the price; an inclusive one is inside it, so the total
    stays the price (Stripe, "Tax rates"). Rates are listed and filtered by ``active``."""
    vat = client.v1.tax_rates.create({"display_name": "VAT", "percentage": "20",
                                      "inclusive": True, "country": "GB"})
    sales = client.v1.tax_rates.create({"display_name": "Sales tax", "percentage": "8.875",
                                        "inclusive": False, "country": "US", "state": "NY"})
    old = client.v1.tax_rates.create({"display_name": "Old VAT", "percentage": "17.5",
                                      "inclusive": True, "country": "GB", "active": False})
    active = client.v1.tax_rates.list({"active": True}).data
    assert {r.id for r in active} == {vat.id, sales.id} and old.id not in {r.id for r in active}
    assert {r.id for r in client.v1.tax_rates.list({"inclusive": True}).data} == {vat.id, old.id}
    price = _catalog(client, amount=12000)
    cust = _customer(client)
    gross = client.v1.subscriptions.create({"customer": cust.id, "items": [{"price": price.id}],
                                            "default_tax_rates": [vat.id],
                                            "expand": ["latest_invoice"]}).latest_invoice
    assert isinstance(gross, stripe.Invoice)
    assert (gross.subtotal, gross.total, gross.total_excluding_tax) == (12000, 12000, 10000)
    assert gross.amount_paid == 12000
    [amount] = gross["total_taxes"]  # the SDK's pinned (basil or later) shape
    assert (amount["amount"], amount["tax_behavior"], amount["taxable_amount"]) == (
        2000, "inclusive", 10000)
    net = client.v1.subscriptions.create({"customer": cust.id, "items": [{"price": price.id}],
                                          "default_tax_rates": [sales.id],
                                          "expand": ["latest_invoice"]}).latest_invoice
    assert isinstance(net, stripe.Invoice)
    assert (net.subtotal, net.total, net.total_excluding_tax) == (12000, 13065, 12000)
    assert net["total_taxes"][0]["amount"] == 1065
    note = client.v1.credit_notes.create({"invoice": gross.id, "credit_amount": 6000})
    assert (note.total, note.subtotal) == (6000, 5000)


def test_basil_invoices_say_which_taxes_are_inclusive(client: stripe.StripeClient) -> None:
    vat = client.v1.tax_rates.create({"display_name": "USt", "percentage": "19",
                                      "inclusive": True, "country": "DE"})
    price = _catalog(client, amount=11900)
    cust = _customer(client)
    sub = client.v1.subscriptions.create({"customer": cust.id, "items": [{"price": price.id}],
                                          "default_tax_rates": [vat.id]})
    basil = client.v1.invoices.retrieve(str(sub.latest_invoice),
                                        options={"stripe_version": "2025-03-31.basil"})
    [total_tax] = basil["total_taxes"]
    assert (total_tax["amount"], total_tax["tax_behavior"]) == (1900, "inclusive")
    assert basil["lines"]["data"][0]["taxes"][0]["tax_behavior"] == "inclusive"
