"""The faulty variants: the reference with exactly one part swapped.

Each variant documents the defect it carries and the scenario expected to catch it
(scenarios/); ``fintwin verify-harness`` runs every suite against every variant.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from integration_layer.clients import AmbiguousOutcome, RetryPolicy
from integration_layer.service.inbox import NoDedupeInbox
from integration_layer.service.money import FloatMoney
from integration_layer.service.outcomes import Drop
from integration_layer.service.parts import HonourRetryAfter, Parts
from integration_layer.service.stripe_fields import PreBasilReader

T = TypeVar("T")


class NoKeys:
    """Sends vendor writes without idempotency keys."""

    name = "none"
    keyed_writes = False

    def key(self, scope: str, step: str) -> str | None:
        return None


class _IgnoringPolicy(RetryPolicy):
    def delay_before_retry(self, retry_number: int, retry_after: float | None) -> float:
        return self.backoff(retry_number)


class IgnoreRetryAfter(HonourRetryAfter):
    """Retries on its own short backoff whatever Retry-After says."""

    name = "ignore-retry-after"

    def policy(self, seed: int, base_delay: float) -> RetryPolicy:
        import random

        return _IgnoringPolicy(max_attempts=8, base_delay=base_delay, max_delay=0.2,
                               max_retry_after=30.0, rng=random.Random(seed))


class DropOnServerError:
    """Gives an event up (acknowledged, logged, never retried) when a vendor keeps
    failing."""

    name = "drop"

    def on_transient(self, exc: Exception) -> None:
        raise Drop(f"dropped after vendor failure: {exc}")


class RecreateOnTimeout:
    """Treats a write whose response was lost as not done and creates again with a
    fresh key."""

    name = "recreate"
    retry_ambiguous_in_call = False

    async def create(self, key: str | None, send: Callable[[str | None], Awaitable[T]],
                     lookup: Callable[[], Awaitable[T | None]] | None = None,
                     attempts: int = 4) -> T:
        try:
            return await send(key)
        except AmbiguousOutcome:
            return await send(f"{key}:again:{uuid.uuid4().hex[:8]}" if key else None)


class AssumeInOrder:
    """Assumes events arrive in order: a missing prerequisite means 'nothing to do'."""

    name = "assume-in-order"

    def missing(self, what: str) -> Exception:
        return Drop(f"skipped: {what} not found")


class LenientEntities:
    """Posts an unmapped legal entity to the parent subsidiary instead of holding it."""

    name = "lenient"

    def subsidiary(self, country: str | None, by_country: dict[str, str],
                   parent: str | None) -> str:
        if country and country.upper() in by_country:
            return by_country[country.upper()]
        assert parent is not None
        return parent


@dataclass(frozen=True)
class Variant:
    name: str
    parts: Parts
    defect: str
    caught_by: str


REFERENCE = Parts()

VARIANTS: dict[str, Variant] = {v.name: v for v in (
    Variant("reference", REFERENCE, "none", "passes every suite"),
    Variant("no-dedupe", replace(REFERENCE, inbox=NoDedupeInbox),
            "no inbox dedupe: a duplicate delivery runs the flow again",
            "scenarios/test_duplicate_delivery.py: ERP_WRITE_REFUSED, ERP_INVOICE_DUPLICATE, "
            "ERP_PAYMENT_DUPLICATE (duplicate ERP writes)"),
    Variant("no-idempotency-keys", replace(REFERENCE, keys=NoKeys()),
            "vendor writes carry no idempotency key",
            "scenarios/test_commit_then_fail.py: SUBSCRIPTION_DUPLICATE, ERP_INVOICE_DUPLICATE "
            "(two subscriptions for one deal)"),
    Variant("ignores-retry-after", replace(REFERENCE, retry=IgnoreRetryAfter()),
            "retries a 429 before Retry-After allows",
            "scenarios/test_rate_limits.py: RETRY_BEFORE_RETRY_AFTER (early retries counted)"),
    Variant("drops-on-5xx", replace(REFERENCE, failures=DropOnServerError()),
            "drops an event when a vendor keeps answering 5xx",
            "scenarios/test_erp_outage.py: ERP_INVOICE_MISSING, ERP_PAYMENT_MISSING "
            "(invoices never posted)"),
    Variant("recreates-on-timeout", replace(REFERENCE, ambiguity=RecreateOnTimeout()),
            "re-creates a write whose response was lost, with a fresh key",
            "scenarios/test_commit_then_fail.py: SUBSCRIPTION_DUPLICATE, ERP_INVOICE_DUPLICATE "
            "(duplicate subscription)"),
    Variant("float-money", replace(REFERENCE, money=FloatMoney()),
            "converts money through floats and truncates",
            "scenarios/test_quote_to_cash.py: ERP_INVOICE_AMOUNT_MISMATCH (ERP amounts a cent "
            "off)"),
    Variant("assumes-in-order", replace(REFERENCE, ordering=AssumeInOrder()),
            "skips an event whose prerequisite has not arrived yet",
            "scenarios/test_out_of_order.py: ERP_PAYMENT_MISSING, ERP_INVOICE_MISSING "
            "(payments never posted)"),
    Variant("pre-basil-only", replace(REFERENCE, stripe=PreBasilReader()),
            "reads only pre-basil Stripe fields",
            "scenarios/test_vendor_upgrade.py: ERP_INVOICE_MISSING (invoices not posted after "
            "the upgrade)"),
    Variant("no-legal-entity-check", replace(REFERENCE, entities=LenientEntities()),
            "posts an unmapped legal entity to the parent subsidiary",
            "scenarios/test_compensation.py: ERP_POSTED_UNMAPPED_ENTITY (invoice posted to the "
            "wrong entity)"),
)}


def variant(name: str) -> Variant:
    try:
        return VARIANTS[name]
    except KeyError:
        raise ValueError(f"unknown variant {name!r}; known: {', '.join(VARIANTS)}") from None
