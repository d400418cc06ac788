"""The service over sockets: the three fakes as servers (the CRM over TLS, trusted through
the engine's local CA), the service as a server; and two ``fintwin serve
integration-layer`` processes on one PostgreSQL database, one killed mid-flow."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
import pytest

from harness.oracle import Oracle
from harness.processes import ServerProcess
from harness.sandbox import World
from harness.servers import ServerThread
from integration_layer.service.app import create_app
from integration_layer.service.config import ServiceConfig
from tests.integration_layer.service.sockets import (
    serve_fakes,
    service_process,
    socket_world,
)
from tests.integration_layer.service.support import chaos, erp_rows, put_faults, until


async def _close_deals(w: World, n: int) -> list[str]:
    opps = []
    for i in range(n):
        account = await w.account(f"Initech {i}")
        await w.card(account)
        opps.append(await w.deal(account, {"SKU-PLAT": 1, "SKU-SEAT": 1 + i}))
    return opps


async def _all_posted(w: World, n: int) -> list[dict[str, Any]] | None:
    rows = await erp_rows(w, "CustInvc", "CustPymt")
    kinds = Counter(r["type"] for r in rows)
    return rows if kinds["CustInvc"] >= n and kinds["CustPymt"] >= n else None


async def _exactly_once(w: World, opps: list[str]) -> None:
    """One subscription per deal, one ERP invoice and payment per billing invoice, and
    the oracle clean."""
    subs = (await w.stripe("/v1/subscriptions", {"limit": 100}))["data"]
    assert sorted(s["metadata"]["crm_opportunity_id"] for s in subs) == sorted(opps)
    invoices = (await w.stripe("/v1/invoices", {"limit": 100}))["data"]
    assert len(invoices) == len(opps) and all(i["status"] == "paid" for i in invoices)
    rows = await erp_rows(w, "CustInvc", "CustPymt")
    ids = sorted(str(r["externalid"]) for r in rows)
    assert ids == sorted([i["id"] for i in invoices] + [f"pay:{i['id']}" for i in invoices])
    async with Oracle(w.oracle_world()) as oracle:
        report = await oracle.check()
    assert report.ok, report.summary()


def test_service_over_sockets_with_tls_crm_is_exactly_once(tmp_path: Path) -> None:
    with serve_fakes(tmp_path) as fakes:
        cfg = ServiceConfig(database_url=f"sqlite:///{tmp_path / 'il.db'}",
                            ca_bundle=fakes.ca_bundle, workers=3, poll_seconds=0.5)
        with ServerThread(create_app(cfg)) as sut:
            async def run() -> None:
                async with socket_world(fakes, sut.url) as w:
                    assert fakes.servers["crm"].url.startswith("https://")
                    await chaos(w)
                    opps = await _close_deals(w, 2)
                    await until(lambda: _all_posted(w, 2), "invoices and payments posted", 60)
                    await until(w.settled, "deliveries and the inbox drained", 60)
                    await _exactly_once(w, opps)
                    stats = await w.stats()
                    assert stats["inbox"]["duplicates_absorbed"] > 0, stats
                    assert stats["inbox"].get("parked", 0) == 0, stats

            asyncio.run(run())


SLOW_WRITES = {"rules": [
    {"name": "slow-write", "match": {"method": "POST", "path": path}, "fault": {"latency": "400ms"}}
    for path in ("/v1/subscriptions", "/services/rest/record/v1/invoice",
                 "/services/rest/record/v1/customerPayment")]}

MID_FLOW = """SELECT i.id FROM inbox i JOIN steps s ON s.flow_id = i.flow_id
 WHERE i.status = 'pending' AND i.lease_owner LIKE %s AND s.status = 'started'"""


def test_two_workers_on_postgres_finish_every_flow_once_after_a_kill(
        tmp_path: Path, pg_url: str) -> None:
    """Process A is SIGKILLed while it holds a lease inside a vendor write; B takes the
    event over when the lease runs out, A comes back, and every flow ends exactly once."""
    config = tmp_path / "il.toml"
    config.write_text("lease_seconds = 1.5\npoll_seconds = 0.5\nworkers = 2\n")
    with serve_fakes(tmp_path) as fakes:
        env = {"FINTWIN_IL_CONFIG": str(config), "FINTWIN_CA_BUNDLE": fakes.ca_bundle}
        args = ["--database-url", pg_url]
        a = service_process(tmp_path, "a", env, args).start()
        b = service_process(tmp_path, "b", env, args).start()
        restarted: ServerProcess | None = None
        try:
            async def run() -> None:
                nonlocal restarted
                await a.aready()
                await b.aready()
                async with socket_world(fakes, b.url) as w, \
                        await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as db:
                    await put_faults(w.billing, SLOW_WRITES)
                    await put_faults(w.erp, SLOW_WRITES)

                    async def a_mid_flow() -> int | None:
                        cur = await db.execute(MID_FLOW, (f"%:{a.pid}:%",))
                        row = await cur.fetchone()
                        return int(row[0]) if row else None

                    opps = await _close_deals(w, 4)
                    killed = await until(a_mid_flow, "process A inside a vendor write", 30)
                    a.kill()
                    port = int(a.url.rsplit(":", 1)[1])
                    restarted = service_process(tmp_path, "a2", env, args, port=port).start()
                    await restarted.aready()
                    await until(lambda: _all_posted(w, 4), "invoices and payments posted", 60)
                    await until(w.settled, "deliveries and the inbox drained", 60)
                    await _exactly_once(w, opps)
                    cur = await db.execute(
                        "SELECT status, attempts, lease_owner FROM inbox WHERE id = %s",
                        (killed,))
                    status, attempts, owner = await cur.fetchone() or (None, 0, None)
                    assert status == "done" and attempts >= 2 and owner is None

            asyncio.run(run())
        finally:
            for proc in (a, b, restarted):
                if proc is not None:
                    proc.stop()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
