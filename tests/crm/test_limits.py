"""Limits: the Sforce-Limit-Info header, the daily allocation, the concurrent
long-running request limit, and engine faults rendered in Salesforce's envelope."""

from __future__ import annotations

import asyncio

from harness.waiting import until
from simulators.crm.app import create_app
from simulators.crm.limits import long_running
from simulators.engine.faults.plan import FaultPlan
from tests.crm.conftest import Org, in_org, settings


def test_every_response_carries_the_usage_header() -> None:
    async def check(org: Org) -> None:
        ok = await org.get("/limits")
        missing = await org.get("/sobjects/Account/001000000000000")
        assert ok.headers["sforce-limit-info"] == "api-usage=1/100000"
        assert missing.status_code == 404
        assert missing.headers["sforce-limit-info"] == "api-usage=2/100000"
        assert ok.json()["DailyApiRequests"] == {"Max": 100000, "Remaining": 99999}

    in_org(check)


def test_configured_allocation_refuses_with_403() -> None:
    app = create_app(settings(extra={"daily_api_requests": 2}))

    async def check(org: Org) -> None:
        assert (await org.get("/limits")).status_code == 200
        assert (await org.get("/limits")).status_code == 200
        refused = await org.get("/limits")
        assert refused.status_code == 403
        assert refused.json() == [
            {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
        ]
        assert refused.headers["sforce-limit-info"] == "api-usage=2/2"
        r = await org.control("PUT", "/_sim/crm/limits", {"reset_usage": True})
        assert r.json()["used"] == 0
        assert (await org.get("/limits")).status_code == 200

    in_org(check, app)


def test_concurrent_long_running_requests_are_limited() -> None:
    app = create_app(settings(extra={"long_running_seconds": 0.05, "long_running_limit": 2}))
    app.sim.faults.install(
        FaultPlan.parse(
            {
                "rules": [
                    {"match": {"path": "/services/data/*/limits"}, "fault": {"latency": "400ms"}}
                ]
            }
        )
    )

    async def check(org: Org) -> None:
        tenant = next(iter(org.app.sim.tenants))
        slow = [asyncio.create_task(org.get("/limits")) for _ in range(2)]
        await until(
            lambda: long_running(org.app.sim, tenant) >= 2, what="two long-running requests"
        )
        refused = await org.get("/sobjects")
        assert refused.status_code == 403
        assert refused.json()[0]["message"] == "ConcurrentPerOrgLongTxn Limit exceeded."
        assert [r.status_code for r in await asyncio.gather(*slow)] == [200, 200]
        assert (await org.get("/sobjects")).status_code == 200

    in_org(check, app)


def test_engine_faults_speak_salesforce() -> None:
    app = create_app(settings())
    app.sim.faults.install(
        FaultPlan.parse(
            {
                "rules": [
                    {
                        "match": {"path": "/services/data/*/query*", "nth": [1]},
                        "fault": {"error": {"status": 503}},
                    },
                    {
                        "match": {"path": "/services/data/*/query*", "nth": [2]},
                        "fault": {"rate_limit": {"retry_after": 2}},
                    },
                ]
            }
        )
    )

    async def check(org: Org) -> None:
        down = await org.get("/query", params={"q": "SELECT Id FROM Account"})
        assert down.status_code == 503
        assert down.json()[0]["errorCode"] == "SERVER_UNAVAILABLE"
        limited = await org.get("/query", params={"q": "SELECT Id FROM Account"})
        assert limited.status_code == 429 and limited.headers["retry-after"] == "2"
        assert limited.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
        assert (await org.get("/query", params={"q": "SELECT Id FROM Account"})).status_code == 200

    in_org(check, app)
