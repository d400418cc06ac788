"""Running one SOQL text for an org, with Salesforce's errors: what ``/query`` and Bulk
API 2.0 query jobs share."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from simulators.crm import errors as E
from simulators.crm.context import Ctx
from simulators.crm.soql import MALFORMED_QUERY, SoqlError, execute, parse
from simulators.crm.soql.ast import Query
from simulators.crm.soql.execute import QueryResult
from simulators.crm.soql.source import DataSource
from simulators.engine.offload import Budget, BudgetExceeded, Deferred

R = TypeVar("R")

log = logging.getLogger("fintwin.crm.query")


def parse_soql(text: str | None) -> Query:
    if not text:
        raise E.bad_request(MALFORMED_QUERY, "A query string must be provided")
    try:
        return parse(text)
    except SoqlError as exc:
        raise E.bad_request(exc.error_code, exc.message) from None


# What one query may cost (engine.offload.Budget): wall seconds and rows looked at.
# Salesforce stops a query that runs too long with QUERY_TIMEOUT ("Your query request
# was running for too long."; its threshold is not published; 120 s is the REST
# request cap). A fake's settings may change them: extra = {query_seconds = ...,
# query_rows = ...}.
QUERY_SECONDS = 10.0
QUERY_ROWS = 5_000_000
QUERY_TIMEOUT = "QUERY_TIMEOUT"


def query_budget(extra: Mapping[str, Any]) -> Budget:
    return Budget(seconds=float(extra.get("query_seconds", QUERY_SECONDS)),
                  rows=int(extra.get("query_rows", QUERY_ROWS)))


def soql_deferred(ctx: Ctx, text: str | None, include_deleted: bool,
                  finish: Callable[[QueryResult], R]) -> Deferred[QueryResult, R]:
    """``text`` parsed and run off the event loop (engine.offload) over the org's records
    as they are now (a frozen copy), within its budget; ``finish`` back on the loop."""
    if not text:
        raise E.bad_request(MALFORMED_QUERY, "A query string must be provided")
    source, now, budget = ctx.org.frozen(), ctx.now(), query_budget(ctx.sim.settings.extra)

    def work() -> QueryResult:
        # The budget is for running: parsing is bounded by q's length (5000), and the
        # grammar is built once per process, by the first query.
        parsed = parse_soql(text)
        budget.start()
        return run_soql(ctx, parsed, include_deleted, source=source, now=now, budget=budget)
    return Deferred(work, finish, ctx.tenant.id, budget)


def run_soql(ctx: Ctx, parsed: Query, include_deleted: bool, *,
             source: DataSource | None = None, now: datetime | None = None,
             budget: Budget | None = None) -> QueryResult:
    """``parsed`` over ``source`` (the org's records), within ``budget`` (the default
    one if none): Salesforce's errors, QUERY_TIMEOUT once the budget is spent."""
    try:
        return execute(parsed, ctx.org.schema, ctx.org.source if source is None else source,
                       now=ctx.now() if now is None else now, api_version=ctx.version,
                       include_deleted=include_deleted,
                       budget=budget or query_budget(ctx.sim.settings.extra))
    except SoqlError as exc:
        raise E.bad_request(exc.error_code, exc.message) from None
    except BudgetExceeded:
        raise E.bad_request(QUERY_TIMEOUT, "Your query request was running for too long.") \
            from None
    except (ValueError, TypeError, ArithmeticError, RecursionError, KeyError) as exc:
        # A query the parser accepted but the executor could not run: answer like a bad
        # query rather than a server error, and leave a trace for whoever debugs it.
        log.warning("SOQL failed: %r: %s", parsed.text, exc)
        raise E.bad_request(MALFORMED_QUERY, f"unable to run query: {exc}") from None
