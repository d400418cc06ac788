"""Service time and concurrency governance without injected latency: each request holds
one of the account's concurrency slots for its operation's service time (drawn from the
seed), so parallel clients over the limit get NetSuite's 429 (Oracle, "Concurrency
Governance and Session Management": each REST request counts toward the account limit;
"NetSuite AI Connector Service And Concurrency Governance": over the limit the answer is
Too Many Requests), while another account, with slots of its own, is not held up."""

from __future__ import annotations

import asyncio

import httpx

from simulators.engine.service_time import Serve, ServiceTime, draw
from simulators.engine.settings import SimSettings
from simulators.erp import auth
from simulators.erp.api import OPERATIONS
from tests.erp.support import BASE, RECORDS, TOKEN, Erp, assert_error

# The service time of the slowest-to-finish of the first five requests is what keeps
# the other three out; at this scale the shortest draw of seed 7 is tens of milliseconds
# (checked below), far more than eight in-process requests need to arrive.
SCALE = 0.5


def _erp(scale: float) -> Erp:
    return Erp(SimSettings(seed=7, base_url=BASE, service_time=scale))


def _burst(erp: Erp, n: int, headers: dict[str, str] | None = None) -> list[httpx.Response]:
    async def burst() -> list[httpx.Response]:
        return list(await asyncio.gather(*(
            erp.client.get(f"{RECORDS}/customer", headers=headers or erp.headers)
            for _ in range(n))))
    return erp.run(burst())


def _operation(operation_id: str) -> object:
    return next(op for op in OPERATIONS if op.operation_id == operation_id)


def test_parallel_clients_over_the_limit_get_429_from_service_time_alone() -> None:
    erp = _erp(SCALE)
    try:
        # No fault plan at all: the overlap comes from the modelled service time.
        assert not erp.sim.faults.plan.rules
        responses = _burst(erp, 8)
        statuses = [r.status_code for r in responses]
        assert statuses.count(200) == 5 and statuses.count(429) == 3, statuses
        limited = next(r for r in responses if r.status_code == 429)
        body = assert_error(limited, 429, "CONCURRENCY_LIMIT_EXCEEDED")
        assert body["title"] == "Too Many Requests"
        assert body["o:errorDetails"][0]["detail"] == (
            "Concurrent request limit exceeded. Request blocked.")
        assert limited.headers["retry-after"]
        # The slots are given back when the requests finish.
        assert erp.get(f"{RECORDS}/customer").status_code == 200
    finally:
        erp.close()


def test_the_draws_are_long_enough_for_the_test_above_and_seeded() -> None:
    erp = _erp(SCALE)
    try:
        op = _operation("listRecords")
        spec = op.extra["service_time"]  # type: ignore[attr-defined]
        assert isinstance(spec, ServiceTime)
        first = [draw(erp.sim, erp.tenant, op, spec) for _ in range(5)]  # type: ignore[arg-type]
        assert min(first) * SCALE > 0.02
    finally:
        erp.close()
    again = _erp(SCALE)
    try:
        same = [draw(again.sim, again.tenant, op, spec) for _ in range(5)]  # type: ignore[arg-type]
        assert same == first  # the same seed, tenant and ordinals: the same service times
    finally:
        again.close()


def test_another_account_is_not_held_up_by_a_busy_one() -> None:
    erp = _erp(SCALE)
    try:
        auth.register(erp.sim, "7654321", "other-client", secret="0ther")
        token = erp.run(erp.client.post(TOKEN, data={"grant_type": "client_credentials"},
                                        auth=("other-client", "0ther"))).json()["access_token"]
        other = {"Authorization": f"Bearer {token}"}

        async def both() -> list[httpx.Response]:
            return list(await asyncio.gather(
                *(erp.client.get(f"{RECORDS}/customer", headers=h)
                  for h in [erp.headers] * 5 + [other] * 5)))
        statuses = [r.status_code for r in erp.run(both())]
        assert statuses == [200] * 10  # five in flight on each account: both at the limit
    finally:
        erp.close()


def test_off_by_default_so_requests_never_overlap_in_process() -> None:
    erp = _erp(0.0)
    try:
        assert [r.status_code for r in _burst(erp, 8)] == [200] * 8
    finally:
        erp.close()


def test_every_governed_operation_declares_a_service_time_the_token_endpoint_none() -> None:
    for op in OPERATIONS:
        assert Serve(0.0).bind(op) is None  # off: no step at all
        bound = Serve(1.0).bind(op)
        if op.public:
            assert bound is None, op.operation_id
        else:
            assert bound is not None, op.operation_id
            spec = op.extra["service_time"]
            assert 0 < spec.p50 < spec.p99 <= 5.0 and spec.source, op.operation_id
