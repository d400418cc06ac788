"""Vendor limit profiles: the figures, their sources, and how they become fake rules."""

from __future__ import annotations

import pytest

from harness.load.profiles import (
    ERP_GOVERNED,
    UNREACHABLE_DAILY,
    production,
    profile,
    sandbox,
)
from simulators.engine.faults.plan import FaultPlan


def test_production_is_stripe_live_salesforce_enterprise_netsuite_by_tier() -> None:
    prod = production("premium", suitecloud_plus=2, crm_licences=50)
    assert prod.get("billing", "rate").value == 100  # type: ignore[union-attr]
    assert prod.get("crm", "daily").value == 150_000  # type: ignore[union-attr]
    assert prod.get("crm", "long_running").value == 25  # type: ignore[union-attr]
    assert prod.get("erp", "concurrency").value == 15 + 2 * 10  # type: ignore[union-attr]
    assert production("standard").get("erp", "concurrency").value == 5  # type: ignore[union-attr]
    assert all(lim.source for lim in prod.limits)


def test_sandbox_is_what_the_fakes_do_and_installs_nothing() -> None:
    box = sandbox()
    assert box.get("billing", "rate").value == 25  # type: ignore[union-attr]
    assert box.get("erp", "concurrency").value == 5  # type: ignore[union-attr]
    assert box.enforce == "defaults" and box.crm_daily() is None


def test_production_rules_parse_as_a_fault_plan_per_account() -> None:
    prod = production("enterprise")
    billing = prod.rules("billing")
    erp = prod.rules("erp")
    assert billing == [{"name": "production:billing-rate",
                        "fault": {"rate": {"per_second": 100, "burst": 100}}}]
    assert erp[0]["fault"] == {"concurrency": {"limit": 20}}
    assert erp[0]["match"]["path"] == ERP_GOVERNED
    assert prod.rules("crm") == []  # the CRM's allocation is set per tenant instead
    assert prod.crm_daily() == 100_000
    for rules in (billing, erp):
        FaultPlan.parse({"rules": rules})


def test_none_switches_every_limit_off() -> None:
    off = profile("none")
    assert off.enforce == "off" and off.limits == ()
    assert off.crm_daily() == UNREACHABLE_DAILY


def test_bad_names_are_refused() -> None:
    with pytest.raises(ValueError, match="service tier"):
        production("gold")
    with pytest.raises(ValueError, match="profile"):
        profile("staging")
