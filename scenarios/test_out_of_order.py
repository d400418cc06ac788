"""Out-of-order delivery: webhooks are reordered within a window of five and delayed at
random, so ``invoice.paid`` can arrive before ``invoice.finalized`` and opportunity
updates before the account's. Everything must still be posted once."""

from __future__ import annotations

from harness.plugin import FaultPlanControl
from harness.scenario import Q2C, Q2CRunner

SHUFFLE = {"reorder": {"window": 5}, "delay": {"p50": "20ms", "p99": "300ms"}}


def test_reordered_and_delayed_deliveries_still_post_everything(
        q2c: Q2CRunner, fault_plan: FaultPlanControl) -> None:
    fault_plan.add("billing", deliveries=SHUFFLE)
    fault_plan.add("crm", deliveries=SHUFFLE)

    async def scenario(q: Q2C) -> None:
        for deal in q.deals(5):
            await q.sell(deal)
        await q.settled_ok("out-of-order delivery")

    q2c.run(scenario)
