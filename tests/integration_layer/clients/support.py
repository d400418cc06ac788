"""Helpers shared by the vendor-client tests (no pytest-asyncio: run coroutines here)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Coroutine
from typing import Any, TypeVar

from integration_layer.clients.policy import RetryPolicy
from integration_layer.clients.recorder import CallRecord

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run one coroutine to completion on a fresh event loop."""
    return asyncio.run(coro)


def seeded_policy(seed: int = 7, **overrides: Any) -> RetryPolicy:
    """A retry policy whose jitter is drawn from ``random.Random(seed)``."""
    settings: dict[str, Any] = {
        "max_attempts": 4,
        "base_delay": 0.5,
        "max_delay": 8.0,
        "max_retry_after": 60.0,
    }
    settings.update(overrides)
    return RetryPolicy(rng=random.Random(seed), **settings)


class Records(list[CallRecord]):
    """A metrics hook that keeps every record."""

    def __call__(self, record: CallRecord) -> None:
        self.append(record)
