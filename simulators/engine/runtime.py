"""The Simulation: everything one fake holds at run time, in one object.

It belongs to the app (``app.state.sim``), never to a module, so several fakes
(or several copies of one) can live in one process.
"""

from __future__ import annotations

import itertools
import logging
import time
from typing import Any

from simulators.engine import seed as seeding
from simulators.engine.delivery import DeliveryEngine
from simulators.engine.faults.plan import FaultPlan, Rule
from simulators.engine.faults.runtime import FaultRuntime
from simulators.engine.journal import RequestJournal
from simulators.engine.metrics import Metrics
from simulators.engine.settings import SimSettings
from simulators.engine.statedir import StateDir
from simulators.engine.tenancy import Tenant, TenantRegistry
from simulators.engine.vendor import Vendor

log = logging.getLogger("fintwin.sim")


class Simulation:
    def __init__(self, vendor: Vendor, settings: SimSettings,
                 indexes: dict[str, tuple[str, ...]] | None = None) -> None:
        self.vendor = vendor
        self.settings = settings
        self.statedir = StateDir(settings.state_dir) if settings.state_dir else None
        self.tenants = TenantRegistry(settings.seed, indexes or {}, self._on_tenant_created,
                                      self.statedir, settings.epoch, settings.frozen_clock)
        self.metrics = Metrics(f"fintwin_{vendor.name}")
        self.journal = RequestJournal()
        plan = FaultPlan.load(settings.faults) if settings.faults else FaultPlan()
        self.faults = FaultRuntime(vendor.name, settings.seed, plan, self._limit_rules())
        self.faults.limits_enabled = settings.limits
        self.deliveries = DeliveryEngine(self)
        self.globals: dict[str, Any] = {}
        self.evicting = self.statedir is None and (
            settings.max_tenants > 0 or settings.tenant_ttl > 0)
        self._next_sweep = 0.0
        self._request_ids = itertools.count(1)
        self._request_tokens = seeding.sequence(self.settings.seed, 14, "request")
        if self.statedir is not None:
            self._load_state()

    # -- limits -------------------------------------------------------------
    def _limit_rules(self) -> tuple[Rule, ...]:
        specs = []
        for spec in self.vendor.default_limits:
            spec = dict(spec)
            override = self.settings.limit_overrides.get(spec.get("name", ""))
            if override is not None:
                spec["fault"] = override
            specs.append(spec)
        return FaultPlan.parse({"rules": specs}).rules

    # -- tenants ------------------------------------------------------------
    def _on_tenant_created(self, tenant: Tenant) -> None:
        self._wire_clock(tenant)
        self.vendor.on_tenant_created(self, tenant)
        self.persist_header(tenant)

    def _wire_clock(self, tenant: Tenant) -> None:
        def on_advance(before: float, after: float) -> None:
            self.vendor.on_clock_advanced(self, tenant, before, after)

        def on_change() -> None:
            self.vendor.on_clock_changed(self, tenant)
        tenant.clock.listeners.append(on_advance)
        tenant.clock.watchers.append(on_change)

    def tenant(self, tenant_id: str) -> Tenant:
        return self.tenants.get_or_create(tenant_id)

    def request_id(self, prefix: str = "req_") -> str:
        return prefix + self._request_tokens.at(next(self._request_ids))

    # -- persistence --------------------------------------------------------
    def persist_header(self, tenant: Tenant) -> None:
        if self.statedir is not None:
            self.statedir.record_header(tenant.id, {
                "clock": tenant.clock.to_json(), "counters": dict(tenant.streams.counters),
                "meta": tenant.meta})

    def persist_global(self, key: str, value: Any) -> None:
        self.globals[key] = value
        if self.statedir is not None:
            self.statedir.record_global(key, value)

    def snapshot(self) -> dict[str, Any]:
        return {"tenants": {t.id: t.snapshot() for t in self.tenants},
                "globals": self.globals, "faults": self.faults.plan.source}

    def restore_tenant(self, data: dict[str, Any]) -> Tenant:
        tenant = self.tenants.make(data["id"])
        journal, tenant.store.journal = tenant.store.journal, None
        tenant.restore(data)
        tenant.store.journal = journal
        self._wire_clock(tenant)
        self.tenants.adopt(tenant)
        self.vendor.on_tenant_restored(self, tenant)
        return tenant

    def _load_state(self) -> None:
        assert self.statedir is not None
        state = self.statedir.load()
        for data in state.get("tenants", {}).values():
            self.restore_tenant(data)
        self.globals = dict(state.get("globals", {}))
        plan_source = self.globals.get("fault_plan")
        if plan_source:
            self.faults.install(FaultPlan.parse(plan_source))
        self.statedir.compact(self.snapshot())
        self.deliveries.rebuild()
        log.info("restored %d tenants from %s", len(self.tenants), self.statedir.path)

    def close(self) -> None:
        if self.statedir is not None:
            self.statedir.compact(self.snapshot())
            self.statedir.close()

    # -- eviction ----------------------------------------------------------------
    def tenant_used(self, tenant: Tenant) -> None:
        """A request names ``tenant`` (the middleware, when eviction is on)."""
        now = time.monotonic()
        tenant.last_used = now
        tenant.inflight += 1
        cap = self.settings.max_tenants
        if (cap and len(self.tenants) > cap) or now >= self._next_sweep:
            self.evict_idle(now)

    def tenant_done(self, tenant: Tenant) -> None:
        tenant.inflight -= 1

    def evict_idle(self, now: float | None = None) -> list[str]:
        """Forget idle tenants over the cap or past their time to live; their ids."""
        now = time.monotonic() if now is None else now
        cap, ttl = self.settings.max_tenants, self.settings.tenant_ttl
        self._next_sweep = now + (min(ttl / 4, 10.0) if ttl else 10.0)
        busy = self.deliveries.pending_tenants()
        idle = [t for t in self.tenants if t.inflight <= 0 and t.id not in busy]
        evict = [t for t in idle if ttl and now - t.last_used > ttl]
        if cap and len(self.tenants) - len(evict) > cap:
            # Down to 90 % of the cap: a burst of new tenants sorts once, not per request.
            chosen = {t.id for t in evict}
            rest = sorted((t for t in idle if t.id not in chosen), key=lambda t: t.last_used)
            evict += rest[:len(self.tenants) - len(evict) - cap * 9 // 10]
        for tenant in evict:
            self.reset(tenant.id)
            self.vendor.on_tenant_dropped(self, tenant.id)
        if evict:
            self.metrics.inc("tenants_evicted_total", value=len(evict),
                             help="Idle tenants forgotten (max_tenants, tenant_ttl)")
            log.info("evicted %d idle tenants", len(evict))
        return [t.id for t in evict]

    def reset(self, tenant_id: str | None = None) -> None:
        if tenant_id is None:
            self.tenants.clear()
            self.journal.clear()
            self.faults.reset_counters()
            self.metrics.clear()
            if self.statedir is not None:
                self.statedir.compact(self.snapshot())
        else:
            self.tenants.drop(tenant_id)
            self.journal.clear(tenant_id)
            if self.statedir is not None:
                self.statedir.record_drop(tenant_id)
