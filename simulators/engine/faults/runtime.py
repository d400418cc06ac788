"""Deciding, per request, which faults of the plan (and which vendor limits) apply.

Decisions are pure functions of (seed, tenant, rule, ordinal): each rule
counts the requests it matches per tenant, and a probabilistic rule draws from
the seeded hash of that ordinal. Concurrent tenants therefore cannot change
each other's faults, and the same seed and requests give the same fault log.
Wall-time windows (outages, token buckets) are transport time by design.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simulators.engine import seed as seeding
from simulators.engine.faults.plan import DeliveryFaults, Fault, FaultPlan, Rule

FAULT_LOG_SIZE = 100_000
# Faults that answer instead of the app, checked in this order.
_GATES = ("outage", "quota", "rate", "concurrency", "rate_limit", "error", "reset", "hang")


@dataclass(slots=True)
class Verdict:
    latency: float = 0.0
    gate: Fault | None = None
    gate_rule: str = ""
    retry_after: float | None = None
    commit_then_fail: Fault | None = None
    release: list[tuple[int, str]] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)


@dataclass
class _Bucket:
    tokens: float
    updated: float


class FaultRuntime:
    def __init__(self, simulator: str, seed: int, plan: FaultPlan | None = None,
                 limits: tuple[Rule, ...] = (),
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.simulator = simulator
        self.base_seed = seed
        self.limits = limits
        self.limits_enabled = True
        self.monotonic = monotonic
        self.log: deque[dict[str, Any]] = deque(maxlen=FAULT_LOG_SIZE)
        self._log_seq = 0
        self.install(plan or FaultPlan())

    # -- plan ---------------------------------------------------------------
    def install(self, plan: FaultPlan) -> None:
        self.plan = plan
        self.seed = plan.seed if plan.seed is not None else self.base_seed
        self.installed_at = self.monotonic()
        self._ordinals: dict[tuple[int, str], int] = {}
        self._inflight: dict[tuple[int, str], int] = {}
        self._quota: dict[tuple[int, str, int], int] = {}
        self._buckets: dict[tuple[int, str], _Bucket] = {}
        self._cleared: set[int] = set()

    def clear(self) -> None:
        self.install(FaultPlan())

    def reset_counters(self) -> None:
        self.install(self.plan)
        self.log.clear()
        self._log_seq = 0

    @property
    def deliveries(self) -> DeliveryFaults:
        return self.plan.deliveries

    def rules(self) -> list[tuple[int, Rule, str]]:
        out: list[tuple[int, Rule, str]] = []
        if self.limits_enabled:
            out.extend((-1 - i, r, "limit") for i, r in enumerate(self.limits))
        out.extend((i, r, "plan") for i, r in enumerate(self.plan.rules))
        return out

    # -- decisions ----------------------------------------------------------
    def _log(self, tenant: str, rule: Rule, source: str, kind: str, method: str, path: str,
             ordinal: int) -> None:
        self._log_seq += 1
        self.log.append({"seq": self._log_seq, "simulator": self.simulator, "tenant": tenant,
                         "rule": rule.name, "source": source, "kind": kind, "method": method,
                         "path": path, "ordinal": ordinal, "wall": time.time()})

    def _outage_active(self, idx: int, fault: Fault, now: float) -> bool:
        if idx in self._cleared:
            return False
        start = self.installed_at + fault.start
        if now < start:
            return False
        return fault.duration is None or now < start + fault.duration

    def outage_remaining(self, idx: int, fault: Fault, now: float) -> float | None:
        if fault.duration is None:
            return None
        return max(0.0, self.installed_at + fault.start + fault.duration - now)

    @property
    def idle(self) -> bool:
        """No plan rules and no vendor limits in force: every request passes untouched."""
        return not self.plan.rules and not (self.limits_enabled and self.limits)

    def decide(self, tenant: str, method: str, path: str, business_day: int = 0) -> Verdict | None:
        if self.idle:
            return None
        rules = self.rules()
        verdict: Verdict | None = None
        now = self.monotonic()
        for idx, rule, source in rules:
            m = rule.match
            if not m.matches_request(self.simulator, tenant, method, path):
                continue
            fault = rule.fault
            kind = fault.kind
            key = (idx, tenant)
            ordinal = self._ordinals.get(key, 0) + 1
            self._ordinals[key] = ordinal
            if kind == "outage":
                if not self._outage_active(idx, fault, now):
                    continue
            elif not m.selects(ordinal, 0.0 if m.probability is None else
                               seeding.uniform(self.seed, tenant, "fault", idx, ordinal)):
                continue  # (the draw only matters to a probabilistic rule)
            if verdict is None:
                verdict = Verdict()
            if kind == "latency":
                assert fault.latency is not None
                u = seeding.uniform(self.seed, tenant, "latency", idx, ordinal)
                verdict.latency += fault.latency.sample(u)
                verdict.applied.append(f"{rule.name}:latency")
                self._log(tenant, rule, source, kind, method, path, ordinal)
                continue
            if kind == "commit_then_fail":
                if verdict.gate is None and verdict.commit_then_fail is None:
                    verdict.commit_then_fail = fault
                    verdict.applied.append(f"{rule.name}:commit_then_fail")
                    self._log(tenant, rule, source, kind, method, path, ordinal)
                continue
            if verdict.gate is not None:
                continue
            retry_after: float | None = None
            if kind == "quota":
                qkey = (idx, tenant, business_day)
                used = self._quota.get(qkey, 0) + 1
                self._quota[qkey] = used
                if used <= fault.limit:
                    continue
                retry_after = 3600.0
            elif kind == "rate":
                bucket = self._buckets.get(key)
                if bucket is None:
                    bucket = self._buckets[key] = _Bucket(float(fault.burst), now)
                bucket.tokens = min(float(fault.burst),
                                    bucket.tokens + (now - bucket.updated) * fault.limit)
                bucket.updated = now
                if bucket.tokens >= 1.0:
                    bucket.tokens -= 1.0
                    continue
                retry_after = (1.0 - bucket.tokens) / fault.limit
            elif kind == "concurrency":
                inflight = self._inflight.get(key, 0)
                if inflight < fault.limit:
                    self._inflight[key] = inflight + 1
                    verdict.release.append(key)
                    continue
                retry_after = 1.0
            elif kind == "rate_limit":
                retry_after = fault.retry_after
            elif kind == "outage":
                remaining = self.outage_remaining(idx, fault, now)
                retry_after = fault.retry_after or remaining
            verdict.gate = fault
            verdict.gate_rule = rule.name
            verdict.retry_after = retry_after
            verdict.applied.append(f"{rule.name}:{kind}")
            self._log(tenant, rule, source, kind, method, path, ordinal)
        if verdict is not None and not verdict.applied and not verdict.release:
            return None
        return verdict

    def release(self, verdict: Verdict) -> None:
        for key in verdict.release:
            self._inflight[key] = max(0, self._inflight.get(key, 1) - 1)

    def clear_outages(self) -> int:
        """End every 'until cleared' (or still running) outage window now."""
        n = 0
        for idx, rule in enumerate(self.plan.rules):
            if rule.fault.kind == "outage" and idx not in self._cleared:
                self._cleared.add(idx)
                n += 1
        return n

    def simulator_down(self, tenant: str) -> bool:
        """An outage of the whole fake for this tenant: deliveries hold too."""
        now = self.monotonic()
        for idx, rule in enumerate(self.plan.rules):
            m = rule.match
            if (rule.fault.kind == "outage" and (not m.paths or "*" in m.paths or "/*" in m.paths)
                    and m.matches_request(self.simulator, tenant, m.methods[0] if m.methods
                                          else "POST", "/")
                    and self._outage_active(idx, rule.fault, now)):
                return True
        return False

    def fault_log(self, tenant: str | None = None, source: str | None = None
                  ) -> list[dict[str, Any]]:
        return [e for e in self.log
                if (tenant is None or e["tenant"] == tenant)
                and (source is None or e["source"] == source)]
