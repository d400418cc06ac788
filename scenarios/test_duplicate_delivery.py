"""Duplicate delivery: every webhook of the CRM and billing arrives several times (the
fakes' delivery logs must show every event accepted more than once, or the test proves
nothing). Each business effect must still happen once, and the SUT must not have tried the
ERP writes again (a write the ERP refused with a 4xx, e.g. a duplicate externalId, is a
repeat)."""

from __future__ import annotations

from harness.plugin import FaultPlanControl
from harness.scenario import Q2C, Q2CRunner

STORM = {"duplicate": {"probability": 1.0, "copies": 3, "spacing": "5ms"}}


def test_three_copy_storms_are_absorbed(q2c: Q2CRunner, fault_plan: FaultPlanControl) -> None:
    fault_plan.add("billing", deliveries=STORM)
    fault_plan.add("crm", deliveries=STORM)

    async def scenario(q: Q2C) -> None:
        for deal in q.deals(4):
            await q.sell(deal)
        await q.settled_ok("duplicate delivery")
        for vendor in ("billing", "crm"):
            events = [e for e in q.delivered(vendor) if e.copies_ok]
            single = [e for e in events if e.copies_ok < 2]
            q.chaos_happened(bool(events) and not single,
                             f"{len(single)} of {len(events)} {vendor} events reached the SUT "
                             "only once: " + ", ".join(f"{e.event_type} {e.event_id}"
                                                        for e in single[:5]))
        repeated = q.refused_writes("erp")
        assert not repeated, q.finding(
            "ERP_WRITE_REFUSED", f"the SUT repeated {len(repeated)} ERP writes the ERP "
            "refused: " + "; ".join(f"{e['method']} {e['path']} -> {e['status']}"
                                    for e in repeated[:5]))

    q2c.run(scenario)
