"""Commit-then-fail: the first ``POST /v1/subscriptions`` and the first ERP invoice create
are written but their responses are lost. The SUT must find out what happened (same
idempotency key, or a lookup by external id): exactly one subscription per deal and one
ERP invoice per billing invoice."""

from __future__ import annotations

from harness.plugin import FaultPlanControl
from harness.scenario import Q2C, Q2CRunner

ERP_INVOICE = "/services/rest/record/v1/invoice"


def test_lost_responses_on_subscription_and_erp_invoice_create(
        q2c: Q2CRunner, fault_plan: FaultPlanControl) -> None:
    fault_plan.add("billing", {"match": {"method": "POST", "path": "/v1/subscriptions",
                                         "nth": [1, 2]},
                               "fault": {"commit_then_fail": {"mode": "502"}}})
    fault_plan.add("erp", {"match": {"method": "POST", "path": ERP_INVOICE, "nth": [1, 2]},
                           "fault": {"commit_then_fail": {"mode": "502"}}})

    async def scenario(q: Q2C) -> None:
        for deal in q.deals(3):
            await q.sell(deal)
        report = await q.settled_ok("commit-then-fail")
        q.chaos_happened(q.fault_count("billing", "commit_then_fail") >= 1,
                         "no subscription create lost its response")
        q.chaos_happened(q.fault_count("erp", "commit_then_fail") >= 1,
                         "no ERP invoice create lost its response")
        assert report.counts.get("billing.subscriptions") == 3, report.summary()

    q2c.run(scenario)
