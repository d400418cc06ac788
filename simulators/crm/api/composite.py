"""Composite (``/composite``, REST API Developer Guide, "Composite"): up to 25
subrequests run in order; ``@{referenceId.path}`` in a later subrequest's URL or body is
replaced by a value from an earlier subrequest's response body. With ``allOrNone`` a
failure rolls back every subrequest; the others then answer 400 PROCESSING_HALTED. The
answer is 200 ``{"compositeResponse": [{body, httpHeaders, httpStatusCode, referenceId}]}``.

A subrequest goes through the same operation table as a request over HTTP
(``Ctx.invoke``), so it behaves exactly as that request would.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from simulators.crm import errors as E
from simulators.crm import records as R
from simulators.crm.context import Ctx, Reply, Req
from simulators.crm.openapi import COMPOSITE_BODY
from simulators.crm.params import VERSION, D
from simulators.engine.openapi import json_response
from simulators.engine.operation import Operations

ops = Operations(tags=("composite",), path_params={"version": VERSION})
MAX_SUBREQUESTS = 25
_REF = re.compile(r"@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}")
_HALTED = "The transaction was rolled back since another operation in the same transaction failed."


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


def not_nested(ctx: Ctx) -> None:
    if ctx.in_composite:
        raise E.bad_request(E.INVALID_INPUT, "A composite subrequest can't be a composite request")


@ops.operation(method="POST", path=f"{D}/composite", id="composite",
               summary="Up to 25 subrequests", body=COMPOSITE_BODY,
               responses={"200": json_response("Results")})
def composite(ctx: Ctx, req: Req) -> Reply:
    """Subrequests must use this request's API version; ``allOrNone`` rolls back all of
    them when one fails."""
    not_nested(ctx)
    body = req.body()
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
    all_or_none = all_or_none_flag(body)
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
        ctx.invoke,
        txn=txn,
        in_composite=True,
    )
    savepoint = txn.savepoint() if txn is not None else None
    try:
        return ctx.invoke(sub_ctx, str(sub["method"]).upper(), path, query, lambda: payload)
    except E.SfError as exc:
        if txn is not None and savepoint is not None:
            txn.rollback(savepoint)
        return _error_reply(exc)


def all_or_none_flag(body: dict[str, Any]) -> bool:
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
