"""The oracle's checks, one module per area; each registers its invariants on import
(:mod:`harness.oracle.registry`). Registration order is report order."""

from harness.oracle.checks import (  # noqa: F401  (registration)
    books,
    cancellation,
    customers,
    deals,
    orphans,
    postings,
    refusals,
    status,
    tax,
)
