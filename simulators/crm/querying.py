"""Running one SOQL text for an org, with Salesforce's errors: what ``/query`` and Bulk
API 2.0 query jobs share."""

from __future__ import annotations

import logging

from simulators.crm import errors as E
from simulators.crm.context import Ctx
from simulators.crm.soql import MALFORMED_QUERY, SoqlError, execute, parse
from simulators.crm.soql.ast import Query
from simulators.crm.soql.execute import QueryResult

log = logging.getLogger("fintwin.crm.query")


def parse_soql(text: str | None) -> Query:
    if not text:
        raise E.bad_request(MALFORMED_QUERY, "A query string must be provided")
    try:
        return parse(text)
    except SoqlError as exc:
        raise E.bad_request(exc.error_code, exc.message) from None


def run_soql(ctx: Ctx, parsed: Query, include_deleted: bool) -> QueryResult:
    try:
        return execute(parsed, ctx.org.schema, ctx.org.source, now=ctx.now(),
                       api_version=ctx.version, include_deleted=include_deleted)
    except SoqlError as exc:
        raise E.bad_request(exc.error_code, exc.message) from None
    except (ValueError, TypeError, ArithmeticError, RecursionError, KeyError) as exc:
        # A query the parser accepted but the executor could not run: answer like a bad
        # query rather than a server error, and leave a trace for whoever debugs it.
        log.warning("SOQL failed: %r: %s", parsed.text, exc)
        raise E.bad_request(MALFORMED_QUERY, f"unable to run query: {exc}") from None
