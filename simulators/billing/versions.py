"""Stripe API versions and the response shapes they select.

Since 2025-03-31.basil (Stripe changelog, "2025-03-31.basil"): subscription
``current_period_start/end`` moved onto subscription items; invoice
``subscription`` moved to ``parent.subscription_details.subscription``;
invoice line ``price`` moved to ``pricing.price_details.price``;
``invoice.charge``, ``invoice.payment_intent`` and ``invoice.paid`` are gone.
Earlier dates get the pre-basil shapes; later dates (the SDK pins a newer one)
get the newest shapes implemented here.
"""

from __future__ import annotations

import functools
import re
from datetime import date

from simulators.billing.errors import InvalidRequest

PRE_BASIL = "2024-06-20"
BASIL = "2025-03-31.basil"
BASIL_DATE = date(2025, 3, 31)
# 2025-09-30.clover (Stripe changelog): a discount's coupon moved to ``source.coupon``,
# a promotion code's to ``promotion.coupon``, neither expanded. The only clover change
# the fake renders; every other shape from basil on is basil's.
CLOVER = "2025-09-30.clover"
CLOVER_DATE = date(2025, 9, 30)
DEFAULT_VERSION = PRE_BASIL
_VERSION = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:\.([a-z]+))?$")


def parse_version(value: str) -> date:
    """The release date of a version string; Stripe refuses malformed versions with 400."""
    m = _VERSION.match(value)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            pass
    raise InvalidRequest(f"Invalid Stripe API version: {value}", param="Stripe-Version",
                         code=None)


# What 2025-03-31.basil moved or removed, as (object, field before, where it went or None
# when it is gone or always null): the Stripe changelog's breaking changes for basil that render.py
# applies (tests/billing/test_versions.py holds the two together).
BASIL_CHANGES: tuple[tuple[str, str, str | None], ...] = (
    ("invoice", "subscription", "parent.subscription_details.subscription"),
    ("invoice", "charge", None),
    ("invoice", "payment_intent", None),
    ("invoice", "paid", None),
    ("invoice", "paid_out_of_band", None),
    ("invoice", "tax", None),
    ("invoice", "total_tax_amounts", "total_taxes"),
    ("invoice line", "price", "pricing.price_details.price"),
    ("invoice line", "plan", None),
    ("invoice line", "proration", "parent.subscription_item_details.proration"),
    ("invoice line", "subscription_item",
     "parent.subscription_item_details.subscription_item"),
    ("payment intent", "invoice", None),
    ("charge", "invoice", None),
    ("credit note", "refund", "refunds"),
    ("invoice item", "price", "pricing.price_details.price"),
    ("invoice item", "subscription", "parent.subscription_details.subscription"),
    ("invoice item", "subscription_item", None),  # parent.subscription_details
    ("invoice item", "unit_amount", None),
    ("invoice item", "plan", None),
    ("invoice item", "unit_amount_decimal", "pricing.unit_amount_decimal"),
    ("invoice line", "tax_amounts", "taxes"),
    ("invoice line", "type", None),
    ("invoice line", "invoice_item", None),  # under parent.invoice_item_details
    ("invoice line", "unit_amount_excluding_tax", None),
    ("subscription", "current_period_start", "items.data[].current_period_start"),
    ("subscription", "current_period_end", "items.data[].current_period_end"),
    # "Removes coupon and promotion code parameters with stackable discounts": the single
    # discount fields go, discounts (a list) stays.
    ("invoice", "discount", None),
    ("subscription", "discount", None),
)


@functools.lru_cache(maxsize=256)
def is_basil(version: str) -> bool:
    return parse_version(version) >= BASIL_DATE


@functools.lru_cache(maxsize=256)
def is_clover(version: str) -> bool:
    return parse_version(version) >= CLOVER_DATE
