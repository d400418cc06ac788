"""The ERP fake's OpenAPI document (served at ``/_sim/openapi.json``).

Record bodies are described loosely (objects): NetSuite's own per-record
schemas (``/services/rest/record/v1/metadata-catalog``) are not reproduced.
"""

from __future__ import annotations

from typing import Any

from simulators.engine.openapi import Operation, json_body, json_response, path_param, query_param
from simulators.erp.auth import TOKEN_PATH
from simulators.erp.context import RECORD_PATH
from simulators.erp.jobs import JOB_PATH
from simulators.erp.records import TYPES

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
TYPE_NAMES = sorted({t.name for t in TYPES})
_TYPE = {
    "name": "type",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "enum": TYPE_NAMES},
    "description": "Record type",
}
_PREFER = {
    "name": "Prefer",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "enum": ["transient", "respond-async"]},
}
_IDEMPOTENCY = {
    "name": "X-NetSuite-Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "maxLength": 128},
}
_PAGING = [
    query_param("limit", {"type": "integer", "minimum": 1, "maximum": 1000}),
    query_param("offset", {"type": "integer", "minimum": 0}),
]


def _errors(*statuses: str) -> dict[str, Any]:
    return {s: json_response("NetSuite error", ERROR) for s in statuses}


def _no_content(description: str) -> dict[str, Any]:
    return {"description": description, "headers": {"Location": {"schema": {"type": "string"}}}}


def operations() -> list[Operation]:
    record = f"{RECORD_PATH}/{{type}}"
    item = f"{record}/{{id}}"
    body = json_body({"type": "object"})
    async_ok = {"202": {"description": "Accepted (Prefer: respond-async): job in Location"}}
    std = _errors("400", "401", "404", "429")
    tags = ("record service",)
    return [
        Operation(
            "POST",
            TOKEN_PATH,
            "oauth2Token",
            "OAuth 2.0 client credentials (secret, or JWT-bearer client assertion)",
            ("auth",),
            request_body={
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "grant_type": {"type": "string", "enum": ["client_credentials"]},
                                "client_id": {"type": "string"},
                                "client_secret": {"type": "string"},
                                "client_assertion_type": {"type": "string"},
                                "client_assertion": {"type": "string"},
                            },
                        }
                    }
                },
            },
            responses={
                "200": json_response(
                    "Access token", {"type": "object", "required": ["access_token", "token_type"]}
                ),
                "400": json_response("OAuth error"),
                "401": json_response("OAuth error"),
            },
            security=[{}, {"basicAuth": []}],
        ),
        Operation(
            "GET",
            record,
            "listRecords",
            "List records (limit, offset, q)",
            tags,
            [_TYPE, *_PAGING, query_param("q", {"type": "string"}), _PREFER],
            responses={"200": json_response("Collection", COLLECTION), **async_ok, **std},
        ),
        Operation(
            "POST",
            record,
            "createRecord",
            "Create a record: 204 and Location",
            tags,
            [_TYPE, _PREFER, _IDEMPOTENCY],
            body,
            {"204": _no_content("Created"), **async_ok, **std},
        ),
        Operation(
            "GET",
            item,
            "getRecord",
            "Get a record by internal id or eid:externalId",
            tags,
            [
                _TYPE,
                path_param("id"),
                query_param("expandSubResources", {"type": "boolean"}),
                query_param("simpleEnumFormat", {"type": "boolean"}),
                query_param("fields", {"type": "string"}),
                _PREFER,
            ],
            responses={"200": json_response("Record"), **async_ok, **std},
        ),
        Operation(
            "PATCH",
            item,
            "updateRecord",
            "Update a record (replace=sublists)",
            tags,
            [
                _TYPE,
                path_param("id"),
                query_param("replace", {"type": "string"}),
                _PREFER,
                _IDEMPOTENCY,
            ],
            body,
            {"204": {"description": "Updated"}, **async_ok, **std},
        ),
        Operation(
            "PUT",
            item,
            "upsertRecord",
            "Upsert by external id: PUT .../eid:{externalId}",
            tags,
            [
                _TYPE,
                path_param("id"),
                query_param("replace", {"type": "string"}),
                _PREFER,
                _IDEMPOTENCY,
            ],
            body,
            {"204": _no_content("Created or updated"), **async_ok, **std},
        ),
        Operation(
            "DELETE",
            item,
            "deleteRecord",
            "Delete a record",
            tags,
            [_TYPE, path_param("id"), _PREFER, _IDEMPOTENCY],
            responses={"204": {"description": "Deleted"}, **async_ok, **std},
        ),
        Operation(
            "GET",
            f"{item}/{{sublist}}",
            "getSublist",
            "A record's sublist",
            tags,
            [_TYPE, path_param("id"), path_param("sublist"), _PREFER],
            responses={"200": json_response("Sublist", COLLECTION), **async_ok, **std},
        ),
        Operation(
            "POST",
            "/services/rest/query/v1/suiteql",
            "suiteql",
            "Run a SuiteQL query",
            ("query",),
            [*_PAGING, _PREFER, _IDEMPOTENCY],
            json_body(
                {"type": "object", "required": ["q"], "properties": {"q": {"type": "string"}}}
            ),
            {"200": json_response("Rows", COLLECTION), **async_ok, **std},
        ),
        Operation(
            "GET",
            "/services/rest/system/v1/governanceLimits",
            "governanceLimits",
            "Account concurrency limits",
            ("system",),
            responses={"200": json_response("Limits"), **_errors("401", "429")},
        ),
        Operation(
            "GET",
            f"{JOB_PATH}/{{job}}",
            "getJob",
            "Async job status",
            ("async",),
            [path_param("job")],
            responses={"200": json_response("Job"), **std},
        ),
        Operation(
            "GET",
            f"{JOB_PATH}/{{job}}/task",
            "listTasks",
            "Tasks of a job",
            ("async",),
            [path_param("job")],
            responses={"200": json_response("Tasks", COLLECTION), **std},
        ),
        Operation(
            "GET",
            f"{JOB_PATH}/{{job}}/task/{{task}}",
            "getTask",
            "Task status",
            ("async",),
            [path_param("job"), path_param("task")],
            responses={"200": json_response("Task"), **std},
        ),
        Operation(
            "GET",
            f"{JOB_PATH}/{{job}}/task/{{task}}/result",
            "getTaskResult",
            "The result of the request the task ran",
            ("async",),
            [path_param("job"), path_param("task")],
            responses={
                "200": json_response("Result"),
                "204": _no_content("Result of a create"),
                **std,
            },
        ),
    ]
