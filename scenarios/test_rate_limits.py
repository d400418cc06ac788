"""Rate limits on all three vendors: every third request of the SUT meets the vendor's
429 with a Retry-After. Everything must still happen, and the harness counts, from each
fake's journal, every request the SUT sent again before the Retry-After it was given
allowed. A request is surely sent again when it carries the same idempotency key, or is
the same write (method, path, query and body digest): those fail the test, to the CRM,
billing and the ERP alike. A bodiless read matched by method, path and query may be
concurrent work (two flows reading one account): counted in the test's record only."""

from __future__ import annotations

from harness.plugin import FaultPlanControl
from harness.scenario import Q2C, Q2CRunner

LIMIT = {"match": {"every": 3}, "fault": {"rate_limit": {"retry_after": "0.5s"}}}
VENDORS = ("crm", "billing", "erp")


def test_vendor_429s_are_waited_out_as_retry_after_says(
        q2c: Q2CRunner, fault_plan: FaultPlanControl) -> None:
    for vendor in VENDORS:
        fault_plan.add(vendor, LIMIT)

    async def scenario(q: Q2C) -> None:
        for deal in q.deals(3):
            await q.sell(deal)
        await q.settled_ok("rate limits")
        spared = [v for v in VENDORS if not q.fault_count(v, "rate_limit")]
        q.chaos_happened(not spared, f"no 429 was injected by {', '.join(spared)}")
        everything = q.early_retries(VENDORS)
        if q.record is not None:
            q.record.note("early_retries", {
                v: {"certain": sum(e.certain for e in everything if e.vendor == v),
                    "possible": sum(not e.certain for e in everything if e.vendor == v)}
                for v in VENDORS})
        early = [e for e in everything if e.certain]
        by_vendor = ", ".join(f"{v}: {n}" for v in VENDORS
                              if (n := sum(e.vendor == v for e in early)))
        assert not early, q.finding(
            "RETRY_BEFORE_RETRY_AFTER",
            f"{len(early)} requests were sent again before Retry-After allowed ({by_vendor}):\n"
            + "\n".join(e.describe() for e in early[:8]), severity="compliance")

    q2c.run(scenario)


# Longer than the 4 s of silence after which the harness used to call a run over: a SUT
# that waits it out is busy, not done, and the run settles only once the write went through.
LONG_WAIT = {"match": {"method": "POST", "path": "/services/rest/record/v1/invoice",
                       "first": 1},
             "fault": {"rate_limit": {"retry_after": "6s"}}}


def test_a_retry_after_longer_than_any_quiet_spell_is_waited_out(
        q2c: Q2CRunner, fault_plan: FaultPlanControl) -> None:
    fault_plan.add("erp", LONG_WAIT)

    async def scenario(q: Q2C) -> None:
        await q.sell(q.deals(1)[0])
        report = await q.settled_ok("a 6 s Retry-After on the ERP invoice")
        assert q.fault_count("erp", "rate_limit") == 1, "the 429 was not injected"
        assert report.counts.get("erp.transactions", 0) >= 2, report.summary()
        settled = q.last_settle
        assert settled is not None and settled.how == "idle", settled
        early = [e for e in q.early_retries(("erp",)) if e.certain]
        assert not early, q.finding(
            "RETRY_BEFORE_RETRY_AFTER", "; ".join(e.describe() for e in early),
            severity="compliance")

    q2c.run(scenario)
