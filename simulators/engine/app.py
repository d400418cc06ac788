"""``build_sim_app``: the one factory every fake's ``create_app(settings)`` calls.

The same ASGI app serves in-process (httpx transport), as a uvicorn server
(plain HTTP or TLS) and in a container; there is no second code path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.routing import BaseRoute

from simulators.engine.control import build_control_app, control_operations
from simulators.engine.middleware import ASGIApp, SimApp, SimMiddleware
from simulators.engine.openapi import Operation, build_document
from simulators.engine.runtime import Simulation


def build_sim_app(sim: Simulation, vendor_app: ASGIApp, *, title: str, version: str,
                  description: str, operations: Callable[[], list[Operation]],
                  security_schemes: dict[str, Any],
                  default_security: list[dict[str, list[str]]],
                  control_extra: list[BaseRoute] | None = None,
                  control_extra_ops: list[Operation] | None = None,
                  components: dict[str, Any] | None = None) -> SimApp:
    schemes = dict(security_schemes)
    schemes["simAdminToken"] = {"type": "apiKey", "in": "header", "name": "X-Sim-Admin-Token"}
    cache: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if "doc" not in cache:
            ops = [*operations(), *control_operations(), *(control_extra_ops or [])]
            cache["doc"] = build_document(title, version, description, ops, schemes,
                                          default_security, components)
        doc: dict[str, Any] = cache["doc"]
        return doc

    control = build_control_app(sim, control_extra or [], openapi)
    return SimMiddleware(vendor_app, sim, control)
