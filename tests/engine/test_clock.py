"""Business clocks: where they start, how they move, and the control routes that move them."""

from __future__ import annotations

import asyncio
import math

import httpx
import pytest

from simulators.billing.app import create_app
from simulators.engine.clock import MAX_INSTANT, BusinessClock, iso_instant, parse_instant
from simulators.engine.settings import SimSettings
from simulators.engine.transport import InProcessTransport

NEW_YEAR_EVE = 1798761570.0  # 2026-12-31T23:59:30Z


class Wall:
    """A wall clock the test moves by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_clock_starts_at_its_epoch_frozen_or_running() -> None:
    wall = Wall(1_000_000.0)
    frozen = BusinessClock.starting_at(NEW_YEAR_EVE, frozen=True, wall=wall)
    running = BusinessClock.starting_at(NEW_YEAR_EVE, wall=wall)
    today = BusinessClock.starting_at(None, wall=wall)
    wall.now += 45
    assert frozen.now() == NEW_YEAR_EVE and frozen.frozen
    assert running.now() == NEW_YEAR_EVE + 45 and not running.frozen
    assert today.now() == 1_000_045.0


def test_set_moves_either_way_and_tells_watchers_not_advance_listeners() -> None:
    clock = BusinessClock.starting_at(NEW_YEAR_EVE, frozen=True, wall=Wall(0.0))
    advanced: list[tuple[float, float]] = []
    changed: list[float] = []
    clock.listeners.append(lambda before, after: advanced.append((before, after)))
    clock.watchers.append(lambda: changed.append(clock.now()))
    clock.set(NEW_YEAR_EVE - 86400 * 365)  # back a year: what pinning a new tenant does
    clock.advance(60)
    clock.set(NEW_YEAR_EVE, frozen=False)
    assert advanced == [(NEW_YEAR_EVE - 86400 * 365, NEW_YEAR_EVE - 86400 * 365 + 60)]
    assert changed == [NEW_YEAR_EVE - 86400 * 365, NEW_YEAR_EVE - 86400 * 365 + 60,
                       NEW_YEAR_EVE]
    assert not clock.frozen


@pytest.mark.parametrize("seconds", [-1.0, math.nan, math.inf, 1e308])
def test_advance_refuses_backwards_infinite_and_past_year_9999(seconds: float) -> None:
    clock = BusinessClock.starting_at(NEW_YEAR_EVE, frozen=True)
    with pytest.raises(ValueError):
        clock.advance(seconds)
    assert clock.now() == NEW_YEAR_EVE


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12-31T23:59:30Z", NEW_YEAR_EVE),
    ("2026-12-31T23:59:30+00:00", NEW_YEAR_EVE),
    ("2027-01-01T00:59:30+01:00", NEW_YEAR_EVE),
    ("2026-12-31T23:59:30", NEW_YEAR_EVE),  # no zone: UTC
    ("2027-01-01", NEW_YEAR_EVE + 30),
    (str(int(NEW_YEAR_EVE)), NEW_YEAR_EVE),
    (NEW_YEAR_EVE, NEW_YEAR_EVE),
])
def test_parse_instant_reads_iso_dates_and_unix_seconds(text: object, expected: float) -> None:
    assert parse_instant(text) == expected


def test_now_is_read_from_the_wall_clock_given() -> None:
    assert parse_instant("now", wall=lambda: 123.9) == 123.0


@pytest.mark.parametrize("bad", ["yesterday", "", "2026-13-01", True, -5, math.nan,
                                 MAX_INSTANT + 1, "1e400"])
def test_parse_instant_refuses_what_is_not_an_instant(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_instant(bad)


def test_iso_instant_round_trips() -> None:
    assert iso_instant(NEW_YEAR_EVE) == "2026-12-31T23:59:30Z"
    assert parse_instant(iso_instant(NEW_YEAR_EVE + 0.25)) == NEW_YEAR_EVE + 0.25


async def _clock_calls() -> list[tuple[int, dict[str, object]]]:
    app = create_app(SimSettings(seed=1, epoch=NEW_YEAR_EVE, frozen_clock=True))
    out = []
    async with httpx.AsyncClient(transport=InProcessTransport(app),
                                 base_url="http://billing") as c:
        for method, path, body in (
                ("GET", "/_sim/clock", None),
                ("POST", "/_sim/clock/freeze", {"at": "2025-06-01T00:00:00Z"}),
                ("POST", "/_sim/clock/advance", {"to": "2025-06-02"}),
                ("POST", "/_sim/clock/freeze", {"at": "soon"}),
                ("POST", "/_sim/clock/freeze", {"frozen": "yes"}),
                ("POST", "/_sim/clock/advance", {"seconds": 1e308}),
                ("POST", "/_sim/clock/advance", {"to": "1e400"}),
        ):
            r = await c.request(method, path, params={"tenant": "sk_test_clock"}, json=body)
            out.append((r.status_code, r.json()))
    return out


def test_control_routes_set_the_clock_and_name_the_bad_field() -> None:
    calls = asyncio.run(_clock_calls())
    (s0, first), (s1, frozen), (s2, advanced), *bad = calls
    assert (s0, first["now"], first["frozen_at"]) == (200, NEW_YEAR_EVE, NEW_YEAR_EVE)
    assert (s1, frozen["now"]) == (200, parse_instant("2025-06-01"))
    assert (s2, advanced["now"]) == (200, parse_instant("2025-06-02"))
    assert [status for status, _ in bad] == [400, 400, 400, 400]
    assert [body["error"]["param"] for _, body in bad] == ["at", "frozen", "seconds", "seconds"]
