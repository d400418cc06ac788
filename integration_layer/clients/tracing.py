"""W3C Trace Context (``traceparent``) for vendor calls.

A flow's correlation id is set once with :func:`correlation` (a context variable, so it
follows the flow across ``await`` and into tasks it spawns); every vendor call made
inside it carries a ``traceparent`` header whose trace-id is derived from that id.

Header format (W3C Trace Context, section 3.2): ``00-<32 hex trace-id>-<16 hex
parent-id>-<2 hex flags>``; all-zero trace-ids and parent-ids are invalid.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import re
import secrets
from collections.abc import Callable, Iterator

_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")

current_correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "fintwin_correlation_id", default=None
)
"""The correlation id of the flow running in this context, if any."""


@contextlib.contextmanager
def correlation(correlation_id: str | None) -> Iterator[None]:
    """Run the enclosed vendor calls under ``correlation_id``."""
    token = current_correlation_id.set(correlation_id)
    try:
        yield
    finally:
        current_correlation_id.reset(token)


def trace_id_for(correlation_id: str) -> str:
    """The 32-hex trace-id for a correlation id.

    A correlation id that already is a trace-id (or a whole ``traceparent``) keeps its
    trace-id; any other string is hashed, so the same id always gives the same trace.
    """
    text = correlation_id.strip().lower()
    match = _TRACEPARENT.match(text)
    if match and match.group(1) != "0" * 32:
        return match.group(1)
    if _TRACE_ID.match(text) and text != "0" * 32:
        return text
    return hashlib.sha256(correlation_id.encode("utf-8")).hexdigest()[:32]


def new_span_id() -> str:
    """A random, non-zero 16-hex parent-id."""
    while True:
        span = secrets.token_hex(8)
        if span != "0" * 16:
            return span


def make_traceparent(correlation_id: str, span_id: Callable[[], str] = new_span_id) -> str:
    """A sampled ``traceparent`` value for one call made under ``correlation_id``."""
    return f"00-{trace_id_for(correlation_id)}-{span_id()}-01"
