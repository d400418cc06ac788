"""Versions, resources by version, limits, identity and fintwin's change-event pull
(REST API Developer Guide, "Versions", "Resources by Version", "Limits"; "Identity URLs")."""

from __future__ import annotations

from typing import Any

from simulators.crm import cdc
from simulators.crm.context import Ctx, Reply, Req, versions
from simulators.crm.limits import limits_body
from simulators.crm.params import VERSION, D
from simulators.engine.openapi import json_response
from simulators.engine.operation import Operations
from simulators.engine.params import Int, Str

ops = Operations(tags=("rest",), path_params={"version": VERSION})


@ops.operation(method="GET", path="/services/data", id="versions",
               summary="API versions served", public=True, path_params={},
               responses={"200": json_response("Versions", {"type": "array"})})
def list_versions(ex: Any) -> Reply:
    """Every version from 31.0 (Summer '14) to 68.0 (Winter '27); no session needed. The
    retired 7.0 to 30.0 answer 410 GONE."""
    return Reply(200, versions())


@ops.operation(method="GET", path=D, id="resources", summary="Resources by version",
               responses={"200": json_response("Resources")})
def resources(ctx: Ctx, req: Req) -> Reply:
    p = ctx.prefix
    return Reply(200, {name: f"{p}/{name}"
                       for name in ("sobjects", "query", "queryAll", "composite", "limits")})


@ops.operation(method="GET", path=f"{D}/limits", id="limits", summary="Org limits",
               responses={"200": json_response("Limits")})
def limits(ctx: Ctx, req: Req) -> Reply:
    """``DailyApiRequests`` counts this org's calls of its business day."""
    return Reply(200, limits_body(ctx.sim, ctx.tenant))


@ops.operation(method="GET", path="/id/{org_id}/{user_id}", id="identity",
               summary="The caller's identity (the token's ``id`` URL)", path_params={},
               responses={"200": json_response("Identity")})
def identity(ctx: Ctx, req: Req) -> Reply:
    tenant = ctx.tenant
    return Reply(200, {"organization_id": tenant.id, "user_id": tenant.meta.get("user_id"),
                       "username": f"admin@{tenant.id.lower()}.fintwin.example"})


@ops.operation(method="GET", path=f"{D}/fintwin/changeEvents", id="pullChangeEvents",
               summary="fintwin extension: change events after a replay id (-2: all retained)",
               tags=("change events",),
               query={"replayId": Int(minimum=-(2**63), maximum=2**63 - 1,
                                      blank_means_absent=True),
                      "limit": Int(minimum=-(2**63), maximum=2**63 - 1,
                                   blank_means_absent=True,
                                   description="1 to 10,000 (a value outside is clamped)"),
                      "entity": Str()},
               responses={"200": json_response("Events")})
def pull_change_events(ctx: Ctx, req: Req) -> Reply:
    """Change events retained for the org (72 hours of business time), oldest first:
    what a CometD or Pub/Sub API subscriber would receive."""
    replay = req.query.get("replayId", -2)
    limit = min(max(req.query.get("limit", 1000), 1), 10_000)
    events = cdc.read(ctx.tenant, replay, limit, req.query.get("entity") or None)
    latest = events[-1]["replayId"] if events else replay
    return Reply(200, {"events": events, "latestReplayId": latest})
