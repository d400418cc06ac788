"""How the billing fake's operations read in its OpenAPI document: form bodies, Stripe's
error envelope, a list envelope or an object."""

from __future__ import annotations

from typing import Any

from simulators.engine.openapi import FORM, DocStyle, json_response
from simulators.engine.operation import Operation

ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["type", "message"],
    "properties": {"type": {"type": "string", "enum": [
        "api_error", "card_error", "idempotency_error", "invalid_request_error"]},
        "message": {"type": "string"}, "code": {"type": "string"},
        "param": {"type": "string"}, "decline_code": {"type": "string"}}}}}
OBJECT = {"type": "object", "required": ["id", "object"],
          "properties": {"id": {"type": "string"}, "object": {"type": "string"}}}
LIST = {"type": "object", "required": ["object", "data", "has_more", "url"],
        "properties": {"object": {"const": "list"}, "data": {"type": "array"},
                       "has_more": {"type": "boolean"}, "url": {"type": "string"}}}


def _ok(op: Operation) -> dict[str, Any]:
    listed = op.returns is None and op.method == "GET" and "{" not in op.path.split("/")[-1]
    return json_response("OK", LIST if listed else OBJECT)


STYLE = DocStyle(body_media_type=FORM, ok=_ok,
                 errors={status: json_response("Error", ERROR)
                         for status in ("400", "401", "402", "404", "409", "429")})
