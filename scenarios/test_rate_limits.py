"""Rate limits on all three vendors: every third request of the SUT meets the vendor's
429 with a Retry-After. Everything must still happen, and the harness counts, from each
fake's journal, every request the SUT sent again before the Retry-After it was given
allowed. A retry is the same write (same idempotency key) for certain; keyless requests
(same method, path and query) may be concurrent work, so they are counted and reported
in the test's record but not failed on."""

from __future__ import annotations

from harness.plugin import FaultPlanControl
from harness.scenario import Q2C, Q2CRunner

LIMIT = {"match": {"every": 3}, "fault": {"rate_limit": {"retry_after": "0.5s"}}}


def test_vendor_429s_are_waited_out_as_retry_after_says(
        q2c: Q2CRunner, fault_plan: FaultPlanControl) -> None:
    for vendor in ("crm", "billing", "erp"):
        fault_plan.add(vendor, LIMIT)

    async def scenario(q: Q2C) -> None:
        for deal in q.deals(3):
            await q.sell(deal)
        await q.settled_ok("rate limits")
        limited = sum(q.fault_count(v, "rate_limit") for v in ("crm", "billing", "erp"))
        assert limited, "no 429 was injected"
        everything = q.early_retries()
        if q.record is not None:
            q.record.note("early_retries", {"certain": sum(e.certain for e in everything),
                                            "keyless": sum(not e.certain for e in everything)})
        early = [e for e in everything if e.certain]
        assert not early, q.finding(
            "RETRY_BEFORE_RETRY_AFTER",
            f"{len(early)} writes were retried before Retry-After allowed:\n"
            + "\n".join(e.describe() for e in early[:5]), severity="compliance")

    q2c.run(scenario)
