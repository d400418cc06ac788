"""ERP outage mid-run: the ERP answers 503 to every invoice request while deals close and
invoices are paid; once the SUT has met the outage and holds every new invoice's events,
the outage ends, the SUT drains what it held back (retrying on its own, no replay), and
every invoice and payment is posted exactly once."""

from __future__ import annotations

import time

from harness.plugin import FaultPlanControl
from harness.scenario import Q2C, Q2CRunner

# How long a SUT may stay away from a vendor that failed (a circuit breaker's cool-down)
# before the harness calls it idle: ServiceConfig's default; the reference runs 2 s in
# process, so it drains in seconds and only a SUT that never comes back waits this out.
BREAKER = 30.0
# An outage shorter than a client's in-call retries is no outage at all: the ERP stays
# down at least this long after it first refused the SUT (real ones last minutes).
MIN_OUTAGE = 6.0
INVOICE = "/services/rest/record/v1/invoice"
OUTAGE = {"match": {"path": f"{INVOICE}*"}, "fault": {"outage": {"status": 503}}}


def test_erp_outage_then_recovery_drains_everything(
        q2c: Q2CRunner, fault_plan: FaultPlanControl) -> None:
    async def scenario(q: Q2C) -> None:
        first = q.deals(4)
        for deal in first[:2]:
            await q.sell(deal)
        await q.settled_ok("before the outage")
        fault_plan.add("erp", OUTAGE)
        held = []
        for deal in first[2:]:
            made = await q.sell(deal)
            held.append(await q.subscription(made.opportunity_id))

        async def outage_met() -> bool:
            """The SUT had an invoice request refused, and every new invoice is paid with
            its webhooks delivered: the SUT holds them all. (Not "one 503 per invoice":
            a SUT whose circuit breaker opened on the first sends no more.)"""
            refused = [e["wall"] for e in q.journal("erp")
                       if e["status"] == 503 and e["path"].startswith(INVOICE)]
            if not refused or time.time() - min(refused) < MIN_OUTAGE:
                return False
            for sub in held:
                if not any(i["status"] == "paid" for i in await q.invoices(sub)):
                    return False
            return q.outbox_pending() == 0

        await q.until(outage_met, what="the SUT meeting the ERP outage on invoice posts "
                      "with every new invoice paid and its webhooks delivered")
        fault_plan.clear_outages("erp")
        fault_plan.clear()
        # A SUT may wait out a circuit breaker before trying the ERP again: a SUT with an
        # idle probe counts that wait as pending; one without is given that long without
        # activity before what is missing by then is called missing.
        await q.settled_ok("after the ERP outage", quiet=BREAKER + 5, timeout=BREAKER + 30)
        q.chaos_happened(q.fault_count("erp", "outage") >= 1,
                         "the ERP's fault log shows no request refused by the outage")

    q2c.run(scenario)
