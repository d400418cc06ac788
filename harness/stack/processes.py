"""Servers the harness starts and waits for: free loopback ports, health probes
with deadlines, child processes with their logs."""

from __future__ import annotations

import contextlib
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import httpx

from harness.stack.config import StackError


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (the OS picks; the socket is closed at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def ssl_context(ca_bundle: str | Path) -> ssl.SSLContext:
    """A client SSL context trusting ``ca_bundle``."""
    return ssl.create_default_context(cafile=str(ca_bundle))


def wait_healthy(url: str, *, deadline: float, verify: ssl.SSLContext | bool = True,
                 alive: Callable[[], str | None] | None = None, what: str = "server") -> None:
    """Poll ``url`` until it answers 2xx; ``alive()`` returns why the server died, if it
    did. Raises StackError at the deadline (a monotonic time)."""
    last = "no answer"
    with httpx.Client(verify=verify, timeout=2.0) as client:
        while True:
            if alive is not None:
                died = alive()
                if died is not None:
                    raise StackError(f"{what} exited before it was healthy: {died}")
            try:
                response = client.get(url)
                if 200 <= response.status_code < 300:
                    return
                last = f"{response.status_code} {response.text[:200]}"
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
            if time.monotonic() >= deadline:
                raise StackError(f"{what} not healthy at {url} in time; last: {last}")
            # Waiting on a condition with a deadline: a short pause between probes.
            threading.Event().wait(0.05)


class Process:
    def __init__(self, name: str, argv: list[str], env: Mapping[str, str], cwd: Path,
                 log: Path) -> None:
        self.name = name
        self.log = log
        self._fh = open(log, "ab")  # noqa: SIM115 - kept open for the child's lifetime
        self.proc = subprocess.Popen(argv, env=dict(env), cwd=str(cwd), stdout=self._fh,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)

    def died(self) -> str | None:
        code = self.proc.poll()
        if code is None:
            return None
        return f"exit code {code}; log tail:\n{self.tail()}"

    def tail(self, n: int = 4000) -> str:
        with contextlib.suppress(OSError):
            return self.log.read_bytes()[-n:].decode("utf-8", "replace")
        return ""

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        self._fh.close()

