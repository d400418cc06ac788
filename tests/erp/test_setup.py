"""The account's calendar: accounting periods kept ahead of the business clock, whatever
day the fake starts on, and postings refused (never dropped) where no period exists."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulators.engine.clock import parse_instant
from simulators.engine.settings import SimSettings
from simulators.erp.context import Ctx
from simulators.erp.setup import fiscal_years
from tests.erp.support import BASE, OPEX, RECORDS, US_BANK, Erp, assert_error

NEW_YEAR_EVE = parse_instant("2026-12-31T23:59:30Z")
DAY = 86400


@pytest.fixture
def eve() -> Iterator[Erp]:
    """An account born thirty seconds before New Year, its clock frozen there."""
    session = Erp(SimSettings(seed=7, base_url=BASE, epoch=NEW_YEAR_EVE, frozen_clock=True))
    yield session
    session.close()


def years(erp: Erp) -> list[int]:
    return sorted(fiscal_years(Ctx(erp.sim, erp.tenant)))


def post_journal(erp: Erp, date: str) -> int:
    body = {"subsidiary": {"id": "1"}, "tranDate": date, "line": {"items": [
        {"account": {"id": OPEX}, "debit": 1}, {"account": {"id": US_BANK}, "credit": 1}]}}
    response = erp.post(f"{RECORDS}/journalEntry", json=body)
    if response.status_code != 204:
        assert_error(response, 400, "USER_ERROR", "tranDate")
    return response.status_code


def advance(erp: Erp, seconds: float) -> None:
    response = erp.run(erp.client.post("/_sim/clock/advance", params={"tenant": erp.tenant.id},
                                       json={"seconds": seconds}))
    assert response.status_code == 200, response.text


def test_a_new_account_has_this_and_next_fiscal_year(eve: Erp) -> None:
    assert years(eve) == [2026, 2027]
    months = eve.rows("SELECT COUNT(*) AS n FROM accountingPeriod WHERE isyear = 'F' "
                      "AND isquarter = 'F'")
    assert months == [{"n": "24"}]
    assert post_journal(eve, "2027-12-31") == 204


def test_crossing_new_year_opens_the_year_after(eve: Erp) -> None:
    assert post_journal(eve, "2028-01-03") == 400  # two years ahead: no period yet
    advance(eve, 60)  # into 2027
    assert years(eve) == [2026, 2027, 2028]
    assert post_journal(eve, "2028-01-03") == 204
    advance(eve, 400 * DAY)  # into 2028: 2029 opens, nothing is skipped or doubled
    assert years(eve) == [2026, 2027, 2028, 2029]


def test_setting_the_clock_back_opens_that_year_too(eve: Erp) -> None:
    response = eve.run(eve.client.post("/_sim/clock/freeze", params={"tenant": eve.tenant.id},
                                       json={"at": "2025-03-01T00:00:00Z"}))
    assert response.status_code == 200
    assert years(eve) == [2025, 2026, 2027]
    assert post_journal(eve, "2025-03-01") == 204
    assert post_journal(eve, "2024-12-31") == 400  # earlier years are never filled in


def test_a_running_clock_catches_up_when_it_crossed_new_year_unseen() -> None:
    erp = Erp(SimSettings(seed=7, base_url=BASE, epoch=NEW_YEAR_EVE - 60))
    try:
        clock = erp.tenant.clock
        wall = clock.wall()
        clock.wall = lambda: wall + 1800  # half an hour of wall time later: 2027 now
        assert years(erp) == [2026, 2027]  # no clock change told the vendor
        assert post_journal(erp, "2028-06-30") == 204  # the posting looks again
        assert years(erp) == [2026, 2027, 2028]
    finally:
        erp.close()


def test_a_date_without_a_period_is_refused_and_nothing_is_written(eve: Erp) -> None:
    before = eve.state()
    assert post_journal(eve, "2031-01-01") == 400
    assert eve.state() == before
