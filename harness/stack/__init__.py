"""The stack: three fakes and one SUT, wired together, in one of several modes.

One module per mode, the surface they share in :mod:`~harness.stack.base`, and the pieces
they share in modules named after what they do:

    base        Stack: lifecycle, clients, control planes, fault plans, tenants, SUT admin
    inprocess   InProcessStack          local       LocalStack
    external    ExternalStack           containers  ContainersStack (testcontainers)
    config      StackConfig, StackError, member names, headers, variables
    tenants     Tenant and its parts, provisioning, registration with the SUT
    bridge      the loop thread and the transports into it, run_sync
    processes   health waits with the stack's deadline (harness.processes owns ports,
                probes and child processes; free_port and ssl_context re-exported here)
    fakes       a fake's settings and app in process, its command line elsewhere

- ``inprocess``: the fakes (``create_app(SimSettings)``) and the SUT's in-process factory
  run as ASGI apps in one event loop on a background thread. The SUT reaches the fakes and
  the fakes deliver webhooks to the SUT through ``RoutingTransport`` (by host name);
  the test thread reaches everything through a bridging httpx transport. Fastest.
- ``local``: each fake is a uvicorn server on its own 127.0.0.1 port (a ``fintwin sim``
  subprocess, or a ``ServerThread`` with ``fakes="thread"``); the CRM serves TLS with the
  engine's local CA; the SUT runs the manifest's command with its environment set, and is
  ready when its health path answers 2xx.
- ``external``: the SUT is already running at the manifest's ``start.url``. The fakes are
  the ones named by the manifest's base-URL variables in the harness's own environment
  or by its ``[fakes]`` table, else the harness starts its own on loopback (as ``local``).
- ``containers``: the fakes, and the SUT when its manifest names an image, as Docker
  containers through testcontainers-python (:mod:`harness.stack.containers`).

Every stack exposes the same surface: ``urls``, ``client()``/``async_client()`` (and
``transport()``/``async_transport()``) per target, ``ca_bundle``, ``admin_token``, ``seed``,
the control plane of each fake (``control()``, ``set_faults()``, ``fault_log()``,
``deliveries()``, ``journal()``), ``new_tenant()`` and the SUT's admin paths.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from harness.manifest import Manifest
from harness.processes import free_port, ssl_context
from harness.stack.base import Stack, pending_count, scoped_plan
from harness.stack.bridge import AsyncBridgeTransport, BridgeTransport, LoopThread, run_sync
from harness.stack.config import (
    ADMIN_HEADER,
    APP_MODULES,
    DELIVERED,
    INPROCESS_URLS,
    MODES_HELP,
    OBSERVER_HEADER,
    SIM_ADMIN_TOKEN_ENV,
    SUT,
    SUT_URL_ENV,
    TARGETS,
    TRAFFIC_LIMIT,
    StackConfig,
    StackError,
)
from harness.stack.containers import ContainersStack
from harness.stack.external import ExternalStack
from harness.stack.fakes import create_fake, fake_arguments, fake_settings
from harness.stack.inprocess import InProcessStack, Lifespan
from harness.stack.local import LocalStack
from harness.stack.processes import wait_healthy
from harness.stack.tenants import (
    BillingTenant,
    CrmTenant,
    ErpTenant,
    Tenant,
    crm_webhook_secret,
    provision,
    registered,
)

__all__ = [
    "ADMIN_HEADER", "APP_MODULES", "DELIVERED", "INPROCESS_URLS", "MODES", "MODES_HELP",
    "OBSERVER_HEADER", "SIM_ADMIN_TOKEN_ENV", "SUT", "SUT_URL_ENV", "TARGETS", "TRAFFIC_LIMIT",
    "AsyncBridgeTransport", "BillingTenant", "BridgeTransport", "ContainersStack", "CrmTenant",
    "ErpTenant", "ExternalStack", "InProcessStack", "Lifespan", "LocalStack", "LoopThread",
    "Stack", "StackConfig", "StackError", "Tenant", "create_fake", "create_stack",
    "crm_webhook_secret", "fake_arguments", "fake_settings", "free_port", "pending_count",
    "provision", "registered", "run_sync", "running", "scoped_plan", "ssl_context",
    "wait_healthy",
]

MODES: dict[str, type[Stack]] = {"inprocess": InProcessStack, "local": LocalStack,
                                 "external": ExternalStack, "containers": ContainersStack}


def create_stack(mode: str, manifest: Manifest, config: StackConfig | None = None,
                 **kwargs: Any) -> Stack:
    """A stack of ``mode`` (not started)."""
    try:
        cls = MODES[mode]
    except KeyError:
        raise StackError(f"unknown stack mode {mode!r} ({MODES_HELP})") from None
    return cls(manifest, config, **kwargs)


@contextlib.contextmanager
def running(mode: str, manifest: Manifest, config: StackConfig | None = None,
            **kwargs: Any) -> Iterator[Stack]:
    """``with running("inprocess", manifest) as stack: ...``"""
    stack = create_stack(mode, manifest, config, **kwargs)
    with stack:
        yield stack
