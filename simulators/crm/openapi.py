"""How the CRM fake's operations read in its OpenAPI document (served with the control
plane's at /_sim/openapi.json): Salesforce's error array and the bodies' schemas. The
operations themselves are described from their declarations (``crm.api``)."""

from __future__ import annotations

from simulators.engine.openapi import DocStyle, Operation, json_body, json_response, query_param

ERRORS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["message", "errorCode"],
        "properties": {
            "message": {"type": "string"},
            "errorCode": {"type": "string"},
            "fields": {"type": "array", "items": {"type": "string"}},
        },
    },
}
RECORD = {"type": "object", "additionalProperties": True}
# The body of every sObject Collections write: {"allOrNone", "records": [...]}.
COLLECTION_BODY = {
    "type": "object",
    "required": ["records"],
    "properties": {
        "allOrNone": {"type": "boolean"},
        "records": {"type": "array", "items": RECORD},
    },
}
SAVE_RESULT = {
    "type": "object",
    "required": ["id", "success", "errors"],
    "properties": {
        "id": {"type": "string"},
        "success": {"type": "boolean"},
        "errors": {"type": "array"},
        "created": {"type": "boolean"},
    },
}
QUERY_RESULT = {
    "type": "object",
    "required": ["totalSize", "done", "records"],
    "properties": {
        "totalSize": {"type": "integer"},
        "done": {"type": "boolean"},
        "nextRecordsUrl": {"type": "string"},
        "records": {"type": "array"},
    },
}

SEVERAL = {"type": "array", "items": {"type": "string"}}
COMPOSITE_BODY = {
    "type": "object",
    "required": ["compositeRequest"],
    "properties": {
        "allOrNone": {"type": "boolean"},
        "compositeRequest": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["method", "url", "referenceId"],
                "properties": {
                    "method": {"type": "string"},
                    "url": {"type": "string"},
                    "referenceId": {"type": "string"},
                    "body": {},
                },
            },
        },
    },
}
# Every operation behind a session may answer these (the error array).
STYLE = DocStyle(errors={s: json_response("Error", ERRORS) for s in ("400", "401", "403", "404")})


def control_operations() -> list[Operation]:
    tenant = query_param(
        "tenant", {"type": "string", "minLength": 1}, True, "Org id, client id or access token"
    )
    admin: list[dict[str, list[str]]] = [{"simAdminToken": []}]
    ok = {
        "200": json_response("OK"),
        "400": json_response("Bad control request"),
        "401": json_response("Admin token missing or wrong"),
    }
    return [
        Operation(
            "GET",
            "/_sim/crm/events",
            "simCrmEvents",
            "Change events after a replay id (-2: all retained, -1: none)",
            ("control plane",),
            [
                tenant,
                query_param("replayId", {"type": "integer"}),
                query_param("limit", {"type": "integer", "minimum": 1}),
                query_param("entity", {"type": "string"}),
            ],
            responses=ok,
            security=admin,
        ),
        Operation(
            "GET",
            "/_sim/crm/limits",
            "simCrmGetLimits",
            "The org's API usage",
            ("control plane",),
            [tenant],
            responses=ok,
            security=admin,
        ),
        Operation(
            "PUT",
            "/_sim/crm/limits",
            "simCrmPutLimits",
            "Set the daily API allocation; reset today's usage",
            ("control plane",),
            [tenant],
            json_body(
                {
                    "type": "object",
                    "properties": {
                        "daily_api_requests": {"type": "integer", "minimum": 0},
                        "reset_usage": {"type": "boolean"},
                    },
                },
                required=False,
            ),
            ok,
            security=admin,
        ),
        Operation(
            "POST",
            "/_sim/crm/fields",
            "simCrmAddField",
            "Declare a custom field",
            ("control plane",),
            [tenant],
            json_body(
                {
                    "type": "object",
                    "required": ["sobject", "name", "type"],
                    "properties": {
                        "sobject": {"type": "string"},
                        "name": {"type": "string"},
                        "type": {"type": "string"},
                        "length": {"type": "integer"},
                        "externalId": {"type": "boolean"},
                        "unique": {"type": "boolean"},
                        "required": {"type": "boolean"},
                        "picklistValues": {"type": "array", "items": {"type": "string"}},
                    },
                }
            ),
            {**ok, "201": json_response("Declared")},
            security=admin,
        ),
        Operation(
            "POST",
            "/_sim/crm/undelete",
            "simCrmUndelete",
            "Undelete records from the recycle bin",
            ("control plane",),
            [tenant],
            json_body(
                {
                    "type": "object",
                    "required": ["ids"],
                    "properties": {"ids": {"type": "array", "items": {"type": "string"}}},
                }
            ),
            ok,
            security=admin,
        ),
    ]
