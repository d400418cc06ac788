"""A record-service call as the ERP's operations see it, whether it came over HTTP or runs
later as an async job: what it asked (``Req``) and what it answers (``Reply``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson

from simulators.erp.errors import InvalidContent, NetSuiteError


@dataclass
class Req:
    method: str
    params: dict[str, str]  # path parameters
    query: dict[str, Any]  # the declared query parameters, checked
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: bytes | None = None  # sent after content-length (else a header above)

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "body": self.body.decode("utf-8"), "headers": self.headers}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reply:
        return cls(
            int(data["status"]), str(data.get("body", "")).encode(), dict(data.get("headers", {}))
        )


def _default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return orjson.Fragment(format(obj, "f"))
    raise TypeError(type(obj).__name__)


def json_reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(
        status,
        orjson.dumps(data, default=_default),
        {"content-type": "application/json", **(headers or {})},
    )


def error_reply(exc: NetSuiteError) -> Reply:
    return Reply(exc.status, exc.render(), {"content-type": "application/json", **exc.headers})


def parse_body(req: Req) -> Any:
    if not req.body.strip():
        raise InvalidContent("The request body is empty; a JSON object is required.")
    try:
        # Decimal for JSON numbers: amounts stay exact from the wire onwards.
        return json.loads(req.body, parse_float=Decimal)
    except (ValueError, RecursionError):
        raise InvalidContent("The request body is not valid JSON.") from None
