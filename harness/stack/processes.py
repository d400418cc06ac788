"""The stack's side of :mod:`harness.processes` (which owns free ports, TLS trust, health
probes and child processes): a health wait bounded by the stack's monotonic deadline that
fails as the stack does (StackError). The local and containers modes wait with it; the
external mode probes a running estate with it."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable

from harness import processes
from harness.stack.config import StackError
from harness.waiting import NotYet


def wait_healthy(url: str, *, deadline: float, verify: ssl.SSLContext | bool = True,
                 alive: Callable[[], str | None] | None = None, what: str = "server") -> None:
    """``processes.wait_healthy`` up to ``deadline`` (a monotonic time), failing as the
    stack does (StackError)."""
    try:
        processes.wait_healthy(url, timeout=max(0.0, deadline - time.monotonic()),
                               verify=verify, alive=alive, what=what)
    except processes.ServerDied as exc:
        raise StackError(str(exc)) from None
    except NotYet as exc:
        raise StackError(f"{what} not healthy at {url} in time: {exc}") from None
