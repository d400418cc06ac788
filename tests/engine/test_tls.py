"""The fakes' local CA: made once, kept across restarts, made again when a certificate
must name a host it does not (a container's network alias)."""

from __future__ import annotations

import ssl
from pathlib import Path

from simulators.engine.tls import DEFAULT_HOSTS, certificate_hosts, ensure_local_ca


def test_the_ca_is_kept_while_its_certificate_names_every_host(tmp_path: Path) -> None:
    first = ensure_local_ca(tmp_path)
    ca = first.ca_pem.read_bytes()
    assert certificate_hosts(first.cert_pem) == {"127.0.0.1", "localhost", "::1"}
    assert ensure_local_ca(tmp_path).ca_pem.read_bytes() == ca  # a restart trusts the same
    # A subset, or another spelling of the same address, needs nothing new.
    assert ensure_local_ca(tmp_path, ("LOCALHOST", "0:0:0:0:0:0:0:1")).ca_pem.read_bytes() == ca
    assert first.key_pem.stat().st_mode & 0o077 == 0


def test_a_new_host_makes_a_new_ca_and_certificate(tmp_path: Path) -> None:
    ca = ensure_local_ca(tmp_path).ca_pem.read_bytes()
    files = ensure_local_ca(tmp_path, (*DEFAULT_HOSTS, "crm"))
    assert files.ca_pem.read_bytes() != ca
    assert "crm" in certificate_hosts(files.cert_pem)
    # The certificate chains to the CA written beside it.
    context = ssl.create_default_context(cafile=str(files.ca_pem))
    context.load_cert_chain(str(files.cert_pem), str(files.key_pem))


def test_a_file_that_is_not_a_certificate_names_no_host(tmp_path: Path) -> None:
    bad = tmp_path / "server.pem"
    bad.write_text("not a certificate")
    assert certificate_hosts(bad) == set()
