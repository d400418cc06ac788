"""Asynchronous requests: ``Prefer: respond-async`` and ``X-NetSuite-Idempotency-Key``.

Oracle, "REST Web Services Request Processing" (chapter_161251386312) and its
sections: any REST request with ``Prefer: respond-async`` is queued and
answered ``202 Accepted`` with ``Preference-Applied: respond-async`` and
``Location: .../services/rest/async/v1/job/<id>``; ``GET`` on the job gives
``{links, completed, id, progress, task: {links}}``; ``.../job/<id>/task``
lists the task, ``.../task/<id>`` gives ``{links, completed, endTime, id,
progress, startTime}`` and ``.../task/<id>/result`` the result of the request.
A second async request with an ``X-NetSuite-Idempotency-Key`` already used is
refused with status 400, title "Conflict", ``o:errorCode`` IDEMPOTENCY_ERROR
and the first job's ``Location`` ("Sending an Asynchronous Request Using an
Idempotency Key", subsect_164494900632). Synchronous requests ignore the key.

Jobs live in the tenant store (snapshot and restore keep them). A job runs on
the event loop right after the 202 is sent; a job found still pending after
a restart runs when it is next polled. Progress values other than pending /
succeeded / failed, and what ``result`` holds for a 204 create, are unverified.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from simulators.engine.offload import Deferred
from simulators.engine.store import Record
from simulators.erp.context import JOBS, Ctx
from simulators.erp.errors import IdempotencyError, NonexistentId
from simulators.erp.wire import Reply, Req

JOB_PATH = "/services/rest/async/v1/job"


def _stamp(ctx: Ctx) -> str:
    return dt.datetime.fromtimestamp(ctx.now(), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def submit(ctx: Ctx, op: str, req: Req) -> Reply:
    """Queue ``req`` for operation ``op`` (its id) as a job: 202 with the job's Location.
    ``req.query`` is the query as sent: it is checked when the job runs."""
    key = req.headers.get("x-netsuite-idempotency-key")
    if key:
        first = ctx.store.collection(JOBS).by_index("key", key)
        if first:
            raise IdempotencyError(
                "A request with the same idempotency key is already submitted. See the "
                '"Location" header for a link to the previously submitted job',
                headers={
                    "location": ctx.url(f"{JOB_PATH}/{first[0]['id']}"),
                    "preference-applied": "respond-async",
                },
            )
    job_id = ctx.next_id("job")
    job: Record = {
        "id": job_id,
        "key": key or None,
        "op": op,
        "progress": "pending",
        "completed": False,
        "submitted": _stamp(ctx),
        "request": {
            "method": req.method,
            "params": req.params,
            "query": req.query,
            "body": req.body.decode("utf-8", "replace"),
            "headers": req.headers,
        },
    }
    ctx.store.put(JOBS, job)
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        execute(ctx, job)
    else:
        # A job whose work is heavy (a query) runs it off the loop (engine.offload).
        running = ctx.tenant.transient.setdefault(_RUNNING, {})
        running[job_id] = loop.create_task(_execute_soon(ctx, job))
    return Reply(
        202,
        b"",
        {
            "location": ctx.url(f"{JOB_PATH}/{job_id}"),
            "preference-applied": "respond-async",
            "content-type": "application/json",
        },
    )


_RUNNING = "erp.jobs.running"


async def _execute_soon(ctx: Ctx, job: Record) -> None:
    try:
        started = _stamp(ctx)
        found = _start(ctx, job)
        if found is None:
            return
        current, reply = found
        if isinstance(reply, Deferred):
            reply = await reply.run()
        _finish(ctx, current, started, reply)
    finally:
        ctx.tenant.transient.get(_RUNNING, {}).pop(job["id"], None)


def execute(ctx: Ctx, job: Record) -> None:
    """Run ``job`` here and now (no loop, or a pending job found after a restart)."""
    started = _stamp(ctx)
    found = _start(ctx, job)
    if found is None:
        return
    current, reply = found
    _finish(ctx, current, started, reply.now() if isinstance(reply, Deferred) else reply)


def _start(ctx: Ctx, job: Record) -> tuple[Record, Reply | Deferred[Any, Reply]] | None:
    current = ctx.store.get(JOBS, job["id"])
    if current is None or current["completed"]:
        return None
    raw = current["request"]
    req = Req(
        raw["method"],
        dict(raw["params"]),
        dict(raw["query"]),
        str(raw["body"]).encode(),
        dict(raw["headers"]),
    )
    assert ctx.invoke is not None
    return current, ctx.invoke(ctx, current["op"], req)


def _finish(ctx: Ctx, current: Record, started: str, reply: Reply) -> None:
    done = dict(
        current,
        progress="succeeded" if reply.status < 400 else "failed",
        completed=True,
        startTime=started,
        endTime=_stamp(ctx),
        result=reply.to_json(),
    )
    ctx.store.put(JOBS, done)
    ctx.sim.persist_header(ctx.tenant)


def find(ctx: Ctx, job_id: str) -> Record:
    job = ctx.store.get(JOBS, job_id)
    if job is None:
        raise NonexistentId()
    if not job["completed"] and job_id not in ctx.tenant.transient.get(_RUNNING, {}):
        # Pending after a restart (the loop callback is gone): run it now.
        execute(ctx, job)
        job = ctx.store.get(JOBS, job_id)
        assert job is not None
    return job
