"""How a vendor client reaches its vendor: one frozen options object every client takes.

The same seven things for Stripe, Salesforce and NetSuite (transport, TLS trust, retry
policy, circuit breaker, sleeper, metrics hook, timeout) and the vendor's name in metrics
and errors. Frozen: a client built from it cannot have them changed under it.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from integration_layer.clients.breaker import CircuitBreaker
from integration_layer.clients.caller import ResilientCaller, Verify, build_http_client
from integration_layer.clients.policy import RetryPolicy
from integration_layer.clients.recorder import CallRecorder, discard_call
from integration_layer.clients.sleeper import Sleep, real_sleep


@dataclass(frozen=True, kw_only=True)
class ClientOptions:
    transport: httpx.AsyncBaseTransport | None = None  # in-process or mocked transports
    verify: Verify = True  # a CA bundle path or SSL context for a fake's local CA
    policy: RetryPolicy | None = None  # default: RetryPolicy()
    breaker: CircuitBreaker | None = None  # default: one of the caller's own
    sleep: Sleep = real_sleep  # injected in tests, so backoff never sleeps
    recorder: CallRecorder = discard_call  # one CallRecord per call (metrics)
    timeout: httpx.Timeout | float = 30.0
    vendor: str | None = None  # the name in metrics and errors (default: the client's)

    def caller(self, base_url: str, vendor: str) -> ResilientCaller:
        """The retry loop, over an HTTP client of its own, for one vendor's base URL."""
        http = build_http_client(base_url, transport=self.transport, verify=self.verify,
                                 timeout=self.timeout)
        return ResilientCaller(self.vendor or vendor, http, policy=self.policy,
                               breaker=self.breaker, sleep=self.sleep, recorder=self.recorder)


DEFAULTS = ClientOptions()
