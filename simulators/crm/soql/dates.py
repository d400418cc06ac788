"""Date and datetime semantics: the store's wire formats and SOQL's relative date literals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo

from .ast import RelativeDate


def parse_wire_date(text: str) -> date:
    """'YYYY-MM-DD' as the store keeps date fields."""
    return date.fromisoformat(text[:10])


def parse_wire_datetime(text: str) -> datetime:
    """'YYYY-MM-DDTHH:MM:SS.000+0000' (Salesforce's JSON datetime format, REST API
    Developer Guide) or any ISO 8601 variant; naive values are taken as UTC."""
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    moment = datetime.fromisoformat(raw)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_wire_datetime(moment: datetime) -> str:
    """A datetime in Salesforce's wire format, in UTC with millisecond precision."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def _month_start(day: date, months_ahead: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + months_ahead
    return date(index // 12, index % 12 + 1, 1)


def _quarter_start(day: date, quarters_ahead: int = 0) -> date:
    first = _month_start(day, -((day.month - 1) % 3))
    return _month_start(first, 3 * quarters_ahead)


def _week_start(day: date) -> date:
    # The first day of the week depends on the user's locale; fintwin's users are en_US,
    # whose weeks start on Sunday (SOQL and SOSL Reference, "Date Literals": THIS_WEEK).
    return day - timedelta(days=(day.weekday() + 1) % 7)


def relative_range(literal: RelativeDate, today: date) -> tuple[date, date]:
    """The [start, end) range of days a date literal stands for.

    From the SOQL and SOSL Reference, "Date Formats and Date Literals": each literal is a
    range starting at 00:00:00; LAST_N_DAYS:n and LAST_90_DAYS include today (so span
    n + 1 days); NEXT_N_DAYS:n and NEXT_90_DAYS start tomorrow. Calendar quarters and
    years (no custom fiscal year).
    """
    name, n = literal.name, literal.n or 0
    one = timedelta(days=1)
    simple: dict[str, tuple[date, date]] = {
        "TODAY": (today, today + one),
        "YESTERDAY": (today - one, today),
        "TOMORROW": (today + one, today + 2 * one),
        "LAST_WEEK": (_week_start(today) - 7 * one, _week_start(today)),
        "THIS_WEEK": (_week_start(today), _week_start(today) + 7 * one),
        "NEXT_WEEK": (_week_start(today) + 7 * one, _week_start(today) + 14 * one),
        "LAST_MONTH": (_month_start(today, -1), _month_start(today)),
        "THIS_MONTH": (_month_start(today), _month_start(today, 1)),
        "NEXT_MONTH": (_month_start(today, 1), _month_start(today, 2)),
        "LAST_QUARTER": (_quarter_start(today, -1), _quarter_start(today)),
        "THIS_QUARTER": (_quarter_start(today), _quarter_start(today, 1)),
        "NEXT_QUARTER": (_quarter_start(today, 1), _quarter_start(today, 2)),
        "LAST_YEAR": (date(today.year - 1, 1, 1), date(today.year, 1, 1)),
        "THIS_YEAR": (date(today.year, 1, 1), date(today.year + 1, 1, 1)),
        "NEXT_YEAR": (date(today.year + 1, 1, 1), date(today.year + 2, 1, 1)),
        "LAST_90_DAYS": (today - 90 * one, today + one),
        "NEXT_90_DAYS": (today + one, today + 91 * one),
        "LAST_N_DAYS": (today - n * one, today + one),
        "NEXT_N_DAYS": (today + one, today + (n + 1) * one),
        "N_DAYS_AGO": (today - n * one, today - (n - 1) * one),
        "LAST_N_WEEKS": (_week_start(today) - 7 * n * one, _week_start(today)),
        "NEXT_N_WEEKS": (_week_start(today) + 7 * one, _week_start(today) + 7 * (n + 1) * one),
        "N_WEEKS_AGO": (_week_start(today) - 7 * n * one, _week_start(today) - 7 * (n - 1) * one),
        "LAST_N_MONTHS": (_month_start(today, -n), _month_start(today)),
        "NEXT_N_MONTHS": (_month_start(today, 1), _month_start(today, n + 1)),
        "N_MONTHS_AGO": (_month_start(today, -n), _month_start(today, -n + 1)),
        "LAST_N_QUARTERS": (_quarter_start(today, -n), _quarter_start(today)),
        "NEXT_N_QUARTERS": (_quarter_start(today, 1), _quarter_start(today, n + 1)),
        "N_QUARTERS_AGO": (_quarter_start(today, -n), _quarter_start(today, -n + 1)),
        "LAST_N_YEARS": (date(today.year - n, 1, 1), date(today.year, 1, 1)),
        "NEXT_N_YEARS": (date(today.year + 1, 1, 1), date(today.year + n + 1, 1, 1)),
        "N_YEARS_AGO": (date(today.year - n, 1, 1), date(today.year - n + 1, 1, 1)),
    }
    return simple[name]


def day_start(day: date, zone: tzinfo) -> datetime:
    """Midnight of `day` in `zone`: where a date literal's range begins for datetimes."""
    return datetime(day.year, day.month, day.day, tzinfo=zone)
