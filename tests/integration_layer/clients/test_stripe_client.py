from __future__ import annotations

import random
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import respx

from integration_layer.clients.breaker import BreakerState, CircuitBreaker
from integration_layer.clients.errors import (
    AmbiguousOutcome,
    CircuitOpen,
    MissingIdempotencyKey,
    PermanentError,
    TransientError,
    VendorError,
)
from integration_layer.clients.options import ClientOptions
from integration_layer.clients.policy import RetryPolicy
from integration_layer.clients.sleeper import RecordingSleeper
from integration_layer.clients.stripe_client import BillingClient, parse_stripe_error
from integration_layer.clients.tracing import correlation
from tests.integration_layer.clients.support import Records, run, seeded_policy

BASE = "https://api.stripe.test"
KEY = "fintwin:evt_1:create_customer"
CUSTOMER = {"id": "cus_1", "object": "customer"}


def client(
    sleeper: RecordingSleeper,
    *,
    policy: RetryPolicy | None = None,
    breaker: CircuitBreaker | None = None,
    recorder: Records | None = None,
) -> BillingClient:
    return BillingClient(
        BASE,
        "sk_test_123",
        stripe_version="2025-03-31.basil",
        options=ClientOptions(policy=policy or seeded_policy(), breaker=breaker, sleep=sleeper,
                              recorder=recorder if recorder is not None else Records()),
    )


def stripe_error(
    status: int, type_: str, code: str | None = None, **headers: str
) -> httpx.Response:
    error: dict[str, Any] = {"type": type_, "message": f"{type_} happened"}
    if code:
        error["code"] = code
    return httpx.Response(status, json={"error": error}, headers=headers)


def form(request: httpx.Request) -> list[tuple[str, str]]:
    return parse_qsl(request.content.decode(), keep_blank_values=True)


def test_retry_schedule_uses_seeded_full_jitter_through_the_sleeper() -> None:
    sleeper = RecordingSleeper()

    async def scenario() -> dict[str, Any]:
        async with client(sleeper) as stripe:
            return await stripe.create_customer({"name": "Acme"}, idempotency_key=KEY)

    with respx.mock(base_url=BASE) as router:
        route = router.post("/v1/customers").mock(
            side_effect=[
                httpx.Response(503),
                httpx.Response(502),
                httpx.Response(500),
                httpx.Response(200, json=CUSTOMER),
            ]
        )
        assert run(scenario()) == CUSTOMER
    assert route.call_count == 4
    reference = random.Random(7)
    assert sleeper.delays == [reference.uniform(0.0, cap) for cap in (0.5, 1.0, 2.0)]


def test_retry_after_is_honoured_never_earlier() -> None:
    sleeper = RecordingSleeper()

    async def scenario() -> None:
        async with client(sleeper) as stripe:
            await stripe.retrieve_customer("cus_1")

    with respx.mock(base_url=BASE) as router:
        router.get("/v1/customers/cus_1").mock(
            side_effect=[
                stripe_error(429, "invalid_request_error", "rate_limit", **{"Retry-After": "7"}),
                stripe_error(429, "invalid_request_error", "rate_limit", **{"Retry-After": "2"}),
                httpx.Response(200, json=CUSTOMER),
            ]
        )
        run(scenario())
    # The jittered backoff (< 0.5 s, < 1 s) would be shorter: Retry-After wins, with a
    # spread of at most 1 s + the backoff ceiling after it.
    first, second = sleeper.delays
    assert 7.0 <= first <= 8.5 and 2.0 <= second <= 3.5


def test_retry_after_beyond_the_budget_is_handed_back_without_sleeping() -> None:
    sleeper = RecordingSleeper()

    async def scenario() -> None:
        async with client(sleeper, policy=seeded_policy(max_retry_after=30.0)) as stripe:
            await stripe.retrieve_customer("cus_1")

    with respx.mock(base_url=BASE) as router:
        route = router.get("/v1/customers/cus_1").mock(
            return_value=httpx.Response(429, headers={"Retry-After": "120"})
        )
        with pytest.raises(TransientError) as info:
            run(scenario())
    assert info.value.retry_after == 120.0
    assert route.call_count == 1
    assert sleeper.delays == []


def test_stripe_should_retry_false_stops_retries() -> None:
    sleeper = RecordingSleeper()

    async def scenario() -> None:
        async with client(sleeper) as stripe:
            await stripe.create_customer({"name": "Acme"}, idempotency_key=KEY)

    with respx.mock(base_url=BASE) as router:
        route = router.post("/v1/customers").mock(
            return_value=stripe_error(500, "api_error", **{"Stripe-Should-Retry": "false"})
        )
        with pytest.raises(PermanentError) as info:
            run(scenario())
    assert route.call_count == 1
    assert sleeper.delays == []
    assert info.value.status == 500


def test_stripe_should_retry_true_retries_a_4xx() -> None:
    sleeper = RecordingSleeper()

    async def scenario() -> dict[str, Any]:
        async with client(sleeper) as stripe:
            return await stripe.retrieve_customer("cus_1")

    with respx.mock(base_url=BASE) as router:
        route = router.get("/v1/customers/cus_1").mock(
            side_effect=[
                stripe_error(400, "invalid_request_error", **{"Stripe-Should-Retry": "true"}),
                httpx.Response(200, json=CUSTOMER),
            ]
        )
        assert run(scenario()) == CUSTOMER
    assert route.call_count == 2


def test_idempotency_key_and_body_identical_across_retries() -> None:
    sleeper = RecordingSleeper()
    params = {
        "customer": "cus_1",
        "items": [{"price": "price_a", "quantity": 3}],
        "metadata": {"crm_opportunity": "006A"},
        "proration_behavior": "none",
    }

    async def scenario() -> None:
        async with client(sleeper) as stripe:
            await stripe.create_subscription(params, idempotency_key=KEY)

    with respx.mock(base_url=BASE) as router:
        route = router.post("/v1/subscriptions").mock(
            side_effect=[
                httpx.ReadTimeout("lost"),
                stripe_error(409, "idempotency_error", "idempotency_key_in_use"),
                httpx.Response(200, json={"id": "sub_1"}, headers={"Idempotent-Replayed": "true"}),
            ]
        )
        run(scenario())
    requests = [call.request for call in route.calls]
    assert len(requests) == 3
    assert {r.headers["Idempotency-Key"] for r in requests} == {KEY}
    assert {r.content for r in requests} == {requests[0].content}
    assert ("items[0][price]", "price_a") in form(requests[0])
    first = requests[0].headers
    assert first["Authorization"] == "Bearer sk_test_123"
    assert first["Stripe-Version"] == "2025-03-31.basil"
    assert first["Content-Type"] == "application/x-www-form-urlencoded"


@pytest.mark.parametrize("key", [None, ""])
def test_post_without_idempotency_key_is_refused_before_sending(key: str | None) -> None:
    async def scenario() -> None:
        async with client(RecordingSleeper()) as stripe:
            await stripe.request("POST", "/v1/customers", {"name": "x"}, idempotency_key=key)

    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        route = router.post("/v1/customers").mock(return_value=httpx.Response(200, json={}))
        with pytest.raises(MissingIdempotencyKey):
            run(scenario())
    assert route.call_count == 0


def test_cancel_at_period_end_needs_a_key() -> None:
    async def scenario() -> None:
        async with client(RecordingSleeper()) as stripe:
            await stripe.cancel_subscription("sub_1", at_period_end=True)

    with pytest.raises(MissingIdempotencyKey):
        run(scenario())


@pytest.mark.parametrize(
    ("response", "expected", "code"),
    [
        (stripe_error(402, "card_error", "card_declined"), PermanentError, "card_declined"),
        (stripe_error(400, "idempotency_error"), PermanentError, "idempotency_error"),
        (
            stripe_error(400, "invalid_request_error", "parameter_missing"),
            PermanentError,
            "parameter_missing",
        ),
        (stripe_error(401, "invalid_request_error"), PermanentError, "invalid_request_error"),
        (
            stripe_error(404, "invalid_request_error", "resource_missing"),
            PermanentError,
            "resource_missing",
        ),
        (
            stripe_error(409, "idempotency_error", "idempotency_key_in_use"),
            TransientError,
            "idempotency_key_in_use",
        ),
        (
            stripe_error(429, "invalid_request_error", "lock_timeout"),
            TransientError,
            "lock_timeout",
        ),
        (stripe_error(429, "invalid_request_error", "rate_limit"), TransientError, "rate_limit"),
        (stripe_error(500, "api_error"), TransientError, "api_error"),
        (httpx.Response(503, text="upstream down"), TransientError, None),
        (
            stripe_error(500, "api_error", **{"Stripe-Should-Retry": "false"}),
            PermanentError,
            "api_error",
        ),
    ],
)
def test_error_classification_table(
    response: httpx.Response, expected: type[VendorError], code: str | None
) -> None:
    error = parse_stripe_error(response)
    assert type(error) is expected
    assert error.vendor_code == code
    assert error.status == response.status_code


def test_permanent_error_is_raised_at_once_with_details() -> None:
    sleeper = RecordingSleeper()

    async def scenario() -> None:
        async with client(sleeper) as stripe:
            await stripe.pay_invoice("in_1", idempotency_key=KEY)

    with respx.mock(base_url=BASE) as router:
        route = router.post("/v1/invoices/in_1/pay").mock(
            return_value=stripe_error(402, "card_error", "card_declined")
        )
        with pytest.raises(PermanentError) as info:
            run(scenario())
    assert route.call_count == 1
    assert info.value.vendor_code == "card_declined"
    assert info.value.details["type"] == "card_error"
    assert sleeper.delays == []


def test_timeouts_on_a_write_end_ambiguous_with_the_key() -> None:
    async def scenario() -> None:
        async with client(RecordingSleeper()) as stripe:
            await stripe.create_refund({"charge": "ch_1"}, idempotency_key=KEY)

    with respx.mock(base_url=BASE) as router:
        route = router.post("/v1/refunds").mock(side_effect=httpx.ReadTimeout("lost"))
        with pytest.raises(AmbiguousOutcome) as info:
            run(scenario())
    assert route.call_count == 4
    assert info.value.idempotency_key == KEY


def test_connect_errors_on_a_write_are_transient_not_ambiguous() -> None:
    async def scenario() -> None:
        async with client(RecordingSleeper()) as stripe:
            await stripe.create_refund({"charge": "ch_1"}, idempotency_key=KEY)

    with respx.mock(base_url=BASE) as router:
        router.post("/v1/refunds").mock(side_effect=httpx.ConnectError("refused"))
        with pytest.raises(TransientError) as info:
            run(scenario())
    assert not isinstance(info.value, AmbiguousOutcome)


def test_timeouts_on_a_read_are_transient() -> None:
    async def scenario() -> None:
        async with client(RecordingSleeper()) as stripe:
            await stripe.retrieve_invoice("in_1")

    with respx.mock(base_url=BASE) as router:
        router.get("/v1/invoices/in_1").mock(side_effect=httpx.ReadTimeout("slow"))
        with pytest.raises(TransientError):
            run(scenario())


def test_auto_paginate_follows_has_more_with_starting_after() -> None:
    async def scenario() -> list[str]:
        async with client(RecordingSleeper()) as stripe:
            return [c["id"] async for c in stripe.auto_paginate("/v1/customers", {"limit": 2})]

    pages = [
        {
            "object": "list",
            "url": "/v1/customers",
            "has_more": True,
            "data": [{"id": "cus_3"}, {"id": "cus_2"}],
        },
        {"object": "list", "url": "/v1/customers", "has_more": False, "data": [{"id": "cus_1"}]},
    ]
    with respx.mock(base_url=BASE) as router:
        route = router.get("/v1/customers").mock(
            side_effect=[httpx.Response(200, json=p) for p in pages]
        )
        assert run(scenario()) == ["cus_3", "cus_2", "cus_1"]
    first, second = (call.request.url.params for call in route.calls)
    assert "starting_after" not in first
    assert second["starting_after"] == "cus_2"
    assert second["limit"] == "2"


def test_list_prices_by_lookup_keys_and_expand_encoding() -> None:
    async def scenario() -> list[dict[str, Any]]:
        async with client(RecordingSleeper()) as stripe:
            return await stripe.list_prices(lookup_keys=["PRO", "SEAT"], expand=["data.product"])

    with respx.mock(base_url=BASE) as router:
        route = router.get("/v1/prices").mock(
            return_value=httpx.Response(
                200, json={"object": "list", "has_more": False, "data": [{"id": "price_1"}]}
            )
        )
        assert run(scenario()) == [{"id": "price_1"}]
    params = route.calls[0].request.url.params
    assert params.get_list("lookup_keys[0]") == ["PRO"]
    assert params["lookup_keys[1]"] == "SEAT"
    assert params["expand[0]"] == "data.product"
    assert "Idempotency-Key" not in route.calls[0].request.headers


def test_cancel_now_is_a_delete_without_a_key() -> None:
    async def scenario() -> None:
        async with client(RecordingSleeper()) as stripe:
            await stripe.cancel_subscription("sub_1", invoice_now=True)

    with respx.mock(base_url=BASE) as router:
        route = router.delete("/v1/subscriptions/sub_1").mock(
            return_value=httpx.Response(200, json={"id": "sub_1", "status": "canceled"})
        )
        run(scenario())
    request = route.calls[0].request
    assert request.url.params["invoice_now"] == "true"
    assert "Idempotency-Key" not in request.headers


def test_traceparent_only_under_a_correlation_id() -> None:
    async def scenario() -> None:
        async with client(RecordingSleeper()) as stripe:
            await stripe.retrieve_charge("ch_1")
            with correlation("evt_crm_42"):
                await stripe.retrieve_charge("ch_1")

    with respx.mock(base_url=BASE) as router:
        route = router.get("/v1/charges/ch_1").mock(
            return_value=httpx.Response(200, json={"id": "ch_1"})
        )
        run(scenario())
    plain, traced = (call.request.headers for call in route.calls)
    assert "traceparent" not in plain
    assert traced["traceparent"].startswith("00-")
    assert len(traced["traceparent"].split("-")[1]) == 32


def test_every_attempt_is_reported_with_a_path_template() -> None:
    records = Records()

    async def scenario() -> None:
        async with client(RecordingSleeper(), recorder=records) as stripe:
            await stripe.retrieve_subscription("sub_9", expand=["latest_invoice"])

    with respx.mock(base_url=BASE) as router:
        router.get("/v1/subscriptions/sub_9").mock(
            side_effect=[httpx.Response(502), httpx.Response(200, json={"id": "sub_9"})]
        )
        run(scenario())
    assert [(r.attempt, r.status, r.outcome) for r in records] == [
        (1, 502, "transient"),
        (2, 200, "ok"),
    ]
    assert {(r.vendor, r.method, r.path_template) for r in records} == {
        ("stripe", "GET", "/v1/subscriptions/{id}")
    }
    assert all(r.latency >= 0 for r in records)


def test_open_breaker_fails_fast_without_a_request() -> None:
    breaker = CircuitBreaker("stripe", failure_threshold=2, reset_timeout=60.0)
    records = Records()

    async def scenario() -> None:
        async with client(
            RecordingSleeper(),
            policy=seeded_policy(max_attempts=2),
            breaker=breaker,
            recorder=records,
        ) as stripe:
            with pytest.raises(TransientError):
                await stripe.retrieve_customer("cus_1")
            assert breaker.state is BreakerState.OPEN
            with pytest.raises(CircuitOpen):
                await stripe.retrieve_customer("cus_1")

    with respx.mock(base_url=BASE) as router:
        route = router.get("/v1/customers/cus_1").mock(return_value=httpx.Response(503))
        run(scenario())
    assert route.call_count == 2
    assert records[-1].outcome == "circuit_open"
