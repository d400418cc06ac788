"""Servers as child processes on loopback: a fake (``fintwin sim``) or any command.

The harness's one way to run a server over sockets in a process of its own (the local
stack's fakes and SUT, the tests of the command line, of restarts and of killed
workers): start it with its output in a log, wait until its health URL answers 2xx
(``harness.waiting``: a deadline that bounds the wait, a probe that decides), and stop
it with SIGTERM, SIGKILL only if it does not exit by itself. ``harness.servers`` is the
same for an ASGI app in a thread of this process.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx

from harness.waiting import eventually, until


class ServerDied(RuntimeError):
    """The server exited before it was healthy (the message holds its log's tail)."""


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (the OS picks; the socket is closed at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def ssl_context(ca_bundle: str | Path) -> ssl.SSLContext:
    """A client SSL context trusting ``ca_bundle``."""
    return ssl.create_default_context(cafile=str(ca_bundle))


def fintwin_argv(*args: str) -> list[str]:
    """The ``fintwin`` command line run by this interpreter (no PATH lookup)."""
    return [sys.executable, "-m", "harness.cli", *args]


def wait_healthy(url: str, *, timeout: float, verify: ssl.SSLContext | bool = True,
                 alive: Callable[[], str | None] | None = None, what: str = "server") -> None:
    """Wait until ``url`` answers 2xx. ``alive()`` says why the server died, if it did:
    then :class:`ServerDied` at once. :class:`harness.waiting.NotYet` at the deadline."""
    with httpx.Client(verify=verify, timeout=2.0, trust_env=False) as client:
        def healthy() -> bool:
            died = alive() if alive is not None else None
            if died is not None:
                raise ServerDied(f"{what} exited before it was healthy: {died}")
            try:
                response = client.get(url)
            except httpx.HTTPError as exc:
                raise AssertionError(f"{type(exc).__name__}: {exc}") from None
            assert 200 <= response.status_code < 300, \
                f"{response.status_code} {response.text[:200]}"
            return True

        eventually(healthy, timeout=timeout, interval=0.05, what=f"{what} healthy at {url}")


class ServerProcess:
    """``argv`` as a child process serving HTTP at ``url``; its output in ``log``."""

    def __init__(self, name: str, argv: Sequence[str], *, url: str, log: Path,
                 env: Mapping[str, str] | None = None, cwd: Path | None = None,
                 health: str = "/_sim/health", verify: ssl.SSLContext | bool = True) -> None:
        self.name = name
        self.argv = list(argv)
        self.url = url
        self.log = log
        self.env = dict(os.environ if env is None else env)
        self.cwd = cwd
        self.health = health
        self.verify = verify
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Self:
        with open(self.log, "ab") as out:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdout=out,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None, "not started"
        return self.proc.pid

    def died(self) -> str | None:
        """Why the process is gone (exit code and log tail), or None while it runs."""
        code = self.proc.poll() if self.proc is not None else None
        if code is None:
            return None
        return f"exit code {code}; log tail:\n{self.tail()}"

    def tail(self, n: int = 4000) -> str:
        with contextlib.suppress(OSError):
            return self.log.read_bytes()[-n:].decode("utf-8", "replace")
        return ""

    def ready(self, timeout: float = 30.0, *, verify: ssl.SSLContext | bool | None = None
              ) -> Self:
        """Wait until the health URL answers 2xx (or the process dies: ServerDied)."""
        wait_healthy(self.url + self.health, timeout=timeout,
                     verify=self.verify if verify is None else verify, alive=self.died,
                     what=self.name)
        return self

    async def aready(self, timeout: float = 30.0) -> Self:
        """:meth:`ready` from a coroutine, without blocking the event loop."""
        async with httpx.AsyncClient(verify=self.verify, timeout=2.0, trust_env=False) as c:
            async def healthy() -> bool:
                died = self.died()
                if died is not None:
                    raise ServerDied(f"{self.name} exited before it was healthy: {died}")
                try:
                    response = await c.get(self.url + self.health)
                except httpx.HTTPError as exc:
                    raise AssertionError(str(exc)) from None
                return 200 <= response.status_code < 300

            await until(healthy, timeout=timeout, interval=0.05,
                        what=f"{self.name} healthy at {self.url}")
        return self

    def stop(self, timeout: float = 10.0) -> bool:
        """SIGTERM, then SIGKILL if it is still there after ``timeout``. True when it
        exited by itself."""
        if self.proc is None or self.proc.poll() is not None:
            return True
        self.proc.terminate()
        try:
            self.proc.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout)
            return False

    def kill(self) -> None:
        """SIGKILL: no shutdown (what a crash looks like to everyone else)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def __enter__(self) -> Self:
        # ``with server.start():`` as well as ``with server:``: one child either way (a
        # second start would leave the first running, unstopped, after the block).
        return self.start() if self.proc is None else self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


class SimProcess(ServerProcess):
    """``fintwin sim <fake> [flags]`` on a loopback port, its cwd and log in ``workdir``.

    With ``--tls`` it is ready once the local CA the fake makes at start
    (``<--state-dir or workdir/.fintwin>/tls/ca.pem``) exists and the health URL answers
    over TLS with that CA trusted.
    """

    def __init__(self, fake: str, workdir: Path, *flags: str, port: int | None = None,
                 env: Mapping[str, str] | None = None) -> None:
        port = port or free_port()
        self.tls = "--tls" in flags
        state = flags[flags.index("--state-dir") + 1] if "--state-dir" in flags else None
        self.ca = (Path(state) if state else workdir / ".fintwin") / "tls" / "ca.pem"
        super().__init__(fake, fintwin_argv("sim", fake, "--port", str(port), *flags),
                         url=f"{'https' if self.tls else 'http'}://127.0.0.1:{port}",
                         log=workdir / f"{fake}.log", env=env, cwd=workdir)

    def ready(self, timeout: float = 30.0, *, verify: ssl.SSLContext | bool | None = None
              ) -> Self:
        if self.tls and verify is None:
            def trusted() -> ssl.SSLContext | None:
                died = self.died()
                if died is not None:
                    raise ServerDied(f"{self.name} exited before it wrote its CA: {died}")
                try:  # the fake may be writing the file right now: read it when whole
                    return ssl_context(self.ca)
                except (OSError, ssl.SSLError):
                    return None

            context = eventually(trusted, timeout=timeout, what=f"{self.name}'s CA at {self.ca}")
            assert context is not None
            self.verify = context
        return super().ready(timeout, verify=verify)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, verify=self.verify, trust_env=False)
