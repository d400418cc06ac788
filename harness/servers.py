"""Serving ASGI apps on loopback from a background thread (tests, the demo, benchmarks)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import uvicorn

from harness.waiting import eventually


class ServerThread:
    """A uvicorn server for ``app`` on 127.0.0.1 and a free port, in a daemon thread."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0,
                 ssl_certfile: str | None = None, ssl_keyfile: str | None = None,
                 graceful_shutdown: int | None = None) -> None:
        config = uvicorn.Config(app, host=host, port=port, log_level="warning",
                                access_log=False, lifespan="on", loop="asyncio",
                                ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile,
                                timeout_graceful_shutdown=graceful_shutdown)
        self.server = uvicorn.Server(config)
        self.scheme = "https" if ssl_certfile else "http"
        self.host = host
        self.port = port
        self._thread = threading.Thread(target=self._run, daemon=True, name="fintwin-server")
        self.loop: asyncio.AbstractEventLoop | None = None

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.server.serve())
        self.loop.close()

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> ServerThread:
        self._thread.start()

        def started() -> bool:
            if not self._thread.is_alive():
                raise RuntimeError("server did not start: its thread ended")
            return bool(self.server.started)

        eventually(started, timeout=timeout, interval=0.01, what="uvicorn to start")
        sockets = self.server.servers[0].sockets
        self.port = sockets[0].getsockname()[1]
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self._thread.join(timeout)

    @property
    def stopped(self) -> bool:
        return not self._thread.is_alive()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
