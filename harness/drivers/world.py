"""A tenant in each fake, the three drivers on it, and one clock for all three.

``await World.provision(endpoints, run_seed, scope)`` gives a test a fresh CRM org,
billing account and ERP account (so tests can run in parallel against one stack), with
the credentials a SUT needs (:meth:`World.connection`) and each fake's tenant reference
for control-plane calls.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from typing import Any

from harness.data import derive_seed
from harness.drivers.base import Endpoint
from harness.drivers.billing import BillingDriver
from harness.drivers.crm import CrmDriver
from harness.drivers.erp import ErpDriver


@dataclass(frozen=True)
class Endpoints:
    """Where the three fakes are."""

    crm: Endpoint
    billing: Endpoint
    erp: Endpoint


@dataclass(frozen=True)
class TenantCredentials:
    """One tenant across the three fakes: what a SUT logs in with.

    Control-plane ``?tenant=`` values: billing takes the API key, the CRM the client id,
    the ERP the account id.
    """

    id: str  # the connection id, e.g. "t-1a2b3c4d"
    billing_api_key: str
    crm_client_id: str
    crm_client_secret: str
    erp_account_id: str
    erp_client_id: str
    erp_client_secret: str

    @classmethod
    def derive(cls, run_seed: int, scope: str) -> TenantCredentials:
        """Deterministic credentials for (run seed, scope): same inputs, same tenant."""
        seed = derive_seed(run_seed, scope, "tenant")
        tag = f"{seed:016x}"[:10]

        def secret(purpose: str) -> str:
            return hashlib.sha256(f"{seed}:{purpose}".encode()).hexdigest()[:32]

        # ERP account ids are 7 digits; 2,000,000-9,999,999 from the seed.
        account = str(2_000_000 + seed % 8_000_000)
        return cls(id=f"t-{tag}", billing_api_key=f"sk_test_fintwin_{tag}",
                   crm_client_id=f"fintwin-{tag}", crm_client_secret=secret("crm"),
                   erp_account_id=account, erp_client_id=f"fintwin-{tag}",
                   erp_client_secret=secret("erp"))


class WorldClock:
    """Advances the business clocks of the three fakes together."""

    def __init__(self, crm: CrmDriver, billing: BillingDriver, erp: ErpDriver) -> None:
        self.drivers = (crm, billing, erp)

    async def advance(self, seconds: float) -> dict[str, dict[str, Any]]:
        """``POST /_sim/clock/advance`` on each fake. Billing goes last: advancing it
        generates renewals and dunning, whose webhooks make the SUT write into the CRM and
        ERP, which should already be at the new time."""
        crm, billing, erp = self.drivers
        out = {"crm": await crm.advance_clock(seconds), "erp": await erp.advance_clock(seconds)}
        out["billing"] = await billing.advance_clock(seconds)
        return out

    async def advance_days(self, days: float) -> dict[str, dict[str, Any]]:
        return await self.advance(days * 86400)

    async def now(self) -> dict[str, float]:
        crm, billing, erp = self.drivers
        return {"crm": float((await crm.clock())["now"]),
                "billing": float((await billing.clock())["now"]),
                "erp": float((await erp.clock())["now"])}

    async def freeze(self, at: float) -> None:
        """Freeze all three clocks at the same instant (unix seconds)."""
        await asyncio.gather(*(d.freeze_clock(at) for d in self.drivers))


class World:
    """The drivers of one tenant. ``observer=True`` drivers read with
    ``X-Fintwin-Observer`` (no faults, limits or journal): what the oracle uses."""

    def __init__(self, endpoints: Endpoints, tenant: TenantCredentials, *,
                 observer: bool = False) -> None:
        self.endpoints = endpoints
        self.tenant = tenant
        self.crm = CrmDriver(endpoints.crm, tenant.crm_client_id, tenant.crm_client_secret,
                             observer=observer)
        self.billing = BillingDriver(endpoints.billing, tenant.billing_api_key,
                                     observer=observer)
        self.erp = ErpDriver(endpoints.erp, tenant.erp_account_id, tenant.erp_client_id,
                             tenant.erp_client_secret, observer=observer)
        self.clock = WorldClock(self.crm, self.billing, self.erp)

    @classmethod
    async def provision(cls, endpoints: Endpoints, run_seed: int, scope: str) -> World:
        """A fresh tenant in each fake: registers the ERP client for a new account, logs in
        to the CRM (a new client id is a new org) and touches the billing account (a new
        key is a new account)."""
        world = cls(endpoints, TenantCredentials.derive(run_seed, scope))
        await world.erp.register_client()
        await world.erp.login()
        await world.crm.login()
        await world.billing.get("/v1/customers", {"limit": 1})
        return world

    def observer(self) -> World:
        """The same tenant, read as an observer (for the oracle)."""
        return World(self.endpoints, self.tenant, observer=True)

    async def aclose(self) -> None:
        await asyncio.gather(self.crm.aclose(), self.billing.aclose(), self.erp.aclose())

    async def __aenter__(self) -> World:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def connection(self, *, billing_webhook_secret: str | None = None,
                   crm_webhook_secret: str | None = None) -> dict[str, Any]:
        """The body of a SUT's ``POST /admin/connections`` (docs/quote-to-cash.md)."""
        t = self.tenant
        return {
            "id": t.id,
            "crm": {"base_url": self.endpoints.crm.base_url, "client_id": t.crm_client_id,
                    "client_secret": t.crm_client_secret, "webhook_secret": crm_webhook_secret},
            "billing": {"base_url": self.endpoints.billing.base_url,
                        "api_key": t.billing_api_key, "webhook_secret": billing_webhook_secret},
            "erp": {"base_url": self.endpoints.erp.base_url, "account_id": t.erp_account_id,
                    "client_id": t.erp_client_id, "client_secret": t.erp_client_secret},
        }
