"""ASGI types and the two things every endpoint does with them: read a body, send an answer.

Raw ASGI rather than Starlette's Request and Response: this is every API call's hot
path. ``send_answer`` writes byte for byte what a Starlette ``Response`` would: the
given headers in order, then content-length (none for 1xx, 204 and 304), then
content-type (when there is one), and no body for HEAD.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.requests import ClientDisconnect

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

JSON = b"application/json"


class BodyTooLarge(Exception):
    """The request body is over an operation's declared ``limits.max_body_bytes``."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body is larger than {limit} bytes.")
        self.limit = limit


async def read_body(receive: Receive, message: Message | None = None, *,
                    limit: int | None = None) -> bytes:
    """The request body, from ``message`` (already received) on; BodyTooLarge as soon as
    it passes ``limit`` bytes (the rest is not read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        if message is None:
            message = await receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            size += len(chunk)
            if limit is not None and size > limit:
                raise BodyTooLarge(limit)
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect()
        message = None


async def receive_body(receive: Receive) -> bytes:
    """The request body; one that arrives in one message (as uvicorn sends any that fits
    its buffer) without a coroutine for the loop in ``read_body``."""
    message = await receive()
    if message["type"] == "http.request" and not message.get("more_body"):
        body: bytes = message.get("body", b"")
        return body
    return await read_body(receive, message)


def answer_headers(status: int, body: bytes, headers: Headers,
                   content_type: bytes | None) -> Headers:
    """``headers`` followed by content-length and content-type, as Starlette adds them."""
    if not (status < 200 or status in (204, 304)):
        headers.append((b"content-length", str(len(body)).encode()))
    if content_type is not None:
        headers.append((b"content-type", content_type))
    return headers


async def send_answer(send: Send, status: int, body: bytes, headers: Headers,
                      content_type: bytes | None = JSON, *, head: bool = False) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": answer_headers(status, body, headers, content_type)})
    await send({"type": "http.response.body", "body": b"" if head else body})
