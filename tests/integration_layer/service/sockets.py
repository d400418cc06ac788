"""The three fakes served on loopback (the CRM over TLS with the engine's local CA), and a
sandbox :class:`~harness.sandbox.World` on them for a service reached over HTTP."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import httpx

from harness.processes import ServerProcess, fintwin_argv, free_port, ssl_context
from harness.sandbox import World, provision
from harness.servers import ServerThread
from integration_layer.service.runtime import Service
from simulators.billing.app import create_app as billing_app
from simulators.crm.app import create_app as crm_app
from simulators.engine.settings import SimSettings
from simulators.engine.tls import ensure_local_ca
from simulators.erp.app import create_app as erp_app


@dataclass
class Fakes:
    servers: dict[str, ServerThread]
    ca_bundle: str

    def urls(self) -> dict[str, str]:
        return {name: server.url for name, server in self.servers.items()}


@contextlib.contextmanager
def serve_fakes(state_dir: Path, seed: int = 7) -> Iterator[Fakes]:
    tls = ensure_local_ca(state_dir)

    def settings() -> SimSettings:
        return SimSettings(seed=seed, limits=False, delivery_time_scale=0.001)

    servers = {
        "crm": ServerThread(crm_app(settings()), ssl_certfile=str(tls.cert_pem),
                            ssl_keyfile=str(tls.key_pem)),
        "billing": ServerThread(billing_app(settings())),
        "erp": ServerThread(erp_app(settings())),
    }
    started: list[ServerThread] = []
    try:
        for server in servers.values():
            started.append(server.start())
        yield Fakes(servers, str(tls.ca_pem))
    finally:
        for server in started:
            server.stop()


@contextlib.asynccontextmanager
async def socket_world(fakes: Fakes, sut_url: str,
                       service: Service | None = None) -> AsyncIterator[World]:
    """A fresh tenant in the served fakes, wired to the service at ``sut_url``."""
    observer = {"X-Fintwin-Observer": "1"}
    trust = ssl_context(fakes.ca_bundle)
    clients = {name: httpx.AsyncClient(base_url=url, verify=trust, headers=observer,
                                       trust_env=False, timeout=30)
               for name, url in fakes.urls().items()}
    clients["sut"] = httpx.AsyncClient(base_url=sut_url, trust_env=False, timeout=30)
    uniq = uuid.uuid4().hex[:10]
    w = World(clients["crm"], clients["billing"], clients["erp"], clients["sut"],
              cast(Service, service), "", f"7{uniq[:6]}", f"sk_test_{uniq}", f"t-{uniq}",
              ca_bundle=fakes.ca_bundle)
    try:
        await provision(w, urls=fakes.urls(), sut_url=sut_url)
        yield w
    finally:
        if w.erp_client is not None:
            await w.erp_client.aclose()
        for client in clients.values():
            await client.aclose()


def service_process(log_dir: Path, name: str, env: dict[str, str], args: list[str], *,
                    port: int | None = None) -> ServerProcess:
    """``fintwin serve integration-layer`` as a child process (not started yet)."""
    port = port or free_port()
    argv = fintwin_argv("serve", "integration-layer", "--port", str(port),
                        "--log-level", "warning", *args)
    return ServerProcess(name, argv, url=f"http://127.0.0.1:{port}",
                         log=log_dir / f"{name}.log", env={**os.environ, **env},
                         health="/health")
