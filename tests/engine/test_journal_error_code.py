"""The journal names the vendor's error code of each refused request (read from the
vendor's own envelope), so a harness can tell a write refused for good from one the
vendor says was made already; other answers carry none."""

from __future__ import annotations

import asyncio
from typing import Any

from harness.drivers import World
from harness.drivers.crm import DATA
from tests.harness.support import Stack


async def _journals() -> dict[str, list[dict[str, Any]]]:
    stack = Stack(seed=5)
    world = await World.provision(stack.endpoints, 5, "error-codes")
    try:
        await world.billing.http.post("/v1/customers", data={"email": "x" * 600},
                                      headers=world.billing._headers())
        await world.billing.http.post("/v1/invoices/in_missing/pay",
                                      headers=world.billing._headers())
        await world.crm.request("POST", f"{DATA}/sobjects/Account/",
                                json={"Name": "x", "NoSuchField__c": 1})
        await world.erp.request("POST", "/services/rest/record/v1/invoice",
                                json={"entity": {"id": "999"}})
        await world.erp.request("POST", "/services/rest/record/v1/customer",
                                json={"companyName": "Acme", "subsidiary": {"id": "1"},
                                      "externalId": "dup"})
        await world.erp.request("POST", "/services/rest/record/v1/customer",
                                json={"companyName": "Acme", "subsidiary": {"id": "1"},
                                      "externalId": "dup"})
        return {v: (await getattr(world, v).control("GET", "/_sim/journal"))["data"]
                for v in ("crm", "billing", "erp")}
    finally:
        await world.aclose()


def test_refusals_carry_the_vendors_error_code() -> None:
    journals = asyncio.run(_journals())
    billing = [(e["status"], e["error_code"]) for e in journals["billing"]
               if e["method"] == "POST"]
    assert billing == [(400, "parameter_invalid_string"), (404, "resource_missing")], billing
    crm = [(e["status"], e["error_code"]) for e in journals["crm"] if e["method"] == "POST"]
    assert crm and crm[-1] == (400, "INVALID_FIELD"), crm
    erp = [(e["status"], e["error_code"]) for e in journals["erp"]
           if e["method"] == "POST" and "record" in e["path"]]
    assert erp == [(400, "INVALID_KEY_OR_REF"), (204, None), (400, "DUP_RCRD")], erp
    assert all(e["error_code"] is None for v in journals.values() for e in v
               if e["status"] < 400)
