"""The REST record service (Oracle, SuiteTalk REST Web Services):

- create: POST answers 204 with no body and the new record's URL in ``Location``
  ("Creating a Record Instance");
- get: ``expandSubResources=true`` expands sublists, ``fields=a,b`` limits the
  properties ("Getting a Record Instance"); ``simpleEnumFormat=true`` renders
  enum values as their bare id ("Format of Enumeration Values");
- update: PATCH answers 204; ``replace=item,apply`` replaces those sublists
  instead of merging ("Updating a Record Instance");
- upsert: ``PUT .../{type}/eid:{externalId}`` creates or updates, 204 with
  Location ("Using the Upsert Operation");
- collections: ``limit`` (1-1000, default 1000) and ``offset``, envelope
  ``{links, count, hasMore, items, offset, totalResults}`` with items
  ``{links, id}`` ("Collection Paging"; "Record Collection Filtering" for ``q``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from simulators.engine.openapi import json_response
from simulators.engine.operation import Operations
from simulators.engine.params import Str
from simulators.engine.service_time import ServiceTime
from simulators.erp import filters, service
from simulators.erp import service_times as took
from simulators.erp.context import RECORD_PATH, Ctx
from simulators.erp.errors import InvalidParameter, NonexistentId
from simulators.erp.openapi import COLLECTION, no_content
from simulators.erp.params import (
    EXPAND,
    IDEMPOTENCY_KEY,
    NAME_VALIDATION,
    NAMES,
    PAGING,
    PREFER,
    SIMPLE_ENUM,
)
from simulators.erp.records import TYPES
from simulators.erp.suiteql import MAX_LIMIT
from simulators.erp.wire import Reply, Req, json_reply, parse_body

TYPE = Str(min_length=1, known=tuple(sorted({t.name for t in TYPES})), description="Record type")
KEY = Str(min_length=1, description="An internal id, or eid:<externalId>")
ONE = {"type": TYPE, "id": KEY}
READ = {"Prefer": PREFER}
ASYNC = {"Prefer": PREFER, "X-NetSuite-Idempotency-Key": IDEMPOTENCY_KEY}
WRITE = {**ASYNC, "X-NetSuite-PropertyNameValidation": NAME_VALIDATION}
BODY: dict[str, Any] = {"type": "object"}
ops = Operations(tags=("record service",), path_params={"type": TYPE})


def _extra(service_time: ServiceTime) -> dict[str, Any]:
    """Every record operation may run as an async job; each has its service time."""
    return {"respond_async": True, "service_time": service_time}
RECORD = f"{RECORD_PATH}/{{type}}"
ITEM = f"{RECORD}/{{id}}"


def _strict(req: Req) -> bool:
    # X-NetSuite-PropertyNameValidation: Error | Warning | Ignore. The fake's
    # default is Error, so that a misspelt field fails loudly (NetSuite's
    # default is unverified).
    return req.headers.get("x-netsuite-propertynamevalidation", "error").lower() == "error"


@ops.operation(method="GET", path=RECORD, id="listRecords",
               summary="List records (limit, offset, q)",
               query={**PAGING, "q": Str(description="Record Collection Filtering")},
               headers=READ,
               responses={"200": json_response("Collection", COLLECTION)},
               extra=_extra(took.LIST))
def list_records(ctx: Ctx, req: Req) -> Reply:
    """Internal-id order; ``q`` filters with NetSuite's operators
    (``companyName START_WITH "Acme" AND isInactive IS false``)."""
    rtype = service.record_type(req.params["type"])
    limit = req.query.get("limit", MAX_LIMIT)
    offset = req.query.get("offset", 0)
    recs = service.listing(ctx, rtype)
    q = req.query.get("q")
    if q:
        keep = filters.compile_filter(rtype, q)
        recs = [r for r in recs if keep(r)]
    page = recs[offset : offset + limit]
    base = ctx.url(f"{RECORD_PATH}/{rtype.name}")
    extra = {"q": q} if q else {}

    def href(at: int) -> str:
        return f"{base}?{urlencode({**extra, 'limit': limit, 'offset': at})}"

    total = len(recs)
    links = []
    if offset > 0:
        links.append({"rel": "previous", "href": href(max(offset - limit, 0))})
        links.append({"rel": "first", "href": href(0)})
    if offset + len(page) < total:
        links.append({"rel": "next", "href": href(offset + limit)})
    if total:
        links.append({"rel": "last", "href": href(((total - 1) // limit) * limit)})
    links.append({"rel": "self", "href": href(offset)})
    items = [
        {"links": [{"rel": "self", "href": ctx.record_url(rtype.name, r["id"])}], "id": r["id"]}
        for r in page
    ]
    return json_reply({"links": links, "count": len(items),
                       "hasMore": offset + len(page) < total, "items": items, "offset": offset,
                       "totalResults": total})


@ops.operation(method="POST", path=RECORD, id="createRecord",
               summary="Create a record: 204 and Location", headers=WRITE, body=BODY,
               responses={"204": no_content("Created")},
               extra=_extra(took.WRITE))
def create_record(ctx: Ctx, req: Req) -> Reply:
    rtype = service.record_type(req.params["type"])
    rec = service.create(ctx, rtype, parse_body(req), strict=_strict(req))
    return Reply(204, b"", {"location": ctx.record_url(rtype.name, rec["id"])})


@ops.operation(method="GET", path=ITEM, id="getRecord",
               summary="Get a record by internal id or eid:externalId", path_params=ONE,
               query={"expandSubResources": EXPAND, "simpleEnumFormat": SIMPLE_ENUM,
                      "fields": NAMES},
               headers=READ, responses={"200": json_response("Record")},
               extra=_extra(took.READ))
def get_record(ctx: Ctx, req: Req) -> Reply:
    rtype = service.record_type(req.params["type"])
    rec = service.find(ctx, rtype, req.params["id"])
    fields = set(req.query.get("fields") or ()) or None
    return json_reply(service.render(ctx, rtype.kind, rec,
                                     expand=req.query.get("expandSubResources", False),
                                     fields=fields,
                                     simple_enum=req.query.get("simpleEnumFormat", False)))


@ops.operation(method="PATCH", path=ITEM, id="updateRecord",
               summary="Update a record (replace=sublists)", path_params=ONE,
               query={"replace": NAMES}, headers=WRITE, body=BODY,
               responses={"204": {"description": "Updated"}},
               extra=_extra(took.WRITE))
def update_record(ctx: Ctx, req: Req) -> Reply:
    """Sublists merge line by line unless ``replace`` names them."""
    rtype = service.record_type(req.params["type"])
    old = service.find(ctx, rtype, req.params["id"])
    service.update(ctx, rtype, old, parse_body(req), replace=set(req.query.get("replace") or ()),
                   strict=_strict(req))
    return Reply(204)


@ops.operation(method="PUT", path=ITEM, id="upsertRecord",
               summary="Upsert by external id: PUT .../eid:{externalId}", path_params=ONE,
               query={"replace": NAMES}, headers=WRITE, body=BODY,
               responses={"204": no_content("Created or updated")},
               extra=_extra(took.WRITE))
def upsert_record(ctx: Ctx, req: Req) -> Reply:
    rtype = service.record_type(req.params["type"])
    key = req.params["id"]
    if not key.startswith("eid:") or len(key) <= 4:
        # PUT is the upsert by external id only (an internal id is refused;
        # NetSuite's exact wording is unverified).
        raise InvalidParameter(
            "Upsert needs an external id: PUT .../{type}/eid:{externalId}.", "id"
        )
    rec, _created = service.upsert(ctx, rtype, key[4:], parse_body(req),
                                   replace=set(req.query.get("replace") or ()),
                                   strict=_strict(req))
    return Reply(204, b"", {"location": ctx.record_url(rtype.name, rec["id"])})


@ops.operation(method="DELETE", path=ITEM, id="deleteRecord", summary="Delete a record",
               path_params=ONE, headers=ASYNC, responses={"204": {"description": "Deleted"}},
               extra=_extra(took.DELETE))
def delete_record(ctx: Ctx, req: Req) -> Reply:
    rtype = service.record_type(req.params["type"])
    rec = service.find(ctx, rtype, req.params["id"])
    service.delete(ctx, rtype, rec)
    return Reply(204)


@ops.operation(method="GET", path=f"{ITEM}/{{sublist}}", id="getSublist",
               summary="A record's sublist",
               path_params={**ONE, "sublist": Str(min_length=1)}, headers=READ,
               responses={"200": json_response("Sublist", COLLECTION)},
               extra=_extra(took.READ))
def get_sublist(ctx: Ctx, req: Req) -> Reply:
    rtype = service.record_type(req.params["type"])
    rec = service.find(ctx, rtype, req.params["id"])
    name = req.params["sublist"]
    if rtype.sublist(name) is None:
        raise NonexistentId(f"The sublist {name} does not exist on {rtype.name}.")
    rendered = service.render(ctx, rtype.kind, rec, expand=True, fields={name})
    found = rendered.get(name) or {
        "links": [],
        "items": [],
        "totalResults": 0,
        "count": 0,
        "hasMore": False,
        "offset": 0,
    }
    return json_reply(found)
