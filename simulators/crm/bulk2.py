"""Bulk API 2.0 jobs (Bulk API 2.0 and Bulk API Developer Guide): ingest jobs that load CSV
into an object, and query jobs that read a SOQL result back as CSV pages.

Ingest: create (state Open) -> one CSV upload (``PUT .../batches``, at most 150 MB) ->
``UploadComplete`` -> processed -> ``JobComplete`` (``Failed`` when the CSV itself is
refused; ``Aborted`` on request while Open or UploadComplete). Each row is its own save:
a bad row fails alone and is listed in ``failedResults`` with ``sf__Id, sf__Error``; the
others are in ``successfulResults`` with ``sf__Id, sf__Created``; rows of an aborted job
are in ``unprocessedrecords``. A second upload answers the guide's "Found multiple
contents for job". Empty values are left unset; ``#N/A`` sets a field to null.

Query: create -> ``UploadComplete`` -> ``JobComplete``; results are CSV pages of
``maxRecords`` rows with ``Sforce-Locator`` (``null`` on the last page) and
``Sforce-NumberOfRecords``. Bulk queries refuse aggregate functions, COUNT(), GROUP BY,
OFFSET and parent-to-child subqueries ("Bulk API 2.0 Query": unsupported SOQL).

The fake processes a job at once when its upload completes (Salesforce queues it); the
states a client sees are the guide's. The wording of errors the guide does not quote is
the fake's own.
"""

from __future__ import annotations

import base64
import csv
import io
from decimal import Decimal, InvalidOperation
from typing import Any

from simulators.crm import errors as E
from simulators.crm import records as R
from simulators.crm.context import Ctx
from simulators.crm.querying import parse_soql, run_soql
from simulators.crm.schema import NUMBER_TYPES, FieldType, ObjectDef
from simulators.crm.soql import ast as soql_ast
from simulators.crm.wire import sf_datetime

JOBS = "_bulk2_job"
INGEST_OPERATIONS = ("insert", "update", "upsert", "delete", "hardDelete")
QUERY_OPERATIONS = ("query", "queryAll")
MAX_UPLOAD_BYTES = 150 * 1024 * 1024
DEFAULT_PAGE = 50_000
DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^",
              "BACKQUOTE": "`"}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}


def _bad(message: str, code: str = E.INVALID_INPUT) -> E.SfError:
    return E.bad_request(code, message)


def find(ctx: Ctx, job_id: str, kind: str) -> dict[str, Any]:
    job = ctx.tenant.store.get(JOBS, job_id)
    if job is None or job["jobType"] != kind:
        raise E.not_found(f"Job not found: {job_id}")
    return job


def create(ctx: Ctx, kind: str, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _bad("The request body must be a JSON object", E.JSON_PARSER_ERROR)
    operation = body.get("operation")
    allowed = INGEST_OPERATIONS if kind == "ingest" else QUERY_OPERATIONS
    if operation not in allowed:
        raise _bad(f"Invalid operation: {operation} (one of {', '.join(allowed)})")
    delimiter = body.get("columnDelimiter", "COMMA")
    ending = body.get("lineEnding", "LF")
    if delimiter not in DELIMITERS:
        raise _bad(f"Invalid columnDelimiter: {delimiter}")
    if ending not in LINE_ENDINGS:
        raise _bad(f"Invalid lineEnding: {ending}")
    if body.get("contentType", "CSV") != "CSV":
        raise _bad("contentType must be CSV")
    stamp = sf_datetime(ctx.tenant.clock.now())
    job_id = ctx.tenant.new_id("750", 15)
    job: dict[str, Any] = {
        "id": job_id, "jobType": kind, "operation": operation, "state": "Open",
        "createdById": ctx.tenant.meta.get("user_id"), "createdDate": stamp,
        "systemModstamp": stamp, "concurrencyMode": "Parallel", "contentType": "CSV",
        "apiVersion": float(ctx.version), "lineEnding": ending, "columnDelimiter": delimiter,
        "numberRecordsProcessed": 0, "numberRecordsFailed": 0, "retries": 0,
        "totalProcessingTime": 0,
    }
    if kind == "ingest":
        obj = ctx.org.schema.find_object(str(body.get("object") or ""))
        if obj is None:
            raise _bad(f"sObject type '{body.get('object')}' is not supported.",
                       E.INVALID_TYPE if body.get("object") else E.INVALID_INPUT)
        job["object"] = obj.name
        if operation == "upsert":
            field = obj.find_field(str(body.get("externalIdFieldName") or ""))
            if field is None or not (field.external_id or field.name == "Id"):
                raise _bad("externalIdFieldName must name an external id field of "
                           f"{obj.name} for an upsert")
            job["externalIdFieldName"] = field.name
        job["contentUrl"] = f"services/data/v{ctx.version}/jobs/ingest/{job_id}/batches"
    else:
        _run_query(ctx, job, body.get("query"))
    ctx.tenant.store.put(JOBS, job)
    return job


def info(job: dict[str, Any]) -> dict[str, Any]:
    """The job as its GET answers (no stored data or results)."""
    return {k: v for k, v in job.items() if not k.startswith("_") and k != "jobType"}


def upload(ctx: Ctx, job: dict[str, Any], raw: bytes) -> None:
    if job["state"] != "Open":
        raise _bad(f"Job {job['id']} is not open for uploads (state {job['state']})",
                   "INVALIDJOBSTATE")
    if "_data" in job:
        raise _bad(f"Found multiple contents for job: <{job['id']}>, please 'Close' / "
                   "'Abort' / 'Delete' the current Job then create a new Job and make sure "
                   "you only do 'PUT' once on a given Job.", "INVALIDJOBSTATE")
    if not raw.strip():
        raise _bad("The CSV upload is empty")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _bad("The CSV upload must be UTF-8") from None
    ctx.tenant.store.put(JOBS, {**job, "_data": text})


def change_state(ctx: Ctx, job: dict[str, Any], body: Any) -> dict[str, Any]:
    state = body.get("state") if isinstance(body, dict) else None
    if state == "Aborted":
        if job["state"] not in ("Open", "UploadComplete", "InProgress"):
            raise _bad(f"Job {job['id']} can't be aborted in state {job['state']}",
                       "INVALIDJOBSTATE")
        new = {**job, "state": "Aborted"}
    elif state == "UploadComplete" and job["jobType"] == "ingest":
        if job["state"] != "Open":
            raise _bad(f"Job {job['id']} is not open (state {job['state']})",
                       "INVALIDJOBSTATE")
        answered = {**job, "state": "UploadComplete"}
        new = _process(ctx, answered)
        new["systemModstamp"] = sf_datetime(ctx.tenant.clock.now())
        ctx.tenant.store.put(JOBS, new)
        return info(answered)
    else:
        raise _bad(f"Invalid state: {state}")
    new["systemModstamp"] = sf_datetime(ctx.tenant.clock.now())
    ctx.tenant.store.put(JOBS, new)
    return info(new)


def delete(ctx: Ctx, job: dict[str, Any]) -> None:
    if job["state"] in ("Open", "InProgress"):
        raise _bad(f"Job {job['id']} can't be deleted in state {job['state']}",
                   "INVALIDJOBSTATE")
    ctx.tenant.store.delete(JOBS, job["id"])


# --- ingest ---------------------------------------------------------------------------


def _reader(job: dict[str, Any], text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""),
                           delimiter=DELIMITERS[job["columnDelimiter"]]))


def _writer(job: dict[str, Any], rows: list[list[Any]]) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=DELIMITERS[job["columnDelimiter"]],
                        lineterminator=LINE_ENDINGS[job["lineEnding"]],
                        quoting=csv.QUOTE_ALL)
    writer.writerows(rows)
    return out.getvalue()


def _process(ctx: Ctx, job: dict[str, Any]) -> dict[str, Any]:
    data = job.get("_data")
    if data is None:
        return {**job, "state": "Failed", "errorMessage": "No data was uploaded"}
    rows = [r for r in _reader(job, data) if r]
    if not rows:
        return {**job, "state": "Failed", "errorMessage": "The CSV has no header row"}
    header, body = rows[0], rows[1:]
    obj = ctx.org.schema.object(job["object"])
    fields = []
    for name in header:
        found = obj.find_field(name.strip())
        if found is None:
            return {**job, "state": "Failed",
                    "errorMessage": f"InvalidBatch : Field name not found : {name}"}
        fields.append(found)
    if job["operation"] in ("delete", "hardDelete") and [f.name for f in fields] != ["Id"]:
        return {**job, "state": "Failed", "errorMessage":
                "InvalidBatch : The 'delete' batch must contain only ids"}
    ok: list[list[Any]] = [["sf__Id", "sf__Created", *header]]
    failed: list[list[Any]] = [["sf__Id", "sf__Error", *header]]
    for row in body:
        record_id, created, error = _save_row(ctx, job, obj, fields, row)
        if error is None:
            ok.append([record_id, "true" if created else "false", *row])
        else:
            failed.append([record_id or "", error, *row])
    return {**job, "state": "JobComplete", "numberRecordsProcessed": len(body),
            "numberRecordsFailed": len(failed) - 1, "_ok": _writer(job, ok),
            "_failed": _writer(job, failed), "_header": header}


def _value(field: Any, text: str) -> Any:
    if text == "#N/A":
        return None
    if field.type is FieldType.BOOLEAN:
        lowered = text.strip().lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
        return text
    if field.type in NUMBER_TYPES:
        try:
            return Decimal(text)
        except InvalidOperation:
            return text
    return text


def _save_row(ctx: Ctx, job: dict[str, Any], obj: ObjectDef, fields: list[Any],
              row: list[str]) -> tuple[str | None, bool, str | None]:
    values = {f.name: _value(f, v) for f, v in zip(fields, row, strict=False) if v != ""}
    operation = job["operation"]
    txn = R.begin(ctx.sim, ctx.tenant)
    record_id: str | None = values.get("Id") if isinstance(values.get("Id"), str) else None
    try:
        created = False
        if operation == "insert":
            record_id, created = R.create(txn, obj, values)["Id"], True
        elif operation in ("update", "delete", "hardDelete"):
            if not record_id:
                raise E.bad_request("MISSING_ARGUMENT", "Id not specified in an update call",
                                    ["Id"])
            record = R.get_record(ctx.org, obj, record_id)
            record_id = record["Id"]
            if operation == "update":
                R.update(txn, obj, record, {k: v for k, v in values.items() if k != "Id"})
            else:
                R.delete(txn, obj, record)
        else:  # upsert
            key = job["externalIdFieldName"]
            value = values.get(key)
            found = (ctx.org.source.find_equal(obj.name, key, value) or []
                     ) if value is not None else []
            live = [r for r in found if not r.get("IsDeleted")]
            if len(live) > 1:
                raise E.bad_request("DUPLICATE_EXTERNAL_ID", f"{key}: more than one record "
                                    f"found for external id field: {value}", [key])
            if live:
                record_id = live[0]["Id"]
                record = R.get_record(ctx.org, obj, str(record_id))
                R.update(txn, obj, record, {k: v for k, v in values.items() if k != "Id"})
            else:
                record_id, created = R.create(txn, obj, values)["Id"], True
    except E.SfError as exc:
        txn.rollback()
        fields_text = ",".join(exc.fields or [])
        return record_id, False, f"{exc.code}:{exc.message}:{fields_text} --"
    txn.commit()
    return record_id, created, None


def results(job: dict[str, Any], which: str) -> str:
    """successfulResults, failedResults or unprocessedrecords, as CSV."""
    if job["jobType"] != "ingest":
        raise E.not_found()
    if which == "unprocessedrecords":
        if job["state"] in ("JobComplete", "Failed") and "_ok" in job:
            return ""
        rows = [r for r in _reader(job, job.get("_data", "")) if r]
        return _writer(job, rows)
    if job["state"] not in ("JobComplete",):
        raise _bad(f"Job {job['id']} has no results in state {job['state']}",
                   "INVALIDJOBSTATE")
    return str(job["_ok" if which == "successfulResults" else "_failed"])


# --- query ----------------------------------------------------------------------------


def _run_query(ctx: Ctx, job: dict[str, Any], text: Any) -> None:
    if not isinstance(text, str) or not text.strip():
        raise _bad("A query is required for a query job")
    parsed = parse_soql(text)
    refused = _unsupported(parsed)
    if refused:
        raise _bad(f"Bulk API 2.0 queries don't support {refused}", "API_ERROR")
    result = run_soql(ctx, parsed, job["operation"] == "queryAll")
    columns = [".".join(i.path.names) for i in parsed.select
               if isinstance(i, soql_ast.SelectField)]
    rows = [[_flat(record, column) for column in columns] for record in result.records]
    job.update({"object": parsed.sobject, "query": text, "state": "JobComplete",
                "numberRecordsProcessed": len(rows), "_columns": columns, "_rows": rows})


def _unsupported(query: soql_ast.Query) -> str | None:
    for item in query.select:
        if isinstance(item, soql_ast.SelectAggregate | soql_ast.SelectCount):
            return "aggregate functions or COUNT()"
        if isinstance(item, soql_ast.SelectSubquery):
            return "parent-to-child subqueries"
    if query.group_by:
        return "GROUP BY"
    if query.offset is not None:
        return "OFFSET"
    return None


def _flat(record: dict[str, Any], column: str) -> str:
    value: Any = record
    for name in column.split("."):
        if not isinstance(value, dict):
            return ""
        match = next((k for k in value if k.lower() == name.lower()), None)
        value = value.get(match) if match is not None else None
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def page(job: dict[str, Any], locator: str | None, max_records: int | None
         ) -> tuple[str, str, int]:
    """(CSV, next locator or "null", rows in this page) of a query job's results."""
    if job["jobType"] != "query":
        raise E.not_found()
    if job["state"] != "JobComplete":
        raise _bad(f"Job {job['id']} is not complete (state {job['state']})",
                   "INVALIDJOBSTATE")
    start = 0
    if locator:
        try:
            start = int(base64.urlsafe_b64decode(locator.encode() + b"==").decode())
        except (ValueError, UnicodeDecodeError):
            raise _bad(f"Invalid locator: {locator}", E.INVALID_QUERY_LOCATOR) from None
    size = max_records if max_records and max_records > 0 else DEFAULT_PAGE
    rows: list[list[Any]] = job["_rows"]
    chunk = rows[start:start + size]
    end = start + len(chunk)
    token = base64.urlsafe_b64encode(str(end).encode()).decode().rstrip("=") \
        if end < len(rows) else "null"
    return _writer(job, [job["_columns"], *chunk]), token, len(chunk)
