"""Bulk API 2.0 (Bulk API 2.0 and Bulk API Developer Guide): ``/jobs/ingest`` and
``/jobs/query``; the jobs themselves are ``simulators/crm/bulk2.py``. Bulk API 2.0 came
with API version 41.0 (its query jobs with 47.0)."""

from __future__ import annotations

from typing import Any

from simulators.crm import bulk2
from simulators.crm import errors as E
from simulators.crm.context import Ctx, Reply, Req
from simulators.crm.params import NAME, VERSION, D
from simulators.engine.openapi import json_response
from simulators.engine.operation import Limits, Operations
from simulators.engine.params import Enum, Int, Str

ops = Operations(tags=("bulk 2.0",), path_params={"version": VERSION, "job": NAME},
                 extra={"since": 41.0})
INGEST = f"{D}/jobs/ingest"
QUERY = f"{D}/jobs/query"
JOB_BODY = {"type": "object", "required": ["operation"],
            "properties": {"operation": {"type": "string"}, "object": {"type": "string"},
                           "query": {"type": "string"}}}
CSV_TYPE = "text/csv"
RESULTS = ("successfulResults", "failedResults", "unprocessedrecords")


def _json(job: dict[str, Any], status: int = 200) -> Reply:
    return Reply(status, bulk2.info(job))


def _csv(text: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(200, text.encode("utf-8"),
                 {"Content-Type": "text/csv; charset=UTF-8", **(headers or {})})


def _listing(ctx: Ctx, kind: str) -> Reply:
    jobs = [bulk2.info(j) for j in ctx.tenant.store.all(bulk2.JOBS) if j["jobType"] == kind]
    return Reply(200, {"done": True, "records": jobs, "nextRecordsUrl": None})


@ops.operation(method="POST", path=INGEST, id="bulkIngestCreate", summary="Create an ingest job",
               body=JOB_BODY, responses={"200": json_response("Job")})
def create_ingest(ctx: Ctx, req: Req) -> Reply:
    """``{object, operation (insert, update, upsert, delete, hardDelete),
    externalIdFieldName, columnDelimiter, lineEnding}``: the job, state Open."""
    return _json(bulk2.create(ctx, "ingest", req.body()))


@ops.operation(method="GET", path=INGEST, id="bulkIngestList", summary="Ingest jobs",
               responses={"200": json_response("Jobs")})
def list_ingest(ctx: Ctx, req: Req) -> Reply:
    return _listing(ctx, "ingest")


@ops.operation(method="PUT", path=f"{INGEST}/{{job}}/batches", id="bulkIngestUpload",
               summary="Upload the job's CSV (once)", body={"type": "string"},
               body_media_type=CSV_TYPE,
               limits=Limits(max_body_bytes=bulk2.MAX_UPLOAD_BYTES,
                             source="Bulk API 2.0 Developer Guide, 'Limits': 150 MB per "
                                    "upload"),
               responses={"201": {"description": "Uploaded"}})
def upload(ctx: Ctx, req: Req) -> Reply:
    bulk2.upload(ctx, bulk2.find(ctx, req.path["job"], "ingest"), req.raw)
    return Reply(201)


@ops.operation(method="GET", path=f"{INGEST}/{{job}}/{{results}}", id="bulkIngestResults",
               summary="successfulResults (sf__Id, sf__Created, ...), failedResults "
                       "(sf__Id, sf__Error, ...) or unprocessedrecords, as CSV",
               path_params={"version": VERSION, "job": NAME,
                            "results": Enum(values=RESULTS)},
               responses={"200": {"description": "CSV"}})
def ingest_results(ctx: Ctx, req: Req) -> Reply:
    if req.path["results"] not in RESULTS:
        raise E.not_found()
    job = bulk2.find(ctx, req.path["job"], "ingest")
    return _csv(bulk2.results(job, req.path["results"]))


@ops.operation(method="GET", path=f"{INGEST}/{{job}}", id="bulkIngestGet",
               summary="An ingest job", responses={"200": json_response("Job")})
def get_ingest(ctx: Ctx, req: Req) -> Reply:
    return _json(bulk2.find(ctx, req.path["job"], "ingest"))


@ops.operation(method="PATCH", path=f"{INGEST}/{{job}}", id="bulkIngestState",
               summary="UploadComplete or Aborted", body=JOB_BODY,
               responses={"200": json_response("Job")})
def patch_ingest(ctx: Ctx, req: Req) -> Reply:
    """``{"state": "UploadComplete"}`` queues the job (the fake processes it at once);
    ``{"state": "Aborted"}`` stops it."""
    return Reply(200, bulk2.change_state(ctx, bulk2.find(ctx, req.path["job"], "ingest"),
                                         req.body()))


@ops.operation(method="DELETE", path=f"{INGEST}/{{job}}", id="bulkIngestDelete",
               summary="Delete a finished job", responses={"204": {"description": "Deleted"}})
def delete_ingest(ctx: Ctx, req: Req) -> Reply:
    bulk2.delete(ctx, bulk2.find(ctx, req.path["job"], "ingest"))
    return Reply(204)


@ops.operation(method="POST", path=QUERY, id="bulkQueryCreate", summary="Create a query job",
               body=JOB_BODY, responses={"200": json_response("Job")}, extra={"since": 47.0})
def create_query(ctx: Ctx, req: Req) -> Reply:
    """``{operation: query|queryAll, query}``."""
    job = bulk2.create(ctx, "query", req.body())
    return _json({**job, "state": "UploadComplete"})


@ops.operation(method="GET", path=QUERY, id="bulkQueryList", summary="Query jobs",
               responses={"200": json_response("Jobs")}, extra={"since": 47.0})
def list_query(ctx: Ctx, req: Req) -> Reply:
    return _listing(ctx, "query")


@ops.operation(method="GET", path=f"{QUERY}/{{job}}/results", id="bulkQueryResults",
               summary="A page of results as CSV",
               query={"locator": Str(), "maxRecords": Int(minimum=1, maximum=2**31 - 1,
                                                          blank_means_absent=True)},
               responses={"200": {"description": "CSV"}}, extra={"since": 47.0})
def query_results(ctx: Ctx, req: Req) -> Reply:
    """``Sforce-Locator`` names the next page (``null`` after the last);
    ``Sforce-NumberOfRecords`` counts this one."""
    job = bulk2.find(ctx, req.path["job"], "query")
    text, locator, count = bulk2.page(job, req.query.get("locator") or None,
                                      req.query.get("maxRecords"))
    return _csv(text, {"Sforce-Locator": locator, "Sforce-NumberOfRecords": str(count)})


@ops.operation(method="GET", path=f"{QUERY}/{{job}}", id="bulkQueryGet", summary="A query job",
               responses={"200": json_response("Job")}, extra={"since": 47.0})
def get_query(ctx: Ctx, req: Req) -> Reply:
    return _json(bulk2.find(ctx, req.path["job"], "query"))


@ops.operation(method="PATCH", path=f"{QUERY}/{{job}}", id="bulkQueryState",
               summary="Abort a query job", body=JOB_BODY,
               responses={"200": json_response("Job")}, extra={"since": 47.0})
def patch_query(ctx: Ctx, req: Req) -> Reply:
    return Reply(200, bulk2.change_state(ctx, bulk2.find(ctx, req.path["job"], "query"),
                                         req.body()))


@ops.operation(method="DELETE", path=f"{QUERY}/{{job}}", id="bulkQueryDelete",
               summary="Delete a query job", responses={"204": {"description": "Deleted"}},
               extra={"since": 47.0})
def delete_query(ctx: Ctx, req: Req) -> Reply:
    bulk2.delete(ctx, bulk2.find(ctx, req.path["job"], "query"))
    return Reply(204)
