"""Resilient vendor clients of the reference integration layer.

Each client talks to one vendor only over its HTTP API, and runs every call through the
same retry loop (:mod:`.caller`): retries with full-jitter backoff that honour
``Retry-After`` and ``Stripe-Should-Retry``, a circuit breaker per vendor, one
re-authentication on an expired token, ``traceparent`` propagation and a metrics hook.
Failures surface as :class:`TransientError`, :class:`PermanentError` or
:class:`AmbiguousOutcome`.
"""

from integration_layer.clients.breaker import BreakerState, CircuitBreaker
from integration_layer.clients.errors import (
    AmbiguousOutcome,
    CircuitOpen,
    MissingIdempotencyKey,
    PermanentError,
    SessionExpired,
    TransientError,
    VendorError,
)
from integration_layer.clients.idempotency import derive_key
from integration_layer.clients.netsuite_client import ErpClient
from integration_layer.clients.options import ClientOptions
from integration_layer.clients.policy import RetryPolicy
from integration_layer.clients.recorder import CallRecord, CallRecorder
from integration_layer.clients.salesforce_client import CrmClient
from integration_layer.clients.sleeper import RecordingSleeper, Sleep
from integration_layer.clients.stripe_client import BillingClient
from integration_layer.clients.tracing import correlation

__all__ = [
    "AmbiguousOutcome",
    "BillingClient",
    "BreakerState",
    "CallRecord",
    "CallRecorder",
    "CircuitBreaker",
    "CircuitOpen",
    "ClientOptions",
    "CrmClient",
    "ErpClient",
    "MissingIdempotencyKey",
    "PermanentError",
    "RecordingSleeper",
    "RetryPolicy",
    "SessionExpired",
    "Sleep",
    "TransientError",
    "VendorError",
    "correlation",
    "derive_key",
]
