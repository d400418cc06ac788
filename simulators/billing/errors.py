"""Stripe's errors, one class per kind, rendered in Stripe's envelope.

Envelope and types from the Stripe API reference, "Errors":
``{"error": {"type", "code", "message", "param", "decline_code", "doc_url"}}``.
"""

from __future__ import annotations

from typing import Any

import orjson

DOC_URL = "https://stripe.com/docs/error-codes/"


class StripeError(Exception):
    status = 400
    type = "invalid_request_error"

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None,
                 decline_code: str | None = None, status: int | None = None,
                 extra: dict[str, Any] | None = None, should_retry: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code
        self.decline_code = decline_code
        if status is not None:
            self.status = status
        self.extra = extra or {}
        self.should_retry = should_retry

    def body(self) -> dict[str, Any]:
        err: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            err["code"] = self.code
            err["doc_url"] = DOC_URL + self.code.replace("_", "-")
        if self.param:
            err["param"] = self.param
        if self.decline_code:
            err["decline_code"] = self.decline_code
        err.update(self.extra)
        return {"error": err}

    def render(self) -> bytes:
        return orjson.dumps(self.body())


class InvalidRequest(StripeError):
    """400: a parameter is missing, unknown or malformed (rejected before execution)."""


class ResourceMissing(StripeError):
    status = 404

    def __init__(self, kind: str, obj_id: str, param: str = "id") -> None:
        super().__init__(f"No such {kind}: '{obj_id}'", param=param, code="resource_missing")


class StateError(StripeError):
    """400: the request is well-formed but the object's state forbids it."""


class CardError(StripeError):
    status = 402
    type = "card_error"


class AuthenticationError(StripeError):
    status = 401

    def body(self) -> dict[str, Any]:
        return {"error": {"type": "invalid_request_error", "message": self.message}}


class IdempotencyError(StripeError):
    status = 400
    type = "idempotency_error"


class IdempotencyInUse(StripeError):
    status = 409
    type = "invalid_request_error"


class RateLimited(StripeError):
    status = 429


class ApiError(StripeError):
    status = 500
    type = "api_error"
