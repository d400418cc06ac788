"""Service time: how long a vendor takes to answer an operation, modelled so that requests
overlap as they do against the vendor.

A fake answers in well under a millisecond, so a request is over before the next one
starts and a concurrency limit (NetSuite's account-wide limit on requests in flight) is
never reached however a SUT behaves. An operation may declare its service time
(``extra={"service_time": ServiceTime(p50=..., p99=...)}``); the :class:`Serve` step then
holds the request, without blocking the event loop, for a duration drawn from the run
seed (a pure function of seed, tenant, operation and that tenant's ordinal of the
operation, as every other draw: ``engine.seed``). The request keeps its concurrency slot,
taken by the middleware before the vendor app runs, for that time, so parallel clients
over an account's limit get the vendor's 429 while other tenants, whose slots are their
own, are not slowed.

``SimSettings.service_time`` scales every duration: 1.0 is the vendor's own pace, 0 (the
default) turns the model off so that tests and CI stay fast, 0.05 keeps the overlap that
a limit needs at a twentieth of the wait.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simulators.engine import seed as seeding
from simulators.engine.faults.plan import Latency
from simulators.engine.operation import Operation
from simulators.engine.pipeline import Step, StepFn, VendorExchange

if TYPE_CHECKING:
    from simulators.engine.runtime import Simulation
    from simulators.engine.tenancy import Tenant

EXTRA = "service_time"
_ORDINALS = "service_time.ordinals"


@dataclass(frozen=True)
class ServiceTime:
    """A log-normal duration in seconds: its median and 99th percentile at the vendor's
    own pace, and where the figures come from."""

    p50: float
    p99: float
    source: str = ""

    def sample(self, u: float) -> float:
        return Latency(p50=self.p50, p99=self.p99).sample(u)


def draw(sim: Simulation, tenant: Tenant, op: Operation, spec: ServiceTime) -> float:
    """The next service time of ``op`` for ``tenant``, at the vendor's pace (unscaled)."""
    ordinals: dict[str, int] = tenant.transient.setdefault(_ORDINALS, {})
    n = ordinals[op.operation_id] = ordinals.get(op.operation_id, 0) + 1
    return spec.sample(seeding.uniform(sim.settings.seed, tenant.id, "service-time",
                                       op.operation_id, n))


class Serve(Step[VendorExchange]):
    """Hold the request for its operation's service time times ``scale`` (the fake's
    ``SimSettings.service_time``, fixed when the app is built). With a scale of 0 the
    step sits every operation out: the hot path pays nothing for the model."""

    name = "serve"

    def __init__(self, scale: float) -> None:
        self.scale = scale

    def bind(self, op: Operation) -> StepFn[VendorExchange] | None:
        spec: Any = op.extra.get(EXTRA)
        scale = self.scale
        if not isinstance(spec, ServiceTime) or scale <= 0:
            return None

        async def serve(ex: VendorExchange) -> None:
            tenant = ex.tenant
            if tenant is None or ex.scope.get("fintwin.observer"):
                return
            await asyncio.sleep(draw(ex.sim, tenant, op, spec) * scale)
        return serve
