"""Async job resources (Oracle, "REST Web Services Request Processing"): a job's status,
its task list, the task, and the result of the request it ran. A pending job runs
when polled (after a restart, its loop callback is gone)."""

from __future__ import annotations

from typing import Any

from simulators.engine.openapi import json_response
from simulators.engine.operation import Operations
from simulators.engine.params import Str
from simulators.engine.store import Record
from simulators.erp import jobs
from simulators.erp import service_times as took
from simulators.erp.context import Ctx
from simulators.erp.errors import NonexistentId
from simulators.erp.jobs import JOB_PATH
from simulators.erp.openapi import COLLECTION, no_content
from simulators.erp.wire import Reply, Req, json_reply

ID = Str(min_length=1)
ops = Operations(tags=("async",), path_params={"job": ID, "task": ID},
                 extra={"service_time": took.SYSTEM})


@ops.operation(method="GET", path=f"{JOB_PATH}/{{job}}", id="getJob",
               summary="Async job status", responses={"200": json_response("Job")})
def get_job(ctx: Ctx, req: Req) -> Reply:
    job = jobs.find(ctx, req.params["job"])
    url = ctx.url(f"{JOB_PATH}/{job['id']}")
    return json_reply(
        {
            "links": [{"rel": "self", "href": url}],
            "completed": job["completed"],
            "id": job["id"],
            "progress": job["progress"],
            "task": {"links": [{"rel": "self", "href": f"{url}/task"}]},
        }
    )


@ops.operation(method="GET", path=f"{JOB_PATH}/{{job}}/task", id="listTasks",
               summary="Tasks of a job", responses={"200": json_response("Tasks", COLLECTION)})
def list_tasks(ctx: Ctx, req: Req) -> Reply:
    job = jobs.find(ctx, req.params["job"])
    url = ctx.url(f"{JOB_PATH}/{job['id']}/task")
    return json_reply(
        {
            "links": [{"rel": "self", "href": url}],
            "count": 1,
            "hasMore": False,
            "items": [{"links": [{"rel": "self", "href": f"{url}/{job['id']}"}], "id": job["id"]}],
            "offset": 0,
            "totalResults": 1,
        }
    )


def _task(ctx: Ctx, req: Req) -> Record:
    job = jobs.find(ctx, req.params["job"])
    if req.params["task"] != job["id"]:
        raise NonexistentId()
    return job


@ops.operation(method="GET", path=f"{JOB_PATH}/{{job}}/task/{{task}}", id="getTask",
               summary="Task status", responses={"200": json_response("Task")})
def get_task(ctx: Ctx, req: Req) -> Reply:
    job = _task(ctx, req)
    url = ctx.url(f"{JOB_PATH}/{job['id']}/task/{job['id']}")
    body: dict[str, Any] = {
        "links": [{"rel": "related", "href": f"{url}/result"}, {"rel": "self", "href": url}],
        "completed": job["completed"],
        "id": job["id"],
        "progress": job["progress"],
    }
    for key in ("startTime", "endTime"):
        if job.get(key):
            body[key] = job[key]
    return json_reply(body)


@ops.operation(method="GET", path=f"{JOB_PATH}/{{job}}/task/{{task}}/result",
               id="getTaskResult", summary="The result of the request the task ran",
               responses={"200": json_response("Result"),
                          "204": no_content("Result of a create")})
def get_result(ctx: Ctx, req: Req) -> Reply:
    job = _task(ctx, req)
    return Reply.from_json(job["result"])
