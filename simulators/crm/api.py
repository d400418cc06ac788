"""The REST API under ``/services/data/vXX.X/``: one dispatcher that both the HTTP app and
the composite resources call, so a subrequest behaves exactly as the request would.

Resources (REST API Developer Guide, "Reference"): Versions, Resources by Version, Limits,
Describe Global, sObject Basic Information, sObject Describe, sObject Rows (GET, PATCH,
DELETE), sObject Create (POST), sObject Rows by External ID (GET, PATCH upsert, DELETE),
sObject Get Updated / Get Deleted, Query / QueryAll (with query locators), Composite and
sObject Collections.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from simulators.crm import errors as E
from simulators.crm import records as R
from simulators.crm.ids import normalise
from simulators.crm.limits import limits_body
from simulators.crm.org import Org
from simulators.crm.schema import FieldType, ObjectDef
from simulators.crm.wire import parse_datetime, sf_datetime

if TYPE_CHECKING:
    from simulators.engine.runtime import Simulation
    from simulators.engine.tenancy import Tenant

# API versions served, with their release names (Salesforce release notes).
RELEASES = {
    "52.0": "Summer '21",
    "53.0": "Winter '22",
    "54.0": "Spring '22",
    "55.0": "Summer '22",
    "56.0": "Winter '23",
    "57.0": "Spring '23",
    "58.0": "Summer '23",
    "59.0": "Winter '24",
    "60.0": "Spring '24",
    "61.0": "Summer '24",
    "62.0": "Winter '25",
}


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Ctx:
    """One API call: the org, the API version and, inside an allOrNone composite, the
    transaction every subrequest writes into."""

    sim: Simulation
    tenant: Tenant
    org: Org
    version: str
    headers: Mapping[str, str]
    txn: R.Txn | None = None
    in_composite: bool = False

    @property
    def prefix(self) -> str:
        return f"/services/data/v{self.version}"

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.tenant.clock.now(), UTC)

    def write(self, work: Callable[[R.Txn], Reply]) -> Reply:
        """Run ``work`` in the enclosing transaction, or in its own, committed or undone."""
        if self.txn is not None:
            return work(self.txn)
        txn = R.begin(self.sim, self.tenant)
        try:
            reply = work(txn)
        except BaseException:
            txn.rollback()
            raise
        txn.commit()
        return reply


def versions() -> list[dict[str, str]]:
    return [
        {"label": label, "url": f"/services/data/v{v}", "version": v}
        for v, label in RELEASES.items()
    ]


def dispatch(
    ctx: Ctx, method: str, parts: list[str], query: Mapping[str, str], body: Callable[[], Any]
) -> Reply:
    """Route ``method /services/data/vXX.X/<parts>``; ``body()`` parses the JSON body."""
    parts = [p for p in parts if p != ""]
    if not parts:
        return _only(method, "GET", lambda: Reply(200, resources(ctx)))
    head, rest = parts[0], parts[1:]
    if head == "limits" and not rest:
        return _only(method, "GET", lambda: Reply(200, limits_body(ctx.sim, ctx.tenant)))
    if head == "sobjects":
        return _sobjects(ctx, method, rest, query, body)
    if head in ("query", "queryAll"):
        from simulators.crm.query import run_query

        return _only(method, "GET", lambda: run_query(ctx, head == "queryAll", rest, query))
    if head == "composite":
        from simulators.crm.composite import collections, composite

        if ctx.in_composite:
            raise E.bad_request(
                E.INVALID_INPUT, "A composite subrequest can't be a composite request"
            )
        if not rest:
            return _only(method, "POST", lambda: composite(ctx, body()))
        if rest[0] == "sobjects":
            return collections(ctx, method, rest[1:], query, body)
    if head == "fintwin" and rest == ["changeEvents"]:
        from simulators.crm.cdc import read

        def pull() -> Reply:
            replay = _int_param(query, "replayId", -2)
            limit = min(max(_int_param(query, "limit", 1000), 1), 10_000)
            events = read(ctx.tenant, replay, limit, query.get("entity") or None)
            latest = events[-1]["replayId"] if events else replay
            return Reply(200, {"events": events, "latestReplayId": latest})

        return _only(method, "GET", pull)
    raise E.not_found()


def _int_param(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise E.bad_request(E.INVALID_INPUT, f"{name} must be an integer: {raw}") from None


def _only(method: str, allowed: str, handler: Callable[[], Reply]) -> Reply:
    if method == allowed or (allowed == "GET" and method == "HEAD"):
        return handler()
    raise E.SfError(
        405, E.METHOD_NOT_ALLOWED, f"HTTP Method '{method}' not allowed. Allowed are {allowed}"
    )


def resources(ctx: Ctx) -> dict[str, str]:
    p = ctx.prefix
    return {
        name: f"{p}/{name}" for name in ("sobjects", "query", "queryAll", "composite", "limits")
    }


# --- sObject resources -------------------------------------------------------------------


def _object(ctx: Ctx, name: str) -> ObjectDef:
    obj = ctx.org.schema.find_object(name)
    if obj is None:
        raise E.not_found()
    return obj


def attributes(ctx: Ctx, obj: ObjectDef, record_id: str) -> dict[str, str]:
    return {"type": obj.name, "url": f"{ctx.prefix}/sobjects/{obj.name}/{record_id}"}


def render(
    ctx: Ctx, obj: ObjectDef, record: Mapping[str, Any], fields: list[str] | None = None
) -> dict[str, Any]:
    """A record as GET returns it: attributes, then every field (null when unset)."""
    out: dict[str, Any] = {"attributes": attributes(ctx, obj, record["Id"])}
    names = fields if fields is not None else [f.name for f in obj.fields]
    for name in names:
        out[name] = record.get(name)
    return out


def field_list(obj: ObjectDef, raw: str | None) -> list[str] | None:
    if raw is None:
        return None
    names: list[str] = []
    for name in (n.strip() for n in raw.split(",")):
        if not name:
            continue
        f = obj.find_field(name)
        if f is None:
            raise E.bad_request(
                E.INVALID_FIELD,
                f"No such column '{name}' on entity "
                f"'{obj.name}'. If you are attempting to use a custom field, "
                "be sure to append the '__c' after the custom field name. "
                "Please reference your WSDL or the describe call for the "
                "appropriate names.",
            )
        names.append(f.name)
    return names


def saved(record: Mapping[str, Any], *, created: bool | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": record["Id"], "success": True, "errors": []}
    if created is not None:
        out["created"] = created
    return out


def _sobjects(
    ctx: Ctx, method: str, rest: list[str], query: Mapping[str, str], body: Callable[[], Any]
) -> Reply:
    if not rest:
        return _only(method, "GET", lambda: Reply(200, ctx.org.schema.describe_global(ctx.version)))
    obj = _object(ctx, rest[0])
    tail = rest[1:]
    if not tail:
        if method == "POST":
            return ctx.write(lambda txn: _created(ctx, obj, R.create(txn, obj, body())))
        return _only(
            method,
            "GET",
            lambda: Reply(
                200,
                {
                    "objectDescribe": ctx.org.schema.describe_global(ctx.version)["sobjects"][
                        [o.name for o in ctx.org.schema.objects()].index(obj.name)
                    ],
                    "recentItems": [],
                },
            ),
        )
    if tail == ["describe"]:
        return _only(
            method, "GET", lambda: Reply(200, ctx.org.schema.describe(obj.name, ctx.version))
        )
    if tail in (["updated"], ["deleted"]):
        return _only(method, "GET", lambda: _changed_since(ctx, obj, tail[0], query))
    if len(tail) == 1:
        if tail[0].lower() == "id" and method == "POST":
            # POST .../sobjects/Obj/Id creates (Id as the external id with a null value).
            return ctx.write(lambda txn: _created(ctx, obj, R.create(txn, obj, body())))
        return _by_id(ctx, obj, tail[0], method, query, body)
    if len(tail) == 2:
        return _by_external_id(ctx, obj, tail[0], tail[1], method, query, body)
    raise E.not_found()


def _created(ctx: Ctx, obj: ObjectDef, record: Mapping[str, Any]) -> Reply:
    return Reply(
        201, saved(record), {"Location": f"{ctx.prefix}/sobjects/{obj.name}/{record['Id']}"}
    )


def _by_id(
    ctx: Ctx,
    obj: ObjectDef,
    record_id: str,
    method: str,
    query: Mapping[str, str],
    body: Callable[[], Any],
) -> Reply:
    if method in ("GET", "HEAD"):
        record = R.get_record(ctx.org, obj, record_id)
        return Reply(200, render(ctx, obj, record, field_list(obj, query.get("fields"))))
    if method == "PATCH":

        def patch(txn: R.Txn) -> Reply:
            record = R.get_record(ctx.org, obj, record_id)
            R.update(txn, obj, record, _strip_matching_id(body(), record["Id"]))
            return Reply(204)

        return ctx.write(patch)
    if method == "DELETE":

        def remove(txn: R.Txn) -> Reply:
            R.delete(txn, obj, R.get_record(ctx.org, obj, record_id))
            return Reply(204)

        return ctx.write(remove)
    raise E.SfError(
        405,
        E.METHOD_NOT_ALLOWED,
        f"HTTP Method '{method}' not allowed. Allowed are HEAD,GET,PATCH,DELETE",
    )


def _strip_matching_id(body: Any, record_id: str) -> Any:
    if isinstance(body, dict) and "Id" in body:
        given = normalise(str(body["Id"])) if body["Id"] is not None else None
        if given != record_id:
            raise E.bad_request(
                E.INVALID_FIELD,
                "Record ID in the body doesn't match the record ID in the URL",
                ["Id"],
            )
        return {k: v for k, v in body.items() if k != "Id"}
    return body


def external_field(obj: ObjectDef, name: str) -> str:
    f = obj.find_field(name)
    if f is None or not (f.external_id or f.type is FieldType.ID):
        raise E.not_found(f"Provided external ID field does not exist or is not accessible: {name}")
    return f.name


def matches(ctx: Ctx, obj: ObjectDef, field_name: str, value: str) -> list[dict[str, Any]]:
    if field_name == "Id":
        record = R.live(ctx.org, obj.name, value)
        return [] if record is None else [record]
    found = ctx.org.source.find_equal(obj.name, field_name, value)
    if found is None:
        f = obj.field(field_name)
        from simulators.crm.soql.source import equality_key

        key = equality_key(f, value)
        found = [
            r for r in ctx.org.source.scan(obj.name) if equality_key(f, r.get(field_name)) == key
        ]
    return [dict(r) for r in found if not r.get("IsDeleted")]


def _multiple(ctx: Ctx, obj: ObjectDef, found: list[dict[str, Any]]) -> Reply:
    # 300 Multiple Choices lists the matching records' URLs (REST API Developer Guide,
    # "sObject Rows by External ID").
    return Reply(300, [f"{ctx.prefix}/sobjects/{obj.name}/{r['Id']}" for r in found])


def _by_external_id(
    ctx: Ctx,
    obj: ObjectDef,
    name: str,
    value: str,
    method: str,
    query: Mapping[str, str],
    body: Callable[[], Any],
) -> Reply:
    field_name = external_field(obj, name)
    if method in ("GET", "HEAD"):
        found = matches(ctx, obj, field_name, value)
        if not found:
            raise E.not_found()
        if len(found) > 1:
            return _multiple(ctx, obj, found)
        return Reply(200, render(ctx, obj, found[0], field_list(obj, query.get("fields"))))
    if method in ("PATCH", "POST"):
        return ctx.write(
            lambda txn: upsert(
                ctx,
                txn,
                obj,
                field_name,
                value,
                body(),
                update_only=query.get("updateOnly") == "true",
            )
        )
    if method == "DELETE":

        def remove(txn: R.Txn) -> Reply:
            found = matches(ctx, obj, field_name, value)
            if not found:
                raise E.not_found()
            if len(found) > 1:
                return _multiple(ctx, obj, found)
            R.delete(txn, obj, found[0])
            return Reply(204)

        return ctx.write(remove)
    raise E.SfError(
        405,
        E.METHOD_NOT_ALLOWED,
        f"HTTP Method '{method}' not allowed. Allowed are HEAD,GET,PATCH,DELETE",
    )


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


def _changed_since(ctx: Ctx, obj: ObjectDef, which: str, query: Mapping[str, str]) -> Reply:
    """sObject Get Updated / Get Deleted: ids changed in [start, end] (REST API Developer
    Guide, "sObject Get Updated" and "sObject Get Deleted")."""
    bounds = []
    for name in ("start", "end"):
        raw = query.get(name)
        if not raw:
            raise E.bad_request("MISSING_ARGUMENT", f"{name} was not specified")
        moment = parse_datetime(raw)
        if moment is None:
            raise E.bad_request(E.INVALID_INPUT, f"{name} is not a valid dateTime: {raw}")
        bounds.append(moment.timestamp())
    start, end = bounds
    if end < start:
        raise E.bad_request(E.INVALID_INPUT, "end date must be after start date")
    now = ctx.tenant.clock.now()
    # Covered up to the last whole minute before now (the resource works in minutes).
    latest = min(end, now) // 60 * 60
    rows = (
        ctx.org.source.find_range(
            obj.name, "SystemModstamp", sf_datetime(start), sf_datetime(end), True, True
        )
        or []
    )
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
    return Reply(
        200,
        {
            "deletedRecords": deleted,
            "earliestDateAvailable": earliest,
            "latestDateCovered": sf_datetime(latest),
        },
    )
