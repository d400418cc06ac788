"""Tenants: one per vendor credential (a Stripe account, a Salesforce org, a NetSuite account).

Tenants never see each other's objects: each has its own store, business
clock and seeded streams, created on first use.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from simulators.engine.clock import BusinessClock
from simulators.engine.seed import Streams
from simulators.engine.store import Journal, Store


@dataclass
class Tenant:
    id: str
    store: Store
    clock: BusinessClock
    streams: Streams
    meta: dict[str, Any] = field(default_factory=dict)
    created_wall: float = field(default_factory=time.time)
    # Wall-time state the transport keeps (idempotency cache, locks); not
    # business state, so not part of a snapshot.
    transient: dict[str, Any] = field(default_factory=dict)
    # For eviction (Simulation.tenant_used): when a request last named it (monotonic
    # seconds) and how many of its requests are being answered now.
    last_used: float = field(default_factory=time.monotonic)
    inflight: int = 0

    def new_id(self, prefix: str, length: int = 24) -> str:
        return self.streams.new_id(prefix, length)

    def snapshot(self) -> dict[str, Any]:
        self.store.settle()  # deferred records draw ids: the counters come after them
        return {
            "id": self.id,
            "clock": self.clock.to_json(),
            "counters": dict(self.streams.counters),
            "meta": self.meta,
            "store": self.store.snapshot(),
        }

    def restore(self, data: dict[str, Any]) -> None:
        self.clock.load_json(data.get("clock", {}))
        self.streams.counters = dict(data.get("counters", {}))
        self.meta = dict(data.get("meta", {}))
        self.store.restore(data.get("store", {}))
        self.transient.clear()


class TenantRegistry:
    """Creates tenants on first use and keeps them apart."""

    def __init__(self, seed: int, indexes: dict[str, tuple[str, ...]],
                 on_create: Callable[[Tenant], None],
                 journal: Journal | None = None,
                 epoch: float | None = None, frozen_clock: bool = False) -> None:
        self.seed = seed
        self.indexes = indexes
        self.on_create = on_create
        self.journal = journal
        self.epoch = epoch
        self.frozen_clock = frozen_clock
        self._tenants: dict[str, Tenant] = {}

    def __iter__(self) -> Iterator[Tenant]:
        return iter(list(self._tenants.values()))

    def __len__(self) -> int:
        return len(self._tenants)

    def get(self, tenant_id: str) -> Tenant | None:
        return self._tenants.get(tenant_id)

    def make(self, tenant_id: str) -> Tenant:
        clock = BusinessClock.starting_at(self.epoch, frozen=self.frozen_clock)
        return Tenant(id=tenant_id, store=Store(tenant_id, self.indexes, self.journal),
                      clock=clock, streams=Streams(self.seed, tenant_id))

    def get_or_create(self, tenant_id: str) -> Tenant:
        tenant = self._tenants.get(tenant_id)
        if tenant is None:
            tenant = self.make(tenant_id)
            self._tenants[tenant_id] = tenant
            self.on_create(tenant)
        return tenant

    def adopt(self, tenant: Tenant) -> None:
        self._tenants[tenant.id] = tenant

    def drop(self, tenant_id: str) -> bool:
        return self._tenants.pop(tenant_id, None) is not None

    def clear(self) -> None:
        self._tenants.clear()
