"""The per-request context billing operations run in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulators.billing.errors import ResourceMissing
from simulators.engine.runtime import Simulation
from simulators.engine.store import Record, Store
from simulators.engine.tenancy import Tenant

# Stripe's id prefixes (VENDORS.md; Stripe API reference) and the object each names.
PREFIX_KIND = {
    "cus_": "customer", "prod_": "product", "price_": "price", "sub_": "subscription",
    "si_": "subscription_item", "in_": "invoice", "pi_": "payment_intent", "ch_": "charge",
    "re_": "refund", "cn_": "credit_note", "evt_": "event", "we_": "webhook_endpoint",
    "clock_": "test_helpers.test_clock", "pm_": "payment_method", "ii_": "invoiceitem",
    "txr_": "tax_rate", "di_": "discount", "promo_": "promotion_code",
    "seti_": "setup_intent", "acct_": "account",
}
KIND_NOUN = {"test_helpers.test_clock": "test clock", "invoiceitem": "invoice item",
             "payment_method": "PaymentMethod", "payment_intent": "payment_intent",
             "webhook_endpoint": "webhook endpoint", "credit_note": "credit note",
             "subscription_item": "subscription item", "tax_rate": "tax rate",
             "promotion_code": "promotion code", "setup_intent": "setupintent"}

# Secondary indexes the billing store keeps (kind -> fields).
INDEXES: dict[str, tuple[str, ...]] = {
    "subscription": ("customer",),
    "subscription_item": ("subscription",),
    "invoice": ("customer", "subscription"),
    "invoiceitem": ("customer",),
    "payment_method": ("customer",),
    "charge": ("customer", "payment_intent"),
    "refund": ("charge",),
    "credit_note": ("invoice",),
    "price": ("lookup_key", "product"),
    "customer": ("test_clock", "email"),
    "promotion_code": ("code", "coupon"),
    "setup_intent": ("customer",),
}


def kind_of_id(obj_id: str) -> str | None:
    prefix = obj_id.split("_", 1)[0] + "_"
    return PREFIX_KIND.get(prefix)


@dataclass(slots=True)  # one per request: slots make it cheaper to build and read
class Ctx:
    sim: Simulation
    tenant: Tenant
    version: str
    request_id: str = ""
    idempotency_key: str | None = None
    # While business time is being replayed (a clock advance), actions happen
    # at their own instant rather than at the clock's final time.
    at: int | None = None
    # The last record an event snapshotted, with its key tuple and values
    # (events.emit), which the response's idempotent answer can share.
    snapshot: tuple[Record, tuple[str, ...], tuple[Any, ...]] | None = None

    @property
    def store(self) -> Store:
        return self.tenant.store

    def new_id(self, prefix: str) -> str:
        return self.tenant.streams.new_id(prefix, 24)  # Tenant.new_id's, a call shorter

    def get(self, kind: str, obj_id: Any, param: str = "id") -> Record:
        obj = self.store.get(kind, obj_id) if isinstance(obj_id, str) else None
        if obj is None or obj.get("deleted"):
            raise ResourceMissing(KIND_NOUN.get(kind, kind), str(obj_id), param)
        return obj

    def put(self, kind: str, obj: Record) -> Record:
        return self.tenant.store.put(kind, obj)

    def now(self, customer_id: str | None = None) -> int:
        """Business time for a customer: its test clock's, else the account clock's."""
        if self.at is not None:
            return self.at
        cust = self.store.get("customer", customer_id) if customer_id else None
        return self.clock_now(cust.get("test_clock") if cust else None)

    def clock_now(self, clock_id: str | None) -> int:
        """Business time on a test clock (the account clock's without one)."""
        if self.at is not None:
            return self.at
        if clock_id:
            clock = self.store.get("test_helpers.test_clock", clock_id)
            if clock is not None:
                return int(clock["frozen_time"])
        return self.tenant.clock.now_int()
