"""A local certificate authority for the fakes' TLS mode.

Some vendor clients only speak HTTPS (simple-salesforce builds https:// URLs
itself), so every fake can serve TLS with a certificate from a CA generated
once per state directory and kept at ``<dir>/tls/ca.pem`` for clients to trust.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

import trustme
from cryptography import x509

DEFAULT_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class TlsFiles:
    ca_pem: Path
    cert_pem: Path
    key_pem: Path


def ensure_local_ca(base_dir: str | Path, hosts: tuple[str, ...] = DEFAULT_HOSTS) -> TlsFiles:
    """Create (once) a CA and a server certificate for ``hosts`` under ``base_dir/tls``.

    Files already there are kept when their certificate names every host asked for (a
    restart keeps the CA its clients trust); otherwise a new CA and certificate replace
    them, e.g. when a container adds its network alias (``--tls-hostname crm``)."""
    folder = Path(base_dir) / "tls"
    folder.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    if (files.ca_pem.exists() and files.cert_pem.exists() and files.key_pem.exists()
            and {_normal(h) for h in hosts} <= certificate_hosts(files.cert_pem)):
        return files
    ca = trustme.CA(organization_name="fintwin local CA")
    cert = ca.issue_cert(*hosts)
    ca.cert_pem.write_to_path(str(files.ca_pem))
    cert.private_key_pem.write_to_path(str(files.key_pem))
    cert.cert_chain_pems[0].write_to_path(str(files.cert_pem))
    for extra in cert.cert_chain_pems[1:]:
        with open(files.cert_pem, "ab") as fh:
            fh.write(extra.bytes())
    files.key_pem.chmod(0o600)
    return files


def certificate_hosts(cert_pem: Path) -> set[str]:
    """The DNS names and IP addresses a PEM certificate is valid for."""
    try:
        cert = x509.load_pem_x509_certificate(cert_pem.read_bytes())
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, x509.ExtensionNotFound):
        return set()
    found = {_normal(h) for h in names.get_values_for_type(x509.DNSName)}
    found.update(str(ip) for ip in names.get_values_for_type(x509.IPAddress))
    return found


def _normal(host: str) -> str:
    """One spelling per host: IP addresses compressed, names in lower case."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host.lower()
