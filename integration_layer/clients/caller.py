"""The retry loop every vendor client runs its HTTP calls through.

One :meth:`ResilientCaller.call` is one logical vendor call: it admits each attempt
through the vendor's circuit breaker, sends it, classifies the result, re-authenticates
once on an expired session, sleeps (through the injected sleeper) between transient
failures, reports every attempt to the metrics hook, and turns "we gave up on a write
that may have happened" into :class:`AmbiguousOutcome`.

Whether a call may be repeated is declared by the client, per call (:class:`CallSpec`):
reads, PUT/PATCH by id or external id, and Stripe POSTs carrying an idempotency key are
``retry_safe``; plain creates (Salesforce/NetSuite POST) are not, and any doubt about
them surfaces at once as :class:`AmbiguousOutcome` so the caller can look the object up.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from integration_layer.clients.breaker import CircuitBreaker
from integration_layer.clients.errors import (
    AmbiguousOutcome,
    CircuitOpen,
    PermanentError,
    SessionExpired,
    TransientError,
    VendorError,
)
from integration_layer.clients.policy import (
    ErrorKind,
    RetryPolicy,
    classify_transport_error,
    parse_retry_after,
)
from integration_layer.clients.recorder import CallRecord, CallRecorder, discard_call
from integration_layer.clients.sleeper import Sleep, real_sleep
from integration_layer.clients.tracing import current_correlation_id, make_traceparent

ErrorParser = Callable[[httpx.Response], VendorError]
"""Turns an unsuccessful response into a TransientError, PermanentError or SessionExpired."""

RequestBuilder = Callable[[], Awaitable[httpx.Request]]
"""Builds a fresh request for each attempt (so a refreshed token is picked up)."""

Verify = ssl.SSLContext | str | bool
"""TLS verification: a context, a CA bundle path, or a bool."""


@dataclass(frozen=True)
class CallSpec:
    """What the retry loop needs to know about one call."""

    method: str
    path_template: str
    mutates: bool
    retry_safe: bool
    idempotency_key: str | None = None


def build_http_client(
    base_url: str,
    *,
    transport: httpx.AsyncBaseTransport | None,
    verify: Verify,
    timeout: httpx.Timeout | float,
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` for one vendor. A CA bundle path becomes an SSL context
    (httpx 0.28 deprecates ``verify=<path>``)."""
    if isinstance(verify, str):
        verify = ssl.create_default_context(cafile=verify)
    return httpx.AsyncClient(base_url=base_url, transport=transport, verify=verify, timeout=timeout)


@dataclass(frozen=True)
class _Attempt:
    """The result of one attempt: a 2xx response, or the error it ended in."""

    response: httpx.Response | None = None
    error: VendorError | None = None
    maybe_committed: bool = False


def _may_have_committed(status: int) -> bool:
    # A 5xx may come after the write happened (Stripe: "the result of the original
    # request is indeterminate"); a 409 on a keyed write means the first request with
    # this key is still running.
    return status >= 500 or status == 409


class ResilientCaller:
    """Runs vendor calls with retries, a circuit breaker, tracing and metrics."""

    def __init__(
        self,
        vendor: str,
        http: httpx.AsyncClient,
        *,
        policy: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        sleep: Sleep = real_sleep,
        recorder: CallRecorder = discard_call,
        wall_clock: Callable[[], float] = time.time,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.vendor = vendor
        self.http = http
        self.policy = policy if policy is not None else RetryPolicy()
        self.breaker = breaker if breaker is not None else CircuitBreaker(vendor)
        self._sleep = sleep
        self._recorder = recorder
        self._wall_clock = wall_clock
        self._timer = timer

    async def call(
        self,
        spec: CallSpec,
        build: RequestBuilder,
        parse_error: ErrorParser,
        *,
        reauth: Callable[[], Awaitable[None]] | None = None,
    ) -> httpx.Response:
        """Send the call until it succeeds (2xx) or must be given up; return the response.

        Raises :class:`PermanentError`, :class:`TransientError` (retries exhausted, or
        the vendor asked to wait longer than ``policy.max_retry_after``),
        :class:`CircuitOpen`, or :class:`AmbiguousOutcome`.
        """
        attempt = 0  # every attempt, for the metrics hook
        tries = 0  # attempts that count against policy.max_attempts
        reauthed = False
        maybe_committed = False
        while True:
            attempt += 1
            tries += 1
            try:
                request = await build()
                self.breaker.before_call()
            except VendorError as exc:
                if isinstance(exc, CircuitOpen):
                    self._record(spec, None, 0.0, attempt, "circuit_open")
                if maybe_committed:
                    raise self._ambiguous(spec, exc, None) from exc
                raise
            self._add_traceparent(request)
            result = await self._attempt(spec, request, attempt, parse_error)
            maybe_committed = maybe_committed or result.maybe_committed
            if result.response is not None:
                return result.response
            error = result.error
            if isinstance(error, AmbiguousOutcome):
                raise error
            if isinstance(error, SessionExpired) and reauth is not None and not reauthed:
                reauthed = True
                tries -= 1
                await reauth()
                continue
            if isinstance(error, PermanentError):
                raise error
            assert isinstance(error, TransientError)
            if tries >= self.policy.max_attempts or (
                error.retry_after is not None and error.retry_after > self.policy.max_retry_after
            ):
                if maybe_committed:
                    raise self._ambiguous(spec, error, error.status) from error
                raise error
            await self._sleep(self.policy.delay_before_retry(tries, error.retry_after))

    async def _attempt(
        self, spec: CallSpec, request: httpx.Request, attempt: int, parse_error: ErrorParser
    ) -> _Attempt:
        """One attempt, already admitted by the breaker."""
        start = self._timer()
        try:
            response = await self.http.send(request)
        except httpx.TransportError as exc:
            return self._transport_failure(spec, exc, self._timer() - start, attempt)
        except BaseException:
            self.breaker.release()
            raise
        latency = self._timer() - start
        status = response.status_code
        if status >= 500:
            self.breaker.record_failure()
        else:
            self.breaker.record_success()
        if 200 <= status < 300:
            self._record(spec, status, latency, attempt, "ok")
            return _Attempt(response=response)
        error = self._parse(response, parse_error)
        maybe_committed = spec.mutates and _may_have_committed(status)
        if isinstance(error, SessionExpired):
            outcome = "reauth"
        elif isinstance(error, PermanentError):
            outcome = "permanent"
        elif maybe_committed and not spec.retry_safe:
            self._record(spec, status, latency, attempt, "ambiguous")
            ambiguous = self._ambiguous(spec, error, status)
            ambiguous.__cause__ = error
            return _Attempt(error=ambiguous, maybe_committed=True)
        else:
            outcome = "transient"
        self._record(spec, status, latency, attempt, outcome)
        return _Attempt(error=error, maybe_committed=maybe_committed)

    def _transport_failure(
        self, spec: CallSpec, exc: httpx.TransportError, latency: float, attempt: int
    ) -> _Attempt:
        kind = classify_transport_error(exc, mutates=spec.mutates)
        if kind is ErrorKind.PERMANENT:
            self.breaker.release()
            self._record(spec, None, latency, attempt, "permanent")
            error: VendorError = PermanentError(None, repr(exc), None, vendor=self.vendor)
            error.__cause__ = exc
            return _Attempt(error=error)
        self.breaker.record_failure()
        maybe_committed = kind is ErrorKind.AMBIGUOUS
        if maybe_committed and not spec.retry_safe:
            self._record(spec, None, latency, attempt, "ambiguous")
            error = self._ambiguous(spec, exc, None)
        else:
            self._record(spec, None, latency, attempt, "transient")
            error = TransientError(repr(exc), vendor=self.vendor)
        error.__cause__ = exc
        return _Attempt(error=error, maybe_committed=maybe_committed)

    def _parse(self, response: httpx.Response, parse_error: ErrorParser) -> VendorError:
        error = parse_error(response)
        error.vendor = error.vendor or self.vendor
        if error.status is None:
            error.status = response.status_code
        if isinstance(error, TransientError):
            header = parse_retry_after(response.headers.get("retry-after"), now=self._wall_clock())
            if header is not None:
                error.retry_after = max(header, error.retry_after or 0.0)
        return error

    def _add_traceparent(self, request: httpx.Request) -> None:
        correlation_id = current_correlation_id.get()
        if correlation_id:
            request.headers["traceparent"] = make_traceparent(correlation_id)

    def _ambiguous(
        self, spec: CallSpec, cause: BaseException, status: int | None
    ) -> AmbiguousOutcome:
        return AmbiguousOutcome(
            f"{spec.method} {spec.path_template}: outcome unknown ({cause!r})",
            vendor=self.vendor,
            method=spec.method,
            path=spec.path_template,
            status=status,
            idempotency_key=spec.idempotency_key,
        )

    def _record(
        self, spec: CallSpec, status: int | None, latency: float, attempt: int, outcome: str
    ) -> None:
        self._recorder(
            CallRecord(
                vendor=self.vendor,
                method=spec.method,
                path_template=spec.path_template,
                status=status,
                latency=latency,
                attempt=attempt,
                outcome=outcome,
            )
        )
