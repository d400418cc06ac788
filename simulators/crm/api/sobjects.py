"""sObject resources (REST API Developer Guide, "Reference"): Describe Global, sObject
Basic Information, sObject Describe, sObject Rows (GET, PATCH, DELETE), sObject Create
(POST), sObject Rows by External ID (GET, PATCH/POST upsert, DELETE) and sObject Get
Updated / Get Deleted."""

from __future__ import annotations

from typing import Any

from simulators.crm import conditional
from simulators.crm import errors as E
from simulators.crm import records as R
from simulators.crm.context import Ctx, Reply, Req
from simulators.crm.ids import normalise
from simulators.crm.openapi import RECORD, SAVE_RESULT, SEVERAL
from simulators.crm.org import CUSTOM_FIELDS
from simulators.crm.params import ID, NAME, SOBJECT, VERSION, D, DateTime
from simulators.crm.render import field_list, render, saved
from simulators.crm.schema import FieldType, ObjectDef
from simulators.crm.soql.source import equality_key
from simulators.crm.wire import parse_datetime, sf_datetime
from simulators.engine.openapi import json_response
from simulators.engine.operation import Operations
from simulators.engine.params import Flag, Str

ops = Operations(tags=("sobjects",), path_params={"version": VERSION, "sobject": SOBJECT})
ROW = f"{D}/sobjects/{{sobject}}"
FIELDS = {"fields": Str(description="Comma-separated field names")}
BY_ID = {"version": VERSION, "sobject": SOBJECT, "id": ID}
BY_EXTERNAL_ID = {"version": VERSION, "sobject": SOBJECT, "field": NAME, "value": NAME}


def _object(ctx: Ctx, name: str) -> ObjectDef:
    obj = ctx.org.schema.find_object(name)
    if obj is None:
        raise E.not_found()
    return obj


def _created(ctx: Ctx, obj: ObjectDef, record: dict[str, Any]) -> Reply:
    return Reply(
        201, saved(record), {"Location": f"{ctx.prefix}/sobjects/{obj.name}/{record['Id']}"}
    )


@ops.operation(method="GET", path=f"{D}/sobjects", id="describeGlobal",
               summary="Describe global", path_params={"version": VERSION},
               responses={"200": json_response("Objects")})
def describe_global(ctx: Ctx, req: Req) -> Reply:
    """``If-Modified-Since``: 304 when no object's metadata changed since."""
    modified = conditional.metadata_modified(ctx, ctx.tenant.store.all(CUSTOM_FIELDS), None)
    return conditional.describe(ctx, modified, ctx.org.schema.describe_global(ctx.version))


@ops.operation(method="GET", path=ROW, id="sobjectInfo", summary="sObject basic information",
               responses={"200": json_response("Info")})
def sobject_info(ctx: Ctx, req: Req) -> Reply:
    obj = _object(ctx, req.path["sobject"])
    described = ctx.org.schema.describe_global(ctx.version)["sobjects"]
    names = [o.name for o in ctx.org.schema.objects()]
    return Reply(200, {"objectDescribe": described[names.index(obj.name)], "recentItems": []})


@ops.operation(method="POST", path=ROW, id="createRecord", summary="Create a record",
               body=RECORD, responses={"201": json_response("Created", SAVE_RESULT)})
def create_record(ctx: Ctx, req: Req) -> Reply:
    """201 with the new id and its URL in ``Location``."""
    obj = _object(ctx, req.path["sobject"])
    return ctx.write(lambda txn: _created(ctx, obj, R.create(txn, obj, req.body())))


@ops.operation(method="GET", path=f"{ROW}/describe", id="describeSobject",
               summary="sObject describe", responses={"200": json_response("Describe")})
def describe_sobject(ctx: Ctx, req: Req) -> Reply:
    """``If-Modified-Since``: 304 when the object's metadata has not changed since."""
    obj = _object(ctx, req.path["sobject"])
    modified = conditional.metadata_modified(ctx, ctx.tenant.store.all(CUSTOM_FIELDS),
                                             obj.name)
    return conditional.describe(ctx, modified, ctx.org.schema.describe(obj.name, ctx.version))


_WINDOW = {"start": DateTime(required=True, blank_means_absent=True),
           "end": DateTime(required=True, blank_means_absent=True)}


@ops.operation(method="GET", path=f"{ROW}/updated", id="getUpdated",
               summary="Ids updated between start and end", query=_WINDOW,
               responses={"200": json_response("Updated")})
def get_updated(ctx: Ctx, req: Req) -> Reply:
    """Covered up to the last whole minute before now (the resource works in minutes)."""
    return _changed_since(ctx, _object(ctx, req.path["sobject"]), "updated", req)


@ops.operation(method="GET", path=f"{ROW}/deleted", id="getDeleted",
               summary="Ids deleted between start and end", query=_WINDOW,
               responses={"200": json_response("Deleted")})
def get_deleted(ctx: Ctx, req: Req) -> Reply:
    return _changed_since(ctx, _object(ctx, req.path["sobject"]), "deleted", req)


def _changed_since(ctx: Ctx, obj: ObjectDef, which: str, req: Req) -> Reply:
    """sObject Get Updated / Get Deleted: ids changed in [start, end] (REST API Developer
    Guide, "sObject Get Updated" and "sObject Get Deleted")."""
    start, end = (parse_datetime(req.query[name]).timestamp()  # type: ignore[union-attr]
                  for name in ("start", "end"))
    if end < start:
        raise E.bad_request(E.INVALID_INPUT, "end date must be after start date")
    now = ctx.tenant.clock.now()
    latest = min(end, now) // 60 * 60
    rows = ctx.org.source.find_range(
        obj.name, "SystemModstamp", sf_datetime(start), sf_datetime(end), True, True
    ) or []
    if which == "updated":
        ids = [r["Id"] for r in rows if not r.get("IsDeleted")]
        return Reply(200, {"ids": ids, "latestDateCovered": sf_datetime(latest)})
    deleted = [
        {"id": r["Id"], "deletedDate": r["SystemModstamp"]} for r in rows if r.get("IsDeleted")
    ]
    earliest = min(
        (r["SystemModstamp"] for r in ctx.tenant.store.all(obj.name) if r.get("IsDeleted")),
        default=sf_datetime(start),
    )
    return Reply(200, {"deletedRecords": deleted, "earliestDateAvailable": earliest,
                       "latestDateCovered": sf_datetime(latest)})


@ops.operation(method="GET", path=f"{ROW}/{{id}}", id="getRecord", summary="Get a record",
               path_params=BY_ID, query=FIELDS, responses={"200": json_response("Record", RECORD)})
def get_record(ctx: Ctx, req: Req) -> Reply:
    """Every field (null when unset), or those ``fields`` names. ``If-Modified-Since``
    (and, on an Account, ``If-None-Match``/``If-Match`` against its ``ETag``) may answer
    304 or 412."""
    obj = _object(ctx, req.path["sobject"])
    record = R.get_record(ctx.org, obj, req.path["id"])
    rendered = render(ctx, obj, record, field_list(obj, req.query.get("fields")))
    return conditional.read(ctx, obj.name, record, rendered)


@ops.operation(method="POST", path=f"{ROW}/{{id}}", id="createRecordById",
               summary="Create a record (POST .../sobjects/{sobject}/Id)", path_params=BY_ID,
               body=RECORD, responses={"201": json_response("Created", SAVE_RESULT)})
def create_record_by_id(ctx: Ctx, req: Req) -> Reply:
    """``Id`` as the external id field with no value creates; any other id is a row,
    which takes no POST."""
    obj = _object(ctx, req.path["sobject"])
    if req.path["id"].lower() != "id":
        raise _not_allowed("POST", "HEAD,GET,PATCH,DELETE")
    return ctx.write(lambda txn: _created(ctx, obj, R.create(txn, obj, req.body())))


@ops.operation(method="PATCH", path=f"{ROW}/{{id}}", id="updateRecord",
               summary="Update a record", path_params=BY_ID, body=RECORD,
               responses={"204": {"description": "Updated"}})
def update_record(ctx: Ctx, req: Req) -> Reply:
    """An ``Id`` in the body must be the URL's."""
    obj = _object(ctx, req.path["sobject"])

    def patch(txn: R.Txn) -> Reply:
        record = R.get_record(ctx.org, obj, req.path["id"])
        conditional.check_write(ctx, obj.name, record, render(ctx, obj, record, None))
        R.update(txn, obj, record, _strip_matching_id(req.body(), record["Id"]))
        return Reply(204)

    return ctx.write(patch)


@ops.operation(method="DELETE", path=f"{ROW}/{{id}}", id="deleteRecord",
               summary="Delete a record", path_params=BY_ID,
               responses={"204": {"description": "Deleted"}})
def delete_record(ctx: Ctx, req: Req) -> Reply:
    """Children in master-detail style relationships go with it (to the recycle bin)."""
    obj = _object(ctx, req.path["sobject"])

    def remove(txn: R.Txn) -> Reply:
        R.delete(txn, obj, R.get_record(ctx.org, obj, req.path["id"]))
        return Reply(204)

    return ctx.write(remove)


def _not_allowed(method: str, allowed: str) -> E.SfError:
    return E.SfError(405, E.METHOD_NOT_ALLOWED,
                     f"HTTP Method '{method}' not allowed. Allowed are {allowed}")


def _strip_matching_id(body: Any, record_id: str) -> Any:
    if isinstance(body, dict) and "Id" in body:
        given = normalise(str(body["Id"])) if body["Id"] is not None else None
        if given != record_id:
            raise E.bad_request(
                E.INVALID_FIELD, "Record ID in the body doesn't match the record ID in the URL",
                ["Id"])
        return {k: v for k, v in body.items() if k != "Id"}
    return body


def external_field(obj: ObjectDef, name: str) -> str:
    """The canonical name of an external id field (or ``Id``); NOT_FOUND for another."""
    f = obj.find_field(name)
    if f is None or not (f.external_id or f.type is FieldType.ID):
        raise E.not_found(f"Provided external ID field does not exist or is not accessible: {name}")
    return f.name


def matches(ctx: Ctx, obj: ObjectDef, field_name: str, value: str) -> list[dict[str, Any]]:
    """Live records whose ``field_name`` equals ``value`` (as Salesforce compares it)."""
    if field_name == "Id":
        record = R.live(ctx.org, obj.name, value)
        return [] if record is None else [record]
    found = ctx.org.source.find_equal(obj.name, field_name, value)
    if found is None:
        f = obj.field(field_name)
        key = equality_key(f, value)
        found = [
            r for r in ctx.org.source.scan(obj.name) if equality_key(f, r.get(field_name)) == key
        ]
    return [dict(r) for r in found if not r.get("IsDeleted")]


def _multiple(ctx: Ctx, obj: ObjectDef, found: list[dict[str, Any]]) -> Reply:
    # 300 Multiple Choices lists the matching records' URLs (REST API Developer Guide,
    # "sObject Rows by External ID").
    return Reply(300, [f"{ctx.prefix}/sobjects/{obj.name}/{r['Id']}" for r in found])


@ops.operation(method="GET", path=f"{ROW}/{{field}}/{{value}}", id="getByExternalId",
               summary="Get a record by external id", path_params=BY_EXTERNAL_ID,
               query=FIELDS, responses={"200": json_response("Record", RECORD),
                                        "300": json_response("Several matches", SEVERAL)})
def get_by_external_id(ctx: Ctx, req: Req) -> Reply:
    obj = _object(ctx, req.path["sobject"])
    field_name = external_field(obj, req.path["field"])
    found = matches(ctx, obj, field_name, req.path["value"])
    if not found:
        raise E.not_found()
    if len(found) > 1:
        return _multiple(ctx, obj, found)
    return Reply(200, render(ctx, obj, found[0], field_list(obj, req.query.get("fields"))))


_UPSERT: dict[str, Any] = dict(
    path_params=BY_EXTERNAL_ID, body=RECORD,
    query={"updateOnly": Flag(description="true: update only, 404 when nothing matches")},
    responses={"200": json_response("Updated", SAVE_RESULT),
               "201": json_response("Created", SAVE_RESULT),
               "300": json_response("Several matches", SEVERAL)})


@ops.operation(method="PATCH", path=f"{ROW}/{{field}}/{{value}}", id="upsert",
               summary="Upsert by external id", **_UPSERT)
def upsert_by_external_id(ctx: Ctx, req: Req) -> Reply:
    """Create (201) or update (200; 204 before API 46.0); 300 when several records match."""
    obj = _object(ctx, req.path["sobject"])
    field_name = external_field(obj, req.path["field"])
    return ctx.write(lambda txn: upsert(ctx, txn, obj, field_name, req.path["value"],
                                        req.body(), update_only=req.query.get("updateOnly",
                                                                              False)))


@ops.operation(method="POST", path=f"{ROW}/{{field}}/{{value}}", id="upsertByPost",
               summary="Upsert by external id (POST, as PATCH)", **_UPSERT)
def upsert_by_post(ctx: Ctx, req: Req) -> Reply:
    return upsert_by_external_id(ctx, req)


@ops.operation(method="DELETE", path=f"{ROW}/{{field}}/{{value}}", id="deleteByExternalId",
               summary="Delete by external id", path_params=BY_EXTERNAL_ID,
               responses={"204": {"description": "Deleted"},
                          "300": json_response("Several matches", SEVERAL)})
def delete_by_external_id(ctx: Ctx, req: Req) -> Reply:
    obj = _object(ctx, req.path["sobject"])
    field_name = external_field(obj, req.path["field"])

    def remove(txn: R.Txn) -> Reply:
        found = matches(ctx, obj, field_name, req.path["value"])
        if not found:
            raise E.not_found()
        if len(found) > 1:
            return _multiple(ctx, obj, found)
        R.delete(txn, obj, found[0])
        return Reply(204)

    return ctx.write(remove)


def upsert(
    ctx: Ctx,
    txn: R.Txn,
    obj: ObjectDef,
    field_name: str,
    value: str,
    body: Any,
    *,
    update_only: bool = False,
) -> Reply:
    """Create (201) or update (200) by external id; 300 when several records match.

    From API 46.0 the answer has ``created`` and an update answers 200 with a body
    (REST API Developer Guide, "Insert or Update (Upsert) a Record Using an External ID").
    """
    found = matches(ctx, obj, field_name, value)
    if len(found) > 1:
        return _multiple(ctx, obj, found)
    if isinstance(body, dict):
        given = {k.lower(): k for k in body}
        if field_name.lower() in given:
            # The external id in the body must agree with the one in the URL.
            in_body = body[given[field_name.lower()]]
            if str(in_body) != value:
                raise E.bad_request(
                    E.INVALID_FIELD,
                    f"The value of the external ID field in "
                    f"the body ({in_body}) doesn't match the URL ({value})",
                    [field_name],
                )
            body = {k: v for k, v in body.items() if k.lower() != field_name.lower()}
    new_api = float(ctx.version) >= 46.0
    if found:
        R.update(txn, obj, found[0], body)
        record = found[0]
        if not new_api:
            return Reply(204)
        return Reply(200, saved(record, created=False))
    if update_only or field_name == "Id":
        raise E.not_found()
    values = R.parse_fields(ctx.org, obj, body, creating=True)
    values[field_name] = R.coerce(ctx.org, obj, obj.field(field_name), value)
    record = R.insert(txn, obj, values)
    reply = _created(ctx, obj, record)
    if new_api:
        reply.body = saved(record, created=True)
    return reply
