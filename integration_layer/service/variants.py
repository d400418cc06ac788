"""The faulty variants: the reference with exactly one part swapped.

Each variant documents the defect it carries and the scenario expected to catch it
(scenarios/); ``fintwin verify-harness`` runs every suite against every variant.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from integration_layer.clients import AmbiguousOutcome, BillingClient, PermanentError, RetryPolicy
from integration_layer.service.inbox import NoDedupeInbox
from integration_layer.service.money import FloatMoney
from integration_layer.service.outcomes import Drop, Wait
from integration_layer.service.parts import HonourRetryAfter, Parts
from integration_layer.service.stripe_fields import GrossAmountsReader, PreBasilReader

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


class ProcessingDay:
    """Dates every ERP posting by the day the integration processes it: the posting goes
    without a ``tranDate`` and NetSuite dates it today."""

    name = "processing-day"

    def invoice(self, invoice: dict[str, Any]) -> str | None:
        return None

    def payment(self, invoice: dict[str, Any]) -> str | None:
        return None

    def credit(self, note: dict[str, Any]) -> str | None:
        return None


class InvoiceTotal:
    """Posts the invoice's total as the payment, whatever billing collected."""

    name = "invoice-total"

    def amount(self, invoice: dict[str, Any]) -> int:
        return int(invoice.get("total") or 0) if int(invoice.get("amount_paid") or 0) else 0


class LineAmountsOnly:
    """Posts each billing line's amount as the ERP line, without tax lines: exclusive tax
    is lost, inclusive tax is booked as revenue."""

    name = "no-tax-lines"

    def line(self, amount: int, tax: int, inclusive: int) -> tuple[int, int]:
        return amount, 0


class DropNegativeProrations:
    """Posts only the charges of an amendment: proration lines that credit are dropped."""

    name = "drop-negative-prorations"

    def keep(self, amount: int, proration: bool) -> bool:
        return not (proration and amount < 0)


class LeaveCreditUnapplied:
    """Posts what was paid but never applies the customer's credit in the ERP."""

    name = "leave-credit-unapplied"
    applies = False


class RetryRefusals:
    """Treats a vendor's permanent refusal as a passing hitch: tries again, and again."""

    name = "retry-refusals"

    def on_permanent(self, exc: PermanentError) -> Exception | None:
        return Wait(f"retrying a refused write: {exc}")


class DropRefusals:
    """Logs a vendor's permanent refusal and acknowledges the event: nobody is told."""

    name = "drop-refusals"

    def on_permanent(self, exc: PermanentError) -> Exception | None:
        return Drop(f"refused by the vendor, given up: {exc}")


class CancelNow:
    """Cancels the subscription the moment the contract asks to cancel at period end."""

    name = "cancel-now"

    async def cancel(self, billing: BillingClient, sub_id: str, key: str | None) -> None:
        await billing.cancel_subscription(sub_id)


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
    Variant("ignores-discounts", replace(REFERENCE, stripe=GrossAmountsReader()),
            "posts invoice lines before their discounts",
            "scenarios/test_discounts.py: ERP_INVOICE_AMOUNT_MISMATCH (the ERP invoice is the "
            "undiscounted amount)"),
    Variant("no-legal-entity-check", replace(REFERENCE, entities=LenientEntities()),
            "posts an unmapped legal entity to the parent subsidiary",
            "scenarios/test_compensation.py: ERP_POSTED_UNMAPPED_ENTITY (invoice posted to the "
            "wrong entity)"),
    Variant("invoice-total-as-payment", replace(REFERENCE, collected=InvoiceTotal()),
            "posts the invoice total as the payment amount",
            "scenarios/test_payments_not_in_full.py: ERP_PAYMENT_AMOUNT_MISMATCH, "
            "ERP_PAYMENT_MISSING (more posted than was paid, or refused as over-applied)"),
    Variant("dates-by-processing-day", replace(REFERENCE, dates=ProcessingDay()),
            "dates ERP postings by the day it processes them, not the business event",
            "scenarios/test_posting_dates.py: ERP_POSTING_WRONG_DATE (a late month-end "
            "invoice dated the next month)"),
    Variant("ignores-tax", replace(REFERENCE, tax=LineAmountsOnly()),
            "posts billing's line amounts without tax lines",
            "scenarios/test_taxes.py: ERP_TAX_MISMATCH, ERP_TAX_JURISDICTION_MISMATCH "
            "(no tax booked)"),
    Variant("drops-negative-prorations", replace(REFERENCE, prorations=DropNegativeProrations()),
            "drops the credit lines of an amendment's proration",
            "scenarios/test_downgrades.py: ERP_CREDIT_MEMO_MISSING, ERP_INVOICE_AMOUNT_MISMATCH "
            "(downgrade credits never reach the ERP)"),
    Variant("leaves-credit-unapplied", replace(REFERENCE, credits=LeaveCreditUnapplied()),
            "never applies in the ERP the customer credit billing applied",
            "scenarios/test_downgrades.py: ERP_PAYMENT_NOT_APPLIED (the renewal stays open in "
            "the ERP)"),
    Variant("retries-refusals", replace(REFERENCE, refusals=RetryRefusals()),
            "retries a write the vendor refused for good, again and again",
            "scenarios/test_vendor_refusals.py: VENDOR_REFUSAL_RETRIED (the same refused "
            "write sent over and over)"),
    Variant("drops-refusals", replace(REFERENCE, refusals=DropRefusals()),
            "drops an event whose write the vendor refused, without parking it",
            "scenarios/test_vendor_refusals.py: VENDOR_REFUSAL_NOT_PARKED (a refusal nobody "
            "is told about)"),
    Variant("cancels-immediately", replace(REFERENCE, cancellation=CancelNow()),
            "cancels at once when the contract asks to cancel at period end",
            "scenarios/test_cancellation_at_period_end.py: SUBSCRIPTION_CANCELLED_EARLY "
            "(service cut before the end of the paid period)"),
)}


def variant(name: str) -> Variant:
    try:
        return VARIANTS[name]
    except KeyError:
        raise ValueError(f"unknown variant {name!r}; known: {', '.join(VARIANTS)}") from None
