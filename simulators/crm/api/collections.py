"""sObject Collections (REST API Developer Guide, "sObject Collections"): up to 200
records per create, update, upsert or delete, answering a list of ``{id, success,
errors}`` whose errors carry ``statusCode`` (not ``errorCode``). With ``allOrNone``
nothing is saved if any record fails, and the records that were fine report
ALL_OR_NONE_OPERATION_ROLLED_BACK."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simulators.crm import errors as E
from simulators.crm import records as R
from simulators.crm.api.composite import all_or_none_flag, not_nested
from simulators.crm.api.sobjects import external_field, upsert
from simulators.crm.context import Ctx, Reply, Req
from simulators.crm.ids import normalise
from simulators.crm.openapi import COLLECTION_BODY
from simulators.crm.params import NAME, SOBJECT, VERSION, D
from simulators.crm.render import field_list, render, saved
from simulators.engine.openapi import json_response
from simulators.engine.operation import Operations
from simulators.engine.params import CommaList, Flag, Str

# sObject Collections came with API version 42.0: an older version answers 404 NOT_FOUND
# (REST API Developer Guide, "sObject Collections": "available in API version 42.0 and
# later").
ops = Operations(tags=("composite",), path_params={"version": VERSION},
                 responses={"200": json_response("Results", {"type": "array"})},
                 extra={"since": 42.0})
MAX_COLLECTION = 200
MAX_IDS = 2000
_ROLLED_BACK = (
    "Record rolled back because not all records were valid and the request was "
    "using AllOrNone header"
)
COLLECTION = f"{D}/composite/sobjects"
IDS = CommaList(max_items=MAX_IDS, description="Comma-separated record ids")


def _result_error(exc: E.SfError) -> dict[str, Any]:
    return {"statusCode": exc.code, "message": exc.message, "fields": exc.fields or []}


def _failed(exc: E.SfError) -> dict[str, Any]:
    return {"success": False, "errors": [_result_error(exc)]}


def _records(req: Req) -> tuple[list[Any], bool]:
    payload = req.body()
    if not isinstance(payload, dict) or not isinstance(payload.get("records"), list):
        raise E.bad_request(
            E.JSON_PARSER_ERROR,
            "The request body must be an object with records, a list of records",
            ["records"],
        )
    return payload["records"], all_or_none_flag(payload)


@ops.operation(method="POST", path=COLLECTION, id="collectionCreate",
               summary="Create up to 200 records", body=COLLECTION_BODY)
def create_records(ctx: Ctx, req: Req) -> Reply:
    """Each record names its type in ``attributes.type``."""
    not_nested(ctx)
    records, all_or_none = _records(req)
    return _batch(ctx, records, all_or_none, _create_one)


@ops.operation(method="PATCH", path=COLLECTION, id="collectionUpdate",
               summary="Update up to 200 records", body=COLLECTION_BODY)
def update_records(ctx: Ctx, req: Req) -> Reply:
    not_nested(ctx)
    records, all_or_none = _records(req)
    return _batch(ctx, records, all_or_none, _update_one)


@ops.operation(method="DELETE", path=COLLECTION, id="collectionDelete",
               summary="Delete up to 200 records",
               query={"ids": IDS, "allOrNone": Flag()})
def delete_records(ctx: Ctx, req: Req) -> Reply:
    not_nested(ctx)
    return _batch(ctx, req.query.get("ids") or [], req.query.get("allOrNone", False),
                  _delete_one)


@ops.operation(method="GET", path=f"{COLLECTION}/{{sobject}}", id="collectionRetrieve",
               summary="Get records by ids",
               path_params={"version": VERSION, "sobject": SOBJECT},
               query={"ids": IDS, "fields": Str(description="Comma-separated field names")},
               responses={"200": json_response("Records", {"type": "array"})})
def retrieve_records(ctx: Ctx, req: Req) -> Reply:
    """Up to 2,000 ids; an id with no live record answers null in its place."""
    not_nested(ctx)
    obj = _collection_object(ctx, req)
    return _retrieve(ctx, obj, req.query.get("ids") or [],
                     field_list(obj, req.query.get("fields")))


@ops.operation(method="POST", path=f"{COLLECTION}/{{sobject}}", id="collectionRetrieveByPost",
               summary="Get records by ids (ids and fields in the body)",
               path_params={"version": VERSION, "sobject": SOBJECT},
               body={"type": "object", "properties": {
                   "ids": {"type": "array", "items": {"type": "string"}},
                   "fields": {"type": "array", "items": {"type": "string"}}}},
               responses={"200": json_response("Records", {"type": "array"})})
def retrieve_records_by_post(ctx: Ctx, req: Req) -> Reply:
    not_nested(ctx)
    obj = _collection_object(ctx, req)
    payload = req.body()
    if not isinstance(payload, dict):
        raise E.bad_request(E.JSON_PARSER_ERROR, "Body must be an object with ids and fields")
    ids = [str(i) for i in payload.get("ids") or []]
    names = field_list(obj, ",".join(str(f) for f in payload.get("fields") or []))
    return _retrieve(ctx, obj, ids, names)


def _collection_object(ctx: Ctx, req: Req) -> Any:
    obj = ctx.org.schema.find_object(req.path["sobject"])
    if obj is None:
        raise E.not_found()
    return obj


def _retrieve(ctx: Ctx, obj: Any, ids: list[str], names: list[str] | None) -> Reply:
    if not ids or names is None:
        raise E.bad_request("MISSING_ARGUMENT", "ids and fields are required")
    if len(ids) > MAX_IDS:
        raise E.bad_request("EXCEEDED_ID_LIMIT", f"Too many ids: at most {MAX_IDS}")
    found = [R.live(ctx.org, obj.name, i) for i in ids]
    return Reply(200, [None if r is None else render(ctx, obj, r, names) for r in found])


@ops.operation(method="PATCH", path=f"{COLLECTION}/{{sobject}}/{{field}}",
               id="collectionUpsert", summary="Upsert up to 200 records by external id",
               path_params={"version": VERSION, "sobject": SOBJECT, "field": NAME},
               body=COLLECTION_BODY)
def upsert_records(ctx: Ctx, req: Req) -> Reply:
    """Each record carries its external id value in the ``field`` the URL names."""
    not_nested(ctx)
    obj = _collection_object(ctx, req)
    records, all_or_none = _records(req)
    field_name = external_field(obj, req.path["field"])

    def upsert_one(ctx: Ctx, txn: R.Txn, item: Any) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise E.bad_request(E.JSON_PARSER_ERROR, "Each record must be an object")
        value = item.get(field_name)
        if value is None:
            raise E.required_missing([field_name])
        fields = {k: v for k, v in item.items() if k != field_name}
        reply = upsert(ctx, txn, obj, field_name, str(value), fields)
        if reply.status == 300:
            raise E.SfError(
                300,
                "DUPLICATE_EXTERNAL_ID",
                f"{field_name}: more than one record found for external id field: {reply.body}",
                [field_name],
            )
        result: dict[str, Any] = reply.body if isinstance(reply.body, dict) else {}
        return {"id": result.get("id"), "success": True, "errors": [],
                "created": bool(result.get("created"))}

    return _batch(ctx, records, all_or_none, upsert_one)


Op = Callable[[Ctx, R.Txn, Any], dict[str, Any]]


def _batch(ctx: Ctx, items: list[Any], all_or_none: bool, op: Op) -> Reply:
    if len(items) > MAX_COLLECTION:
        raise E.bad_request(
            "EXCEEDED_ID_LIMIT",
            f"record limit reached. cannot submit more "
            f"than {MAX_COLLECTION} records into this call",
        )
    results: list[dict[str, Any]] = []
    txn = ctx.txn or R.begin(ctx.sim, ctx.tenant)
    own = ctx.txn is None
    failed = False
    for item in items:
        savepoint = txn.savepoint()
        try:
            results.append(op(ctx, txn, item))
        except E.SfError as exc:
            txn.rollback(savepoint)
            failed = True
            results.append({"id": None, **_failed(exc)})
    if all_or_none and failed:
        if own:
            txn.rollback()
        results = [
            r
            if not r["success"]
            else {
                "id": None,
                "success": False,
                "errors": [
                    {
                        "statusCode": E.ALL_OR_NONE_OPERATION_ROLLED_BACK,
                        "message": _ROLLED_BACK,
                        "fields": [],
                    }
                ],
            }
            for r in results
        ]
        if not own:
            raise E.bad_request(E.ALL_OR_NONE_OPERATION_ROLLED_BACK, _ROLLED_BACK)
    elif own:
        txn.commit()
    return Reply(200, results)


def _create_one(ctx: Ctx, txn: R.Txn, item: Any) -> dict[str, Any]:
    obj = _typed(ctx, item)
    fields = {k: v for k, v in item.items() if k != "attributes"}
    return saved(R.create(txn, obj, fields))


def _update_one(ctx: Ctx, txn: R.Txn, item: Any) -> dict[str, Any]:
    obj = _typed(ctx, item)
    raw_id = item.get("Id") or item.get("id")
    if not isinstance(raw_id, str):
        raise E.bad_request(E.MALFORMED_ID, "Id is required to update a record", ["Id"])
    record = R.get_record(ctx.org, obj, raw_id)
    fields = {k: v for k, v in item.items() if k not in ("attributes", "Id", "id")}
    R.update(txn, obj, record, fields)
    return saved(record)


def _delete_one(ctx: Ctx, txn: R.Txn, raw_id: Any) -> dict[str, Any]:
    canonical = normalise(str(raw_id))
    obj = ctx.org.schema.object_for_id(canonical) if canonical else None
    if canonical is None or obj is None:
        raise E.bad_request(E.MALFORMED_ID, f"invalid record id: {raw_id}", ["Id"])
    record = R.get_record(ctx.org, obj, canonical)
    R.delete(txn, obj, record)
    return {"id": canonical, "success": True, "errors": []}


def _typed(ctx: Ctx, item: Any) -> Any:
    if not isinstance(item, dict):
        raise E.bad_request(E.JSON_PARSER_ERROR, "Each record must be an object")
    attrs = item.get("attributes")
    name = attrs.get("type") if isinstance(attrs, dict) else None
    if not isinstance(name, str):
        raise E.bad_request(E.INVALID_TYPE, "Must send a concrete entity type.")
    obj = ctx.org.schema.find_object(name)
    if obj is None:
        raise E.bad_request(E.INVALID_TYPE, f"sObject type '{name}' is not supported.")
    return obj
