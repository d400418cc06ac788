"""Servers as child processes: ready when healthy, a death reported with its log, a stop
that lets them exit by themselves."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from harness.processes import ServerDied, ServerProcess, free_port
from harness.waiting import NotYet


def test_a_server_is_ready_once_healthy_and_stops_by_itself(tmp_path: Path) -> None:
    port = free_port()
    server = ServerProcess("static", [sys.executable, "-m", "http.server", str(port),
                                      "--bind", "127.0.0.1"],
                           url=f"http://127.0.0.1:{port}", log=tmp_path / "static.log",
                           cwd=tmp_path, health="/")
    with server.start():
        server.ready(timeout=30)
        assert server.died() is None
    assert server.died() is not None  # stopped on leaving the block
    with pytest.raises(httpx.ConnectError):  # and no other child still serves the port
        httpx.get(server.url, timeout=2.0)


def test_a_server_that_dies_fails_at_once_with_its_log(tmp_path: Path) -> None:
    server = ServerProcess("broken", [sys.executable, "-c", "print('boom'); raise SystemExit(3)"],
                           url=f"http://127.0.0.1:{free_port()}", log=tmp_path / "b.log")
    with server.start(), pytest.raises(ServerDied, match=r"(?s)exit code 3.*boom"):
        server.ready(timeout=30)


def test_a_server_that_never_answers_fails_at_the_deadline(tmp_path: Path) -> None:
    server = ServerProcess("silent", [sys.executable, "-c", "import time; time.sleep(60)"],
                           url=f"http://127.0.0.1:{free_port()}", log=tmp_path / "s.log")
    with server.start(), pytest.raises(NotYet, match="silent healthy"):
        server.ready(timeout=0.5)
