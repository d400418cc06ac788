"""Over a real socket: uvicorn serving the ERP fake, driven by the reference
integration layer's NetSuite client (token, create + Location, upsert, get, SuiteQL)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from harness.servers import ServerThread
from integration_layer.clients.netsuite_client import ErpClient
from integration_layer.clients.options import ClientOptions
from simulators.engine.settings import SimSettings
from simulators.erp.app import create_app
from tests.integration_layer.clients.support import seeded_policy


@pytest.fixture
def server(serve: Callable[..., ServerThread]) -> str:
    return serve(create_app(SimSettings(seed=3))).url


def test_reference_client_against_the_fake_over_http(server: str) -> None:
    async def scenario() -> None:
        client = ErpClient(server, "1234567", client_id="il-client", client_secret="pw",
                           options=ClientOptions(policy=seeded_policy()))
        try:
            customer = await client.create(
                "customer", {"companyName": "Socket Co", "subsidiary": {"id": "1"}}
            )
            assert customer.isdigit()
            invoice = await client.upsert(
                "invoice",
                "SO-1",
                {
                    "entity": {"id": customer},
                    "item": {"items": [{"item": {"id": "1"}, "amount": 12.5}]},
                },
            )
            assert invoice is not None
            again = await client.upsert("invoice", "SO-1", {"memo": "again"})
            assert again == invoice
            rec = await client.get("invoice", invoice, expand_sub_resources=True)
            assert rec["total"] == 12.5 and rec["memo"] == "again"
            assert (await client.get_by_external_id("invoice", "SO-1"))["id"] == invoice
            assert await client.get_by_external_id("invoice", "nope") is None
            rows = [
                row
                async for row in client.suiteql(
                    "SELECT id FROM accountingPeriod ORDER BY id", page_size=5
                )
            ]
            assert [r["id"] for r in rows] == [str(n) for n in range(1, 35)]  # two fiscal years
            assert client.token_fetches == 1
        finally:
            await client.aclose()

    asyncio.run(scenario())
