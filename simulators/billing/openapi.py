"""The billing fake's OpenAPI document, generated from the operation declarations."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from simulators.billing.params import object_schema
from simulators.engine.openapi import Operation, path_param

if TYPE_CHECKING:
    from simulators.billing.routes import Op

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


def _deep_object(schema: dict[str, Any]) -> dict[str, Any]:
    return {name: {"style": "deepObject", "explode": True}
            for name, sub in schema.get("properties", {}).items()
            if sub.get("type") in ("object", "array")}


def document_operations(ops: list[Op]) -> list[Operation]:
    out = []
    for op in ops:
        params = [path_param(name) for name in re.findall(r"{(\w+)}", op.path)]
        body = None
        schema = object_schema(op.params)
        if op.method == "GET":
            for name, sub in schema["properties"].items():
                p: dict[str, Any] = {"name": name, "in": "query", "required": False,
                                     "schema": sub}
                if sub.get("type") in ("object", "array"):
                    p.update(style="deepObject", explode=True)
                params.append(p)
        elif op.params:
            body = {"required": bool(schema.get("required")), "content": {
                "application/x-www-form-urlencoded": {"schema": schema,
                                                      "encoding": _deep_object(schema)}}}
        ok = LIST if op.kind is None and op.method == "GET" and "{" not in op.path.split(
            "/")[-1] else OBJECT
        responses: dict[str, Any] = {
            "200": {"description": "OK", "content": {"application/json": {"schema": ok}}}}
        for status in ("400", "401", "402", "404", "409", "429"):
            responses[status] = {"description": "Error",
                                 "content": {"application/json": {"schema": ERROR}}}
        out.append(Operation(op.method, op.path, op.op_id, op.summary, op.tags, params, body,
                             responses))
    return out
