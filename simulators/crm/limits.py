"""The org's API limits: the daily allocation, ``Sforce-Limit-Info`` and ``/limits``, and
the concurrent long-running request limit.

* "Every response carries Sforce-Limit-Info: api-usage=N/M" (REST API Developer Guide,
  "Limit Info Header"); simple-salesforce parses it into ``Salesforce.api_usage``.
* When the daily allocation is used up, calls answer 403 REQUEST_LIMIT_EXCEEDED
  "TotalRequests Limit exceeded." (Salesforce Developer Limits and Allocations Quick
  Reference, "API Request Limits and Allocations"). Salesforce counts over a rolling 24
  hours; fintwin counts per business day of the org's clock, so a harness can start a new
  day by advancing the clock.
* At most 25 requests that have run 20 s or longer at once per org ("Concurrent API Request
  Limits"); one more answers 403 REQUEST_LIMIT_EXCEEDED "ConcurrentPerOrgLongTxn Limit
  exceeded.". Both numbers are settings (``long_running_limit``, ``long_running_seconds``).

The allocation defaults to 100,000 calls a day, the base allocation of an Enterprise
Edition org before per-licence additions; ``settings.extra["daily_api_requests"]`` or
``PUT /_sim/crm/limits`` change it.
"""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulators.engine.runtime import Simulation
    from simulators.engine.tenancy import Tenant

DEFAULT_DAILY = 100_000
LONG_RUNNING_SECONDS = 20.0
LONG_RUNNING_LIMIT = 25
_INFLIGHT = "crm.inflight"


def allocation(sim: Simulation, tenant: Tenant) -> int:
    value = tenant.meta.get("daily_api_requests")
    if value is None:
        value = sim.settings.extra.get("daily_api_requests", DEFAULT_DAILY)
    return int(value)


def _day(tenant: Tenant) -> int:
    return int(tenant.clock.now() // 86400)


def used(tenant: Tenant) -> int:
    usage = tenant.meta.get("api_usage") or {}
    return int(usage.get("used", 0)) if usage.get("day") == _day(tenant) else 0


def count_call(sim: Simulation, tenant: Tenant) -> tuple[int, int, bool]:
    """Count one API call: (used, allocation, refused). A refused call is not counted."""
    limit = allocation(sim, tenant)
    n = used(tenant)
    if n >= limit:
        return n, limit, True
    tenant.meta["api_usage"] = {"day": _day(tenant), "used": n + 1}
    return n + 1, limit, False


def limits_body(sim: Simulation, tenant: Tenant) -> dict[str, Any]:
    """``GET /limits`` (REST API Developer Guide, "Limits"): Max and Remaining per limit."""
    daily = allocation(sim, tenant)
    long_limit = int(sim.settings.extra.get("long_running_limit", LONG_RUNNING_LIMIT))
    return {
        "DailyApiRequests": {"Max": daily, "Remaining": max(daily - used(tenant), 0)},
        "ConcurrentAsyncGetReportInstances": {"Max": 200, "Remaining": 200},
        "ConcurrentSyncReportRuns": {"Max": 20, "Remaining": 20},
        "DailyAsyncApexExecutions": {"Max": 250000, "Remaining": 250000},
        "DailyBulkApiBatches": {"Max": 15000, "Remaining": 15000},
        "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
        "DailyStreamingApiEvents": {"Max": 1000000, "Remaining": 1000000},
        "DataStorageMB": {"Max": 5, "Remaining": 5},
        "HourlyLongTermIdMapping": {"Max": 100000, "Remaining": 100000},
        "ConcurrentPerOrgLongTxn": {
            "Max": long_limit,
            "Remaining": max(long_limit - long_running(sim, tenant), 0),
        },
    }


# --- the concurrent long-running request limit ------------------------------------------


def _registry(tenant: Tenant) -> dict[int, float]:
    reg: dict[int, float] = tenant.transient.setdefault(_INFLIGHT, {})
    return reg


def arrived(tenant: Tenant, key: int, at: float) -> None:
    _registry(tenant)[key] = at


def finished(tenant: Tenant, key: int) -> None:
    _registry(tenant).pop(key, None)


def long_running(sim: Simulation, tenant: Tenant, exclude: int | None = None) -> int:
    threshold = float(sim.settings.extra.get("long_running_seconds", LONG_RUNNING_SECONDS))
    now = time.monotonic()
    return sum(
        1 for key, at in _registry(tenant).items() if key != exclude and now - at >= threshold
    )


def over_long_running(sim: Simulation, tenant: Tenant, scope: MutableMapping[str, Any]) -> bool:
    limit = int(sim.settings.extra.get("long_running_limit", LONG_RUNNING_LIMIT))
    return long_running(sim, tenant, scope.get("crm.inflight_key")) >= limit
