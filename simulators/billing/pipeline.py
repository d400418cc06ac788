"""How the billing fake answers a request: Stripe's steps, in order.

authenticate  a known test-mode key, else 401 (the middleware found the account)
version       ``Stripe-Version``, else the account's default; a malformed one is a 400
validate      the form (or query) decoded and checked against the operation's params
idempotency   POST with ``Idempotency-Key``: replay, 400 on other params, 409 in flight
call          the operation's handler, in a ``Ctx``
render        the object in the request's API version, ``expand`` applied

Every answer carries ``Request-Id``; an accepted request ``Stripe-Version``, and one
with an idempotency key ``Idempotency-Key``. A failure before ``idempotency`` is
not remembered under the key (Stripe: "requests rejected by validation are not
stored"); one after it is, 500s included.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from typing import Any

import orjson
from starlette.datastructures import URL

from simulators.billing.context import Ctx
from simulators.billing.errors import (
    ApiError,
    AuthenticationError,
    IdempotencyError,
    IdempotencyInUse,
    InvalidRequest,
    StripeError,
)
from simulators.billing.events import shared_keys
from simulators.billing.forms import decode_form
from simulators.billing.idempotency import (
    MAX_KEY_LENGTH,
    SORTED,
    Entry,
    cache,
    fingerprint_prefix,
    prune,
    remember,
)
from simulators.billing.params import param_error
from simulators.billing.render import expand, render, stored_json
from simulators.billing.vendor import platform_account
from simulators.billing.versions import DEFAULT_VERSION, parse_version
from simulators.engine.asgi import JSON, Receive, Scope, read_body
from simulators.engine.frozen import immutable_values
from simulators.engine.operation import Operation
from simulators.engine.params import ParamError, check_fields
from simulators.engine.pipeline import Pipeline, Step, StepFn
from simulators.engine.runtime import Simulation
from simulators.engine.store import Record
from simulators.engine.vendor import STASHED_BODY, header

log = logging.getLogger("fintwin.billing")


class StripeExchange(Ctx):
    """One request: the ``Ctx`` its handler runs in, and what the steps work out and
    answer. One object per request (not a context and an exchange): this is every
    call's hot path."""

    __slots__ = ("body", "compact", "content_type", "entry", "headers", "op", "params", "raw",
                 "receive", "result", "scope", "status")
    raw: Any  # the decoded form, as sent (the idempotency fingerprint's)
    params: dict[str, Any]
    result: Any

    def __init__(self, op: Operation, scope: Scope, receive: Receive) -> None:
        sim: Simulation = scope["fintwin.sim"]
        self.sim = sim
        # None until Authenticate has refused the request; a handler always has one.
        self.tenant = scope.get("fintwin.tenant")  # type: ignore[assignment]
        self.version = DEFAULT_VERSION
        self.request_id = request_id = sim.request_id()
        self.idempotency_key = None  # a POST's Idempotency-Key, as sent
        self.at = None
        self.snapshot = None
        self.op = op
        self.scope = scope
        self.receive = receive
        self.status = 200
        self.body = b""
        self.content_type: bytes | None = JSON
        self.headers = [(b"request-id", request_id.encode())]
        self.entry: Entry | None = None
        self.compact: tuple[tuple[str, ...], tuple[Any, ...]] | None = None
        # raw, params and result are set by the steps that make them (validate, call)
        # before any step reads them: not set here, three stores less per request.


def fail(ex: StripeExchange, exc: Exception) -> None:
    """Any failure, answered in Stripe's envelope (a bug in the fake as a 500 api_error)."""
    if not isinstance(exc, StripeError):
        log.exception("billing operation %s failed", ex.op.operation_id, exc_info=exc)
        exc = ApiError("An unknown error occurred while processing your request.")
    ex.status, ex.body = exc.status, exc.render()


class Authenticate(Step[StripeExchange]):
    name = "authenticate"

    def bind(self, op: Operation) -> StepFn[StripeExchange]:
        return self.run

    @staticmethod
    def run(ex: StripeExchange) -> None:
        if ex.tenant is None:
            raise _auth_error(ex.scope)


def _auth_error(scope: Scope) -> StripeError:
    raw = header(scope, b"authorization")
    auth = raw.decode("latin-1") if raw else ""
    if not auth:
        return AuthenticationError(
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
            "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, "
            "or we can help at https://support.stripe.com/.")
    key = auth.split(" ", 1)[-1].strip()
    masked = key[:8] + "*" * max(0, len(key) - 12) + key[-4:] if len(key) > 12 else "***"
    connected = header(scope, b"stripe-account")
    if connected is not None and platform_account(raw) is not None:
        # A valid key naming an account it has not connected (Stripe docs, "Making API
        # calls for connected accounts").
        return InvalidRequest(
            f"The provided key '{masked}' does not have access to account "
            f"'{connected.decode('latin-1')}' (or that account does not exist). Application "
            "access may have been revoked.", code="account_invalid", status=403)
    return AuthenticationError(f"Invalid API Key provided: {masked}")


@functools.lru_cache(maxsize=256)
def _checked_version(version: str) -> str:
    parse_version(version)  # raises InvalidRequest (not cached) for a malformed version
    return version


class Version(Step[StripeExchange]):
    name = "version"

    def bind(self, op: Operation) -> StepFn[StripeExchange]:
        return self.run

    @staticmethod
    def run(ex: StripeExchange) -> None:
        raw = header(ex.scope, b"stripe-version")
        version = raw.decode("latin-1") if raw else ex.tenant.meta.get("api_version")
        if version:
            ex.version = _checked_version(version)


class Validate(Step[StripeExchange]):
    """A GET's query, or the form body (with any query merged under it), checked against
    the declared params. The accepted request's answer names its version."""

    name = "validate"

    def bind(self, op: Operation) -> StepFn[StripeExchange]:
        table = dict(op.params)
        limit = op.limits.max_body_bytes if op.limits is not None else None

        if op.method == "GET":
            def query(ex: StripeExchange) -> None:
                raw = ex.raw = decode_form(ex.scope.get("query_string", b""))
                try:
                    ex.params = check_fields(table, raw)
                except ParamError as e:
                    raise param_error(e) from None
                ex.headers.append((b"stripe-version", ex.version.encode("latin-1")))
            return query

        async def form(ex: StripeExchange) -> None:
            scope = ex.scope
            # asgi.receive_body, written out: a body in one message needs no coroutine.
            message = await ex.receive()
            if message["type"] == "http.request" and not message.get("more_body") \
                    and limit is None:
                body = message.get("body", b"")
            else:
                body = await read_body(ex.receive, message, limit=limit)
            scope[STASHED_BODY] = body  # the journal's digest
            raw = decode_form(body)
            query = scope.get("query_string", b"")
            if query:
                raw = {**decode_form(query), **raw}
            ex.raw = raw
            try:
                ex.params = check_fields(table, raw)
            except ParamError as e:
                raise param_error(e) from None
            ex.headers.append((b"stripe-version", ex.version.encode("latin-1")))
        return form


_ODD_PATH = re.compile("[?#\\\\\t\r\n]")


def _url_path(scope: Scope) -> str:
    """``request.url.path`` as Starlette computes it (used in idempotency fingerprints)."""
    path: str = scope["path"]
    if _ODD_PATH.search(path):
        return URL(scope=scope).path
    return path


class Idempotency(Step[StripeExchange]):
    """Stripe's idempotency protocol (``billing.idempotency``), on POSTs only."""

    name = "idempotency"

    def bind(self, op: Operation) -> StepFn[StripeExchange] | None:
        if op.method != "POST":
            return None
        method = op.method
        # A route without parameters is reached by one path only, its own: the start of
        # its fingerprints is known.
        fixed = fingerprint_prefix(method, op.path) if "{" not in op.path else None

        def claim(ex: StripeExchange) -> bool:
            raw_key = header(ex.scope, b"idempotency-key")
            if raw_key is None:
                return False
            key = ex.idempotency_key = raw_key.decode("latin-1")
            if not key:
                return False
            tenant, sim = ex.tenant, ex.sim
            entries = cache(tenant)
            if len(key) > MAX_KEY_LENGTH:
                raise InvalidRequest(
                    f"Idempotency-Key must be at most {MAX_KEY_LENGTH} characters.",
                    param="Idempotency-Key")
            ex.headers.append((b"idempotency-key", raw_key))
            prefix = fixed if fixed is not None else fingerprint_prefix(method,
                                                                        _url_path(ex.scope))
            fp = prefix + orjson.dumps(ex.raw, option=SORTED)
            now = time.monotonic()
            prune(entries, now, tenant if sim.statedir is not None else None)
            entry = entries.get(key)
            if entry is not None:
                if entry.fingerprint != fp:
                    raise IdempotencyError(
                        "Keys for idempotent requests can only be used with the same "
                        "parameters they were first used with. Try using a key other than "
                        f"'{key}' if you meant to execute a different request.")
                if not entry.done:
                    ex.headers.append((b"stripe-should-retry", b"true"))
                    raise IdempotencyInUse(
                        "There is currently another in-progress request using this "
                        "Idempotent Key (that probably means you submitted twice, and the "
                        "other request is still going through): "
                        f"{key}. Please try again later.", code="idempotency_key_in_use")
                ex.headers.append((b"idempotent-replayed", b"true"))
                ex.status, ex.body = entry.status, entry.answer()
                return True
            ex.entry = entries[key] = Entry(fp, stored_at=now)
            return False

        return claim

    def bind_after(self, op: Operation) -> Any:
        if op.method != "POST":
            return None

        def store(ex: StripeExchange) -> None:
            entry = ex.entry
            if entry is not None:
                assert ex.idempotency_key is not None
                remember(ex.tenant, ex.sim.statedir is not None, ex.idempotency_key, entry,
                         ex.status, ex.body, ex.compact)

        return store


class Call(Step[StripeExchange]):
    name = "call"

    def bind(self, op: Operation) -> StepFn[StripeExchange]:
        handler = op.handler

        def call(ex: StripeExchange) -> None:
            ex.result = handler(ex, ex.params, ex.scope["path_params"])

        return call


class Render(Step[StripeExchange]):
    """The answer: the object as stored when it renders as stored (no copy), else rendered
    in the request's version and expanded; a handler's own dict as it is."""

    name = "render"

    def bind(self, op: Operation) -> StepFn[StripeExchange]:
        kind = op.returns
        if kind is None:
            def as_is(ex: StripeExchange) -> None:
                ex.body = orjson.dumps(ex.result)
            return as_is

        def rendered(ex: StripeExchange) -> None:
            result, params = ex.result, ex.params
            stored = stored_json(kind, result) if "expand" not in params else None
            if stored is not None:
                ex.body = stored
                if ex.entry is not None:
                    ex.compact = _as_stored(ex, result)
                return
            out = render(ex, kind, result)
            if params.get("expand"):
                out = expand(ex, out, params["expand"])
            ex.body = orjson.dumps(out)

        return rendered


def _as_stored(ctx: Ctx, record: Record) -> tuple[tuple[str, ...], tuple[Any, ...]] | None:
    """The answer ``record`` gave (its stored JSON) as its key tuple and values, sharing
    the values tuple its event took if the record has not changed since."""
    snap = ctx.snapshot
    # Unchanged since its event: the same keys in the same order, the same values.
    if snap is not None and snap[0] is record and tuple(record) == snap[1] \
            and tuple(record.values()) == snap[2]:
        return snap[1], snap[2]
    values = immutable_values(record)
    return None if values is None else (shared_keys(tuple(record)), values)


def pipeline() -> Pipeline[StripeExchange]:
    return Pipeline([Authenticate(), Version(), Validate(), Idempotency(), Call(), Render()],
                    start=StripeExchange, fail=fail)
