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
- ``dates``: the date an ERP posting carries (the business event it records).
- ``collected``: how much an ERP payment is for (what billing collected).
- ``tax``: how a billing line's amount and tax become an ERP line (net amount + tax line).
- ``prorations``: which proration lines are posted (all: credits as a credit memo).
- ``credits``: whether the customer's credit billing applied is applied in the ERP too.
- ``refusals``: what a worker does with a vendor's permanent refusal (park it).
- ``cancellation``: how a contract's cancellation reaches billing (at period end).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from integration_layer.clients import (
    AmbiguousOutcome,
    BillingClient,
    PermanentError,
    RetryPolicy,
    derive_key,
)
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


def _day(unix: Any) -> str | None:
    """The UTC calendar day of a billing timestamp (docs/quote-to-cash.md)."""
    if not unix:
        return None
    return dt.datetime.fromtimestamp(int(unix), dt.UTC).date().isoformat()


class EventDates:
    """An ERP posting carries the date of the business event it records: an invoice its
    finalization, a payment its payment, a credit memo its credit note."""

    name = "event-dates"

    def invoice(self, invoice: dict[str, Any]) -> str | None:
        moments = invoice.get("status_transitions") or {}
        return _day(moments.get("finalized_at") or invoice.get("created"))

    def payment(self, invoice: dict[str, Any]) -> str | None:
        moments = invoice.get("status_transitions") or {}
        return _day(moments.get("paid_at") or invoice.get("created"))

    def credit(self, note: dict[str, Any]) -> str | None:
        return _day(note.get("effective_at") or note.get("created"))


class AmountPaid:
    """An ERP payment is for what billing collected: the invoice's ``amount_paid`` (less
    than its total when a credit note, the customer's balance or parts came between)."""

    name = "amount-paid"

    def amount(self, invoice: dict[str, Any]) -> int:
        return int(invoice.get("amount_paid") or 0)


class TaxLines:
    """An ERP line is the billing line's net amount (an inclusive tax taken out) with its
    tax as the line's tax amount (``tax1Amt``): the ERP invoice's total is billing's."""

    name = "tax-lines"

    def line(self, amount: int, tax: int, inclusive: int) -> tuple[int, int]:
        return amount - inclusive, tax


class PostAllProrations:
    """Every proration line is posted; credits (unused time) as a credit memo."""

    name = "all-prorations"

    def keep(self, amount: int, proration: bool) -> bool:
        return True


class ApplyCustomerCredit:
    """The customer's credit that billing applied to an invoice (its ``starting_balance``
    taken down) is applied in the ERP too: the customer's open credit memos settle that
    part of the ERP invoice."""

    name = "apply-credit"
    applies = True


class ParkRefusals:
    """A vendor's permanent refusal is parked with its reason for a person to fix."""

    name = "park"

    def on_permanent(self, exc: PermanentError) -> Exception | None:
        """None: park it (a faulty variant answers a Wait or a Drop instead)."""
        return None


class CancelAtPeriodEnd:
    """A contract's cancellation ends the subscription at the end of its paid period."""

    name = "at-period-end"

    async def cancel(self, billing: BillingClient, sub_id: str, key: str | None) -> None:
        await billing.update_subscription(sub_id, {"cancel_at_period_end": True},
                                          idempotency_key=key or "")


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
    dates: Any = field(default_factory=EventDates)
    collected: Any = field(default_factory=AmountPaid)
    tax: Any = field(default_factory=TaxLines)
    prorations: Any = field(default_factory=PostAllProrations)
    credits: Any = field(default_factory=ApplyCustomerCredit)
    refusals: Any = field(default_factory=ParkRefusals)
    cancellation: Any = field(default_factory=CancelAtPeriodEnd)


__all__ = ["Drop", "Park", "Parts", "Wait"]
