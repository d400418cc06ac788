"""The CRM fake's OpenAPI operations (served with the control plane's at /_sim/openapi.json)."""

from __future__ import annotations

from typing import Any

from simulators.crm.api import RELEASES
from simulators.crm.schema import STANDARD_OBJECTS
from simulators.engine.openapi import Operation, json_body, json_response, query_param

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

_VERSION = {
    "name": "version",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "enum": list(RELEASES)},
    "description": "API version, e.g. 59.0",
}
_SOBJECT = {
    "name": "sobject",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "enum": [o.name for o in STANDARD_OBJECTS]},
}
_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 1},
    "description": "15- or 18-character id",
}


def _path(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string", "minLength": 1},
    }


def _errors(*statuses: str) -> dict[str, Any]:
    return {s: json_response("Error", ERRORS) for s in statuses}


def operations() -> list[Operation]:
    d = "/services/data/v{version}"
    common = ("400", "401", "403", "404")
    ops: list[Operation] = [
        Operation(
            "POST",
            "/services/oauth2/token",
            "oauthToken",
            "OAuth 2.0 token (client_credentials or password grant)",
            ("auth",),
            [],
            {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {
                        "schema": {
                            "type": "object",
                            "required": ["grant_type"],
                            "properties": {
                                "grant_type": {
                                    "type": "string",
                                    "enum": ["client_credentials", "password"],
                                },
                                "client_id": {"type": "string"},
                                "client_secret": {"type": "string"},
                                "username": {"type": "string"},
                                "password": {"type": "string"},
                            },
                        }
                    }
                },
            },
            {"200": json_response("Token"), "400": json_response("OAuth error")},
            security=[],
        ),
        Operation(
            "GET",
            "/services/data/",
            "versions",
            "API versions served",
            ("rest",),
            responses={"200": json_response("Versions", {"type": "array"})},
            security=[],
        ),
        Operation(
            "GET",
            f"{d}/",
            "resources",
            "Resources by version",
            ("rest",),
            [_VERSION],
            responses={"200": json_response("Resources"), **_errors(*common)},
        ),
        Operation(
            "GET",
            f"{d}/limits",
            "limits",
            "Org limits",
            ("rest",),
            [_VERSION],
            responses={"200": json_response("Limits"), **_errors(*common)},
        ),
        Operation(
            "GET",
            f"{d}/sobjects",
            "describeGlobal",
            "Describe global",
            ("sobjects",),
            [_VERSION],
            responses={"200": json_response("Objects"), **_errors(*common)},
        ),
        Operation(
            "GET",
            f"{d}/sobjects/{{sobject}}",
            "sobjectInfo",
            "sObject basic information",
            ("sobjects",),
            [_VERSION, _SOBJECT],
            responses={"200": json_response("Info"), **_errors(*common)},
        ),
        Operation(
            "POST",
            f"{d}/sobjects/{{sobject}}",
            "createRecord",
            "Create a record",
            ("sobjects",),
            [_VERSION, _SOBJECT],
            json_body(RECORD),
            {"201": json_response("Created", SAVE_RESULT), **_errors(*common)},
        ),
        Operation(
            "GET",
            f"{d}/sobjects/{{sobject}}/describe",
            "describeSobject",
            "sObject describe",
            ("sobjects",),
            [_VERSION, _SOBJECT],
            responses={"200": json_response("Describe"), **_errors(*common)},
        ),
        Operation(
            "GET",
            f"{d}/sobjects/{{sobject}}/updated",
            "getUpdated",
            "Ids updated between start and end",
            ("sobjects",),
            [
                _VERSION,
                _SOBJECT,
                query_param("start", {"type": "string"}, True),
                query_param("end", {"type": "string"}, True),
            ],
            responses={"200": json_response("Updated"), **_errors(*common)},
        ),
        Operation(
            "GET",
            f"{d}/sobjects/{{sobject}}/deleted",
            "getDeleted",
            "Ids deleted between start and end",
            ("sobjects",),
            [
                _VERSION,
                _SOBJECT,
                query_param("start", {"type": "string"}, True),
                query_param("end", {"type": "string"}, True),
            ],
            responses={"200": json_response("Deleted"), **_errors(*common)},
        ),
        Operation(
            "GET",
            f"{d}/sobjects/{{sobject}}/{{id}}",
            "getRecord",
            "Get a record",
            ("sobjects",),
            [_VERSION, _SOBJECT, _ID, query_param("fields", {"type": "string"})],
            responses={"200": json_response("Record", RECORD), **_errors(*common)},
        ),
        Operation(
            "PATCH",
            f"{d}/sobjects/{{sobject}}/{{id}}",
            "updateRecord",
            "Update a record",
            ("sobjects",),
            [_VERSION, _SOBJECT, _ID],
            json_body(RECORD),
            {"204": {"description": "Updated"}, **_errors(*common)},
        ),
        Operation(
            "DELETE",
            f"{d}/sobjects/{{sobject}}/{{id}}",
            "deleteRecord",
            "Delete a record",
            ("sobjects",),
            [_VERSION, _SOBJECT, _ID],
            responses={"204": {"description": "Deleted"}, **_errors(*common)},
        ),
        Operation(
            "GET",
            f"{d}/sobjects/{{sobject}}/{{field}}/{{value}}",
            "getByExternalId",
            "Get a record by external id",
            ("sobjects",),
            [_VERSION, _SOBJECT, _path("field"), _path("value")],
            responses={
                "200": json_response("Record", RECORD),
                "300": json_response("Several matches", {"type": "array"}),
                **_errors(*common),
            },
        ),
        Operation(
            "PATCH",
            f"{d}/sobjects/{{sobject}}/{{field}}/{{value}}",
            "upsert",
            "Upsert by external id",
            ("sobjects",),
            [
                _VERSION,
                _SOBJECT,
                _path("field"),
                _path("value"),
                query_param("updateOnly", {"type": "boolean"}),
            ],
            json_body(RECORD),
            {
                "200": json_response("Updated", SAVE_RESULT),
                "201": json_response("Created", SAVE_RESULT),
                "300": json_response("Several matches", {"type": "array"}),
                **_errors(*common),
            },
        ),
        Operation(
            "DELETE",
            f"{d}/sobjects/{{sobject}}/{{field}}/{{value}}",
            "deleteByExternalId",
            "Delete by external id",
            ("sobjects",),
            [_VERSION, _SOBJECT, _path("field"), _path("value")],
            responses={
                "204": {"description": "Deleted"},
                "300": json_response("Several matches", {"type": "array"}),
                **_errors(*common),
            },
        ),
        Operation(
            "GET",
            f"{d}/query",
            "query",
            "Run a SOQL query",
            ("query",),
            [_VERSION, query_param("q", {"type": "string"}, True, "SOQL")],
            responses={"200": json_response("Result", QUERY_RESULT), **_errors(*common)},
        ),
        Operation(
            "GET",
            f"{d}/queryAll",
            "queryAll",
            "SOQL including deleted records",
            ("query",),
            [_VERSION, query_param("q", {"type": "string"}, True, "SOQL")],
            responses={"200": json_response("Result", QUERY_RESULT), **_errors(*common)},
        ),
        Operation(
            "GET",
            f"{d}/query/{{locator}}",
            "queryMore",
            "The next batch of a query",
            ("query",),
            [_VERSION, _path("locator")],
            responses={"200": json_response("Result", QUERY_RESULT), **_errors(*common)},
        ),
        Operation(
            "POST",
            f"{d}/composite",
            "composite",
            "Up to 25 subrequests",
            ("composite",),
            [_VERSION],
            json_body(
                {
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
            ),
            {"200": json_response("Results"), **_errors(*common)},
        ),
        Operation(
            "POST",
            f"{d}/composite/sobjects",
            "collectionCreate",
            "Create up to 200 records",
            ("composite",),
            [_VERSION],
            json_body(COLLECTION_BODY),
            {"200": json_response("Results", {"type": "array"}), **_errors(*common)},
        ),
        Operation(
            "PATCH",
            f"{d}/composite/sobjects",
            "collectionUpdate",
            "Update up to 200 records",
            ("composite",),
            [_VERSION],
            json_body(COLLECTION_BODY),
            {"200": json_response("Results", {"type": "array"}), **_errors(*common)},
        ),
        Operation(
            "DELETE",
            f"{d}/composite/sobjects",
            "collectionDelete",
            "Delete up to 200 records",
            ("composite",),
            [
                _VERSION,
                query_param("ids", {"type": "string"}, True),
                query_param("allOrNone", {"type": "boolean"}),
            ],
            responses={"200": json_response("Results", {"type": "array"}), **_errors(*common)},
        ),
        Operation(
            "GET",
            f"{d}/composite/sobjects/{{sobject}}",
            "collectionRetrieve",
            "Get records by ids",
            ("composite",),
            [
                _VERSION,
                _SOBJECT,
                query_param("ids", {"type": "string"}, True),
                query_param("fields", {"type": "string"}, True),
            ],
            responses={"200": json_response("Records", {"type": "array"}), **_errors(*common)},
        ),
        Operation(
            "PATCH",
            f"{d}/composite/sobjects/{{sobject}}/{{field}}",
            "collectionUpsert",
            "Upsert up to 200 records by external id",
            ("composite",),
            [_VERSION, _SOBJECT, _path("field")],
            json_body(COLLECTION_BODY),
            {"200": json_response("Results", {"type": "array"}), **_errors(*common)},
        ),
        Operation(
            "GET",
            f"{d}/fintwin/changeEvents",
            "pullChangeEvents",
            "fintwin extension: change events after a replay id (-2: all retained)",
            ("change events",),
            [
                _VERSION,
                query_param("replayId", {"type": "integer"}),
                query_param("limit", {"type": "integer", "minimum": 1}),
                query_param("entity", {"type": "string"}),
            ],
            responses={"200": json_response("Events"), **_errors(*common)},
        ),
    ]
    return ops


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
