"""The image's HEALTHCHECK: the health URL comes from the container's own command, a fake
over TLS is verified with its own CA, and only a 2xx answer is healthy."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from harness.healthcheck import NotFintwin, health_target, main, probe
from harness.servers import ServerThread
from simulators.engine.tls import ensure_local_ca

VENV = ["/opt/fintwin/bin/python3", "/opt/fintwin/bin/fintwin"]


@pytest.mark.parametrize(("argv", "url"), [
    ([*VENV, "sim", "billing", "--host", "0.0.0.0", "--port", "9002"],
     "http://127.0.0.1:9002/_sim/health"),
    ([*VENV, "sim", "erp"], "http://127.0.0.1:8003/_sim/health"),  # the default port
    ([*VENV, "sim", "crm", "--host", "127.0.0.1", "--port", "7001", "--seed", "3"],
     "http://127.0.0.1:7001/_sim/health"),
    ([*VENV, "serve", "integration-layer", "--host", "0.0.0.0", "--port", "8100"],
     "http://127.0.0.1:8100/health"),
    ([*VENV, "serve", "integration-layer"], "http://127.0.0.1:8000/health"),
    ([*VENV, "sim", "billing", "--host", "::1", "--port", "9"], "http://[::1]:9/_sim/health"),
])
def test_the_health_url_comes_from_the_command(argv: list[str], url: str) -> None:
    assert health_target(argv, Path("/var/lib/fintwin")) == (url, None)


def test_a_fake_over_tls_is_checked_with_its_own_ca() -> None:
    argv = [*VENV, "sim", "crm", "--host", "0.0.0.0", "--port", "8001", "--tls",
            "--tls-hostname", "crm"]
    cwd = Path("/var/lib/fintwin")
    assert health_target(argv, cwd) == ("https://127.0.0.1:8001/_sim/health",
                                        cwd / ".fintwin/tls/ca.pem")
    state = [*argv, "--state-dir", "/data"]
    assert health_target(state, cwd)[1] == Path("/data/tls/ca.pem")


def test_other_commands_are_refused() -> None:
    with pytest.raises(NotFintwin):
        health_target(["/bin/sh", "-c", "sleep 1"], Path("/"))
    with pytest.raises(NotFintwin):
        health_target([*VENV, "sim", "nosuchfake"], Path("/"))


def _app(status: int) -> Starlette:
    async def health(request: object) -> PlainTextResponse:
        return PlainTextResponse("ok", status_code=status)

    return Starlette(routes=[Route("/_sim/health", health), Route("/health", health)])


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[ServerThread, Path]]:
    files = ensure_local_ca(tmp_path / ".fintwin")
    with ServerThread(_app(200), ssl_certfile=str(files.cert_pem),
                      ssl_keyfile=str(files.key_pem)) as server:
        yield server, files.ca_pem


def test_probe_healthy_unhealthy_and_unreachable(tls_server: tuple[ServerThread, Path],
                                                 tmp_path: Path) -> None:
    server, ca = tls_server
    assert probe(f"{server.url}/_sim/health", ca) is None
    other = ensure_local_ca(tmp_path / "other").ca_pem  # a CA that did not sign it
    assert "CERTIFICATE_VERIFY_FAILED" in (probe(f"{server.url}/_sim/health", other) or "")
    with ServerThread(_app(503)) as failing:
        assert probe(f"{failing.url}/health", None) == f"{failing.url}/health: HTTP 503"
    with ServerThread(_app(200)) as gone:
        url = f"{gone.url}/health"
    assert probe(url, None, timeout=2) is not None


def test_main_reads_the_main_process_command_and_cwd(
        tls_server: tuple[ServerThread, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    server, _ = tls_server
    proc = tmp_path / "proc1"
    proc.mkdir()
    (proc / "cmdline").write_bytes(b"\0".join(
        a.encode() for a in [*VENV, "sim", "crm", "--port", str(server.port), "--tls"]) + b"\0")
    os.symlink(tmp_path, proc / "cwd")  # the CA is at <cwd>/.fintwin/tls/ca.pem
    assert main({}, proc) == 0
    (proc / "cmdline").write_bytes(b"/bin/sleep\0infinity\0")
    assert main({}, proc) == 1
    assert "not a 'fintwin sim'" in capsys.readouterr().err
    assert main({"FINTWIN_HEALTH_URL": f"{server.url}/health",
                 "FINTWIN_HEALTH_CA": str(tmp_path / ".fintwin/tls/ca.pem")}, proc) == 0
