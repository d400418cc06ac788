"""``/query`` and ``/queryAll``: SOQL through the parser and executor, in batches.

REST API Developer Guide, "Query": the answer is ``{totalSize, done, records}`` plus
``nextRecordsUrl`` (a path starting with ``/``) while more batches remain; the next batch is
``GET .../query/<locator>-<offset>``. Batches hold 2,000 records unless the
``Sforce-Query-Options: batchSize=n`` header asks for 200 to 2,000 ("Query Options
Header"). Open cursors are kept per org (wall-time state, like Salesforce's query cursors
that expire after 15 minutes of inactivity); an unknown or expired locator answers 400
INVALID_QUERY_LOCATOR.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from simulators.crm import errors as E
from simulators.crm.context import Ctx, Reply, Req
from simulators.crm.ids import to_18
from simulators.crm.openapi import QUERY_RESULT
from simulators.crm.params import NAME, VERSION, D
from simulators.crm.querying import soql_deferred
from simulators.crm.soql.execute import QueryResult
from simulators.engine.offload import Deferred
from simulators.engine.openapi import json_response
from simulators.engine.operation import Operations
from simulators.engine.params import Str

DEFAULT_BATCH = 2000
MIN_BATCH = 200
MAX_BATCH = 2000
CURSOR_TTL = 15 * 60.0
MAX_CURSORS = 100
_CURSORS = "crm.cursors"

ops = Operations(tags=("query",), path_params={"version": VERSION},
                 responses={"200": json_response("Result", QUERY_RESULT)})
# Required, but a request without it is Salesforce's MALFORMED_QUERY (the handler's).
SOQL = {"q": Str(description="SOQL (required)")}


def batch_size(headers: Mapping[str, str]) -> int:
    raw = headers.get("sforce-query-options", "")
    for part in raw.split(","):
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "batchsize":
            try:
                return min(max(int(value.strip()), MIN_BATCH), MAX_BATCH)
            except ValueError:
                return DEFAULT_BATCH
    return DEFAULT_BATCH


def _cursors(ctx: Ctx) -> OrderedDict[str, dict[str, Any]]:
    cursors: OrderedDict[str, dict[str, Any]] = ctx.tenant.transient.setdefault(
        _CURSORS, OrderedDict()
    )
    now = time.monotonic()
    for key in [k for k, c in cursors.items() if now - c["touched"] > CURSOR_TTL]:
        del cursors[key]
    return cursors


@ops.operation(method="GET", path=f"{D}/query", id="query", summary="Run a SOQL query",
               query=SOQL, extra={"offload": True})
def query(ctx: Ctx, req: Req) -> Deferred[QueryResult, Reply]:
    """The first batch; ``nextRecordsUrl`` names the next while more remain."""
    return run_query(ctx, False, req.query.get("q"))


@ops.operation(method="GET", path=f"{D}/queryAll", id="queryAll",
               summary="SOQL including deleted records", query=SOQL,
               extra={"offload": True})
def query_all(ctx: Ctx, req: Req) -> Deferred[QueryResult, Reply]:
    return run_query(ctx, True, req.query.get("q"))


@ops.operation(method="GET", path=f"{D}/query/{{locator}}", id="queryMore",
               summary="The next batch of a query",
               path_params={"version": VERSION, "locator": NAME})
def query_more(ctx: Ctx, req: Req) -> Reply:
    """``<locator>-<offset>``, as the previous batch's ``nextRecordsUrl`` names it."""
    return _more(ctx, req.path["locator"])


@ops.operation(method="GET", path=f"{D}/queryAll/{{locator}}", id="queryAllMore",
               summary="The next batch of a queryAll",
               path_params={"version": VERSION, "locator": NAME})
def query_all_more(ctx: Ctx, req: Req) -> Reply:
    return _more(ctx, req.path["locator"])


def run_query(ctx: Ctx, include_deleted: bool, text: str | None
              ) -> Deferred[QueryResult, Reply]:
    """The query run off the event loop within its budget (``querying.soql_deferred``);
    the batch and cursor made back on the loop."""
    return soql_deferred(ctx, text, include_deleted, lambda result: _first_batch(ctx, result))


def _first_batch(ctx: Ctx, result: QueryResult) -> Reply:
    records = result.records
    size = batch_size(ctx.headers)
    body: dict[str, Any] = {"totalSize": result.total_size, "done": True}
    if len(records) > size:
        cursors = _cursors(ctx)
        locator = to_18(ctx.tenant.new_id("01g", 12))
        cursors[locator] = {"records": records, "touched": time.monotonic()}
        while len(cursors) > MAX_CURSORS:
            cursors.popitem(last=False)
        body["done"] = False
        body["nextRecordsUrl"] = f"{ctx.prefix}/query/{locator}-{size}"
        records = records[:size]
    body["records"] = records
    return Reply(200, body)


def _more(ctx: Ctx, locator_text: str) -> Reply:
    locator, _, offset_text = locator_text.partition("-")
    cursors = _cursors(ctx)
    cursor = cursors.get(locator)
    try:
        offset = int(offset_text)
    except ValueError:
        cursor = None
        offset = 0
    if cursor is None or offset < 0 or offset > len(cursor["records"]):
        raise E.bad_request(E.INVALID_QUERY_LOCATOR, "invalid query locator")
    cursor["touched"] = time.monotonic()
    cursors.move_to_end(locator)
    size = batch_size(ctx.headers)
    records = cursor["records"]
    batch = records[offset : offset + size]
    body: dict[str, Any] = {"totalSize": len(records), "done": offset + size >= len(records)}
    if not body["done"]:
        body["nextRecordsUrl"] = f"{ctx.prefix}/query/{locator}-{offset + size}"
    else:
        del cursors[locator]
    body["records"] = batch
    return Reply(200, body)
