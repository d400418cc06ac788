"""The exceptions every vendor client raises.

Callers branch on three classes, not on vendors:

* :class:`TransientError` - the call did not take effect (or is safe to repeat) and may
  succeed later; ``retry_after`` says how long the vendor asked us to wait.
* :class:`PermanentError` - repeating the same call will fail the same way; park it.
* :class:`AmbiguousOutcome` - a write was sent and we do not know whether it took
  effect. Resolve it by repeating with the same idempotency key, or by looking the
  object up by its external id - never by blind re-creation.
"""

from __future__ import annotations

from typing import Any


class VendorError(Exception):
    """Base class of every error a vendor client raises."""

    def __init__(
        self,
        message: str,
        *,
        vendor: str = "",
        status: int | None = None,
        vendor_code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.vendor = vendor
        self.status = status
        self.vendor_code = vendor_code
        self.details: dict[str, Any] = {}
        """The vendor's error object, as parsed from the response body."""

    def __str__(self) -> str:
        parts = [p for p in (self.vendor, str(self.status or ""), self.vendor_code or "") if p]
        prefix = f"[{' '.join(parts)}] " if parts else ""
        return f"{prefix}{self.message}"


class TransientError(VendorError):
    """The call failed in a way that may succeed if repeated later.

    ``retry_after`` is the vendor's minimum wait in seconds (``Retry-After`` or a
    vendor-specific rule), or ``None`` when the vendor gave no hint.
    """

    def __init__(
        self,
        message: str,
        *,
        vendor: str = "",
        status: int | None = None,
        vendor_code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, vendor=vendor, status=status, vendor_code=vendor_code)
        self.retry_after = retry_after


class PermanentError(VendorError):
    """The vendor refused the call; repeating it unchanged will not help."""

    def __init__(
        self,
        vendor_code: str | None,
        message: str,
        status: int | None,
        *,
        vendor: str = "",
    ) -> None:
        super().__init__(message, vendor=vendor, status=status, vendor_code=vendor_code)


class SessionExpired(PermanentError):
    """The access token was refused (HTTP 401).

    The client re-authenticates once and repeats the call; this error escapes only when
    the fresh token is refused too, and is then permanent (bad credentials).
    """


class AmbiguousOutcome(VendorError):
    """A write was sent, but whether it took effect is unknown.

    ``idempotency_key`` is the key the write carried (Stripe), if any: repeating the
    write with it is safe. Without one, look the object up by external id.
    """

    def __init__(
        self,
        message: str,
        *,
        vendor: str = "",
        method: str = "",
        path: str = "",
        status: int | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        super().__init__(message, vendor=vendor, status=status)
        self.method = method
        self.path = path
        self.idempotency_key = idempotency_key


class CircuitOpen(TransientError):
    """The vendor's circuit breaker is open: the call was not attempted."""


class MissingIdempotencyKey(ValueError):
    """A write that must carry an idempotency key was attempted without one."""
