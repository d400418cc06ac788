"""Salesforce REST errors: a JSON array of ``{message, errorCode, fields}``.

REST API Developer Guide, "Status Codes and Error Responses": an error answers with an
HTTP status and a body that is a list of errors, each with ``message`` and ``errorCode``
and, for record errors, the ``fields`` involved.
"""

from __future__ import annotations

from typing import Any

# The codes the fake answers with (REST API Developer Guide, "Status Codes and Error
# Responses"; SOAP API Developer Guide, "StatusCode" enumeration).
INVALID_SESSION_ID = "INVALID_SESSION_ID"
REQUEST_LIMIT_EXCEEDED = "REQUEST_LIMIT_EXCEEDED"
REQUIRED_FIELD_MISSING = "REQUIRED_FIELD_MISSING"
INVALID_FIELD = "INVALID_FIELD"
INVALID_FIELD_FOR_INSERT_UPDATE = "INVALID_FIELD_FOR_INSERT_UPDATE"
MALFORMED_ID = "MALFORMED_ID"
NOT_FOUND = "NOT_FOUND"
ENTITY_IS_DELETED = "ENTITY_IS_DELETED"
INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST = "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
DUPLICATE_VALUE = "DUPLICATE_VALUE"
FIELD_INTEGRITY_EXCEPTION = "FIELD_INTEGRITY_EXCEPTION"
INVALID_CROSS_REFERENCE_KEY = "INVALID_CROSS_REFERENCE_KEY"
STRING_TOO_LONG = "STRING_TOO_LONG"
JSON_PARSER_ERROR = "JSON_PARSER_ERROR"
INVALID_TYPE = "INVALID_TYPE"
INVALID_QUERY_LOCATOR = "INVALID_QUERY_LOCATOR"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
PROCESSING_HALTED = "PROCESSING_HALTED"
ALL_OR_NONE_OPERATION_ROLLED_BACK = "ALL_OR_NONE_OPERATION_ROLLED_BACK"
EXCEEDED_MAX_SUBREQUESTS = "EXCEEDED_ID_LIMIT"
SERVER_UNAVAILABLE = "SERVER_UNAVAILABLE"
UNKNOWN_EXCEPTION = "UNKNOWN_EXCEPTION"
INVALID_INPUT = "INVALID_INPUT"
# A retired API version: "REST API returns the 410:GONE error code" (REST API Developer
# Guide, "API End-of-Life Policy"). The guide names the status and this code, not the
# message; the message is the guide's description of 410 ("Status Codes and Error
# Responses").
GONE = "GONE"
ENTITY_IS_LOCKED = "ENTITY_IS_LOCKED"

RESOURCE_MISSING = "The requested resource does not exist"


def error_item(code: str, message: str, fields: list[str] | None = None) -> dict[str, Any]:
    """One element of the error array; ``fields`` only where a record field is at fault."""
    item: dict[str, Any] = {"message": message, "errorCode": code}
    if fields is not None:
        item["fields"] = fields
    return item


class SfError(Exception):
    """A request Salesforce refuses: the status and the error array it answers with."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.headers = headers or {}

    def items(self) -> list[dict[str, Any]]:
        return [error_item(self.code, self.message, self.fields)]


def bad_request(code: str, message: str, fields: list[str] | None = None) -> SfError:
    return SfError(400, code, message, fields)


def not_found(message: str = RESOURCE_MISSING) -> SfError:
    return SfError(404, NOT_FOUND, message)


def required_missing(names: list[str]) -> SfError:
    # "Required fields are missing: [Name]" with fields ["Name"].
    return bad_request(
        REQUIRED_FIELD_MISSING, f"Required fields are missing: [{', '.join(names)}]", names
    )


def retired(version: str) -> SfError:
    return SfError(410, GONE, f"API version {version} has been retired or removed. Delete or "
                   "update any references to the resource.")
