"""BASIL_CHANGES says what 2025-03-31.basil moved or removed (what upgrade-check names);
this holds it to what the fake renders: each field there before basil and gone after, and
where it went there after."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.servers import ServerThread
from simulators.billing.app import create_app
from simulators.billing.versions import BASIL, BASIL_CHANGES, PRE_BASIL
from simulators.engine.settings import SimSettings
from tests.contracts.states import States


@pytest.fixture(scope="module")
def shapes() -> Iterator[dict[str, dict[str, Any]]]:
    app = create_app(SimSettings(seed=3, limits=False))
    with ServerThread(app) as server, httpx.Client(base_url=server.url) as client:
        states = States(client, "sk_test_versions_table")
        states.given("a paid invoice {invoice} exists for subscription {subscription}",
                     {"invoice": "in_Shapes", "subscription": "sub_Shapes"})
        auth = {"Authorization": states.values["authorization"]}
        old = client.get("/v1/invoices/in_Shapes",
                         headers={**auth, "Stripe-Version": PRE_BASIL}).json()
        note = client.post("/v1/credit_notes", data={"invoice": "in_Shapes", "amount": "100",
                                                      "refund_amount": "100"},
                           headers=auth).json()
        price = old["lines"]["data"][0]["price"]["id"]
        item = client.post("/v1/invoiceitems", data={
            "customer": old["customer"], "price": price, "subscription": "sub_Shapes"},
            headers=auth).json()
        out: dict[str, dict[str, Any]] = {}
        for version in (PRE_BASIL, BASIL):
            headers = {**auth, "Stripe-Version": version}
            invoice = client.get("/v1/invoices/in_Shapes", headers=headers).json()
            sub = client.get("/v1/subscriptions/sub_Shapes", headers=headers).json()
            out[version] = {"invoice": invoice, "invoice line": invoice["lines"]["data"][0],
                            "subscription": sub,
                            "subscription item": sub["items"]["data"][0],
                            "payment intent": client.get(
                                f"/v1/payment_intents/{old['payment_intent']}",
                                headers=headers).json(),
                            "charge": client.get(f"/v1/charges/{old['charge']}",
                                                 headers=headers).json(),
                            "invoice item": client.get(f"/v1/invoiceitems/{item['id']}",
                                                       headers=headers).json(),
                            "credit note": client.get(f"/v1/credit_notes/{note['id']}",
                                                      headers=headers).json()}
        yield out


def _at(obj: Any, path: str) -> bool:
    for part in path.split("."):
        if part.endswith("[]"):
            obj = (obj.get(part[:-2]) or [None])[0] if isinstance(obj, dict) else None
        else:
            if not isinstance(obj, dict) or part not in obj:
                return False
            obj = obj[part]
    return True


@pytest.mark.parametrize(("kind", "before", "after"), BASIL_CHANGES)
def test_each_change_is_what_the_fake_renders(shapes: dict[str, dict[str, Any]], kind: str,
                                              before: str, after: str | None) -> None:
    assert before in shapes[PRE_BASIL][kind]
    assert shapes[BASIL][kind].get(before) is None  # gone, or null
    if after is not None:
        assert _at(shapes[BASIL][kind], after)
