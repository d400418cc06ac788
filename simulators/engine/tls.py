"""A local certificate authority for the fakes' TLS mode.

Some vendor clients only speak HTTPS (simple-salesforce builds https:// URLs
itself), so every fake can serve TLS with a certificate from a CA generated
once per state directory and kept at ``<dir>/tls/ca.pem`` for clients to trust.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True)
class TlsFiles:
    ca_pem: Path
    cert_pem: Path
    key_pem: Path


def ensure_local_ca(base_dir: str | Path,
                    hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")) -> TlsFiles:
    """Create (once) a CA and a server certificate for ``hosts`` under ``base_dir/tls``."""
    folder = Path(base_dir) / "tls"
    folder.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    if files.ca_pem.exists() and files.cert_pem.exists() and files.key_pem.exists():
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
