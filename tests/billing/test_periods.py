"""Billing periods at calendar edges, through the official SDK and Stripe test clocks:
anchors on the 29th-31st, leap days, renewals and dunning across New Year, proration into
a short month. Stripe's rule (docs, "Billing cycle": "if a subscription is anchored on
the 31st, it bills on the last day of months that have fewer days") is checked to the
second."""

from __future__ import annotations

import datetime as dt

import pytest
import stripe

from simulators.billing.periods import add_interval, prorate
from simulators.engine.clock import parse_instant

HOUR = 3600
DAY = 86400


def at(text: str) -> int:
    return int(parse_instant(text))


def day(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


@pytest.mark.parametrize(("start", "interval", "ends"), [
    ("2027-01-31T10:00:00Z", "month", ["2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31"]),
    ("2028-01-31T10:00:00Z", "month", ["2028-02-29", "2028-03-31"]),
    ("2028-02-29T12:00:00Z", "year", ["2029-02-28", "2030-02-28", "2031-02-28", "2032-02-29"]),
    ("2026-12-31T23:59:30Z", "month", ["2027-01-31", "2027-02-28", "2027-03-31"]),
    ("2027-03-28T00:30:00Z", "month", ["2027-04-28"]),  # across the EU DST switch: UTC
])
def test_periods_keep_the_anchor_day_clamped_to_month_end(
        start: str, interval: str, ends: list[str]) -> None:
    anchor = at(start)
    got, current = [], anchor
    for _ in ends:
        current = add_interval(current, interval, 1, anchor)
        got.append(day(current))
    clock = start[10:].removesuffix("Z")
    assert got == [f"{end}{clock}" for end in ends]


def test_proration_is_integer_and_rounds_half_away_from_zero() -> None:
    period = at("2027-02-28T10:00:00Z") - at("2027-01-31T10:00:00Z")  # 28 days
    assert prorate(3000, period // 2, period) == 1500
    assert prorate(1001, period // 2, period) == 501
    assert prorate(-1001, period // 2, period) == -501
    assert prorate(1000, period, 0) == 0


def _subscribe(client: stripe.StripeClient, start: int, amount: int, interval: str = "month",
               pm: str = "pm_card_visa") -> tuple[str, stripe.Subscription]:
    clock = client.v1.test_helpers.test_clocks.create({"frozen_time": start})
    cust = client.v1.customers.create({"payment_method": pm, "test_clock": clock.id,
                                       "invoice_settings": {"default_payment_method": pm}})
    product = client.v1.products.create({"name": "Edge plan"})
    price = client.v1.prices.create({"product": product.id, "unit_amount": amount,
                                     "currency": "usd", "recurring": {"interval": interval}})
    sub = client.v1.subscriptions.create({"customer": cust.id,
                                          "items": [{"price": price.id}]})
    return clock.id, sub


def _advance(client: stripe.StripeClient, clock: str, to: int) -> None:
    client.v1.test_helpers.test_clocks.advance(clock, {"frozen_time": to})


def test_anchor_on_the_31st_renews_on_the_28th_then_the_31st(
        client: stripe.StripeClient) -> None:
    start = at("2027-01-31T10:00:00Z")
    clock, sub = _subscribe(client, start, 2800)
    item = sub["items"].data[0]
    assert day(item.current_period_end) == "2027-02-28T10:00:00"
    _advance(client, clock, at("2027-02-28T10:00:00Z") + 2 * HOUR)
    _advance(client, clock, at("2027-03-31T10:00:00Z") + 2 * HOUR)
    invoices = client.v1.invoices.list({"subscription": sub.id}).data
    periods = sorted((day(i.period_start), day(i.period_end)) for i in invoices
                     if i.billing_reason == "subscription_cycle")
    assert periods == [("2027-02-28T10:00:00", "2027-03-31T10:00:00"),
                       ("2027-03-31T10:00:00", "2027-04-30T10:00:00")]
    assert all(i.status == "paid" and i.amount_paid == 2800 for i in invoices)


def test_renewal_and_dunning_across_new_year(client: stripe.StripeClient) -> None:
    start = at("2026-11-30T23:59:30Z")
    clock, sub = _subscribe(client, start, 1000)
    failing = client.v1.payment_methods.attach("pm_card_chargeCustomerFail",
                                               {"customer": sub.customer})
    client.v1.customers.update(str(sub.customer), {"invoice_settings": {
        "default_payment_method": failing.id}})
    renewal_at = at("2026-12-30T23:59:30Z")
    _advance(client, clock, renewal_at + HOUR)  # renewed on 30 December, first charge fails
    renewal = client.v1.invoices.list({"subscription": sub.id}).data[0]
    assert renewal.billing_reason == "subscription_cycle" and renewal.status == "open"
    assert renewal.next_payment_attempt is not None
    first_retry = renewal.next_payment_attempt
    assert dt.datetime.fromtimestamp(first_retry, dt.UTC).year == 2027  # retried next year
    _advance(client, clock, first_retry + HOUR)
    renewal = client.v1.invoices.retrieve(renewal.id)
    assert renewal.attempt_count == 2
    _advance(client, clock, renewal_at + 20 * DAY)
    renewal = client.v1.invoices.retrieve(renewal.id)
    assert renewal.attempt_count == 4 and renewal.next_payment_attempt is None
    assert client.v1.subscriptions.retrieve(sub.id).status == "canceled"


def test_a_clock_advances_at_most_two_intervals_of_its_shortest_subscription(
        client: stripe.StripeClient) -> None:
    # Stripe API reference, "Advance a test clock": frozen_time "Cannot be more than two
    # intervals in the future from the shortest subscription in this test clock"
    # (issue 18: 20 years of a daily subscription took 45 s).
    start = at("2027-01-01T00:00:00Z")
    clock, _ = _subscribe(client, start, 100, interval="day")
    with pytest.raises(stripe.InvalidRequestError) as refused:
        _advance(client, clock, start + 20 * 365 * DAY)
    assert refused.value.param == "frozen_time" and refused.value.http_status == 400
    assert "two intervals" in str(refused.value)
    _advance(client, clock, start + 2 * DAY)  # exactly two intervals is allowed
    assert client.v1.test_helpers.test_clocks.retrieve(clock).frozen_time == start + 2 * DAY


def test_a_clock_without_subscriptions_advances_at_most_two_years(
        client: stripe.StripeClient) -> None:
    start = at("2027-01-01T00:00:00Z")
    clock = client.v1.test_helpers.test_clocks.create({"frozen_time": start}).id
    with pytest.raises(stripe.InvalidRequestError) as refused:
        _advance(client, clock, at("2029-01-01T00:00:01Z"))
    assert "two years" in str(refused.value)
    _advance(client, clock, at("2029-01-01T00:00:00Z"))


@pytest.mark.parametrize("frozen_time", [2**40, -1, "1e308", "NaN"])
def test_frozen_time_out_of_range_is_refused(client: stripe.StripeClient,
                                             frozen_time: object) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.test_helpers.test_clocks.create({"frozen_time": frozen_time})  # type: ignore[typeddict-item]
    assert refused.value.param == "frozen_time"
