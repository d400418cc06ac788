"""Conditional requests (REST API Developer Guide, "Conditional Request Headers"; "Get
Object Metadata Changes"):

- ``If-Modified-Since`` on sObject Describe, Describe Global and sObject Rows: 304 Not
  Modified, no body, when the metadata (or the record's LastModifiedDate) has not changed
  since that date. Describes answer ``Last-Modified``.
- ``ETag`` on a record of Account (sObject Rows: "If the object is an Account object, the
  response also contains an ETag header"), with ``If-None-Match`` (GET: 304 when it
  matches; PATCH: 412) and ``If-Match`` (412 when none matches).
- ``If-Unmodified-Since`` on PATCH: 412 when the record changed after that date.
- An invalid value of If-Match, If-None-Match or If-Unmodified-Since on a PATCH is 400; on
  a GET a date that does not parse is ignored (HTTP/1.1). DELETE takes none of them.

The metadata of an object changes when a custom field is declared on it
(``POST /_sim/crm/fields``, which stamps the business time); until then it dates from the
org's creation. The 412 body's errorCode is the fake's (the guide names the status only).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import orjson

from simulators.crm import errors as E
from simulators.crm.context import Ctx, Reply
from simulators.crm.org import DECLARED_AT, SCHEMA_SINCE
from simulators.crm.wire import parse_datetime

PRECONDITION_FAILED = "PRECONDITION_FAILED"
ETAG_OBJECTS = frozenset({"Account"})


def metadata_modified(ctx: Ctx, custom_fields: Iterable[Mapping[str, Any]],
                      sobject: str | None) -> datetime:
    """When ``sobject``'s metadata (every object's, for None) last changed."""
    moments = [float(ctx.tenant.meta.get(SCHEMA_SINCE, 0.0))]
    moments += [float(spec.get(DECLARED_AT, 0.0)) for spec in custom_fields
                if sobject is None or str(spec.get("sobject")).lower() == sobject.lower()]
    return datetime.fromtimestamp(int(max(moments)), UTC)


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _since(ctx: Ctx, name: str) -> datetime | None:
    raw = ctx.headers.get(name)
    if raw is None:
        return None
    try:
        moment = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def describe(ctx: Ctx, modified: datetime, body: Any) -> Reply:
    """A describe's answer: 304 when unchanged since If-Modified-Since, else the body with
    its Last-Modified."""
    since = _since(ctx, "if-modified-since")
    if since is not None and modified <= since:
        return Reply(304)
    return Reply(200, body, {"Last-Modified": http_date(modified)})


def etag(rendered: Mapping[str, Any]) -> str:
    digest = hashlib.sha256(orjson.dumps(rendered, option=orjson.OPT_SORT_KEYS,
                                         default=str)).digest()
    return f'"{base64.b64encode(digest).decode()}--gzip"'


def _tags(raw: str) -> list[str]:
    return [t.strip() for t in raw.split(",") if t.strip()]


def _well_formed(tags: list[str]) -> bool:
    return bool(tags) and all(t == "*" or (len(t) >= 2 and t[0] == t[-1] == '"') for t in tags)


def _record_modified(record: Mapping[str, Any]) -> datetime | None:
    stamp = record.get("LastModifiedDate") or record.get("SystemModstamp")
    return parse_datetime(str(stamp)) if stamp else None


def read(ctx: Ctx, sobject: str, record: Mapping[str, Any], rendered: Any) -> Reply:
    """A record GET: 304 or 412 when its preconditions say so, else 200 (with ETag)."""
    headers: dict[str, str] = {}
    if sobject in ETAG_OBJECTS and isinstance(rendered, dict):
        tag = headers["ETag"] = etag(rendered)
        match = ctx.headers.get("if-match")
        if match is not None and not ({tag, "*"} & set(_tags(match))):
            raise E.SfError(412, PRECONDITION_FAILED, "The ETag doesn't match (If-Match).")
        none_match = ctx.headers.get("if-none-match")
        if none_match is not None and {tag, "*"} & set(_tags(none_match)):
            return Reply(304, None, headers)
    since = _since(ctx, "if-modified-since")
    modified = _record_modified(record)
    if since is not None and modified is not None and modified.replace(microsecond=0) <= since:
        return Reply(304, None, headers)
    return Reply(200, rendered, headers)


def check_write(ctx: Ctx, sobject: str, record: Mapping[str, Any], rendered: Any) -> None:
    """A PATCH's preconditions: 400 for a header that does not parse, 412 when one fails."""
    match, none_match = ctx.headers.get("if-match"), ctx.headers.get("if-none-match")
    unmodified = ctx.headers.get("if-unmodified-since")
    for name, raw in (("If-Match", match), ("If-None-Match", none_match)):
        if raw is not None and not _well_formed(_tags(raw)):
            raise E.bad_request(E.INVALID_INPUT, f"Invalid {name} header: {raw}")
    if unmodified is not None:
        limit = _since(ctx, "if-unmodified-since")
        if limit is None:
            raise E.bad_request(E.INVALID_INPUT, f"Invalid If-Unmodified-Since header: "
                                f"{unmodified}")
        modified = _record_modified(record)
        if modified is not None and modified.replace(microsecond=0) > limit:
            raise E.SfError(412, PRECONDITION_FAILED,
                            "The record was modified after If-Unmodified-Since.")
    if sobject not in ETAG_OBJECTS or (match is None and none_match is None):
        return
    tag = etag(rendered)
    if match is not None and not ({tag, "*"} & set(_tags(match))):
        raise E.SfError(412, PRECONDITION_FAILED, "The ETag doesn't match (If-Match).")
    if none_match is not None and {tag, "*"} & set(_tags(none_match)):
        raise E.SfError(412, PRECONDITION_FAILED, "The ETag matches (If-None-Match).")

