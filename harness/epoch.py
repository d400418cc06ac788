"""The business epoch: where every tenant's business clock starts in a harness run.

Business dates (invoice dates, periods, renewals, close dates) come from the fakes'
business clocks, never from the calendar day the run happens on: the harness pins every
tenant's clock, frozen, at the run's epoch, and a scenario moves it on explicitly
(``q.clock.advance``). The same seed and epoch give the same ids, amounts, dates, fault
decisions and verdicts on any day. The epoch is named in the report and in every rerun
command; ``now`` is there for those who want today (resolved once per run).

``EDGES`` are the calendar edges the suites are also run at (``make test``'s
``pytest-edges``, ``fintwin soak --edges``): where a business calendar tends to break.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from simulators.engine.clock import iso_instant, parse_instant

# An ordinary business morning: mid-month, mid-week, away from month, quarter and year
# ends and from any DST switch. Its date is also where the seeded deals' close dates
# start (harness.data.DataFactory).
DEFAULT_EPOCH = "2026-01-15T09:00:00Z"

EDGES: dict[str, str] = {
    # Thirty seconds before New Year: renewals, payments and postings cross the year,
    # the ERP needs next year's periods, SOQL THIS_YEAR/LAST_YEAR flip.
    "year-end": "2026-12-31T23:59:30Z",
    # The last day of February in a leap year, and the leap day itself: yearly and
    # monthly anchors on the 28th/29th, a year later there is no 29 February.
    "leap-eve": "2028-02-28T12:00:00Z",
    "leap-day": "2028-02-29T12:00:00Z",
    # Anchored on the 31st: the next period ends on 28 February (proration into a short
    # month, Stripe's month-end clamping).
    "month-end-31": "2027-01-31T10:00:00Z",
    # The EU switch to summer time (01:00 UTC on the last Sunday of March): the hours
    # around it exist once in UTC, whatever the entities' local clocks do.
    "dst-eu": "2027-03-28T00:30:00Z",
}


def resolve(value: Any = None, *, wall: Callable[[], float] | None = None) -> float:
    """The epoch as unix seconds: ``value`` (ISO 8601, a date, unix seconds, ``now``, or
    the name of an edge in :data:`EDGES`), or :data:`DEFAULT_EPOCH` when None."""
    text = DEFAULT_EPOCH if value is None else value
    if isinstance(text, str) and text in EDGES:
        text = EDGES[text]
    if wall is None:
        return parse_instant(text)
    return parse_instant(text, wall=wall)


def name(seconds: float) -> str:
    """How a report and a rerun command write the epoch (``2026-12-31T23:59:30Z``)."""
    return iso_instant(seconds)


def argument(value: str) -> float:
    """An argparse ``type=`` for ``--epoch``."""
    try:
        return resolve(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


HELP = (f"business epoch: every tenant's clock starts here, frozen (ISO 8601, unix "
        f"seconds, 'now', or an edge: {', '.join(EDGES)}; default {DEFAULT_EPOCH})")
