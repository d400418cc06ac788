"""The billing fake's operations, one module per group of Stripe resources.

Each operation is declared on its handler (``@ops.operation(...)``); this list is
their order in the route table and the OpenAPI document.
"""

from __future__ import annotations

from simulators.billing.api import (
    accounts,
    catalog,
    customers,
    discounts,
    events,
    invoices,
    payments,
    search,
    subscriptions,
)
from simulators.engine.operation import Operations, join

OPERATIONS: Operations = join(
    search.ops, discounts.ops, accounts.ops, customers.ops, catalog.products, catalog.prices,
    subscriptions.ops, invoices.ops, payments.ops, payments.setups, payments.notes, events.ops,
    events.webhooks, events.clocks)
