"""Vendor limit profiles: what each vendor lets one account send, with the source of each
figure, and how a profile is put on the fakes for a load run.

- ``sandbox``: what the fakes do by default (their own limit rules, unchanged): Stripe's
  test-mode rate, NetSuite's lowest service tier, a Salesforce Enterprise org's base
  daily allocation.
- ``production``: Stripe live mode, a Salesforce Enterprise org's daily allocation (plus
  1,000 per licence) and its concurrent long-running request limit, NetSuite's account
  concurrency for a service tier (plus 10 per SuiteCloud Plus licence).
- ``none``: no vendor limit at all (the fakes' limit rules off, the CRM's daily
  allocation out of reach): the SUT's own ceiling.

Whatever profile a run enforces, the cutover report measures the load against the
production profile (:func:`production`) and says whether it fits, with what headroom.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# The paths NetSuite governs (every REST web services call, not the token endpoint);
# the same globs as the ERP fake's own default rule (simulators/erp/vendor.py).
ERP_GOVERNED = ["/services/rest/record/*", "/services/rest/query/*",
                "/services/rest/system/*", "/services/rest/async/*"]

STRIPE_RATE_LIMITS = "Stripe docs, 'Rate limits' (docs.stripe.com/rate-limits)"
SALESFORCE_LIMITS = ("Salesforce Developer Limits and Allocations Quick Reference, 'API "
                     "Request Limits and Allocations'")
NETSUITE_TIERS = ("Oracle NetSuite Help, 'Concurrency Governance Limits Based on Service "
                  "Tiers and SuiteCloud Plus Licenses'")

#: NetSuite account concurrency by service tier (service tiers of contracts since June
#: 2020); each SuiteCloud Plus licence adds 10 (NETSUITE_TIERS).
ERP_TIERS: Mapping[str, int] = {"standard": 5, "premium": 15, "enterprise": 20,
                                "ultimate": 20}
SUITECLOUD_PLUS = 10
#: A Salesforce Enterprise Edition org: 100,000 requests per 24 hours plus 1,000 per
#: Salesforce licence (SALESFORCE_LIMITS; Unlimited and Performance add 5,000 each).
CRM_DAILY_BASE = 100_000
CRM_DAILY_PER_LICENCE = 1_000
#: At most 25 requests of 20 s or longer at once in a production org (SALESFORCE_LIMITS).
CRM_LONG_RUNNING = 25
CRM_LONG_RUNNING_SECONDS = 20.0
#: No limit: the CRM's daily allocation set out of any load's reach.
UNREACHABLE_DAILY = 2_000_000_000
PROFILES = ("sandbox", "production", "none")


@dataclass(frozen=True)
class Limit:
    """One vendor limit on one account. ``kind``: ``rate`` (requests per second),
    ``concurrency`` (requests in flight), ``daily`` (requests per day), ``long_running``
    (requests of ``CRM_LONG_RUNNING_SECONDS`` or more in flight)."""

    vendor: str
    kind: str
    value: int
    source: str
    what: str
    burst: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"vendor": self.vendor, "kind": self.kind, "value": self.value,
                "burst": self.burst, "what": self.what, "source": self.source}


@dataclass(frozen=True)
class LimitProfile:
    name: str
    description: str
    limits: tuple[Limit, ...] = ()
    # How the fakes get it: "defaults" (their own rules, as they are), "rules" (their
    # defaults off, this profile's rules installed), "off" (no limits).
    enforce: str = "defaults"
    options: Mapping[str, Any] = field(default_factory=dict)

    def get(self, vendor: str, kind: str) -> Limit | None:
        return next((lim for lim in self.limits if lim.vendor == vendor and lim.kind == kind),
                    None)

    def rules(self, vendor: str) -> list[dict[str, Any]]:
        """Fault-plan rules that enforce this profile's rate and concurrency limits on
        ``vendor``'s fake (per account: the fakes count each rule per tenant)."""
        out: list[dict[str, Any]] = []
        for lim in self.limits:
            if lim.vendor != vendor:
                continue
            if lim.kind == "rate":
                out.append({"name": f"{self.name}:{vendor}-rate",
                            "fault": {"rate": {"per_second": lim.value,
                                               "burst": lim.burst or lim.value}}})
            elif lim.kind == "concurrency":
                out.append({"name": f"{self.name}:{vendor}-concurrency",
                            "match": {"path": list(ERP_GOVERNED)},
                            "fault": {"concurrency": {"limit": lim.value}}})
        return out

    def crm_daily(self) -> int | None:
        """The CRM daily allocation to set on each tenant (None: leave the fake's)."""
        if self.enforce == "off":
            return UNREACHABLE_DAILY
        daily = self.get("crm", "daily")
        return None if self.enforce == "defaults" or daily is None else daily.value

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "enforce": self.enforce,
                "options": dict(self.options), "limits": [lim.to_json() for lim in self.limits]}


def sandbox() -> LimitProfile:
    """The fakes' own limits, as they ship (simulators/*/vendor.py, crm/limits.py)."""
    return LimitProfile("sandbox", "the fakes' default limits: Stripe test mode, NetSuite's "
                        "lowest tier, a Salesforce Enterprise org's base allocation", (
        Limit("billing", "rate", 25, STRIPE_RATE_LIMITS,
              "Stripe test mode: 25 requests per second per account", burst=25),
        Limit("crm", "daily", CRM_DAILY_BASE, SALESFORCE_LIMITS,
              "Salesforce Enterprise org, base allocation: 100,000 requests per day"),
        Limit("crm", "long_running", CRM_LONG_RUNNING, SALESFORCE_LIMITS,
              "Salesforce: 25 requests of 20 s or more at once per org"),
        Limit("erp", "concurrency", ERP_TIERS["standard"], NETSUITE_TIERS,
              "NetSuite Standard tier, no SuiteCloud Plus: 5 requests at once per account"),
    ), enforce="defaults")


def production(erp_tier: str = "premium", suitecloud_plus: int = 0,
               crm_licences: int = 0) -> LimitProfile:
    """Production accounts: Stripe live mode, a Salesforce Enterprise org with
    ``crm_licences`` licences, a NetSuite account on ``erp_tier`` with
    ``suitecloud_plus`` SuiteCloud Plus licences."""
    if erp_tier not in ERP_TIERS:
        raise ValueError(f"unknown NetSuite service tier {erp_tier!r} "
                         f"({', '.join(ERP_TIERS)})")
    if suitecloud_plus < 0 or crm_licences < 0:
        raise ValueError("licence counts cannot be negative")
    concurrency = ERP_TIERS[erp_tier] + SUITECLOUD_PLUS * suitecloud_plus
    daily = CRM_DAILY_BASE + CRM_DAILY_PER_LICENCE * crm_licences
    return LimitProfile("production", "Stripe live mode, Salesforce Enterprise, NetSuite "
                        f"{erp_tier} tier", (
        # Live mode allows 100 operations per second per account (older versions of the
        # page: 100 reads and 100 writes); one bucket of 100 is the stricter reading.
        Limit("billing", "rate", 100, STRIPE_RATE_LIMITS,
              "Stripe live mode: 100 requests per second per account", burst=100),
        Limit("crm", "daily", daily, SALESFORCE_LIMITS,
              f"Salesforce Enterprise org: 100,000 + 1,000 x {crm_licences} licences "
              f"= {daily:,} requests per 24 hours"),
        Limit("crm", "long_running", CRM_LONG_RUNNING, SALESFORCE_LIMITS,
              "Salesforce production org: 25 requests of 20 s or more at once"),
        Limit("erp", "concurrency", concurrency, NETSUITE_TIERS,
              f"NetSuite {erp_tier} tier ({ERP_TIERS[erp_tier]}) + {suitecloud_plus} SuiteCloud "
              f"Plus x 10 = {concurrency} requests at once per account"),
    ), enforce="rules", options={"erp_tier": erp_tier, "suitecloud_plus": suitecloud_plus,
                                 "crm_licences": crm_licences})


def unlimited() -> LimitProfile:
    return LimitProfile("none", "no vendor limits: the SUT's own ceiling", (), enforce="off")


def profile(name: str, **production_options: Any) -> LimitProfile:
    """The profile called ``name`` (sandbox, production, none)."""
    if name == "sandbox":
        return sandbox()
    if name == "production":
        return production(**production_options)
    if name == "none":
        return unlimited()
    raise ValueError(f"unknown limits profile {name!r} ({', '.join(PROFILES)})")
