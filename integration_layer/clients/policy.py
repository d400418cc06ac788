"""Retry policy and error classification shared by the vendor clients.

The schedule is exponential backoff with "full jitter" (a uniform draw between zero and
``min(cap, base * 2**(n-1))``), drawn from an injected :class:`random.Random` so that
tests and replays are deterministic. A vendor's ``Retry-After`` is a floor: the policy
never retries earlier than it allows, and spreads retries over a jittered window after it
(:meth:`RetryPolicy.spread`). When a vendor asks for a longer wait than
``max_retry_after``, the client does not sleep in-process; it raises the
:class:`TransientError` (with ``retry_after`` set) so the caller can reschedule the work.
"""

from __future__ import annotations

import email.utils
import enum
import random
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import httpx

from integration_layer.clients.errors import (
    AmbiguousOutcome,
    CircuitOpen,
    PermanentError,
    SessionExpired,
    TransientError,
    VendorError,
)

__all__ = [
    "AmbiguousOutcome",
    "CircuitOpen",
    "ErrorKind",
    "PermanentError",
    "RetryPolicy",
    "SessionExpired",
    "TransientError",
    "VendorError",
    "classify_status",
    "classify_transport_error",
    "parse_retry_after",
    "stripe_should_retry",
]


class ErrorKind(enum.Enum):
    """How a failed call should be treated."""

    TRANSIENT = "transient"
    PERMANENT = "permanent"
    AMBIGUOUS = "ambiguous"


@dataclass
class RetryPolicy:
    """How often and how long to retry a transient failure.

    ``max_attempts`` counts every try including the first. A re-authentication retry
    (after a 401) is not counted.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 20.0
    max_retry_after: float = 60.0
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("delays must not be negative")

    def backoff(self, retry_number: int) -> float:
        """Full-jitter backoff before retry ``retry_number`` (1 for the first retry)."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (retry_number - 1))
        return self.rng.uniform(0.0, ceiling)

    def delay_before_retry(self, retry_number: int, retry_after: float | None) -> float:
        """The wait before a retry: the jittered backoff, but never less than Retry-After,
        and after a Retry-After a jittered spread on top of it (:meth:`spread`)."""
        delay = self.backoff(retry_number)
        if retry_after is not None:
            delay = max(delay, retry_after) + self.spread(retry_number, retry_after)
        return delay

    def spread(self, retry_number: int, retry_after: float) -> float:
        """A uniform draw added after a Retry-After, up to ``min(retry_after, 1 s + the
        backoff ceiling)``. Retrying exactly when the vendor said lines every client up
        on the same instant, and a client whose other traffic has a fixed cadence (a
        poller) can meet the same limit window again and again: a fault plan that refuses
        every third request refused one SUT write 15 times in a row that way (fintwin
        soak, seed 1005)."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (retry_number - 1))
        return self.rng.uniform(0.0, max(0.0, min(retry_after, 1.0 + ceiling)))


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` value, or ``None`` if absent or unreadable.

    RFC 9110 section 10.2.3: the value is either delay-seconds or an HTTP-date. ``now`` is
    the current wall-clock time (Unix seconds), needed for the HTTP-date form. A date in
    the past means "retry now" (0.0).
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(int(text))
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        # Not RFC-conformant (fractional), but unambiguous; never negative.
        return max(0.0, seconds) if seconds == seconds else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; be lenient with obsolete forms
        return None
    return max(0.0, when.timestamp() - now)


def stripe_should_retry(headers: Mapping[str, str]) -> bool | None:
    """Read Stripe's ``Stripe-Should-Retry`` response header.

    stripe-python (``stripe/_http_client.py``, ``HTTPClient._should_retry``) consults this
    header before anything else: ``"false"`` means do not retry, ``"true"`` means retry
    (for example lock timeouts); any other value or no header defers to the status code.
    """
    value = headers.get("stripe-should-retry")
    if value == "true":
        return True
    if value == "false":
        return False
    return None


def classify_status(
    status: int,
    headers: Mapping[str, str],
    *,
    vendor_code: str | None = None,
    transient_codes: Collection[str] = (),
    conflict_is_transient: bool = True,
) -> ErrorKind:
    """Classify an HTTP error response (``status >= 400``).

    Order: ``Stripe-Should-Retry`` first (it only appears on Stripe responses), then the
    vendor's own transient error codes, then the status: 408, 429 and 5xx are transient;
    409 is transient when ``conflict_is_transient`` (stripe-python retries every 409:
    lock contention and idempotency keys still in flight); every other 4xx is permanent.
    """
    override = stripe_should_retry(headers)
    if override is not None:
        return ErrorKind.TRANSIENT if override else ErrorKind.PERMANENT
    if vendor_code is not None and vendor_code in transient_codes:
        return ErrorKind.TRANSIENT
    if status in (408, 429) or status >= 500:
        return ErrorKind.TRANSIENT
    if status == 409 and conflict_is_transient:
        return ErrorKind.TRANSIENT
    return ErrorKind.PERMANENT


# The request never left this process, so nothing can have happened at the vendor.
_NOT_SENT: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
)
# Bugs on our side: repeating cannot help.
_LOCAL_BUGS: tuple[type[httpx.TransportError], ...] = (
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
)


def classify_transport_error(exc: httpx.TransportError, *, mutates: bool) -> ErrorKind:
    """Classify an exception raised while sending a request.

    Connection failures before the request was sent are transient. Timeouts and resets
    after sending (read/write timeouts, ``ReadError``, ``RemoteProtocolError``) leave a
    write's outcome unknown, so they are ambiguous for writes and transient for reads.
    """
    if isinstance(exc, _LOCAL_BUGS):
        return ErrorKind.PERMANENT
    if isinstance(exc, _NOT_SENT):
        return ErrorKind.TRANSIENT
    return ErrorKind.AMBIGUOUS if mutates else ErrorKind.TRANSIENT
