"""Control-plane extras under ``/_sim/erp/``: clients and keys, subsidiaries,
period close/lock, seed data and the trial balance (for oracles)."""

from __future__ import annotations

import copy
import hmac
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from simulators.engine.control import ControlError, body_json, jsonr, sim_of, tenant_of
from simulators.engine.openapi import Operation, json_body, json_response, path_param, query_param
from simulators.erp import auth, mirror, service, setup
from simulators.erp.context import Ctx
from simulators.erp.errors import NetSuiteError
from simulators.erp.records import WritePlan


def _ctx(request: Request) -> Ctx:
    sim = sim_of(request)
    return Ctx(sim, tenant_of(request), sim.settings.base_url)


async def _object(request: Request) -> dict[str, Any]:
    data = await body_json(request)
    if not isinstance(data, dict):
        raise ControlError(400, "Body must be an object", "body")
    return data


def _str(data: dict[str, Any], name: str, required: bool = True) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise ControlError(400, f"'{name}' must be a non-empty string", name)
    return value


async def register_client(request: Request) -> Response:
    sim = sim_of(request)
    tenant = tenant_of(request)
    data = await _object(request)
    client_id = _str(data, "client_id")
    assert client_id is not None
    secret = _str(data, "client_secret", required=False)
    key = _str(data, "public_key", required=False)
    kid = _str(data, "kid", required=False)
    if secret is None and key is None:
        raise ControlError(400, "Give 'client_secret' or 'public_key' (PEM)", "client_secret")
    existing = auth.clients(sim).get(client_id)
    if existing is not None and not sim.settings.admin_token:
        # Without an admin token anyone can call this: a registered client is changed
        # (a new secret, another key) only by whoever knows its secret (issue 18: a
        # client of another account could be re-registered and its tokens taken).
        known = existing.get("secret")
        if known is None or secret is None or not hmac.compare_digest(
                str(known).encode(), secret.encode()):
            raise ControlError(409, f"Client {client_id} is registered; changing it needs "
                               "its current client_secret or the fake's admin token",
                               "client_secret")
    try:
        entry = auth.register(sim, tenant.id, client_id, secret=secret, kid=kid, public_key=key)
    except ValueError as exc:
        raise ControlError(400, str(exc), "public_key" if key else "client_id") from exc
    return jsonr(
        {
            "client_id": client_id,
            "account": entry["account"],
            "kids": sorted(entry.get("keys", {})),
        },
        201,
    )


async def list_clients(request: Request) -> Response:
    sim = sim_of(request)
    return jsonr(
        {
            "data": [
                {
                    "client_id": cid,
                    "account": e["account"],
                    "kids": sorted(e.get("keys", {})),
                    "has_secret": e.get("secret") is not None,
                }
                for cid, e in auth.clients(sim).items()
            ]
        }
    )


def _netsuite(exc: NetSuiteError) -> Response:
    return jsonr(exc.body(), exc.status)


async def add_subsidiary(request: Request) -> Response:
    """``{name, currency, country, parent?}``: a subsidiary with its own base currency
    (a symbol such as ``"EUR"`` or a currency id), an ISO 3166-1 alpha-2 country
    (``"FR"``) and, by default, the parent subsidiary as its parent; it gets an
    operating bank account in its currency (see :func:`setup.add_subsidiary`)."""
    ctx = _ctx(request)
    data = await _object(request)
    unknown = sorted(set(data) - {"name", "currency", "country", "parent"})
    if unknown:
        raise ControlError(400, f"Unknown property: {unknown[0]}", unknown[0])
    name = _str(data, "name")
    assert name is not None
    currency = data.get("currency")
    if isinstance(currency, dict):
        currency = currency.get("id")
    if not isinstance(currency, str) or not currency:
        raise ControlError(400, "'currency' must be a currency symbol or id", "currency")
    if currency.isdigit():
        currency_id = currency
    else:
        found = [c for c in ctx.store.all("currency") if c["symbol"] == currency.upper()]
        if not found:
            raise ControlError(400, f"No currency with the symbol {currency}", "currency")
        currency_id = found[0]["id"]
    country = data.get("country")
    if not isinstance(country, str | dict):
        raise ControlError(400, "'country' must be an ISO 3166-1 alpha-2 code", "country")
    parent = data.get("parent", "1")
    if isinstance(parent, dict):
        parent = parent.get("id")
    if parent is not None and not isinstance(parent, str | int):
        raise ControlError(400, "'parent' must be a subsidiary id or null", "parent")
    try:
        rec = setup.add_subsidiary(
            ctx, name, currency_id, country, None if parent is None else str(parent)
        )
    except NetSuiteError as exc:
        return _netsuite(exc)
    return jsonr(service.render(ctx, "subsidiary", rec), 201)


async def remove_subsidiary(request: Request) -> Response:
    ctx = _ctx(request)
    sub_id = request.path_params["sub_id"]
    try:
        setup.remove_subsidiary(ctx, sub_id)
    except NetSuiteError as exc:
        return _netsuite(exc)
    return jsonr({"deleted": sub_id})


_PERIOD_ACTIONS = {
    "close": {"closed": True},
    "reopen": {"closed": False, "allLocked": False, "arLocked": False},
    "unlock": {"allLocked": False, "arLocked": False},
}


async def period_action(request: Request) -> Response:
    ctx = _ctx(request)
    action = request.path_params["action"]
    if action == "lock":
        data = await _object(request)
        scope = data.get("scope", "all")
        if scope not in ("all", "ar"):
            raise ControlError(400, "'scope' is 'all' or 'ar'", "scope")
        changes: dict[str, Any] = {"allLocked": True} if scope == "all" else {"arLocked": True}
    elif action in _PERIOD_ACTIONS:
        changes = _PERIOD_ACTIONS[action]
    else:
        raise ControlError(404, f"Unknown period action: {action}", "action")
    found = ctx.get("accountingperiod", request.path_params["period_id"])
    if found is None:
        raise ControlError(404, "No such accounting period", "period_id")
    rec = copy.deepcopy(found)
    rec.update(changes)
    rec["lastModifiedDate"] = ctx.timestamp()
    plan = WritePlan()
    plan.put("accountingperiod", rec)
    plan.commit(ctx)
    return jsonr(service.render(ctx, "accountingperiod", rec))


async def add_year(request: Request) -> Response:
    ctx = _ctx(request)
    data = await _object(request)
    year = data.get("year")
    if not isinstance(year, int) or not 1900 <= year <= 2999:
        raise ControlError(400, "'year' must be an integer year", "year")
    if any(p["periodName"] == f"FY {year}" for p in ctx.store.all("accountingperiod")):
        raise ControlError(409, f"Periods of {year} exist already", "year")
    setup.install_year(ctx, year)
    return jsonr({"year": year}, 201)


async def seed(request: Request) -> Response:
    """Create records through the record layer: ``{"records": [{"type", "body"}],
    "customers": n}`` (n simple customers in the parent subsidiary)."""
    ctx = _ctx(request)
    data = await _object(request)
    records = data.get("records", [])
    count = data.get("customers", 0)
    if not isinstance(records, list) or not isinstance(count, int) or not 0 <= count <= 10_000:
        raise ControlError(
            400, "'records' must be a list and 'customers' an integer 0..10000", "records"
        )
    created: list[dict[str, str]] = []
    try:
        for index, entry in enumerate(records):
            if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
                raise ControlError(400, f"records[{index}] needs 'type' and 'body'", "records")
            rtype = service.record_type(entry["type"])
            rec = service.create(ctx, rtype, entry.get("body", {}))
            created.append({"type": rtype.name, "id": rec["id"]})
        ctype = service.record_type("customer")
        start = ctx.store.count("customer")
        for n in range(count):
            rec = service.create(
                ctx,
                ctype,
                {"companyName": f"Seed Customer {start + n + 1}", "subsidiary": {"id": "1"}},
            )
            created.append({"type": "customer", "id": rec["id"]})
    except NetSuiteError as exc:
        return jsonr({**exc.body(), "created": created}, exc.status)
    return jsonr({"created": created}, 201)


TRIAL_BALANCE = (
    "SELECT tl.subsidiary AS subsidiary, tal.account AS account, SUM(tal.debit) AS debit, "
    "SUM(tal.credit) AS credit, SUM(tal.amount) AS balance "
    "FROM transactionAccountingLine tal JOIN transactionLine tl "
    "ON tl.transaction = tal.transaction AND tl.id = tal.transactionline "
    "GROUP BY tl.subsidiary, tal.account ORDER BY tl.subsidiary, tal.account"
)


async def trial_balance(request: Request) -> Response:
    ctx = _ctx(request)
    engine = mirror.engine_for(ctx.tenant)
    rows: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = engine.query(TRIAL_BALANCE, limit=1000, offset=offset)
        rows.extend({k: v for k, v in item.items() if k != "links"} for item in page.items)
        if not page.has_more:
            break
        offset += 1000
    totals: dict[str, str] = {}
    for row in rows:
        from decimal import Decimal

        sub = row["subsidiary"]
        totals[sub] = str(Decimal(totals.get(sub, "0")) + Decimal(row.get("balance", "0")))
    return jsonr({"lines": rows, "by_subsidiary": totals})


def control_routes() -> list[BaseRoute]:
    return [
        Route("/_sim/erp/clients", register_client, methods=["POST"]),
        Route("/_sim/erp/clients", list_clients, methods=["GET"]),
        Route("/_sim/erp/subsidiaries", add_subsidiary, methods=["POST"]),
        Route("/_sim/erp/subsidiaries/{sub_id}", remove_subsidiary, methods=["DELETE"]),
        Route("/_sim/erp/periods/year", add_year, methods=["POST"]),
        Route("/_sim/erp/periods/{period_id}/{action}", period_action, methods=["POST"]),
        Route("/_sim/erp/seed", seed, methods=["POST"]),
        Route("/_sim/erp/trial-balance", trial_balance, methods=["GET"]),
    ]


_TENANT = query_param(
    "tenant", {"type": "string", "minLength": 1}, True, "Account id, or a client id of the account"
)


def _op(
    method: str,
    path: str,
    oid: str,
    summary: str,
    *,
    ok: str = "200",
    body: dict[str, Any] | None = None,
    params: list[dict[str, Any]] | None = None,
    tenant: bool = True,
) -> Operation:
    responses = {
        ok: json_response("OK"),
        "400": json_response("Bad request"),
        "401": json_response("Admin token missing or wrong"),
        "404": json_response("Not found"),
        "409": json_response("Conflict"),
    }
    return Operation(
        method,
        path,
        oid,
        summary,
        ("control plane",),
        ([_TENANT] if tenant else []) + (params or []),
        None if body is None else json_body(body, required=False),
        responses,
        security=[{"simAdminToken": []}],
    )


def control_operations() -> list[Operation]:
    ref = {"type": "object", "properties": {"id": {"type": "string"}}}
    return [
        _op(
            "POST",
            "/_sim/erp/clients",
            "simErpRegisterClient",
            "Register a client id (secret, or a JWT public key / certificate with its kid)",
            ok="201",
            body={
                "type": "object",
                "required": ["client_id"],
                "properties": {
                    "client_id": {"type": "string"},
                    "client_secret": {"type": "string"},
                    "kid": {"type": "string"},
                    "public_key": {"type": "string"},
                },
            },
        ),
        _op("GET", "/_sim/erp/clients", "simErpClients", "Registered clients", tenant=False),
        _op(
            "POST",
            "/_sim/erp/subsidiaries",
            "simErpAddSubsidiary",
            "Add a subsidiary: currency by symbol or id, ISO 3166-1 alpha-2 country, parent "
            "(default the parent subsidiary, 1); it gets an operating bank account",
            ok="201",
            body={
                "type": "object",
                "required": ["name", "currency", "country"],
                "properties": {
                    "name": {"type": "string"},
                    "currency": {"oneOf": [{"type": "string"}, ref]},
                    "parent": {"oneOf": [{"type": "string"}, ref]},
                    "country": {"oneOf": [{"type": "string"}, ref]},
                },
            },
        ),
        _op(
            "DELETE",
            "/_sim/erp/subsidiaries/{sub_id}",
            "simErpRemoveSubsidiary",
            "Remove a subsidiary (and its own unused accounts) without other dependent records",
            params=[path_param("sub_id")],
        ),
        _op(
            "POST",
            "/_sim/erp/periods/year",
            "simErpAddYear",
            "Add the accounting periods of a year",
            ok="201",
            body={"type": "object", "properties": {"year": {"type": "integer"}}},
        ),
        _op(
            "POST",
            "/_sim/erp/periods/{period_id}/{action}",
            "simErpPeriodAction",
            "Close, reopen, lock (scope all|ar) or unlock an accounting period",
            params=[
                path_param("period_id"),
                {
                    "name": "action",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "enum": ["close", "reopen", "lock", "unlock"]},
                },
            ],
            body={
                "type": "object",
                "properties": {"scope": {"type": "string", "enum": ["all", "ar"]}},
            },
        ),
        _op(
            "POST",
            "/_sim/erp/seed",
            "simErpSeed",
            "Create records through the record layer",
            ok="201",
            body={
                "type": "object",
                "properties": {
                    "records": {"type": "array", "items": {"type": "object"}},
                    "customers": {"type": "integer", "minimum": 0, "maximum": 10000},
                },
            },
        ),
        _op(
            "GET",
            "/_sim/erp/trial-balance",
            "simErpTrialBalance",
            "Trial balance by subsidiary and account (from the general ledger)",
        ),
    ]
