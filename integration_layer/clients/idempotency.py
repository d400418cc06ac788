"""Idempotency keys derived from the inbound event and the step of the flow.

The same event processed twice (a duplicate delivery, a replay, a worker restarted
mid-flow) must send the same key for the same write, so the key is a pure function of
``(event id, step)``; never random. Stripe allows keys of up to 255 characters
(https://docs.stripe.com/api/idempotent_requests); long inputs are hashed to fit.
"""

from __future__ import annotations

import hashlib

_MAX = 255


def derive_key(event_id: str, step: str, *, namespace: str = "fintwin") -> str:
    """A stable idempotency key for ``step`` of the flow started by ``event_id``."""
    if not event_id or not step:
        raise ValueError("event_id and step are required")
    key = f"{namespace}:{event_id}:{step}"
    if len(key) <= _MAX:
        return key
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return f"{namespace}:sha256:{digest}"
