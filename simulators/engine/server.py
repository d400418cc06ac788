"""Serving a fake with uvicorn, plain HTTP or TLS, on 127.0.0.1 by default."""

from __future__ import annotations

import gc
import logging
from pathlib import Path
from typing import Any

import uvicorn

from simulators.engine.tls import DEFAULT_HOSTS, ensure_local_ca

DEFAULT_HOST = "127.0.0.1"
# Seconds a SIGTERM waits for open connections before closing them. Without it a TLS
# client that hangs up without close_notify (requests does) holds the exit for uvloop's
# 30 s SSL shutdown timeout.
GRACEFUL_SHUTDOWN = 3


def tune_gc() -> None:
    """Fewer, cheaper collections: a fake allocates many short-lived dicts per
    request, and full collections over a large store are what hurt p99."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def serve(app: Any, *, host: str = DEFAULT_HOST, port: int, tls: bool = False,
          state_dir: str | Path | None = None, log_level: str = "warning",
          announce: bool = True, proxy_headers: bool = False,
          tls_hostnames: tuple[str, ...] = ()) -> None:
    """Serve ``app``; with ``tls`` a certificate of the local CA names loopback and
    ``tls_hostnames`` (the names clients use, e.g. a container's network alias)."""
    kwargs: dict[str, Any] = {}
    scheme = "http"
    if tls:
        hosts = tuple(dict.fromkeys((*DEFAULT_HOSTS, *tls_hostnames)))
        files = ensure_local_ca(state_dir or ".fintwin", hosts)
        kwargs.update(ssl_certfile=str(files.cert_pem), ssl_keyfile=str(files.key_pem))
        scheme = "https"
        if announce:
            print(f"TLS: trust the local CA at {files.ca_pem.resolve()}", flush=True)
    if announce:
        print(f"serving on {scheme}://{host}:{port} (readiness: GET /_sim/health)", flush=True)
    tune_gc()
    logging.basicConfig(level=log_level.upper())
    # proxy_headers off unless asked for: uvicorn's X-Forwarded-For/-Proto rewriting
    # is a layer of middleware on every request, and lets any local client claim
    # another address or scheme. Behind a TLS-terminating proxy on this host it makes
    # the CRM and ERP hand out https:// URLs (they build them from the scheme).
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False,
                lifespan="on", loop="uvloop", http="httptools", proxy_headers=proxy_headers,
                timeout_graceful_shutdown=GRACEFUL_SHUTDOWN, **kwargs)
