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
