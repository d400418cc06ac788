"""The stack in each mode, against a tiny echo SUT defined here.

The echo SUT is multi-tenant unless its manifest has no ``[admin].connections``: it
verifies each webhook's signature with its connection's secret, keeps the event, and for
billing events fetches the event back from the billing fake with the connection's key
(so every test also proves the SUT -> fake path). Run as a script it serves itself on
``--port`` (local mode).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import importlib
import sys
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from harness.manifest import VENDORS, Manifest, parse_manifest
from harness.servers import ServerThread
from harness.stack import (
    ExternalStack,
    InProcessStack,
    LocalStack,
    Stack,
    StackConfig,
    StackError,
    Tenant,
    create_stack,
    run_sync,
    scoped_plan,
)
from harness.waiting import eventually
from simulators.engine.settings import SimSettings

HERE = Path(__file__).resolve()
FACTORY = "tests.harness.test_stack:create_echo_app"


# -- the echo SUT -------------------------------------------------------------------------


def _signed(secret: str, header: str | None, body: bytes) -> bool:
    if not header or not secret:
        return False
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    expected = hmac.new(secret.encode(), f"{parts.get('t', '')}.".encode() + body,
                        hashlib.sha256).hexdigest()
    return hmac.compare_digest(parts.get("v1", ""), expected)


def create_echo_app(config: dict[str, Any],
                    transport: httpx.AsyncBaseTransport | None = None) -> Starlette:
    """An echo SUT: ``config`` holds the logical settings (manifest ENV_KEYS)."""
    connections: dict[str, dict[str, Any]] = {}
    received: list[dict[str, Any]] = []
    token = config.get("admin_token")
    verify: bool | str = config.get("ca_bundle") or True
    if config.get("connection_id"):  # single-tenant: one connection from the settings
        connections[config["connection_id"]] = {
            "id": config["connection_id"],
            "billing": {"base_url": config["billing_base_url"],
                        "api_key": config["billing_api_key"],
                        "webhook_secret": config["billing_webhook_secret"]},
            "crm": {"webhook_secret": config.get("crm_webhook_secret", "")}}

    def authorized(request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {token}"

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def add_connection(request: Request) -> Response:
        if not authorized(request):
            return JSONResponse({"error": "unauthorized"}, 401)
        body = await request.json()
        connections[body["id"]] = body
        return JSONResponse({"id": body["id"]}, 201)

    async def list_connections(request: Request) -> Response:
        return JSONResponse({"data": sorted(connections)})

    async def hook(request: Request) -> Response:
        vendor = request.path_params["vendor"]
        conn = connections.get(request.path_params["connection"])
        if conn is None:
            return JSONResponse({"error": "no such connection"}, 404)
        body = await request.body()
        header = "stripe-signature" if vendor == "billing" else "x-fintwin-signature"
        if not _signed(conn[vendor]["webhook_secret"], request.headers.get(header), body):
            return JSONResponse({"error": "bad signature"}, 400)
        event = orjson.loads(body)
        entry: dict[str, Any] = {"vendor": vendor, "connection": conn["id"], "event": event}
        if vendor == "billing":
            entry["billing_url"] = conn["billing"]["base_url"]
            async with httpx.AsyncClient(transport=transport, verify=verify,
                                         base_url=conn["billing"]["base_url"]) as client:
                got = await client.get(f"/v1/events/{event['id']}", headers={
                    "Authorization": f"Bearer {conn['billing']['api_key']}"})
            entry["fetched"] = got.status_code
        received.append(entry)
        return JSONResponse({"received": True})

    async def dlq(request: Request) -> Response:
        if not authorized(request):
            return JSONResponse({"error": "unauthorized"}, 401)
        wanted = request.query_params.get("connection")
        return JSONResponse({"data": [r for r in received
                                      if not wanted or r["connection"] == wanted]})

    return Starlette(routes=[
        Route("/health", health, methods=["GET"]),
        Route("/admin/connections", add_connection, methods=["POST"]),
        Route("/admin/connections", list_connections, methods=["GET"]),
        Route("/admin/dlq", dlq, methods=["GET"]),
        Route("/hooks/{vendor}/{connection}", hook, methods=["POST"]),
    ])


def echo_manifest(*, multi_tenant: bool = True, url: str | None = None) -> Manifest:
    data: dict[str, Any] = {
        "name": "echo",
        "start": {"command": [sys.executable, str(HERE), "--port", "{port}"],
                  "health": "/health", "timeout": 30},
        "env": {"crm_base_url": "ECHO_CRM_URL", "billing_base_url": "ECHO_BILLING_URL",
                "erp_base_url": "ECHO_ERP_URL", "ca_bundle": "ECHO_CA_BUNDLE",
                "admin_token": "ECHO_ADMIN_TOKEN", "billing_api_key": "ECHO_BILLING_KEY",
                "billing_webhook_secret": "ECHO_BILLING_WHSEC",
                "crm_webhook_secret": "ECHO_CRM_WHSEC", "connection_id": "ECHO_CONNECTION"},
        "webhooks": {"billing": "/hooks/billing/{connection}",
                     "crm": "/hooks/crm/{connection}"},
        "admin": {"dlq": "/admin/dlq"},
        "inprocess": {"factory": FACTORY},
    }
    if multi_tenant:
        data["admin"]["connections"] = "/admin/connections"
    if url:
        data["start"]["url"] = url
    return parse_manifest(data)


# -- helpers ------------------------------------------------------------------------------


def received(stack: Stack, tenant: Tenant) -> list[dict[str, Any]]:
    response = stack.dlq(tenant)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def create_customer(stack: Stack, tenant: Tenant, email: str) -> str:
    with stack.client("billing") as client:
        response = client.post("/v1/customers", data={"email": email},
                               headers={"Authorization": f"Bearer {tenant.billing.api_key}"})
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def create_crm_account(stack: Stack, tenant: Tenant, name: str) -> str:
    async def go() -> str:
        world = stack.world(tenant)
        try:
            return await world.crm.create("Account", {"Name": name})
        finally:
            await world.aclose()

    return run_sync(go())


def events_of(stack: Stack, tenant: Tenant, vendor: str, n: int) -> list[dict[str, Any]]:
    def probe() -> list[dict[str, Any]]:
        got = [r for r in received(stack, tenant) if r["vendor"] == vendor]
        return got if len(got) >= n else []

    return eventually(probe, timeout=15, what=f"{n} {vendor} event(s) at the SUT")


def exercise(stack: Stack) -> Tenant:
    """A tenant, a billing customer and a CRM account; both events reach the SUT."""
    tenant = stack.new_tenant("exercise")
    customer = create_customer(stack, tenant, "ap@acme.test")
    billing = events_of(stack, tenant, "billing", 1)
    assert billing[0]["event"]["type"] == "customer.created"
    assert billing[0]["event"]["data"]["object"]["id"] == customer
    assert billing[0]["fetched"] == 200  # the SUT reached the fake with the tenant's key
    account = create_crm_account(stack, tenant, "Acme")
    # The tenant's catalog (seeded at provisioning) makes change events of its own.
    def account_event() -> dict[str, Any] | None:
        return next((r for r in received(stack, tenant) if r["vendor"] == "crm"
                     and r["event"]["payload"]["ChangeEventHeader"]["recordIds"] == [account]),
                    None)

    crm = eventually(account_event, timeout=15, what="the account's change event at the SUT")
    assert crm["event"]["payload"]["ChangeEventHeader"]["changeType"] == "CREATE"
    return tenant


# -- in-process ---------------------------------------------------------------------------


def test_inprocess_stack_wires_fakes_and_sut_both_ways() -> None:
    with InProcessStack(echo_manifest(), StackConfig(seed=3)) as stack:
        assert stack.urls["crm"].startswith("https://")
        tenant = exercise(stack)
        assert tenant.registered
        with stack.client("sut") as sut:
            assert tenant.connection in sut.get("/admin/connections").json()["data"]
        attempts = stack.deliveries("billing", tenant)
        assert attempts and all(a["ok"] for a in attempts)
        assert any(e["method"] == "POST" and e["path"] == "/v1/customers"
                   for e in stack.journal("billing", tenant))


def test_tenants_are_isolated_and_deterministic_per_seed_and_label() -> None:
    with InProcessStack(echo_manifest(), StackConfig(seed=5)) as stack:
        a, b = stack.new_tenant("a"), stack.new_tenant("b")
        again = stack.new_tenant("a")  # the same label twice in a run: a new tenant
        assert len({a.connection, b.connection, again.connection}) == 3
        assert len({a.billing.account_id, b.billing.account_id}) == 2
        assert len({a.crm.org_id, b.crm.org_id}) == 2 and a.erp.account_id != b.erp.account_id
        create_customer(stack, a, "only-a@acme.test")
        events_of(stack, a, "billing", 1)
        assert [r for r in received(stack, b) if r["vendor"] == "billing"] == []
    with InProcessStack(echo_manifest(), StackConfig(seed=5)) as other:
        assert other.new_tenant("a").ids == a.ids  # same seed + label: same tenant ids
    with InProcessStack(echo_manifest(), StackConfig(seed=6)) as other:
        assert other.new_tenant("a").ids != a.ids


def test_single_tenant_sut_gets_one_tenant_through_its_settings() -> None:
    with InProcessStack(echo_manifest(multi_tenant=False), StackConfig(seed=1)) as stack:
        first = exercise(stack)
        assert not first.registered and first.label == "primary"
        assert stack.new_tenant("other") is first


def _fault_signature(stack: Stack, tenant: Tenant) -> list[tuple[str, str, str, int]]:
    return [(e["rule"], e["kind"], e["path"], e["ordinal"])
            for e in stack.fault_log("billing", tenant)]


def test_chaos_profile_is_installed_and_the_same_seed_gives_the_same_fault_log() -> None:
    logs = []
    for _ in range(2):
        config = StackConfig(seed=11, chaos="flaky-network", limits=False)
        with InProcessStack(echo_manifest(), config) as stack:
            assert stack.base_plan["name"] == "flaky-network"
            plan = stack.control("billing", "GET", "/_sim/faults").json()["plan"]
            assert plan["rules"], "the profile's rules are installed on each fake"
            tenant = stack.new_tenant("chaos")  # provisioning is never faulted
            with stack.client("billing", timeout=2.0) as client:
                for i in range(40):
                    # A reset or a hang is a fault the log records.
                    with contextlib.suppress(httpx.HTTPError):
                        client.get("/v1/customers", params={"limit": i % 5 + 1}, headers={
                            "Authorization": f"Bearer {tenant.billing.api_key}"})
            logs.append(_fault_signature(stack, tenant))
    assert logs[0], "flaky-network injects faults into 40 requests"
    assert logs[0] == logs[1]


def test_scoped_plan_puts_a_tests_rules_first_for_its_tenant_only() -> None:
    with InProcessStack(echo_manifest(), StackConfig(seed=2)) as stack:
        tenant, other = stack.new_tenant("victim"), stack.new_tenant("bystander")
        rule = {"match": {"method": "POST", "path": "/v1/customers", "nth": [1]},
                "fault": {"error": {"status": 503}}}
        stack.set_faults(scoped_plan(stack.base_plan, [rule], tenant.billing.account_id),
                         vendors=("billing",))
        with stack.client("billing") as client:
            statuses = [client.post("/v1/customers", headers={
                "Authorization": f"Bearer {t.billing.api_key}"}).status_code
                for t in (tenant, tenant, other)]
        assert statuses == [503, 200, 200]
        assert [e["kind"] for e in stack.fault_log("billing", tenant)] == ["error"]
        stack.restore_faults()
        assert stack.control("billing", "GET", "/_sim/faults").json()["plan"]["rules"] == []


def test_async_clients_work_from_the_tests_own_event_loop() -> None:
    with InProcessStack(echo_manifest(), StackConfig(seed=4)) as stack:
        tenant = stack.new_tenant("async")

        async def go() -> int:
            async with stack.async_client("billing") as client:
                got = await client.get("/v1/customers", headers={
                    "Authorization": f"Bearer {tenant.billing.api_key}"})
                return got.status_code

        assert asyncio.run(go()) == 200


def test_factory_that_fails_to_import_is_a_clear_error() -> None:
    manifest = parse_manifest({**_raw_manifest(), "inprocess": {"factory": "nope.nothing:app"}})
    with pytest.raises(Exception, match=r"inprocess\]\.factory: cannot import 'nope.nothing'"):
        InProcessStack(manifest).start()


def _raw_manifest() -> dict[str, Any]:
    return {"name": "x", "start": {"url": "http://127.0.0.1:9"},
            "env": {"crm_base_url": "A", "billing_base_url": "B", "erp_base_url": "C"},
            "webhooks": {"billing": "/b"}}


# -- local processes and external ---------------------------------------------------------


def test_local_stack_runs_fakes_and_sut_as_processes_with_tls_for_the_crm() -> None:
    config = StackConfig(seed=8, lock_fakes=True, startup_timeout=60)
    with LocalStack(echo_manifest(), config) as stack:
        assert stack.urls["crm"].startswith("https://127.0.0.1:")
        assert stack.urls["billing"].startswith("http://127.0.0.1:")
        assert stack.ca_bundle is not None and stack.ca_bundle.is_file()
        # The fakes' control planes are locked: the harness sends the admin token.
        with stack.client("crm") as crm:
            assert crm.get("/_sim/faults").status_code == 401
        exercise(stack)
        assert stack.sut_process is not None and stack.sut_process.proc.poll() is None
    assert stack.sut_process.proc.poll() is not None  # stopped with the stack


def test_local_stack_reports_a_sut_that_dies_with_its_log() -> None:
    data = {**_raw_manifest(), "start": {
        "command": [sys.executable, "-c", "import sys; print('boom {port}'); sys.exit(3)"],
        "health": "/health"}}
    with pytest.raises(StackError, match=r"(?s)exited before it was healthy: exit code 3.*boom"):
        LocalStack(parse_manifest(data), StackConfig(fakes="thread")).start()


def test_external_stack_uses_a_running_sut_and_its_own_fakes() -> None:
    token = "echo-admin-token"
    with ServerThread(create_echo_app({"admin_token": token})) as sut:
        stack = ExternalStack(echo_manifest(url=sut.url), StackConfig(seed=9, fakes="thread"),
                              environ={"ECHO_ADMIN_TOKEN": token})
        with stack:
            assert stack.urls["sut"] == sut.url
            exercise(stack)


def test_external_stack_uses_the_estate_its_manifest_describes() -> None:
    """[fakes]: where the harness reaches fakes someone else runs; [network]: where the
    SUT and the fakes reach each other (a container network's names; here "localhost"
    where the harness uses 127.0.0.1). FINTWIN_SUT_URL names the running SUT."""
    token = "echo-admin-token"

    def inner(url: str) -> str:
        return url.replace("127.0.0.1", "localhost")

    with contextlib.ExitStack() as running:
        fakes = {v: running.enter_context(ServerThread(importlib.import_module(
            f"simulators.{v}.app").create_app(SimSettings(seed=10, limits=False))))
            for v in VENDORS}
        sut = running.enter_context(ServerThread(create_echo_app({"admin_token": token})))
        data = {**_raw_manifest(), "name": "echo", "start": {"url": "http://127.0.0.1:9",
                                                             "health": "/health"},
                "env": {**_raw_manifest()["env"], "admin_token": "ECHO_ADMIN_TOKEN"},
                "admin": {"connections": "/admin/connections", "dlq": "/admin/dlq"},
                "webhooks": {"billing": "/hooks/billing/{connection}"},
                "fakes": {v: f.url for v, f in fakes.items()},
                "network": {**{v: inner(f.url) for v, f in fakes.items()},
                            "sut": inner(sut.url)}}
        stack = ExternalStack(parse_manifest(data), StackConfig(seed=10),
                              environ={"ECHO_ADMIN_TOKEN": token, "FINTWIN_SUT_URL": sut.url})
        with stack:
            assert stack.urls == {**{v: f.url for v, f in fakes.items()}, "sut": sut.url}
            assert stack.sut_vendor_urls() == {v: inner(f.url) for v, f in fakes.items()}
            tenant = stack.new_tenant("estate")
            create_customer(stack, tenant, "ap@acme.test")
            [hook] = events_of(stack, tenant, "billing", 1)
            # The SUT fetched the event back from the URL it was given: the network's.
            assert (hook["billing_url"], hook["fetched"]) == (inner(fakes["billing"].url), 200)
            urls = {d["url"] for d in stack.deliveries("billing", tenant)}
            assert urls == {inner(sut.url) + f"/hooks/billing/{tenant.connection}"}


def test_external_stack_without_a_url_and_unknown_modes_fail_clearly() -> None:
    with pytest.raises(StackError, match="external mode needs the SUT's URL"):
        ExternalStack(echo_manifest(), environ={}).start()
    with pytest.raises(StackError, match="unknown stack mode 'docker'"):
        create_stack("docker", echo_manifest())


if __name__ == "__main__":  # the echo SUT as a process (local mode)
    import os

    import uvicorn

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    env = os.environ
    settings = {key: env[name] for key, name in echo_manifest().env.items() if name in env}
    uvicorn.run(create_echo_app(settings), host="127.0.0.1", port=args.port,
                log_level="warning")
