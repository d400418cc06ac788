"""NetSuite REST errors, one class per ``o:errorCode``, rendered in NetSuite's envelope.

Envelope ``{type, title, status, "o:errorDetails": [{detail, "o:errorCode",
"o:errorPath"}]}``: Oracle, "Error Handling in REST Web Services"
(docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_156570709583.html),
whose examples are a 401 ``INVALID_LOGIN`` ("Invalid login attempt. For more
details, see the Login Audit Trail ...") and a 400 ``INVALID_CONTENT`` with
``"o:errorPath": "item.items[0].item"``. The rfc9110 ``type`` URLs and the 404
``NONEXISTENT_ID`` wording ("The record instance does not exist.") are from
live bodies quoted in public client tests; ``INVALID_KEY_OR_REF`` with "Invalid
customer reference key 99999." and the 429 ``CONCURRENCY_LIMIT_EXCEEDED`` body
appear only in public mocks (unverified). ``IDEMPOTENCY_ERROR`` (status 400,
title "Conflict", Location of the first job) is Oracle's "Sending an
Asynchronous Request Using an Idempotency Key" (subsect_164494900632.html).
The wording of the accounting-rule errors is the fake's own (unverified).
"""

from __future__ import annotations

from typing import Any

import orjson

_TYPES = {
    400: ("https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1", "Bad Request"),
    401: ("https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2", "Unauthorized"),
    403: ("https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.4", "Forbidden"),
    404: ("https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.5", "Not Found"),
    405: ("https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.6", "Method Not Allowed"),
    415: ("https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.16", "Unsupported Media Type"),
    429: ("https://www.rfc-editor.org/rfc/rfc6585.html#section-4", "Too Many Requests"),
    500: ("https://www.rfc-editor.org/rfc/rfc9110.html#section-15.6.1", "Internal Server Error"),
    503: ("https://www.rfc-editor.org/rfc/rfc9110.html#section-15.6.4", "Service Unavailable"),
}


def envelope(
    status: int,
    details: list[dict[str, Any]],
    title: str | None = None,
    type_url: str | None = None,
) -> dict[str, Any]:
    """NetSuite's error body for ``status`` with the given ``o:errorDetails``."""
    default_type, default_title = _TYPES.get(
        status, ("https://www.rfc-editor.org/rfc/rfc9110.html", "Error")
    )
    return {
        "type": type_url or default_type,
        "title": title or default_title,
        "status": status,
        "o:errorDetails": details,
    }


class NetSuiteError(Exception):
    """Base: an error NetSuite answers with a 4xx (or 5xx) and one error detail."""

    status = 400
    code = "USER_ERROR"
    title: str | None = None
    type_url: str | None = None

    def __init__(
        self, detail: str, path: str | None = None, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{self.code}: {detail}")
        self.detail = detail
        self.path = path
        self.headers = dict(headers or {})

    def error_detail(self) -> dict[str, Any]:
        out: dict[str, Any] = {"detail": self.detail, "o:errorCode": self.code}
        if self.path is not None:
            out["o:errorPath"] = self.path
        return out

    def body(self) -> dict[str, Any]:
        return envelope(self.status, [self.error_detail()], self.title, self.type_url)

    def render(self) -> bytes:
        return orjson.dumps(self.body())


class UserError(NetSuiteError):
    """USER_ERROR: a business rule refuses the request (closed period, unbalanced journal)."""

    code = "USER_ERROR"


class InvalidContent(NetSuiteError):
    """INVALID_CONTENT: the body is malformed (not JSON, wrong type, unknown property)."""

    code = "INVALID_CONTENT"


class InvalidKeyOrRef(NetSuiteError):
    """INVALID_KEY_OR_REF: a reference to a record that does not exist."""

    code = "INVALID_KEY_OR_REF"


class InvalidFldValue(NetSuiteError):
    """INVALID_FLD_VALUE: a value not allowed here (customer/subsidiary/currency mismatch)."""

    code = "INVALID_FLD_VALUE"


class DupRcrd(NetSuiteError):
    """DUP_RCRD: a record with this external id (or unique key) already exists."""

    code = "DUP_RCRD"


class NonexistentId(NetSuiteError):
    """NONEXISTENT_ID: 404 for a record instance that does not exist."""

    status = 404
    code = "NONEXISTENT_ID"

    def __init__(
        self,
        detail: str = "The record instance does not exist. Provide a valid record instance ID.",
        path: str | None = None,
    ) -> None:
        super().__init__(detail, path)


class InvalidRecordType(NetSuiteError):
    """404 for a record type the account does not have (code unverified)."""

    status = 404
    code = "INVALID_RCRD_TYPE"


class InvalidParameter(NetSuiteError):
    """INVALID_PARAMETER: a bad query parameter (limit, offset, q, fields)."""

    code = "INVALID_PARAMETER"

    def __init__(self, detail: str, query_param: str) -> None:
        super().__init__(detail)
        self.query_param = query_param

    def error_detail(self) -> dict[str, Any]:
        return {
            "detail": self.detail,
            "o:errorQueryParam": self.query_param,
            "o:errorCode": self.code,
        }


class InvalidLogin(NetSuiteError):
    """INVALID_LOGIN: missing, unknown or expired bearer token (401)."""

    status = 401
    code = "INVALID_LOGIN"
    # Oracle's own 401 example uses the rfc2616 URL.
    type_url = "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html"

    def __init__(self) -> None:
        super().__init__(
            "Invalid login attempt. For more details, see the Login Audit Trail in "
            "the NetSuite UI at Setup > Users/Roles > User Management > View Login "
            "Audit Trail."
        )


class MethodNotAllowed(NetSuiteError):
    status = 405
    code = "METHOD_NOT_ALLOWED"


class ConcurrencyLimitExceeded(NetSuiteError):
    """429 over the account-wide concurrency limit (body from public mocks; unverified).

    Oracle's "Errors Related to Concurrency Violations" (bridgehead_1525252812) lists
    only RESTlets (400 ``SSS_REQUEST_LIMIT_EXCEEDED``) and SOAP faults
    (``WS_REQUEST_BLOCKED``); the REST record service's status and code are not
    documented there, so 429 with this code stays the fake's assumption."""

    status = 429
    code = "CONCURRENCY_LIMIT_EXCEEDED"


class IdempotencyError(NetSuiteError):
    """A second async request with an idempotency key already used: 400 "Conflict"."""

    status = 400
    code = "IDEMPOTENCY_ERROR"
    title = "Conflict"
    type_url = "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.4.10"


class ServiceError(NetSuiteError):
    """5xx answered by the engine's fault plan (outage, injected error)."""

    status = 500
    code = "UNEXPECTED_ERROR"


class Unavailable(NetSuiteError):
    status = 503
    code = "SERVICE_UNAVAILABLE"


class OAuthError(Exception):
    """RFC 6749 section 5.2 error from the token endpoint: ``{"error", "error_description"}``."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def render(self) -> bytes:
        return orjson.dumps({"error": self.error, "error_description": self.description})
