"""Billing periods: calendar arithmetic for recurring intervals."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta

INTERVAL_SECONDS = {"day": 86400, "week": 7 * 86400}


def add_interval(start: int, interval: str, count: int, anchor: int | None = None) -> int:
    """``start`` plus ``count`` intervals; months keep the anchor's day, clamped to month end
    (Stripe: a subscription anchored on the 31st bills on the last day of shorter months)."""
    if interval in INTERVAL_SECONDS:
        return start + INTERVAL_SECONDS[interval] * count
    dt = datetime.fromtimestamp(start, UTC)
    anchor_day = datetime.fromtimestamp(anchor if anchor is not None else start, UTC).day
    months = count * (12 if interval == "year" else 1)
    year, month0 = divmod(dt.month - 1 + months, 12)
    year += dt.year
    month = month0 + 1
    day = min(anchor_day, calendar.monthrange(year, month)[1])
    return int(dt.replace(year=year, month=month, day=day).timestamp())


def prorate(amount: int, remaining: int, period: int) -> int:
    """The share of ``amount`` for ``remaining`` of ``period`` seconds, rounded half away
    from zero to the minor unit (integer arithmetic; never float)."""
    if period <= 0:
        return 0
    num = amount * remaining
    q, r = divmod(abs(num), period)
    if 2 * r >= period:
        q += 1
    return q if num >= 0 else -q


def days(n: int) -> int:
    return int(timedelta(days=n).total_seconds())
