"""Waiting for eventual outcomes with deadlines, never bare sleeps."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class NotYet(AssertionError):
    """The condition did not hold before the deadline; carries the last value seen."""


def eventually(probe: Callable[[], T], *, timeout: float = 10.0, interval: float = 0.02,
               what: str = "condition") -> T:
    """Call ``probe`` until it returns a truthy value (returned) or the deadline passes.

    An AssertionError raised by the probe counts as "not yet", so probes can assert.
    """
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            value = probe()
            if value:
                return value
            last = value
        except AssertionError as exc:
            last = exc
        if time.monotonic() >= deadline:
            raise NotYet(f"{what} did not hold within {timeout}s; last: {last!r}")
        time.sleep(interval)


async def until(probe: Callable[[], Awaitable[T | None]], *, timeout: float = 10.0,
                interval: float = 0.02, what: str = "condition") -> T:
    """:func:`eventually` for a coroutine probe (awaited each time)."""
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            value = await probe()
            if value:
                return value
            last = value
        except AssertionError as exc:
            last = exc
        if time.monotonic() >= deadline:
            raise NotYet(f"{what} did not hold within {timeout}s; last: {last!r}")
        await asyncio.sleep(interval)
