"""Waiting for eventual outcomes with deadlines, never bare sleeps."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

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


@overload
async def until(probe: Callable[[], Awaitable[T | None]], *, timeout: float = ...,
                interval: float = ..., what: str = ...) -> T: ...


@overload
async def until(probe: Callable[[], T | None], *, timeout: float = ...,
                interval: float = ..., what: str = ...) -> T: ...


async def until(probe: Callable[[], Any], *, timeout: float = 10.0, interval: float = 0.02,
                what: str = "condition") -> Any:
    """:func:`eventually` inside a coroutine: the probe may be a coroutine function
    (awaited each time) or a plain one; the loop runs on between probes."""
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            value = probe()
            if inspect.isawaitable(value):
                value = await value
            if value:
                return value
            last = value
        except AssertionError as exc:
            last = exc
        if time.monotonic() >= deadline:
            raise NotYet(f"{what} did not hold within {timeout}s; last: {last!r}")
        await asyncio.sleep(interval)
