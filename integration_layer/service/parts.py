"""The parts the service is composed of, with the reference implementation of each.

A faulty variant (:mod:`integration_layer.service.variants`) is the reference with
exactly one part swapped; nothing in the flows knows which variant runs.

- ``inbox``: deduplicates deliveries (:mod:`.inbox`).
- ``keys``: the idempotency key of each vendor write.
- ``retry``: the in-call retry policy (honours Retry-After).
- ``failures``: what a worker does with a transient failure that outlived in-call
  retries (retry later).
- ``ambiguity``: how a write whose outcome is unknown is resolved (same key again, or
  look it up by external id).
- ``money``: minor units <-> decimals (:mod:`.money`).
- ``ordering``: what a flow does when its prerequisite has not happened yet (wait).
- ``stripe``: how Stripe objects are read across API versions (:mod:`.stripe_fields`).
- ``entities``: how a legal entity maps to an ERP subsidiary (no mapping -> hold and
  park: compensation).
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from integration_layer.clients import AmbiguousOutcome, RetryPolicy, derive_key
from integration_layer.service.inbox import Inbox
from integration_layer.service.money import ExactMoney
from integration_layer.service.outcomes import Drop, Park, Wait
from integration_layer.service.stripe_fields import VersionTolerantReader

T = TypeVar("T")


class DerivedKeys:
    """Keys derived from the business object (for creates) or the inbound event and the
    step (for updates): the same work always sends the same key."""

    name = "derived"
    keyed_writes = True

    def key(self, scope: str, step: str) -> str | None:
        return derive_key(scope, step)


class HonourRetryAfter:
    name = "honour-retry-after"

    def policy(self, seed: int, base_delay: float) -> RetryPolicy:
        return RetryPolicy(max_attempts=5, base_delay=base_delay, max_delay=2.0,
                           max_retry_after=30.0, rng=random.Random(seed))


class RetryLater:
    """A transient failure that outlived the in-call retries is tried again later."""

    name = "retry-later"

    def on_transient(self, exc: Exception) -> None:
        return None  # the worker reschedules with backoff


class SameKeyOrLookup:
    """An ambiguous write is resolved by looking the object up by its external id (when
    it has one) and otherwise by sending the same request with the same key again."""

    name = "same-key-or-lookup"
    retry_ambiguous_in_call = True

    async def create(self, key: str | None, send: Callable[[str | None], Awaitable[T]],
                     lookup: Callable[[], Awaitable[T | None]] | None = None,
                     attempts: int = 4) -> T:
        for attempt in range(attempts):
            try:
                return await send(key)
            except AmbiguousOutcome:
                if lookup is not None:
                    found = await lookup()
                    if found is not None:
                        return found
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")


class WaitForPrerequisite:
    name = "wait"

    def missing(self, what: str) -> Exception:
        return Wait(f"waiting for {what}")


class StrictEntities:
    """A legal entity maps to the ERP subsidiary of that country; none -> compensation."""

    name = "strict"

    def subsidiary(self, country: str | None, by_country: dict[str, str],
                   parent: str | None) -> str:
        if country and country.upper() in by_country:
            return by_country[country.upper()]
        raise Park("LEGAL_ENTITY_UNMAPPED",
                   f"no ERP subsidiary for legal entity {country!r}")


@dataclass(frozen=True)
class Parts:
    inbox: type[Inbox] = Inbox
    keys: Any = field(default_factory=DerivedKeys)
    retry: Any = field(default_factory=HonourRetryAfter)
    failures: Any = field(default_factory=RetryLater)
    ambiguity: Any = field(default_factory=SameKeyOrLookup)
    money: Any = field(default_factory=ExactMoney)
    ordering: Any = field(default_factory=WaitForPrerequisite)
    stripe: Any = field(default_factory=VersionTolerantReader)
    entities: Any = field(default_factory=StrictEntities)


__all__ = ["Drop", "Park", "Parts", "Wait"]
