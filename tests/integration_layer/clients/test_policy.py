from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest

from integration_layer.clients.policy import (
    ErrorKind,
    RetryPolicy,
    classify_status,
    classify_transport_error,
    parse_retry_after,
    stripe_should_retry,
)

NOW = 1_700_000_000.0


def test_backoff_is_full_jitter_under_an_exponential_cap() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0, rng=random.Random(3))
    reference = random.Random(3)
    delays = [policy.backoff(n) for n in range(1, 7)]
    ceilings = [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert delays == [reference.uniform(0.0, c) for c in ceilings]
    assert all(0.0 <= d <= c for d, c in zip(delays, ceilings, strict=True))


def test_same_seed_gives_same_schedule_and_other_seed_differs() -> None:
    def schedule(seed: int) -> list[float]:
        policy = RetryPolicy(rng=random.Random(seed))
        return [policy.backoff(n) for n in range(1, 5)]

    assert schedule(11) == schedule(11)
    assert schedule(11) != schedule(12)


def test_retry_after_is_a_floor_never_a_ceiling() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=1.0, rng=random.Random(1))
    waits = [policy.delay_before_retry(1, 9.0) for _ in range(200)]
    # Never before Retry-After; spread over the 1.5 s after it (1 s + the backoff ceiling),
    # so that retries do not all land on the instant the vendor named.
    assert all(9.0 <= wait <= 10.5 for wait in waits)
    assert max(waits) - min(waits) > 1.0
    # A tiny Retry-After does not shorten the backoff below the jittered value.
    reference = random.Random(1)
    reference.uniform(0.0, 0.5)  # the draw the first call consumed
    policy = RetryPolicy(base_delay=0.5, max_delay=1.0, rng=random.Random(1))
    policy.delay_before_retry(1, None)
    assert policy.delay_before_retry(1, 0.0) == reference.uniform(0.0, 0.5)


def test_max_attempts_must_be_positive() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 3 ", 3.0),
        ("0", 0.0),
        ("1.5", 1.5),
        (format_datetime(datetime.fromtimestamp(NOW + 30, UTC), usegmt=True), 30.0),
        (format_datetime(datetime.fromtimestamp(NOW - 30, UTC), usegmt=True), 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


def test_stripe_should_retry_header() -> None:
    assert stripe_should_retry(httpx.Headers({"Stripe-Should-Retry": "true"})) is True
    assert stripe_should_retry(httpx.Headers({"Stripe-Should-Retry": "false"})) is False
    assert stripe_should_retry(httpx.Headers({"Stripe-Should-Retry": "maybe"})) is None
    assert stripe_should_retry(httpx.Headers()) is None


T, P = ErrorKind.TRANSIENT, ErrorKind.PERMANENT


@pytest.mark.parametrize(
    ("status", "headers", "code", "conflict_transient", "expected"),
    [
        (429, {}, None, True, T),
        (500, {}, None, True, T),
        (502, {}, None, True, T),
        (503, {}, None, True, T),
        (408, {}, None, True, T),
        (409, {}, "idempotency_key_in_use", True, T),
        (409, {}, None, False, P),
        (400, {}, None, True, P),
        (401, {}, None, True, P),
        (402, {}, "card_declined", True, P),
        (404, {}, None, True, P),
        (400, {}, "lock_timeout", True, T),  # vendor transient code beats the status
        (500, {"Stripe-Should-Retry": "false"}, None, True, P),  # header beats all
        (400, {"Stripe-Should-Retry": "true"}, None, True, T),
    ],
)
def test_classification_table(
    status: int,
    headers: dict[str, str],
    code: str | None,
    conflict_transient: bool,
    expected: ErrorKind,
) -> None:
    kind = classify_status(
        status,
        httpx.Headers(headers),
        vendor_code=code,
        transient_codes={"lock_timeout"},
        conflict_is_transient=conflict_transient,
    )
    assert kind is expected


REQUEST = httpx.Request("POST", "https://vendor.test/x")


@pytest.mark.parametrize(
    ("exc", "mutates", "expected"),
    [
        (httpx.ConnectError("refused", request=REQUEST), True, ErrorKind.TRANSIENT),
        (httpx.ConnectTimeout("slow", request=REQUEST), True, ErrorKind.TRANSIENT),
        (httpx.PoolTimeout("pool", request=REQUEST), True, ErrorKind.TRANSIENT),
        (httpx.ReadTimeout("slow", request=REQUEST), True, ErrorKind.AMBIGUOUS),
        (httpx.ReadTimeout("slow", request=REQUEST), False, ErrorKind.TRANSIENT),
        (httpx.WriteTimeout("slow", request=REQUEST), True, ErrorKind.AMBIGUOUS),
        (httpx.ReadError("reset", request=REQUEST), True, ErrorKind.AMBIGUOUS),
        (httpx.RemoteProtocolError("gone", request=REQUEST), True, ErrorKind.AMBIGUOUS),
        (httpx.RemoteProtocolError("gone", request=REQUEST), False, ErrorKind.TRANSIENT),
        (httpx.UnsupportedProtocol("ftp", request=REQUEST), False, ErrorKind.PERMANENT),
    ],
)
def test_transport_error_classification(
    exc: httpx.TransportError, mutates: bool, expected: ErrorKind
) -> None:
    assert classify_transport_error(exc, mutates=mutates) is expected
