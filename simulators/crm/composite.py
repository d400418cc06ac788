"""Composite (``/composite``) and sObject Collections (``/composite/sobjects``).

Composite (REST API Developer Guide, "Composite"): up to 25 subrequests run in order;
``@{referenceId.path}`` in a later subrequest's URL or body is replaced by a value from an
earlier subrequest's response body. With ``allOrNone`` a failure rolls back every
subrequest; the others then answer 400 PROCESSING_HALTED. The answer is 200
``{"compositeResponse": [{body, httpHeaders, httpStatusCode, referenceId}]}``.

sObject Collections ("sObject Collections"): up to 200 records per create, update, upsert
or delete, answering a list of ``{id, success, errors}`` whose errors carry ``statusCode``
(not ``errorCode``). With ``allOrNone`` nothing is saved if any record fails, and the
records that were fine report ALL_OR_NONE_OPERATION_ROLLED_BACK.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from simulators.crm import errors as E
from simulators.crm import records as R
from simulators.crm.api import Ctx, Reply, attributes, dispatch, field_list, render, saved, upsert
from simulators.crm.ids import normalise

MAX_SUBREQUESTS = 25
MAX_COLLECTION = 200
_REF = re.compile(r"@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}")
_HALTED = "The transaction was rolled back since another operation in the same transaction failed."
_ROLLED_BACK = (
    "Record rolled back because not all records were valid and the request was "
    "using AllOrNone header"
)


class _Unresolved(Exception):
    def __init__(self, ref: str, path: str) -> None:
        super().__init__(ref)
        self.ref = ref
        self.path = path


def _lookup(results: Mapping[str, Any], ref: str, path: str) -> Any:
    if ref not in results:
        raise _Unresolved(ref, path)
    value = results[ref]
    for name, index in re.findall(r"\.([A-Za-z0-9_]+)|\[(\d+)\]", path):
        if name:
            if not isinstance(value, dict) or name not in value:
                raise _Unresolved(ref, path)
            value = value[name]
        else:
            if not isinstance(value, list) or int(index) >= len(value):
                raise _Unresolved(ref, path)
            value = value[int(index)]
    return value


def _substitute(value: Any, results: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        whole = _REF.fullmatch(value)
        if whole:
            # A whole-string reference keeps the referenced value's JSON type.
            return _lookup(results, whole.group(1), whole.group(2))
        return _REF.sub(lambda m: str(_lookup(results, m.group(1), m.group(2))), value)
    if isinstance(value, list):
        return [_substitute(v, results) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, results) for k, v in value.items()}
    return value


def _error_reply(exc: E.SfError) -> Reply:
    return Reply(exc.status, exc.items())


def composite(ctx: Ctx, body: Any) -> Reply:
    if not isinstance(body, dict) or not isinstance(body.get("compositeRequest"), list):
        raise E.bad_request(
            E.JSON_PARSER_ERROR,
            "The request body must be an object with compositeRequest, a list of subrequests",
            ["compositeRequest"],
        )
    subrequests: list[Any] = body["compositeRequest"]
    if not subrequests:
        raise E.bad_request(
            E.INVALID_INPUT,
            "compositeRequest must hold at least one subrequest",
            ["compositeRequest"],
        )
    if len(subrequests) > MAX_SUBREQUESTS:
        raise E.bad_request(
            "EXCEEDED_MAX_SUBREQUESTS",
            f"Composite requests can't have more than {MAX_SUBREQUESTS} subrequests",
            ["compositeRequest"],
        )
    all_or_none = _all_or_none(body)
    seen: set[str] = set()
    for sub in subrequests:
        if (
            not isinstance(sub, dict)
            or not isinstance(sub.get("url"), str)
            or not isinstance(sub.get("method"), str)
            or not isinstance(sub.get("referenceId"), str)
        ):
            raise E.bad_request(
                E.JSON_PARSER_ERROR,
                "Each subrequest needs method, url and referenceId strings",
                ["compositeRequest"],
            )
        ref = sub["referenceId"]
        if not re.fullmatch(r"[A-Za-z0-9_]+", ref) or ref in seen:
            raise E.bad_request(
                E.INVALID_INPUT, f"Invalid or duplicate referenceId: {ref}", ["referenceId"]
            )
        seen.add(ref)
    txn = R.begin(ctx.sim, ctx.tenant) if all_or_none else None
    results: dict[str, Any] = {}
    replies: list[tuple[str, Reply]] = []
    failed = False
    for sub in subrequests:
        ref = sub["referenceId"]
        if failed and all_or_none:
            replies.append((ref, Reply(400, [E.error_item(E.PROCESSING_HALTED, _HALTED)])))
            continue
        reply = _run_sub(ctx, txn, sub, results)
        replies.append((ref, reply))
        if reply.status < 400:
            results[ref] = reply.body
        else:
            failed = True
    if txn is not None:
        if failed:
            txn.rollback()
            replies = [
                (
                    ref,
                    r
                    if r.status >= 400
                    else Reply(400, [E.error_item(E.PROCESSING_HALTED, _HALTED)]),
                )
                for ref, r in replies
            ]
        else:
            txn.commit()
    return Reply(
        200,
        {
            "compositeResponse": [
                {
                    "body": r.body,
                    "httpHeaders": r.headers,
                    "httpStatusCode": r.status,
                    "referenceId": ref,
                }
                for ref, r in replies
            ]
        },
    )


def _run_sub(
    ctx: Ctx, txn: R.Txn | None, sub: Mapping[str, Any], results: Mapping[str, Any]
) -> Reply:
    try:
        url = _substitute(sub["url"], results)
        payload = _substitute(sub.get("body"), results)
    except _Unresolved as exc:
        return Reply(
            400,
            [
                E.error_item(
                    E.PROCESSING_HALTED,
                    (
                        f"Invalid reference specified. No value for {exc.ref}{exc.path} found "
                        f"in {exc.ref}. Provided referenceId ('{exc.ref}') must exist and be "
                        "successful."
                    ),
                )
            ],
        )
    split = urlsplit(str(url))
    path = unquote(split.path)
    prefix = f"/services/data/v{ctx.version}"
    if not (path == prefix or path.startswith(prefix + "/")):
        return Reply(
            400,
            [
                E.error_item(
                    E.INVALID_INPUT,
                    (
                        f"The subrequest URL must start with {prefix}/ (the composite request's "
                        f"version): {url}"
                    ),
                )
            ],
        )
    parts = path[len(prefix) :].split("/")
    query = dict(parse_qsl(split.query, keep_blank_values=True))
    headers = (
        {str(k).lower(): str(v) for k, v in (sub.get("httpHeaders") or {}).items()}
        if isinstance(sub.get("httpHeaders"), dict)
        else {}
    )
    sub_ctx = Ctx(
        ctx.sim,
        ctx.tenant,
        ctx.org,
        ctx.version,
        {**ctx.headers, **headers},
        txn=txn,
        in_composite=True,
    )
    savepoint = txn.savepoint() if txn is not None else None
    try:
        return dispatch(sub_ctx, str(sub["method"]).upper(), parts, query, lambda: payload)
    except E.SfError as exc:
        if txn is not None and savepoint is not None:
            txn.rollback(savepoint)
        return _error_reply(exc)


# --- sObject Collections ----------------------------------------------------------------


def _result_error(exc: E.SfError) -> dict[str, Any]:
    return {"statusCode": exc.code, "message": exc.message, "fields": exc.fields or []}


def _failed(exc: E.SfError) -> dict[str, Any]:
    return {"success": False, "errors": [_result_error(exc)]}


def collections(
    ctx: Ctx, method: str, rest: list[str], query: Mapping[str, str], body: Callable[[], Any]
) -> Reply:
    if not rest:
        if method == "DELETE":
            ids = [i for i in query.get("ids", "").split(",") if i]
            return _batch(ctx, ids, query.get("allOrNone") == "true", _delete_one)
        payload = body()
        if not isinstance(payload, dict) or not isinstance(payload.get("records"), list):
            raise E.bad_request(
                E.JSON_PARSER_ERROR,
                "The request body must be an object with records, a list of records",
                ["records"],
            )
        all_or_none = _all_or_none(payload)
        if method == "POST":
            return _batch(ctx, payload["records"], all_or_none, _create_one)
        if method == "PATCH":
            return _batch(ctx, payload["records"], all_or_none, _update_one)
        raise E.SfError(
            405,
            E.METHOD_NOT_ALLOWED,
            f"HTTP Method '{method}' not allowed. Allowed are POST,PATCH,DELETE",
        )
    obj = ctx.org.schema.find_object(rest[0])
    if obj is None:
        raise E.not_found()
    if len(rest) == 1 and method in ("GET", "POST"):
        if method == "GET":
            ids = [i for i in query.get("ids", "").split(",") if i]
            names = field_list(obj, query.get("fields"))
        else:
            payload = body()
            if not isinstance(payload, dict):
                raise E.bad_request(
                    E.JSON_PARSER_ERROR, "Body must be an object with ids and fields"
                )
            ids = [str(i) for i in payload.get("ids") or []]
            names = field_list(obj, ",".join(str(f) for f in payload.get("fields") or []))
        if not ids or names is None:
            raise E.bad_request("MISSING_ARGUMENT", "ids and fields are required")
        if len(ids) > 2000:
            raise E.bad_request("EXCEEDED_ID_LIMIT", "Too many ids: at most 2000")
        found = [R.live(ctx.org, obj.name, i) for i in ids]
        return Reply(200, [None if r is None else render(ctx, obj, r, names) for r in found])
    if len(rest) == 2 and method == "PATCH":
        payload = body()
        if not isinstance(payload, dict) or not isinstance(payload.get("records"), list):
            raise E.bad_request(
                E.JSON_PARSER_ERROR,
                "The request body must be an object with records, a list of records",
                ["records"],
            )
        from simulators.crm.api import external_field

        field_name = external_field(obj, rest[1])

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
                    (
                        f"{field_name}: more than one record found for external id field: "
                        f"{reply.body}"
                    ),
                    [field_name],
                )
            result: dict[str, Any] = reply.body if isinstance(reply.body, dict) else {}
            return {
                "id": result.get("id"),
                "success": True,
                "errors": [],
                "created": bool(result.get("created")),
            }

        return _batch(ctx, payload["records"], _all_or_none(payload), upsert_one)
    raise E.not_found()


def _all_or_none(body: dict[str, Any]) -> bool:
    """``allOrNone``: absent (false) or a JSON boolean. Salesforce's JSON reader
    refuses anything else with JSON_PARSER_ERROR ("Cannot deserialize instance of
    boolean from VALUE_STRING value ..."; the fake's message names the field)."""
    value = body.get("allOrNone", False)
    if not isinstance(value, bool):
        raise E.bad_request(
            E.JSON_PARSER_ERROR,
            f"Cannot deserialize instance of boolean from value {value!r}: allOrNone",
            ["allOrNone"],
        )
    return value


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


__all__ = ["attributes", "collections", "composite"]
