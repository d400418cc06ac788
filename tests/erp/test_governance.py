"""Governance: governanceLimits, and the account-wide concurrency limit under load."""

from __future__ import annotations

import asyncio

import httpx

from simulators.engine.settings import SimSettings
from tests.erp.support import BASE, RECORDS, Erp, assert_error


def test_governance_limits(erp: Erp) -> None:
    response = erp.get("/services/rest/system/v1/governanceLimits")
    assert response.json() == {
        "accountConcurrencyLimit": 5,
        "accountUnallocatedConcurrencyLimit": 5,
        "integrationLimitType": "accountLimit",
    }


def _parallel(erp: Erp, n: int) -> list[httpx.Response]:
    async def burst() -> list[httpx.Response]:
        return list(
            await asyncio.gather(
                *(erp.client.get(f"{RECORDS}/customer", headers=erp.headers) for _ in range(n))
            )
        )

    return erp.run(burst())


def test_concurrency_limit_answers_429_with_netsuite_body(erp: Erp) -> None:
    # Latency makes the requests overlap: the limit counts requests in flight.
    fault = {
        "rules": [
            {"match": {"path": "/services/rest/record/*"}, "fault": {"latency": {"fixed": "200ms"}}}
        ]
    }
    assert erp.run(erp.client.put("/_sim/faults", json=fault)).status_code == 200
    responses = _parallel(erp, 20)
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) == 5 and statuses.count(429) == 15
    limited = next(r for r in responses if r.status_code == 429)
    body = assert_error(limited, 429, "CONCURRENCY_LIMIT_EXCEEDED")
    assert body["o:errorDetails"][0]["detail"] == (
        "Concurrent request limit exceeded. Request blocked."
    )
    # Slots are released: the next request goes through.
    assert erp.get(f"{RECORDS}/customer").status_code == 200


def test_concurrency_limit_is_per_account_and_configurable() -> None:
    erp = Erp(
        SimSettings(
            seed=1,
            base_url=BASE,
            limit_overrides={"netsuite-concurrency": {"concurrency": {"limit": 2}}},
        )
    )
    try:
        erp.run(
            erp.client.put(
                "/_sim/faults",
                json={
                    "rules": [
                        {
                            "match": {"path": "/services/rest/*"},
                            "fault": {"latency": {"fixed": "100ms"}},
                        }
                    ]
                },
            )
        )
        statuses = [r.status_code for r in _parallel(erp, 6)]
        assert statuses.count(200) == 2 and statuses.count(429) == 4
        assert (
            erp.get("/services/rest/system/v1/governanceLimits").json()["accountConcurrencyLimit"]
            == 2
        )
    finally:
        erp.close()


def test_token_endpoint_is_not_governed(erp: Erp) -> None:
    erp.run(
        erp.client.put(
            "/_sim/faults",
            json={
                "rules": [
                    {"match": {"path": "/services/rest/*"}, "fault": {"latency": {"fixed": "50ms"}}}
                ]
            },
        )
    )

    async def burst() -> list[int]:
        responses = await asyncio.gather(
            *(
                erp.client.post(
                    "/services/rest/auth/oauth2/v1/token",
                    data={"grant_type": "client_credentials"},
                    auth=("fintwin-tests", "s3cret"),
                )
                for _ in range(10)
            )
        )
        return [r.status_code for r in responses]

    assert erp.run(burst()) == [200] * 10
