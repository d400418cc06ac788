"""Input the billing fake once accepted or answered 500 for (issue 18) is Stripe's 400,
naming the parameter, and nothing is created."""

from __future__ import annotations

import httpx
import pytest
import stripe

from simulators.engine.app import SimApp


def test_an_unknown_currency_is_refused(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"name": "Currency"})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.invoice_items.create({"customer": customer.id, "amount": 100,
                                        "currency": "xyz"})
    assert refused.value.param == "currency"
    assert str(refused.value.user_message).startswith("Invalid currency: xyz.")
    assert client.v1.invoice_items.list({"customer": customer.id}).data == []
    item = client.v1.invoice_items.create({"customer": customer.id, "amount": 100,
                                           "currency": "EUR"})
    assert item.currency == "eur"


@pytest.mark.parametrize(("body", "param"), [
    ("metadata" + "[b]" * 600 + "=1", "metadata"),
    (b"name=%ff%fe", "name"),
    (b"name=\xff\xfe", "name"),
])
def test_malformed_forms_are_400_naming_the_key(billing: tuple[SimApp, str], api_key: str,
                                                body: str | bytes, param: str) -> None:
    _, url = billing
    r = httpx.post(f"{url}/v1/customers", content=body, headers={
        "Authorization": f"Bearer {api_key}",
        "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400, r.text
    assert r.json()["error"]["type"] == "invalid_request_error"
    assert r.json()["error"]["param"] == param
    listed = httpx.get(f"{url}/v1/customers", headers={"Authorization": f"Bearer {api_key}"})
    assert listed.json()["data"] == []
