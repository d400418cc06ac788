"""The Search API: ``GET /v1/{customers,subscriptions,invoices,charges,payment_intents,
prices,products}/search`` (Stripe API reference, "Search"; the query language is
``billing.search``). Results are newest first, ``limit`` 1-100 (default 10); the
``next_page`` token of a page fetches the next with ``page``."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from simulators.billing import search
from simulators.billing.context import Ctx
from simulators.billing.errors import InvalidRequest
from simulators.billing.params import EXPAND, Int, Param, Str
from simulators.billing.render import expand, render
from simulators.engine.operation import Operations

ops = Operations(tags=("Search",))

SEARCH_PARAMS: dict[str, Param] = {
    "query": Str(required=True, max_length=5000), "limit": Int(minimum=1, maximum=100),
    "page": Str(max_length=5000), "expand": EXPAND}
RESOURCES = (("customers", "customer"), ("subscriptions", "subscription"),
             ("invoices", "invoice"), ("charges", "charge"),
             ("payment_intents", "payment_intent"), ("prices", "price"),
             ("products", "product"))


def _token(query: str, offset: int) -> str:
    tag = hashlib.sha256(query.encode()).hexdigest()[:8]
    return base64.urlsafe_b64encode(f"{offset}:{tag}".encode()).decode().rstrip("=")


def _offset(query: str, page: str | None) -> int:
    if page is None:
        return 0
    try:
        raw = base64.urlsafe_b64decode(page + "=" * (-len(page) % 4)).decode()
        offset, tag = raw.split(":")
        if _token(query, int(offset)) == page and tag:
            return int(offset)
    except ValueError:
        pass
    raise InvalidRequest("Invalid page: the page token does not belong to this query.",
                         param="page")


def run_search(ctx: Ctx, kind: str, url: str, p: dict[str, Any]) -> dict[str, Any]:
    joiner, clauses = search.parse(p["query"], kind)
    limit = p.get("limit") or 10
    start = _offset(p["query"], p.get("page"))
    hits = [rec for rec in ctx.store.collection(kind).newest_first(None, None)
            if not rec.get("deleted") and search.matches(rec, joiner, clauses)]
    page = hits[start:start + limit]
    more = start + limit < len(hits)
    out = {"object": "search_result", "data": [render(ctx, kind, r) for r in page],
           "has_more": more, "next_page": _token(p["query"], start + limit) if more else None,
           "url": url}
    return expand(ctx, out, p.get("expand") or [], in_list=True)


def _register(plural: str, kind: str) -> None:
    url = f"/v1/{plural}/search"
    name = "".join(w.capitalize() for w in plural.split("_"))

    @ops.operation(method="GET", path=url, id=f"Get{name}Search", summary=f"Search {plural}",
                   params=SEARCH_PARAMS)
    def search_kind(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
        return run_search(ctx, kind, url, p)

    search_kind.__doc__ = (f"Fields: {', '.join(sorted(search.FIELDS[kind]))} "
                           "(``metadata['key']`` for metadata).")


for _plural, _kind in RESOURCES:
    _register(_plural, _kind)
