"""The CRM's part of the control plane, under ``/_sim/crm/``.

* ``GET /_sim/crm/events?tenant=&replayId=`` pulls retained change events (see cdc.py).
* ``GET|PUT /_sim/crm/limits?tenant=`` reads or sets the daily API allocation.
* ``POST /_sim/crm/fields?tenant=`` declares a custom field (persisted in the org's store).
* ``POST /_sim/crm/undelete?tenant=`` restores records from the recycle bin (Salesforce
  undeletes through SOAP/Apex, which fintwin does not serve); each produces an UNDELETE
  change event.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from simulators.crm import errors as E
from simulators.crm import records as R
from simulators.crm.cdc import read
from simulators.crm.ids import normalise
from simulators.crm.limits import allocation, limits_body, used
from simulators.crm.org import CUSTOM_FIELDS, DECLARED_AT, declare, forget, org_of
from simulators.crm.schema import FieldType
from simulators.crm.wire import dumps
from simulators.engine.control import ControlError, body_json, jsonr, sim_of, tenant_of


def _int(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ControlError(400, f"'{name}' must be an integer", name) from None


async def events(request: Request) -> Response:
    tenant = tenant_of(request)
    try:
        found = read(
            tenant,
            _int(request, "replayId", -2),
            max(1, min(_int(request, "limit", 1000), 10_000)),
            request.query_params.get("entity") or None,
        )
    except E.SfError as exc:
        raise ControlError(400, exc.message, "replayId") from None
    return Response(_dump({"events": found}), media_type="application/json")


def _dump(data: Any) -> bytes:
    return dumps(data)


async def get_limits(request: Request) -> Response:
    sim = sim_of(request)
    tenant = tenant_of(request)
    return jsonr(
        {
            "daily_api_requests": allocation(sim, tenant),
            "used": used(tenant),
            "limits": limits_body(sim, tenant),
        }
    )


async def put_limits(request: Request) -> Response:
    sim = sim_of(request)
    tenant = tenant_of(request)
    data = await body_json(request)
    if not isinstance(data, dict):
        raise ControlError(400, "Body must be an object", "body")
    if "daily_api_requests" in data:
        value = data["daily_api_requests"]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ControlError(
                400, "'daily_api_requests' must be a non-negative integer", "daily_api_requests"
            )
        tenant.meta["daily_api_requests"] = value
    if data.get("reset_usage") is True:
        tenant.meta.pop("api_usage", None)
    sim.persist_header(tenant)
    return jsonr({"daily_api_requests": allocation(sim, tenant), "used": used(tenant)})


async def add_field(request: Request) -> Response:
    sim = sim_of(request)
    tenant = tenant_of(request)
    data = await body_json(request)
    if not isinstance(data, dict):
        raise ControlError(400, "Body must be an object", "body")
    spec = {
        k: data.get(k)
        for k in (
            "sobject",
            "name",
            "type",
            "length",
            "externalId",
            "unique",
            "picklistValues",
            "required",
            "label",
        )
    }
    for key in ("sobject", "name", "type"):
        if not isinstance(spec[key], str):
            raise ControlError(400, f"'{key}' is required (a string)", key)
    org = org_of(tenant)
    try:
        FieldType(str(spec["type"]))
        if org.schema.find_object(str(spec["sobject"])) is None:
            raise ValueError(f"no such sObject: {spec['sobject']}")
        spec["sobject"] = org.schema.object(str(spec["sobject"])).name
        declare(org.schema, spec)
    except (ValueError, LookupError, TypeError) as exc:
        raise ControlError(400, str(exc), "name") from None
    tenant.store.put(CUSTOM_FIELDS, {"id": f"{spec['sobject']}.{spec['name']}", **spec,
                                     DECLARED_AT: tenant.clock.now()})
    # Rebuild the org so that the source's indexes know the new field.
    forget(tenant)
    org_of(tenant)
    sim.persist_header(tenant)
    return jsonr({"declared": f"{spec['sobject']}.{spec['name']}"}, 201)


async def undelete(request: Request) -> Response:
    sim = sim_of(request)
    tenant = tenant_of(request)
    data = await body_json(request)
    ids = data.get("ids") if isinstance(data, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ControlError(400, "'ids' must be a list of record ids", "ids")
    org = org_of(tenant)
    txn = R.begin(sim, tenant)
    results = []
    for raw in ids:
        canonical = normalise(raw)
        obj = org.schema.object_for_id(canonical) if canonical else None
        record = R.find(org, obj.name, raw) if obj is not None else None
        if obj is None or record is None:
            results.append(
                {
                    "id": raw,
                    "success": False,
                    "errors": [
                        {
                            "statusCode": E.INVALID_CROSS_REFERENCE_KEY,
                            "message": "invalid record id",
                        }
                    ],
                }
            )
            continue
        point = txn.savepoint()
        try:
            R.undelete(txn, obj, record)
        except E.SfError as exc:
            txn.rollback(point)
            results.append(
                {
                    "id": raw,
                    "success": False,
                    "errors": [{"statusCode": exc.code, "message": exc.message}],
                }
            )
            continue
        results.append({"id": record["Id"], "success": True, "errors": []})
    txn.commit()
    sim.persist_header(tenant)
    return jsonr({"results": results})


def routes() -> list[BaseRoute]:
    return [
        Route("/_sim/crm/events", events, methods=["GET"]),
        Route("/_sim/crm/limits", get_limits, methods=["GET"]),
        Route("/_sim/crm/limits", put_limits, methods=["PUT"]),
        Route("/_sim/crm/fields", add_field, methods=["POST"]),
        Route("/_sim/crm/undelete", undelete, methods=["POST"]),
    ]
