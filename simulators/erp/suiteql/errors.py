"""SuiteQL errors, shaped like NetSuite's REST error details.

Message shapes seen in live NetSuite responses quoted in public code (read with
the find_string tool):

- unknown column, unqualified: ``Invalid search query. Detailed unprocessed
  description follows. Search error occurred: Unknown identifier
  'not_existing_field'. Available identifiers are: {customer=customer}``
  (npm package ``suiteql`` test suite, and a Databricks NetSuite connector test
  that quotes a live 400 body with ``"o:errorQueryParam":"q"`` and
  ``"o:errorCode":"INVALID_PARAMETER"``);
- unknown table: ``... Detailed unprocessed description follows. Invalid search
  type: transactiontablethatdoesnotexist.`` (same npm test suite);
- field that exists but is not exposed to SuiteQL: ``Field 'subsidiary' for
  record 'transaction' was not found. Reason: NOT_EXPOSED`` (an Orderful
  NetSuite skill's "common gotchas");
- generic: ``Search error occurred: Invalid or unsupported search.`` (several
  public diagnoses of live errors).

The envelope fields (type, title, status, ``o:errorDetails`` with ``detail``
and ``o:errorCode``) are in Oracle's "Error Handling in REST Web Services"
(docs.oracle.com ... section_156570709583.html); the rfc9110 ``type`` URL is
from the live body quoted above.
"""

from __future__ import annotations

from typing import Any

PREFIX = "Invalid search query. Detailed unprocessed description follows. "
BAD_REQUEST_TYPE = "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1"


class SuiteQLError(Exception):
    """A query NetSuite would refuse with HTTP 400 INVALID_PARAMETER."""

    def __init__(self, message: str, *, query_param: str = "q") -> None:
        super().__init__(message)
        self.message = message
        self.query_param = query_param

    def to_error_details(self) -> list[dict[str, Any]]:
        """The ``o:errorDetails`` array of NetSuite's error body."""
        return [
            {
                "detail": self.message,
                "o:errorQueryParam": self.query_param,
                "o:errorCode": "INVALID_PARAMETER",
            }
        ]

    def to_body(self) -> dict[str, Any]:
        """The whole 400 response body."""
        return {
            "type": BAD_REQUEST_TYPE,
            "title": "Bad Request",
            "status": 400,
            "o:errorDetails": self.to_error_details(),
        }


def search_error(what: str) -> SuiteQLError:
    return SuiteQLError(f"{PREFIX}Search error occurred: {what}")


def unsupported() -> SuiteQLError:
    # The wording NetSuite uses for queries it cannot run; which exact message
    # it gives for a syntax error or a non-SELECT statement is unverified.
    return search_error("Invalid or unsupported search.")


def unknown_table(name: str) -> SuiteQLError:
    return SuiteQLError(f"{PREFIX}Invalid search type: {name}.")


def unknown_identifier(name: str, sources: dict[str, str]) -> SuiteQLError:
    # NetSuite prints the alias map like a Java Map: {alias=table, ...}.
    listing = ", ".join(f"{alias}={table}" for alias, table in sources.items())
    return search_error(f"Unknown identifier '{name}'. Available identifiers are: {{{listing}}}.")


def field_not_found(field: str, record: str, *, hidden: bool) -> SuiteQLError:
    # "Reason: NOT_EXPOSED" is verified for fields that exist but are not
    # exposed; the wording for a field that does not exist at all is unverified.
    reason = " Reason: NOT_EXPOSED" if hidden else ""
    return search_error(f"Field '{field}' for record '{record}' was not found.{reason}")


def too_long() -> SuiteQLError:
    # A query that ran out of its budget (engine.offload.Budget: time, or SQLite steps
    # as rows looked at). NetSuite refuses searches that run too long, but its wording
    # for a SuiteQL query over REST is unverified; this names the cause and the cure.
    return search_error(
        "The query took too long to run and was stopped. Narrow it with WHERE "
        "conditions, fewer joins or ROWNUM."
    )
