"""Request handlers of the record service, SuiteQL and governance, HTTP-agnostic.

Each takes a :class:`Req` and returns a :class:`Reply`, so the same handler
serves a synchronous request and, later, an async job (``Prefer:
respond-async``). Facts per operation (Oracle, SuiteTalk REST Web Services):

- create: POST answers 204 with no body and the new record's URL in
  ``Location`` ("Creating a Record Instance");
- get: ``expandSubResources=true`` expands sublists, ``fields=a,b`` limits the
  properties ("Getting a Record Instance"); ``simpleEnumFormat=true`` renders
  enum values as their bare id ("Format of Enumeration Values");
- update: PATCH answers 204; ``replace=item,apply`` replaces those sublists
  instead of merging ("Updating a Record Instance");
- upsert: ``PUT .../{type}/eid:{externalId}`` creates or updates, 204 with
  Location ("Using the Upsert Operation");
- collections: ``limit`` (1-1000, default 1000) and ``offset``, envelope
  ``{links, count, hasMore, items, offset, totalResults}`` with items
  ``{links, id}`` ("Collection Paging"; "Record Collection Filtering" for ``q``);
- SuiteQL: ``POST /services/rest/query/v1/suiteql`` ``{"q": ...}``, same
  envelope ("Executing SuiteQL Queries Through REST Web Services");
- governanceLimits ("GovernanceLimits Operation", article_0625010817).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import orjson

from simulators.erp import filters, mirror, service
from simulators.erp.context import RECORD_PATH, Ctx
from simulators.erp.errors import InvalidContent, InvalidParameter, NetSuiteError, NonexistentId
from simulators.erp.suiteql import MAX_LIMIT, SuiteQLError, paging_envelope


@dataclass
class Req:
    method: str
    params: dict[str, str]  # path parameters
    query: dict[str, str]
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "body": self.body.decode("utf-8"), "headers": self.headers}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reply:
        return cls(
            int(data["status"]), str(data.get("body", "")).encode(), dict(data.get("headers", {}))
        )


def _default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return orjson.Fragment(format(obj, "f"))
    raise TypeError(type(obj).__name__)


def json_reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(
        status,
        orjson.dumps(data, default=_default),
        {"content-type": "application/json", **(headers or {})},
    )


def error_reply(exc: NetSuiteError) -> Reply:
    return Reply(exc.status, exc.render(), {"content-type": "application/json", **exc.headers})


def run(handler: Handler, ctx: Ctx, req: Req) -> Reply:
    """Run a handler, rendering NetSuite errors in NetSuite's envelope."""
    try:
        return handler(ctx, req)
    except NetSuiteError as exc:
        return error_reply(exc)
    except SuiteQLError as exc:
        return json_reply(exc.to_body(), 400)


def parse_body(req: Req) -> Any:
    if not req.body.strip():
        raise InvalidContent("The request body is empty; a JSON object is required.")
    try:
        # Decimal for JSON numbers: amounts stay exact from the wire onwards.
        return json.loads(req.body, parse_float=Decimal)
    except (ValueError, RecursionError):
        raise InvalidContent("The request body is not valid JSON.") from None


def _strict(req: Req) -> bool:
    # X-NetSuite-PropertyNameValidation: Error | Warning | Ignore. The fake's
    # default is Error, so that a misspelt field fails loudly (NetSuite's
    # default is unverified).
    return req.headers.get("x-netsuite-propertynamevalidation", "error").lower() == "error"


def _int_param(req: Req, name: str, default: int, low: int, high: int) -> int:
    raw = req.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameter(f"Invalid value for the '{name}' parameter: {raw}.", name) from None
    if not low <= value <= high:
        raise InvalidParameter(
            f"Invalid value for the '{name}' parameter: {raw}. It must be "
            f"between {low} and {high}.",
            name,
        )
    return value


def _names(raw: str | None) -> set[str]:
    return {part.strip() for part in (raw or "").split(",") if part.strip()}


# -- record service ----------------------------------------------------------
def create_record(ctx: Ctx, req: Req) -> Reply:
    rtype = service.record_type(req.params["type"])
    rec = service.create(ctx, rtype, parse_body(req), strict=_strict(req))
    return Reply(204, b"", {"location": ctx.record_url(rtype.name, rec["id"])})


def get_record(ctx: Ctx, req: Req) -> Reply:
    rtype = service.record_type(req.params["type"])
    rec = service.find(ctx, rtype, req.params["key"])
    expand = req.query.get("expandSubResources", "false").lower() == "true"
    simple_enum = req.query.get("simpleEnumFormat", "false").lower() == "true"
    fields = _names(req.query.get("fields")) or None
    return json_reply(
        service.render(ctx, rtype.kind, rec, expand=expand, fields=fields, simple_enum=simple_enum)
    )


def get_sublist(ctx: Ctx, req: Req) -> Reply:
    rtype = service.record_type(req.params["type"])
    rec = service.find(ctx, rtype, req.params["key"])
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


def update_record(ctx: Ctx, req: Req) -> Reply:
    rtype = service.record_type(req.params["type"])
    old = service.find(ctx, rtype, req.params["key"])
    service.update(
        ctx,
        rtype,
        old,
        parse_body(req),
        replace=_names(req.query.get("replace")),
        strict=_strict(req),
    )
    return Reply(204)


def upsert_record(ctx: Ctx, req: Req) -> Reply:
    rtype = service.record_type(req.params["type"])
    key = req.params["key"]
    if not key.startswith("eid:") or len(key) <= 4:
        # PUT is the upsert by external id only (an internal id is refused;
        # NetSuite's exact wording is unverified).
        raise InvalidParameter(
            "Upsert needs an external id: PUT .../{type}/eid:{externalId}.", "id"
        )
    rec, _created = service.upsert(
        ctx,
        rtype,
        key[4:],
        parse_body(req),
        replace=_names(req.query.get("replace")),
        strict=_strict(req),
    )
    return Reply(204, b"", {"location": ctx.record_url(rtype.name, rec["id"])})


def delete_record(ctx: Ctx, req: Req) -> Reply:
    rtype = service.record_type(req.params["type"])
    rec = service.find(ctx, rtype, req.params["key"])
    service.delete(ctx, rtype, rec)
    return Reply(204)


def list_records(ctx: Ctx, req: Req) -> Reply:
    rtype = service.record_type(req.params["type"])
    limit = _int_param(req, "limit", MAX_LIMIT, 1, MAX_LIMIT)
    offset = _int_param(req, "offset", 0, 0, 10**9)
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
    return json_reply(
        {
            "links": links,
            "count": len(items),
            "hasMore": offset + len(page) < total,
            "items": items,
            "offset": offset,
            "totalResults": total,
        }
    )


# -- SuiteQL and governance ---------------------------------------------------
def suiteql(ctx: Ctx, req: Req) -> Reply:
    body = parse_body(req)
    q = body.get("q") if isinstance(body, dict) else None
    if not isinstance(q, str) or not q.strip():
        raise InvalidContent('The request body must be {"q": "SELECT ..."}.', "q")
    limit = _int_param(req, "limit", MAX_LIMIT, 1, MAX_LIMIT)
    offset = _int_param(req, "offset", 0, 0, 10**9)
    page = mirror.engine_for(ctx.tenant).query(q, limit=limit, offset=offset)
    return json_reply(
        paging_envelope(ctx.url("/services/rest/query/v1/suiteql"), page, limit, offset)
    )


def governance_limits(ctx: Ctx, req: Req) -> Reply:
    from simulators.erp.vendor import NetSuiteVendor

    vendor = ctx.sim.vendor
    assert isinstance(vendor, NetSuiteVendor)
    return json_reply(vendor.governance(ctx.sim))


Handler = Callable[[Ctx, Req], Reply]
HANDLERS: dict[str, Handler] = {
    "create": create_record,
    "get": get_record,
    "sublist": get_sublist,
    "update": update_record,
    "upsert": upsert_record,
    "delete": delete_record,
    "list": list_records,
    "suiteql": suiteql,
    "governance": governance_limits,
}
