"""SOQL errors in the shape the REST API returns them.

A failed query answers 400 with `[{"message": ..., "errorCode": ...}]` (REST API Developer
Guide, "Status Codes and Error Responses"). For errors tied to a place in the query the
message echoes the query line, a caret under the offending column and
"ERROR at Row:r:Column:c" before the reason, e.g.::

    \\nSELECT Id FORM Account\\n          ^\\nERROR at Row:1:Column:11\\nunexpected token: 'FORM'
"""

from __future__ import annotations

from typing import Any

MALFORMED_QUERY = "MALFORMED_QUERY"
INVALID_FIELD = "INVALID_FIELD"
INVALID_TYPE = "INVALID_TYPE"
NUMBER_OUTSIDE_VALID_RANGE = "NUMBER_OUTSIDE_VALID_RANGE"

# The advice Salesforce appends to name errors (observed in API responses; the same text
# is quoted throughout the SOQL and SOSL Reference and developer forums).
_FIELD_ADVICE = (
    "If you are attempting to use a custom field, be sure to append the '__c' after the "
    "custom field name. Please reference your WSDL or the describe call for the "
    "appropriate names."
)
_TYPE_ADVICE = (
    "If you are attempting to use a custom object, be sure to append the '__c' after the "
    "entity name. Please reference your WSDL or the describe call for the appropriate names."
)
_RELATIONSHIP_ADVICE = (
    "If you are attempting to use a custom relationship, be sure to append the '__r' after "
    "the custom relationship name. Please reference your WSDL or the describe call for the "
    "appropriate names."
)


class SoqlError(Exception):
    """A query Salesforce would refuse: `error_code` and `message` as in the response."""

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(f"{error_code}: {message}")
        self.error_code = error_code
        self.message = message

    def to_dict(self) -> dict[str, Any]:
        """One element of the REST error array."""
        return {"message": self.message, "errorCode": self.error_code}


def locate(text: str, line: int, column: int, reason: str) -> str:
    """`reason` prefixed with the query line and a caret at (line, column), 1-based."""
    if line <= 0 or not text:
        return reason
    lines = text.splitlines() or [""]
    row_text = lines[min(line, len(lines)) - 1]
    caret = " " * max(column - 1, 0) + "^"
    return f"\n{row_text}\n{caret}\nERROR at Row:{line}:Column:{column}\n{reason}"


def no_such_column(sobject: str, name: str) -> str:
    return f"No such column '{name}' on entity '{sobject}'. {_FIELD_ADVICE}"


def unsupported_type(name: str) -> str:
    return f"sObject type '{name}' is not supported. {_TYPE_ADVICE}"


def unknown_relationship(name: str) -> str:
    return f"Didn't understand relationship '{name}' in field path. {_RELATIONSHIP_ADVICE}"


def unknown_child_relationship(name: str) -> str:
    return (
        f"Didn't understand relationship '{name}' in FROM part of query call. "
        f"{_RELATIONSHIP_ADVICE}"
    )
