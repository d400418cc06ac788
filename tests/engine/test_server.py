"""How a fake is served: uvicorn's proxy-header rewriting only when asked for."""

from __future__ import annotations

from typing import Any

import pytest

from harness.cli import build_parser
from simulators.engine import server


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(server.uvicorn, "run", lambda app, **kw: calls.append(kw))
    monkeypatch.setattr(server, "tune_gc", lambda: None)  # no GC settings for the test run
    return calls


def test_proxy_headers_are_off_by_default_and_on_when_asked(runs: list[dict[str, Any]]) -> None:
    server.serve(object(), port=1, announce=False)
    server.serve(object(), port=1, announce=False, proxy_headers=True)
    assert [kw["proxy_headers"] for kw in runs] == [False, True]
    assert runs[0]["host"] == "127.0.0.1"


def test_fintwin_sim_has_a_proxy_headers_switch() -> None:
    parser = build_parser()
    assert parser.parse_args(["sim", "billing"]).proxy_headers is False
    assert parser.parse_args(["sim", "billing", "--proxy-headers"]).proxy_headers is True


def test_tls_certificates_name_loopback_and_the_hostnames_asked_for(
        runs: list[dict[str, Any]], tmp_path: Any) -> None:
    from simulators.engine.tls import certificate_hosts

    server.serve(object(), port=1, announce=False, tls=True, state_dir=tmp_path,
                 tls_hostnames=("crm", "localhost"))
    assert certificate_hosts(tmp_path / "tls" / "server.pem") == {
        "127.0.0.1", "localhost", "::1", "crm"}
    assert runs[0]["ssl_certfile"] == str(tmp_path / "tls" / "server.pem")


def test_fintwin_sim_tls_hostnames_faults_none_and_the_admin_token_variable(
        monkeypatch: pytest.MonkeyPatch) -> None:
    args = build_parser().parse_args(["sim", "crm", "--tls", "--tls-hostname", "crm",
                                      "--tls-hostname", "crm.internal"])
    assert args.tls_hostname == ["crm", "crm.internal"]
    assert build_parser().parse_args(["sim", "crm"]).admin_token is None
    monkeypatch.setenv("FINTWIN_SIM_ADMIN_TOKEN", "s3cret")
    assert build_parser().parse_args(["sim", "crm"]).admin_token == "s3cret"
    monkeypatch.setenv("FINTWIN_SIM_ADMIN_TOKEN", "")
    assert build_parser().parse_args(["sim", "crm"]).admin_token is None


def test_fintwin_sim_faults_none_serves_without_a_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    from harness import cli

    made: list[Any] = []
    monkeypatch.setattr(cli, "serve", lambda app, **kw: made.append(app))
    assert cli.main(["sim", "billing", "--faults", "none", "--port", "1"]) == 0
    assert not made[0].sim.faults.plan.rules
