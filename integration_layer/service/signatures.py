"""Inbound webhook signatures: ``t=<unix>,v1=<hex HMAC-SHA256 of "t." + body>``.

Stripe's scheme ("Verify webhook signatures manually", docs.stripe.com/webhooks): the
signed payload is the timestamp, a dot and the raw body; several ``v1`` entries may be
present (secret rotation); events older than the tolerance (5 minutes by default) are
refused to stop replays. The CRM fake signs its change-event pushes the same way.
"""

from __future__ import annotations

import hashlib
import hmac


class BadSignature(Exception):
    pass


def verify(header: str | None, body: bytes, secret: str, *, now: float,
           tolerance: int) -> None:
    if not secret:
        raise BadSignature("no webhook secret configured for this connection")
    if not header:
        raise BadSignature("missing signature header")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        raise BadSignature("malformed signature header")
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body,
                        hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, s) for s in signatures):
        raise BadSignature("no signature matches the payload")
    if abs(now - timestamp) > tolerance:
        raise BadSignature("timestamp outside the tolerance")
