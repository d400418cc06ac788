"""The injectable pause between retries.

Production code waits with :func:`asyncio.sleep`; tests pass a :class:`RecordingSleeper`
that records each requested delay and returns at once, so no test ever sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

Sleep = Callable[[float], Awaitable[None]]
"""An async function that waits the given number of seconds."""


async def real_sleep(seconds: float) -> None:
    """Wait ``seconds`` of wall time (the production sleeper)."""
    await asyncio.sleep(seconds)


class RecordingSleeper:
    """A sleeper that records the delays it was asked for and does not wait."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)

    @property
    def total(self) -> float:
        """The sum of all recorded delays."""
        return sum(self.delays)
