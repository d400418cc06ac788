"""The service's HTTP face: webhook signatures, the admin token, connection validation,
``/flows/{id}``, ``/admin/reconcile`` and the CRM polling fallback."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from harness.sandbox import world
from integration_layer.service.app import create_app
from integration_layer.service.config import ServiceConfig
from tests.integration_layer.service.support import posted, until

CONNECTION = {
    "id": "acme",
    "crm": {"base_url": "http://crm", "client_id": "c", "client_secret": "s",
            "webhook_secret": "crm-hook"},
    "billing": {"base_url": "http://billing", "api_key": "sk_test_x",
                "webhook_secret": "whsec_test"},
    "erp": {"base_url": "http://erp", "account_id": "1234567", "client_id": "e",
            "client_secret": "s"},
}


def sign(body: bytes, secret: str, at: int | None = None) -> str:
    at = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


@asynccontextmanager
async def service(admin_token: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
    # No workers: these tests look at what the HTTP layer stores and answers.
    app = create_app(ServiceConfig(database_url="sqlite://:memory:", admin_token=admin_token),
                     workers=False)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://sut") as client:
        yield client


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_billing_webhooks_are_verified_stored_once_and_acknowledged() -> None:
    event = json.dumps({"id": "evt_1", "type": "invoice.finalized",
                        "data": {"object": {"id": "in_1", "object": "invoice"}}}).encode()

    async def main() -> list[tuple[int, Any]]:
        async with service() as sut:
            assert (await sut.post("/admin/connections", json=CONNECTION)).status_code == 201
            url = "/webhooks/billing/acme"
            out = []
            for headers, body, path in (
                ({}, event, url),
                ({"Stripe-Signature": sign(event, "whsec_wrong")}, event, url),
                ({"Stripe-Signature": sign(event, "whsec_test", int(time.time()) - 600)},
                 event, url),
                ({"Stripe-Signature": sign(b"not json", "whsec_test")}, b"not json", url),
                ({"Stripe-Signature": sign(event, "whsec_test")}, event, "/webhooks/billing/x"),
                ({"Stripe-Signature": sign(event, "whsec_test")}, event, url),
                ({"Stripe-Signature": sign(event, "whsec_test")}, event, url),
            ):
                r = await sut.post(path, content=body, headers=headers)
                out.append((r.status_code, r.json()))
            stats = (await sut.get("/admin/stats")).json()["inbox"]
            out.append((0, stats))
            return out

    results = run(main())
    codes = [code for code, _ in results[:7]]
    assert codes == [400, 400, 400, 400, 404, 200, 200]
    assert results[0][1]["error"]["code"] == "bad_signature"
    assert "tolerance" in results[2][1]["error"]["message"]
    assert results[5][1] == {"received": True, "duplicate": False}
    assert results[6][1] == {"received": True, "duplicate": True}
    assert results[7][1] == {"pending": 1, "duplicates_absorbed": 1}


def test_crm_change_events_need_their_signature() -> None:
    event = json.dumps({"replayId": 1, "event": {"replayId": 1, "EventUuid": "u-1"},
                        "payload": {"ChangeEventHeader": {
                            "entityName": "Account", "changeType": "CREATE",
                            "recordIds": ["001x"], "changedFields": []}}}).encode()

    async def main() -> list[int]:
        async with service() as sut:
            await sut.post("/admin/connections", json=CONNECTION)
            bad = await sut.post("/webhooks/crm/acme", content=event,
                                 headers={"X-Fintwin-Signature": sign(event, "nope")})
            good = await sut.post("/webhooks/crm/acme", content=event,
                                  headers={"X-Fintwin-Signature": sign(event, "crm-hook")})
            return [bad.status_code, good.status_code]

    assert run(main()) == [400, 200]


def test_the_admin_api_is_locked_by_the_token_and_health_is_not() -> None:
    async def main() -> list[int]:
        async with service(admin_token="s3cret") as sut:
            return [
                (await sut.get("/health")).status_code,
                (await sut.get("/admin/dlq")).status_code,
                (await sut.get("/admin/dlq",
                               headers={"Authorization": "Bearer wrong"})).status_code,
                (await sut.get("/admin/dlq",
                               headers={"Authorization": "Bearer s3cret"})).status_code,
                (await sut.post("/admin/connections", json=CONNECTION)).status_code,
            ]

    assert run(main()) == [200, 401, 401, 200, 401]


def test_a_bad_connection_is_refused_naming_the_field() -> None:
    async def main() -> list[tuple[int, str]]:
        async with service() as sut:
            out = []
            for body in ({**CONNECTION, "billing": {"base_url": "http://b"}},
                         {**CONNECTION, "id": ""}, {"id": "x"}, [1, 2]):
                r = await sut.post("/admin/connections", json=body)
                out.append((r.status_code, r.json()["error"]["message"]))
            return out

    results = run(main())
    assert [code for code, _ in results] == [400, 400, 400, 400]
    assert results[0][1].startswith("billing.api_key")
    assert results[1][1].startswith("id:")
    assert results[2][1].startswith("crm:")


def test_flow_steps_and_reconciliation_after_a_deal() -> None:
    async def main() -> tuple[dict[str, Any], dict[str, Any], int]:
        async with world() as w:
            account = await w.account("Initech")
            await w.card(account)
            await w.deal(account, {"SKU-PLAT": 2})
            await until(lambda: posted(w, 2), "ERP invoice and payment")
            await until(w.settled, "everything settled")
            sub = (await w.stripe("/v1/subscriptions"))["data"][0]
            flow = (await w.sut.get(f"/flows/{sub['metadata']['correlation_id']}")).json()
            report = (await w.sut.post("/admin/reconcile",
                                       json={"connection": w.conn_id})).json()
            missing = (await w.sut.get("/flows/nope")).status_code
            return flow, report, missing

    flow, report, missing = run(main())
    steps = [s["step"] for s in flow["steps"]]
    assert "billing.subscription" in steps and "crm.contract" in steps
    assert any(s.startswith("erp.invoice:") for s in steps)
    assert any(s.startswith("erp.payment:") for s in steps)
    assert all(s["status"] == "done" for s in flow["steps"])
    assert report["balanced"] is True and report["invoices"] == 1, report
    assert report["totals"]["USD"]["billed"] == "240.00"
    assert missing == 404


def test_missed_crm_pushes_arrive_through_the_polling_fallback() -> None:
    async def main() -> str:
        async with world() as w:
            subs = (await w.crm.get("/_sim/subscriptions",
                                    params={"tenant": w.crm_tenant})).json()["data"]
            for sub in subs:  # the push channel is gone: only polling can see changes
                r = await w.crm.delete(f"/_sim/subscriptions/{sub['id']}",
                                       params={"tenant": w.crm_tenant})
                assert r.status_code == 200, r.text
            account = await w.account("Polled Ltd")

            async def synced() -> str | None:
                acct = await w.sf("GET", f"/sobjects/Account/{account}")
                return acct.get("Billing_Customer_Id__c")

            return await until(synced, "the account synced by polling")

    assert run(main()).startswith("cus_")


def test_the_idle_probe_counts_every_piece_of_unfinished_work() -> None:
    event = json.dumps({"id": "evt_idle", "type": "invoice.finalized",
                        "data": {"object": {"id": "in_9", "object": "invoice"}}}).encode()

    async def main() -> list[dict[str, Any]]:
        app = create_app(ServiceConfig(database_url="sqlite://:memory:", admin_token="tok"),
                         workers=False)
        seen = []
        async with app.router.lifespan_context(app), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://sut") as sut:
            inbox = app.state.service.inbox
            admin = {"Authorization": "Bearer tok"}
            seen.append({"status": (await sut.get("/admin/idle")).status_code})
            await sut.post("/admin/connections", json=CONNECTION, headers=admin)

            async def look(connection: str = "acme") -> dict[str, Any]:
                r = await sut.get("/admin/idle", params={"connection": connection},
                                  headers=admin)
                assert r.status_code == 200
                body: dict[str, Any] = r.json()
                return body

            seen.append(await look())
            await sut.post("/webhooks/billing/acme", content=event,
                           headers={"Stripe-Signature": sign(event, "whsec_test")})
            seen.append(await look())  # stored, not yet claimed
            seen.append(await look("another"))
            row = await inbox.claim("w1", 30.0)
            seen.append(await look())  # a worker holds it (or waits out a backoff in it)
            await inbox.retry_later(row, "w1", 20.0, "Retry-After: 20")
            seen.append(await look())  # a retry 20 s away: not idle, however quiet
            row = await inbox.claim("w1", 30.0)
            assert row is None  # not due yet
            await app.state.service.db.execute("UPDATE inbox SET next_at = 0")
            row = await inbox.claim("w1", 30.0)
            await inbox.complete(row, "w1")
            seen.append(await look())
        return seen

    locked, empty, ready, other, leased, scheduled, done = run(main())
    assert locked == {"status": 401}
    assert empty == {"idle": True, "pending": 0, "leased": 0, "scheduled": 0, "ready": 0}
    assert ready == {"idle": False, "pending": 1, "leased": 0, "scheduled": 0, "ready": 1}
    assert other["idle"] is True
    assert leased == {"idle": False, "pending": 1, "leased": 1, "scheduled": 0, "ready": 0}
    assert scheduled == {"idle": False, "pending": 1, "leased": 0, "scheduled": 1, "ready": 0}
    assert done["idle"] is True and done["pending"] == 0
