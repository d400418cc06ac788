"""How the ERP fake's operations read in its OpenAPI document (served at
``/_sim/openapi.json``): NetSuite's error envelope, the collection envelope, 202 for an
operation that may run as an async job. The operations are described from their
declarations (``erp.api``).

Record bodies are described loosely (objects): NetSuite's own per-record
schemas (``/services/rest/record/v1/metadata-catalog``) are not reproduced.
"""

from __future__ import annotations

from typing import Any

from simulators.engine.openapi import DocStyle, json_response

ERROR = {
    "type": "object",
    "required": ["type", "title", "status", "o:errorDetails"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "o:errorDetails": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["detail", "o:errorCode"],
                "properties": {
                    "detail": {"type": "string"},
                    "o:errorCode": {"type": "string"},
                    "o:errorPath": {"type": "string"},
                },
            },
        },
    },
}
COLLECTION = {
    "type": "object",
    "required": ["links", "count", "hasMore", "items", "offset", "totalResults"],
    "properties": {
        "links": {"type": "array"},
        "count": {"type": "integer"},
        "hasMore": {"type": "boolean"},
        "items": {"type": "array"},
        "offset": {"type": "integer"},
        "totalResults": {"type": "integer"},
    },
}
ASYNC_OK = {"202": {"description": "Accepted (Prefer: respond-async): job in Location"}}


def errors(*statuses: str) -> dict[str, Any]:
    return {s: json_response("NetSuite error", ERROR) for s in statuses}


def no_content(description: str) -> dict[str, Any]:
    return {"description": description, "headers": {"Location": {"schema": {"type": "string"}}}}


STYLE = DocStyle(errors=errors("400", "401", "404", "429"),
                 more=lambda op: ASYNC_OK if op.extra.get("respond_async") else {})
