"""The engine's ASGI middleware: tenancy, faults, journal and metrics around a vendor app.

It is raw ASGI (not Starlette's BaseHTTPMiddleware) because it sits on every
request's hot path and must be able to drop a connection, hold it, or swallow
a response after the write happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
import struct
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from simulators.engine.asgi import ASGIApp, Message, Receive, Send
from simulators.engine.faults.plan import Fault
from simulators.engine.faults.runtime import Verdict
from simulators.engine.runtime import Simulation
from simulators.engine.tenancy import Tenant
from simulators.engine.vendor import STASHED_BODY, ErrorReply, header

__all__ = ["ASGIApp", "Message", "Receive", "Send", "SimApp", "SimMiddleware", "SimulatedReset"]
# How much of a refused request's answer is kept to read the vendor's error code from.
REFUSAL_BODY = 4096


class SimulatedReset(ConnectionResetError):
    """Raised in-process where there is no socket to reset; the in-process transport maps it."""


async def reset_connection(send: Send) -> None:
    """Drop the client's connection with a TCP RST, as a crashed peer or middlebox would.

    Under uvicorn the ``send`` callable is a bound method of the request cycle,
    which holds the asyncio transport; SO_LINGER 0 makes close() send RST.
    """
    owner = getattr(send, "__self__", None)
    transport = getattr(owner, "transport", None)
    if transport is None:
        raise SimulatedReset("connection reset by peer (simulated)")
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    # Let connection_lost run so the server knows not to answer with a 500.
    await asyncio.sleep(0)


async def send_reply(send: Send, reply: ErrorReply, extra: list[tuple[bytes, bytes]]) -> None:
    headers = [(b"content-type", reply.content_type),
               (b"content-length", str(len(reply.body)).encode()), *reply.headers, *extra]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})


class BodyDigest:
    """Wraps ``receive`` to hash the request body as the app (or a fault) reads it, so the
    journal can tell a request sent again (same body) from other work on the same path."""

    __slots__ = ("_hash", "_receive", "_size")

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._hash = hashlib.blake2b(digest_size=8)
        self._size = 0

    async def __call__(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            body = message.get("body") or b""
            self._hash.update(body)
            self._size += len(body)
        return message

    def hexdigest(self) -> str | None:
        return self._hash.hexdigest() if self._size else None


def _stashed_digest(scope: MutableMapping[str, Any]) -> bytes | None:
    """BodyDigest's figure (as bytes: the journal shows hex) for a body the app read and
    left in the scope."""
    body = scope.get(STASHED_BODY)
    return hashlib.blake2b(body, digest_size=8).digest() if body else None


async def _drain(receive: Receive) -> None:
    """Read the rest of the request body (a fault that answers without the app)."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body"):
            return


async def _wait_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


class SimApp:
    """An ASGI app with its Simulation attached (``app.sim``)."""

    def __init__(self, asgi: ASGIApp, sim: Simulation) -> None:
        self._asgi = asgi
        self.sim = sim

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive,
                       send: Send) -> None:
        await self._asgi(scope, receive, send)


class SimMiddleware(SimApp):
    """A fake's app as served: the engine's work around the vendor app.

    It is itself the SimApp build_sim_app returns (not wrapped in one): every
    layer of ``await`` is a coroutine per request.
    """

    def __init__(self, app: ASGIApp, sim: Simulation, control: ASGIApp) -> None:
        self.app = app
        self.sim = sim
        self.control = control
        # A vendor app that can name the endpoint for a request (FastDispatch.resolve)
        # is called through that endpoint directly: one coroutine less per request.
        self._resolve: Callable[[MutableMapping[str, Any]], ASGIApp] | None = getattr(
            app, "resolve", None)

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive,
                       send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        if kind != "http":
            await self.app(scope, receive, send)
            return
        sim = self.sim
        path: str = scope["path"]
        scope["fintwin.sim"] = sim
        if path.startswith("/_sim/"):
            await self.control(scope, receive, send)
            return
        vendor = sim.vendor
        tenant_id = vendor.identify(sim, scope)
        tenant = sim.tenants.get_or_create(tenant_id) if tenant_id else None
        scope["fintwin.tenant"] = tenant
        method: str = scope["method"]
        tkey = tenant_id or "-"
        if _is_observer(sim, scope):
            # The harness's oracle reads end state through the vendor API as an observer:
            # no faults, no journal entry, no quota use (vendors check fintwin.observer).
            scope["fintwin.observer"] = True
            await self.app(scope, receive, send)
            return
        counted = tenant is not None and sim.evicting
        if counted:
            assert tenant is not None
            sim.tenant_used(tenant)
        faults = sim.faults
        if faults.idle:
            verdict = None
        else:
            day = int(tenant.clock.now() // 86400) if tenant is not None else 0
            verdict = faults.decide(tkey, method, path, day)
        digest = None
        has_body = method not in ("GET", "HEAD")
        if has_body and (verdict is not None or not vendor.stashes_body):
            # A fault may answer without the app reading the body: hash it as it is read.
            digest = BodyDigest(receive)
            receive = digest
        # Bodies for the journal only when asked for (recording contracts): one check of
        # an empty dict on every other request.
        detail = sim.journal.capture_for(tkey, scope["headers"]) if sim.journal.detailed \
            else None
        if detail is not None:
            receive = detail.wrap_receive(receive)
        started = time.perf_counter()
        box: list[Any] = [0, None, None]  # status, Retry-After, a refusal's body
        extra = vendor.response_headers(sim, tenant, scope)

        def answer(message: Message) -> Awaitable[None]:
            # Returns the server's send coroutine rather than awaiting it in one of
            # its own: every response passes here twice.
            if message["type"] == "http.response.start":
                box[0] = message["status"]
                headers = message.get("headers") or []
                for k, v in headers:
                    if k == b"retry-after":
                        box[1] = v.decode()
                if extra:
                    message["headers"] = [*headers, *extra]
            elif 400 <= box[0] < 500:
                # A refusal's body, for the vendor's error code in the journal (a harness
                # tells "refused for good" from "made already" by it).
                box[2] = (box[2] or b"") + bytes(message.get("body") or b"")[:REFUSAL_BODY]
            return send(message)

        capture: Send = answer if detail is None else detail.tap(answer)
        lock = vendor.lock_key(scope) if method != "GET" and tenant is not None else None
        try:
            if lock is not None:
                assert tenant is not None
                locks: set[str] = tenant.transient.setdefault("locks", set())
                if lock in locks:
                    reply = vendor.error(429, "lock_timeout", (
                        "This object cannot be accessed right now because another API request "
                        "or Stripe process is currently accessing it. If you see this error "
                        "intermittently, retry the request. If you see this error frequently "
                        "and are making multiple concurrent requests to a single object, make "
                        "your requests serially or at a lower rate."), kind="lock_timeout")
                    await send_reply(capture, reply, [])
                    return
                locks.add(lock)
            try:
                if verdict is None:
                    resolve = self._resolve
                    await (self.app if resolve is None else resolve(scope))(
                        scope, receive, capture)
                else:
                    await self._apply(verdict, scope, receive, send, capture)
            finally:
                if lock is not None:
                    assert tenant is not None
                    tenant.transient["locks"].discard(lock)
        finally:
            if counted:
                assert tenant is not None
                sim.tenant_done(tenant)
            if verdict is not None:
                sim.faults.release(verdict)
            elapsed = time.perf_counter() - started
            status = box[0]
            key = header(scope, b"idempotency-key")
            trace = header(scope, b"traceparent")  # 00-<trace-id>-<parent-id>-<flags>
            sim.journal.record(
                time.time(), tkey, method, path,
                scope.get("query_string", b"").decode("latin-1"), status, elapsed * 1000,
                key.decode("latin-1") if key else None,
                tuple(verdict.applied) if verdict else (), box[1],
                digest.hexdigest() if digest is not None else
                _stashed_digest(scope) if has_body else None,
                trace[3:35].decode("latin-1") if trace and len(trace) >= 35 else None,
                None if detail is None else detail.detail(scope.get(STASHED_BODY)),
                vendor.error_code(box[2]) if box[2] else None)
            sim.metrics.request(method, status, elapsed)
            if tenant is not None and method != "GET" and sim.statedir is not None:
                sim.persist_header(tenant)

    async def _apply(self, verdict: Verdict, scope: MutableMapping[str, Any], receive: Receive,
                     send: Send, capture: Send) -> None:
        sim = self.sim
        for applied in verdict.applied:
            sim.metrics.inc("faults_injected_total", (("fault", applied.split(":")[-1]),),
                            help="Faults injected by kind")
        if verdict.latency:
            await asyncio.sleep(verdict.latency)
        gate = verdict.gate
        if gate is not None:
            await self._gate(gate, verdict, scope, receive, send, capture)
            return
        ctf = verdict.commit_then_fail
        if ctf is None:
            await self.app(scope, receive, capture)
            return

        async def swallow(message: Message) -> None:
            if message["type"] == "http.response.start":
                scope["fintwin.committed_status"] = message["status"]

        await self.app(scope, receive, swallow)
        if ctf.mode == "reset":
            await reset_connection(send)
        else:
            status = int(ctf.mode)
            reply = sim.vendor.error(status, None, "An error occurred with our connection "
                                     "to the upstream server.", kind="commit_then_fail")
            await send_reply(capture, reply, [])

    async def _gate(self, fault: Fault, verdict: Verdict, scope: MutableMapping[str, Any],
                    receive: Receive, send: Send, capture: Send) -> None:
        sim = self.sim
        kind = fault.kind
        if kind == "reset" or (kind == "outage" and fault.mode == "reset"):
            await reset_connection(send)
            return
        if kind == "hang":
            assert fault.duration is not None
            waiter = asyncio.ensure_future(_wait_disconnect(receive))
            try:
                await asyncio.wait({waiter}, timeout=fault.duration)
            finally:
                waiter.cancel()
            await reset_connection(send)
            return
        if isinstance(receive, BodyDigest):
            await _drain(receive)  # journal the refused request's body digest too
        status = {"rate_limit": 429, "rate": 429, "concurrency": 429,
                  "quota": 403}.get(kind, fault.status)
        message = fault.message or _default_message(kind)
        reply = sim.vendor.error(status, fault.code, message, kind=kind,
                                 retry_after=verdict.retry_after)
        await send_reply(capture, reply, [])

    async def _lifespan(self, scope: MutableMapping[str, Any], receive: Receive,
                        send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.sim.deliveries.kick()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.sim.deliveries.stop()
                self.sim.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _default_message(kind: str) -> str:
    return {
        "rate_limit": "Too many requests hit the API too quickly.",
        "rate": "Too many requests hit the API too quickly.",
        "concurrency": "Concurrent request limit exceeded.",
        "quota": "Daily API request limit exceeded.",
        "outage": "The service is temporarily unavailable.",
        "error": "An error occurred while processing the request.",
    }.get(kind, "An error occurred.")


OBSERVER_HEADER = b"x-fintwin-observer"


def _is_observer(sim: Simulation, scope: MutableMapping[str, Any]) -> bool:
    value = header(scope, OBSERVER_HEADER)
    if value is None:
        return False
    token = sim.settings.admin_token
    # With a locked control plane the observer must present the admin token.
    return token is None or value.decode("latin-1") == token


def current_tenant(scope: MutableMapping[str, Any]) -> Tenant | None:
    tenant: Tenant | None = scope.get("fintwin.tenant")
    return tenant
