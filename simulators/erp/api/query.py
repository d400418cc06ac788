"""SuiteQL and the account's limits (Oracle, "Executing SuiteQL Queries Through REST Web
Services"; "GovernanceLimits Operation", article_0625010817)."""

from __future__ import annotations

from simulators.engine.offload import Deferred
from simulators.engine.openapi import json_response
from simulators.engine.operation import Operations
from simulators.erp import mirror
from simulators.erp import service_times as took
from simulators.erp.context import Ctx
from simulators.erp.errors import InvalidContent
from simulators.erp.openapi import COLLECTION, errors
from simulators.erp.params import IDEMPOTENCY_KEY, PAGING, PREFER
from simulators.erp.suiteql import MAX_LIMIT, SuiteQLPage, paging_envelope, query_budget
from simulators.erp.vendor import NetSuiteVendor
from simulators.erp.wire import Reply, Req, json_reply, parse_body

ops = Operations()
SUITEQL = "/services/rest/query/v1/suiteql"


@ops.operation(method="POST", path=SUITEQL, id="suiteql", summary="Run a SuiteQL query",
               tags=("query",), query=PAGING,
               headers={"Prefer": PREFER, "X-NetSuite-Idempotency-Key": IDEMPOTENCY_KEY},
               body={"type": "object", "required": ["q"], "properties": {"q": {"type": "string"}}},
               responses={"200": json_response("Rows", COLLECTION)},
               extra={"respond_async": True, "offload": True,
                      "service_time": took.SUITEQL})
def suiteql(ctx: Ctx, req: Req) -> Deferred[SuiteQLPage, Reply]:
    """``{"q": "SELECT ..."}`` over the account's records; the record service's paging
    envelope. A query runs within a budget of time and rows (a query that runs out of
    it is refused, 400 INVALID_PARAMETER) and off the event loop, so that it never
    holds up other accounts' requests."""
    body = parse_body(req)
    q = body.get("q") if isinstance(body, dict) else None
    if not isinstance(q, str) or not q.strip():
        raise InvalidContent('The request body must be {"q": "SELECT ..."}.', "q")
    limit = req.query.get("limit", MAX_LIMIT)
    offset = req.query.get("offset", 0)
    budget = query_budget(ctx.sim.settings.extra)
    run = mirror.engine_for(ctx.tenant).prepare(q, limit=limit, offset=offset, budget=budget)
    url = ctx.url(SUITEQL)

    def finish(page: SuiteQLPage) -> Reply:
        return json_reply(paging_envelope(url, page, limit, offset))
    return Deferred(run, finish, ctx.tenant.id, budget)


@ops.operation(method="GET", path="/services/rest/system/v1/governanceLimits",
               id="governanceLimits", summary="Account concurrency limits", tags=("system",),
               responses={"200": json_response("Limits"), **errors("401", "429")},
               extra={"service_time": took.SYSTEM})
def governance_limits(ctx: Ctx, req: Req) -> Reply:
    """The account's concurrency limit and what is in use now."""
    vendor = ctx.sim.vendor
    assert isinstance(vendor, NetSuiteVendor)
    return json_reply(vendor.governance(ctx.sim))
