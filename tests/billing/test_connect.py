"""The ``Stripe-Account`` header with the official stripe SDK (Stripe docs, "Making API
calls for connected accounts": the header names the connected account a request acts
for; each account's objects are its own)."""

from __future__ import annotations

from typing import Any

import pytest
import stripe


def test_each_connected_account_has_its_own_data(client: stripe.StripeClient) -> None:
    first = client.v1.accounts.create({"type": "custom", "country": "US",
                                       "email": "ops@first.test"})
    second = client.v1.accounts.create({"type": "express", "country": "GB"})
    assert first.id.startswith("acct_") and first.charges_enabled
    on_first: stripe.RequestOptions = {"stripe_account": first.id}
    cust = client.v1.customers.create({"name": "Of the first"}, on_first)
    assert client.v1.customers.retrieve(cust.id, options=on_first).name == "Of the first"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.customers.retrieve(cust.id)  # the platform's own data
    assert missing.value.http_status == 404
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.retrieve(cust.id, options={"stripe_account": second.id})
    assert client.v1.customers.list(options={"stripe_account": second.id}).data == []
    assert [a.id for a in client.v1.accounts.list().data] == [second.id, first.id]


def test_an_account_the_platform_has_not_connected_is_refused(
        client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.PermissionError) as err:
        client.v1.customers.list(options={"stripe_account": "acct_1NotConnected00"})
    assert err.value.http_status == 403
    body: Any = err.value.json_body
    assert body["error"]["code"] == "account_invalid"
    acct = client.v1.accounts.create({"type": "custom"})
    client.v1.accounts.delete(acct.id)
    with pytest.raises(stripe.PermissionError):
        client.v1.customers.list(options={"stripe_account": acct.id})
