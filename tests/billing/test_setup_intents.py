"""SetupIntents with the official stripe SDK (Stripe API reference, "Setup Intents";
Stripe docs, "Testing", "Authentication and setup" for the test cards)."""

from __future__ import annotations

import httpx
import pytest
import stripe

from simulators.engine.app import SimApp


def test_card_saved_then_charged_off_session(client: stripe.StripeClient) -> None:
    cust = client.v1.customers.create({"name": "Acme"})
    seti = client.v1.setup_intents.create({"customer": cust.id, "usage": "off_session"})
    assert seti.status == "requires_payment_method" and seti.client_secret
    assert seti.client_secret.startswith(seti.id + "_secret_")
    seti = client.v1.setup_intents.confirm(seti.id, {"payment_method": "pm_card_visa"})
    assert seti.status == "succeeded"
    pm = client.v1.payment_methods.retrieve(str(seti.payment_method))
    assert pm.customer == cust.id
    pi = client.v1.payment_intents.create({"amount": 1200, "currency": "usd",
                                           "customer": cust.id, "payment_method": pm.id,
                                           "confirm": True, "off_session": True})
    assert pi.status == "succeeded"
    assert [s.id for s in client.v1.setup_intents.list({"customer": cust.id}).data] == [seti.id]


def test_a_card_that_requires_authentication(billing: tuple[SimApp, str], api_key: str,
                                             client: stripe.StripeClient) -> None:
    # 4000002500003155: authentication on setup, then off-session payments succeed.
    _, url = billing
    cust = client.v1.customers.create({"name": "Acme"})
    seti = client.v1.setup_intents.create({
        "customer": cust.id, "payment_method": "pm_card_authenticationRequiredOnSetup",
        "confirm": True, "return_url": "https://shop.test/done"})
    assert seti.status == "requires_action" and seti.next_action is not None
    assert seti.next_action.type == "redirect_to_url"
    redirect = seti.next_action.redirect_to_url
    assert redirect is not None and redirect.return_url == "https://shop.test/done"
    assert client.v1.payment_methods.list({"customer": cust.id}).data == []
    done = httpx.post(f"{url}{redirect.url}",
                      params={"tenant": api_key, "client_secret": seti.client_secret},
                      json={"outcome": "complete"})
    assert done.status_code == 200 and done.json()["status"] == "succeeded"
    saved = client.v1.payment_methods.list({"customer": cust.id}).data
    assert [p.id for p in saved] == [seti.payment_method]
    pi = client.v1.payment_intents.create({"amount": 500, "currency": "usd",
                                           "customer": cust.id, "payment_method": saved[0].id,
                                           "confirm": True, "off_session": True})
    assert pi.status == "succeeded"
    # Failing the authentication leaves the SetupIntent to try another card.
    other = client.v1.setup_intents.create({
        "customer": cust.id, "payment_method": "pm_card_authenticationRequired",
        "confirm": True})
    assert other.next_action is not None and other.next_action.type == "use_stripe_sdk"
    wrong = httpx.post(f"{url}/_sim/billing/setup_intents/{other.id}/authenticate",
                       params={"tenant": api_key, "client_secret": "nope"})
    assert wrong.status_code == 400
    failed = httpx.post(f"{url}/_sim/billing/setup_intents/{other.id}/authenticate",
                        params={"tenant": api_key, "client_secret": other.client_secret},
                        json={"outcome": "fail"}).json()
    assert failed["status"] == "requires_payment_method"
    assert failed["last_setup_error"]["code"] == "setup_intent_authentication_failure"


def test_declined_card_fails_the_setup(client: stripe.StripeClient) -> None:
    cust = client.v1.customers.create({"name": "Acme"})
    seti = client.v1.setup_intents.create({"customer": cust.id})
    with pytest.raises(stripe.CardError) as err:
        client.v1.setup_intents.confirm(seti.id, {"payment_method": "pm_card_chargeDeclined"})
    assert err.value.code == "card_declined"
    seti = client.v1.setup_intents.retrieve(seti.id)
    assert seti.status == "requires_payment_method" and seti.last_setup_error is not None
    seti = client.v1.setup_intents.cancel(seti.id, {"cancellation_reason": "abandoned"})
    assert seti.status == "canceled"
    with pytest.raises(stripe.InvalidRequestError) as state:
        client.v1.setup_intents.confirm(seti.id, {"payment_method": "pm_card_visa"})
    assert state.value.code == "setup_intent_unexpected_state"
