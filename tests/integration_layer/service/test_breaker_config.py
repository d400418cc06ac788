"""The circuit breaker's cool-down is a setting (30 s by default, short in process), and
an event whose call the open breaker refused keeps its attempts: only calls that reached
the vendor spend them."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from integration_layer.clients import CircuitOpen, TransientError
from integration_layer.service import runtime
from integration_layer.service.app import INPROCESS_BREAKER_RESET, create_inprocess_app
from integration_layer.service.config import Connection, ServiceConfig
from integration_layer.service.inbox import PARKED, PENDING, InboundEvent
from integration_layer.service.runtime import Service

CONNECTION = Connection.from_dict({
    "id": "c1",
    "crm": {"base_url": "http://crm", "client_id": "id", "client_secret": "s"},
    "billing": {"base_url": "http://billing", "api_key": "sk_test_1"},
    "erp": {"base_url": "http://erp", "account_id": "a", "client_id": "id",
            "client_secret": "s"}})


def test_cool_down_from_defaults_environment_and_file() -> None:
    assert ServiceConfig().breaker_reset_seconds == 30.0
    assert ServiceConfig.from_env({}).breaker_reset_seconds == 30.0
    assert ServiceConfig.from_env(
        {"FINTWIN_BREAKER_RESET_SECONDS": "7.5"}).breaker_reset_seconds == 7.5
    assert ServiceConfig.from_mapping(
        {"breaker_reset_seconds": 12}).breaker_reset_seconds == 12


def test_every_vendor_client_gets_the_configured_cool_down() -> None:
    service = Service(ServiceConfig(breaker_reset_seconds=4.0, connections=(CONNECTION,)))
    service.connections[CONNECTION.id] = CONNECTION
    vendors = service.vendors_of(CONNECTION.id)
    try:
        assert [c.caller.breaker.reset_timeout
                for c in (vendors.crm, vendors.billing, vendors.erp)] == [4.0, 4.0, 4.0]
    finally:
        asyncio.run(vendors.aclose())


def test_the_in_process_factory_runs_a_short_cool_down() -> None:
    def cool_down(config: dict[str, Any]) -> float:
        cfg: ServiceConfig = create_inprocess_app(config).state.service.cfg
        return cfg.breaker_reset_seconds

    assert cool_down({}) == INPROCESS_BREAKER_RESET < ServiceConfig().breaker_reset_seconds
    assert cool_down({"breaker_reset_seconds": "9"}) == 9.0


async def _status_after_one_failure(max_attempts: int) -> tuple[str, int]:
    service = Service(ServiceConfig(database_url="sqlite://:memory:",
                                    max_attempts=max_attempts, retry_base=0.001))
    await service.start(workers=False)
    try:
        await service.add_connection(CONNECTION)
        await service.receive(InboundEvent("c1", "billing", "evt_1", "invoice.finalized",
                                           "in_1", {"type": "invoice.finalized"}, "flow-1"))
        assert service.inbox is not None and service.db is not None
        row = await service.inbox.claim("w", 30.0)
        assert row is not None
        await service.process(row, "w")
        after = await service.db.fetchone("SELECT status, attempts FROM inbox WHERE id = ?",
                                          (row["id"],))
        assert after is not None
        return str(after["status"]), int(after["attempts"])
    finally:
        await service.stop()


def test_a_call_the_open_breaker_refused_spends_no_attempt(
        monkeypatch: pytest.MonkeyPatch) -> None:
    failure: list[Exception] = []

    async def handler(ctx: Any) -> None:
        raise failure[0]

    monkeypatch.setattr(runtime, "handler_for", lambda source, payload: handler)
    failure.append(CircuitOpen("circuit 'netsuite' is open", vendor="netsuite",
                               retry_after=0.01))
    # The only attempt allowed: the breaker refused it, so the event waits, unspent.
    assert asyncio.run(_status_after_one_failure(1)) == (PENDING, 0)
    failure[0] = TransientError("503 from netsuite", vendor="netsuite",
                                        status=503, retry_after=None)
    # A failure of the vendor itself spends it, and the last one parks the event.
    assert asyncio.run(_status_after_one_failure(1)) == (PARKED, 1)
    assert asyncio.run(_status_after_one_failure(2)) == (PENDING, 1)


def test_service_settings_layer_file_environment_and_command_line(tmp_path: Path) -> None:
    file = tmp_path / "il.toml"
    file.write_text('workers = 1\nvariant = "no-dedupe"\nlease_seconds = 9.0\n')
    env = {"FINTWIN_IL_CONFIG": str(file), "FINTWIN_WORKERS": "2", "FINTWIN_POLL_SECONDS": "1.5"}
    cfg = ServiceConfig.load(env=env, overrides={"workers": 3})
    assert (cfg.workers, cfg.variant, cfg.lease_seconds, cfg.poll_seconds) == (
        3, "no-dedupe", 9.0, 1.5)
    assert ServiceConfig.load(env=env).workers == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.workers = 4  # type: ignore[misc]
    with pytest.raises(ValueError, match="FINTWIN_WORKERS: not a valid int"):
        ServiceConfig.load(env={"FINTWIN_WORKERS": "many"})
