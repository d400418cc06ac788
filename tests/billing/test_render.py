"""The shortcut for records that render as stored gives exactly what render() gives."""

from __future__ import annotations

import asyncio

import httpx
import orjson

from simulators.billing.app import create_app
from simulators.billing.context import Ctx
from simulators.billing.customers import attach_payment_method, create_customer
from simulators.billing.render import render, stored_json
from simulators.billing.vendor import account_id_for_key
from simulators.engine.settings import SimSettings
from simulators.engine.transport import InProcessTransport


def _ctx(version: str = "2024-06-20") -> Ctx:
    app = create_app(SimSettings(seed=1, limits=False))
    tenant = app.sim.tenant(account_id_for_key("sk_test_render_shortcut"))
    return Ctx(app.sim, tenant, version)


def test_a_plain_record_renders_as_stored_in_every_version() -> None:
    for version in ("2024-06-20", "2025-03-31.basil"):
        ctx = _ctx(version)
        cust = create_customer(ctx, {"name": "Acme", "email": "ap@acme.test",
                                     "metadata": {"crm_id": "001"}})
        assert stored_json("customer", cust) == orjson.dumps(render(ctx, "customer", cust))


def test_private_fields_and_rewritten_kinds_take_the_long_way() -> None:
    ctx = _ctx()
    cust = create_customer(ctx, {"name": "Acme"})
    pm = attach_payment_method(ctx, "pm_card_visa", cust)
    assert any(k.startswith("_") for k in pm)
    assert stored_json("payment_method", pm) is None
    assert "_template" not in render(ctx, "payment_method", pm)
    assert stored_json("subscription", {"id": "sub_1"}) is None
    assert stored_json("event", {"id": "evt_1"}) is None


def test_expanding_a_nested_reference_leaves_the_stored_record_alone() -> None:
    async def run() -> tuple[object, object]:
        app = create_app(SimSettings(seed=1, limits=False))
        auth = {"Authorization": "Bearer sk_test_expand_nested"}
        async with httpx.AsyncClient(transport=InProcessTransport(app),
                                     base_url="http://billing") as c:
            cust = (await c.post("/v1/customers", headers=auth, data={
                "payment_method": "pm_card_visa",
                "invoice_settings[default_payment_method]": "pm_card_visa"})).json()
            expanded = (await c.get(f"/v1/customers/{cust['id']}", headers=auth, params={
                "expand[]": "invoice_settings.default_payment_method"})).json()
            plain = (await c.get(f"/v1/customers/{cust['id']}", headers=auth)).json()
        return expanded["invoice_settings"]["default_payment_method"], \
            plain["invoice_settings"]["default_payment_method"]

    expanded, plain = asyncio.run(run())
    assert isinstance(expanded, dict) and expanded["object"] == "payment_method"
    assert isinstance(plain, str) and plain == expanded["id"]
