"""The integration layer's own API as an OpenAPI 3.1 document (``GET /openapi.json``).

What a team needs to drive or monitor the service without reading its code, and what
schemathesis fuzzes in CI as it fuzzes the fakes (tests/integration_layer/service/
test_openapi_fuzz.py): the webhook receivers, health and metrics, and the admin API. The
connection body is derived from the settings dataclasses, so the document cannot drift
from what ``POST /admin/connections`` accepts.
"""

from __future__ import annotations

from dataclasses import MISSING, fields
from typing import Any

from integration_layer.service.config import BillingSettings, CrmSettings, ErpSettings

ERROR = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}}}},
}
ACK = {"type": "object", "required": ["received", "duplicate"], "properties": {
    "received": {"type": "boolean"}, "duplicate": {"type": "boolean"}}}
ANY_OBJECT: dict[str, Any] = {"type": "object"}


def _section(kind: type[Any]) -> dict[str, Any]:
    names = [f.name for f in fields(kind)]
    required = [f.name for f in fields(kind) if f.default is MISSING]
    text = {"type": "string", "pattern": "^[ -~]*$"}  # printable ASCII
    properties: dict[str, Any] = {
        name: ({**text, "minLength": 1} if name in required else text) for name in names}
    properties["base_url"] = {"type": "string", "format": "uri", "pattern": "^https?://"}
    return {"type": "object", "required": required, "properties": properties}


CONNECTION = {
    "type": "object", "required": ["id", "crm", "billing", "erp"],
    "properties": {
        "id": {"type": "string", "minLength": 1, "pattern": "^[^/]+$"},
        "crm": _section(CrmSettings), "billing": _section(BillingSettings),
        "erp": _section(ErpSettings),
    },
}


def _json(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": schema or ANY_OBJECT}}}


def _errors(*statuses: str) -> dict[str, Any]:
    words = {"400": "Bad request", "401": "Admin token missing or wrong",
             "404": "Unknown connection or flow", "409": "Exists; changing it needs the "
             "admin token", "413": "Body over the webhook limit",
             "502": "A vendor of the connection could not be read"}
    return {s: _json(words[s], ERROR) for s in statuses}


def _webhook(vendor: str, header: str, what: str) -> dict[str, Any]:
    return {"post": {
        "operationId": f"{vendor}Webhook", "tags": ["webhooks"],
        "summary": f"Receive a signed {what}",
        "description": f"Stored in the inbox (deduplicated on the event id), then "
                       f"acknowledged. ``{header}``: ``t=<unix>,v1=<hex HMAC-SHA256 of "
                       f"\"t.body\">`` with the connection's webhook secret. At most 1 MiB.",
        "parameters": [
            {"name": "connection", "in": "path", "required": True,
             "schema": {"type": "string"}},
            {"name": header, "in": "header", "required": False,
             "schema": {"type": "string"}},
        ],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": ANY_OBJECT}}},
        "responses": {"200": _json("Stored (or a duplicate)", ACK),
                      **_errors("400", "404", "413")},
    }}


def _admin(method: str, op_id: str, summary: str, *, body: dict[str, Any] | None = None,
           query: tuple[str, ...] = (), ok: str = "200", errors: tuple[str, ...] = ()
           ) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": op_id, "tags": ["admin"], "summary": summary,
        "security": [{"adminToken": []}, {}],
        "parameters": [{"name": name, "in": "query", "required": False,
                        "schema": {"type": "string"}} for name in query],
        "responses": {ok: _json(summary), **_errors("401", *errors)},
    }
    if body is not None:
        op["requestBody"] = {"required": method == "post" and op_id == "addConnection",
                             "content": {"application/json": {"schema": body}}}
    return {method: op}


def document() -> dict[str, Any]:
    """The OpenAPI document of the service's API."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "fintwin reference integration layer", "version": "1",
                 "description": "Webhook receivers, health, metrics and the admin API of "
                                "the reference SUT. The admin routes need "
                                "``Authorization: Bearer <FINTWIN_ADMIN_TOKEN>`` when the "
                                "service has one."},
        "components": {"securitySchemes": {"adminToken": {"type": "http",
                                                          "scheme": "bearer"}}},
        "paths": {
            "/webhooks/billing/{connection}": _webhook("billing", "Stripe-Signature",
                                                       "Stripe event"),
            "/webhooks/crm/{connection}": _webhook("crm", "X-Fintwin-Signature",
                                                   "CRM change event"),
            "/health": {"get": {"operationId": "health", "tags": ["service"],
                                "summary": "Liveness, variant and connection count",
                                "responses": {"200": _json("Healthy")}}},
            "/metrics": {"get": {"operationId": "metrics", "tags": ["service"],
                                 "summary": "Prometheus metrics",
                                 "responses": {"200": {"description": "Text exposition",
                                                       "content": {"text/plain": {
                                                           "schema": {"type": "string"}}}}}}},
            "/openapi.json": {"get": {"operationId": "openapi", "tags": ["service"],
                                      "summary": "This document",
                                      "responses": {"200": _json("OpenAPI 3.1")}}},
            "/admin/connections": _admin(
                "post", "addConnection", "Add a connection (vendor URLs, credentials, "
                "webhook secrets); changing one needs the admin token",
                body=CONNECTION, ok="201", errors=("400", "409")),
            "/admin/dlq": _admin("get", "dlq", "Parked events", query=("connection",)),
            "/admin/replay": _admin("post", "replay", "Replay parked events", body={
                "type": "object", "properties": {
                    "connection": {"type": "string"},
                    "ids": {"type": "array", "items": {"type": "integer"}}}},
                errors=("400",)),
            "/admin/reconcile": _admin("post", "reconcile", "Reconcile the three systems",
                                       body={"type": "object", "properties": {
                                           "connection": {"type": "string"},
                                           "since": {"type": "integer"},
                                           "until": {"type": "integer"}}},
                                       errors=("400", "502")),
            "/admin/stats": _admin("get", "stats", "Inbox counts", query=("connection",)),
            "/admin/idle": _admin("get", "idle", "Pending work (the idle probe)",
                                  query=("connection",)),
            "/flows/{flow_id}": {"get": {
                **_admin("get", "flow", "One flow's events and steps", errors=("404",))["get"],
                "parameters": [{"name": "flow_id", "in": "path", "required": True,
                                "schema": {"type": "string"}}]}},
        },
    }
