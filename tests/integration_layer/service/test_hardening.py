"""The service's own attack surface (issue 18): a connection's webhook secret cannot be
rewritten without the admin token, webhook bodies are bounded before the signature is
checked, and ``fintwin serve``/``fintwin sim`` warn when they listen beyond loopback
without a token."""

from __future__ import annotations

import copy

import pytest

from harness.cli import loopback, warn_unlocked
from integration_layer.service.app import WEBHOOK_MAX_BYTES
from tests.integration_layer.service.test_api import CONNECTION, run, service, sign


def test_a_connection_is_not_overwritten_without_the_admin_token() -> None:
    forged = copy.deepcopy(CONNECTION)
    forged["billing"]["webhook_secret"] = "whsec_attacker"

    async def main() -> None:
        async with service() as sut:
            assert (await sut.post("/admin/connections", json=CONNECTION)).status_code == 201
            # The same connection again (a harness setting up twice) is fine.
            assert (await sut.post("/admin/connections", json=CONNECTION)).status_code == 201
            r = await sut.post("/admin/connections", json=forged)
            assert r.status_code == 409 and r.json()["error"]["code"] == "connection_exists"
            body = b'{"id": "evt_f", "type": "invoice.paid", "data": {"object": {}}}'
            r = await sut.post("/webhooks/billing/acme", content=body, headers={
                "Stripe-Signature": sign(body, "whsec_attacker")})
            assert r.status_code == 400  # the forged secret was not taken
        async with service(admin_token="t0ken") as sut:
            auth = {"Authorization": "Bearer t0ken"}
            assert (await sut.post("/admin/connections", json=CONNECTION,
                                   headers=auth)).status_code == 201
            assert (await sut.post("/admin/connections", json=forged,
                                   headers=auth)).status_code == 201
    run(main())


def test_a_webhook_body_over_the_limit_is_413_unread() -> None:
    async def main() -> None:
        async with service() as sut:
            assert (await sut.post("/admin/connections", json=CONNECTION)).status_code == 201
            big = b'{"id": "' + b"x" * WEBHOOK_MAX_BYTES + b'"}'
            for path in ("/webhooks/billing/acme", "/webhooks/crm/acme"):
                r = await sut.post(path, content=big, headers={
                    "Stripe-Signature": "t=1,v1=00", "X-Fintwin-Signature": "t=1,v1=00"})
                assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"

                async def chunks() -> object:  # no content-length: read until the limit
                    for _ in range(WEBHOOK_MAX_BYTES // 65536 + 2):
                        yield b"x" * 65536
                r = await sut.post(path, content=chunks())  # type: ignore[arg-type]
                assert r.status_code == 413
    run(main())


@pytest.mark.parametrize(("host", "expected"), [
    ("127.0.0.1", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.5", False), ("example.test", False),
    ("", False),
])
def test_loopback(host: str, expected: bool) -> None:
    assert loopback(host) is expected


def test_the_warning_names_what_is_open(capsys: pytest.CaptureFixture[str]) -> None:
    warn_unlocked("the erp fake", "0.0.0.0", None, "its control plane is open")
    assert "WARNING: the erp fake listens on 0.0.0.0 without an admin token" in (
        capsys.readouterr().err)
    warn_unlocked("the erp fake", "0.0.0.0", "t0ken", "x")
    warn_unlocked("the erp fake", "127.0.0.1", None, "x")
    assert capsys.readouterr().err == ""
