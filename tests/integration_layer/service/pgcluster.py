"""A throwaway PostgreSQL cluster for tests: initdb + pg_ctl in a temp dir, loopback port.

The service's PostgreSQL tests read ``FINTWIN_TEST_DATABASE_URL`` (a server the caller
runs, as ``.ci/run`` does). Without it, :func:`start_cluster` starts a private cluster
when the PostgreSQL server programs are on PATH. PostgreSQL refuses to run as root, so
as root the cluster runs as the ``postgres`` user (or ``nobody``) through ``runuser``.
Each test gets a database of its own (:func:`fresh_database`).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass

from harness.processes import free_port

URL_ENV = "FINTWIN_TEST_DATABASE_URL"
REQUIRE_ENV = "FINTWIN_REQUIRE_PG"  # CI sets it: no PostgreSQL is a failure, not a skip


def _run_as() -> list[str]:
    if os.geteuid() != 0:
        return []
    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        return ["runuser", "-u", user, "--"]
    raise RuntimeError("running as root and no postgres/nobody user to run PostgreSQL as")


@dataclass
class Cluster:
    url: str
    data_dir: str
    prefix: list[str]

    def stop(self) -> None:
        subprocess.run([*self.prefix, "pg_ctl", "-D", self.data_dir, "-m", "immediate",
                        "-w", "stop"], capture_output=True, check=False)
        shutil.rmtree(os.path.dirname(self.data_dir), ignore_errors=True)


def available() -> bool:
    return shutil.which("initdb") is not None and shutil.which("pg_ctl") is not None


def start_cluster() -> Cluster:
    """initdb a cluster (trust auth, user ``fintwin``) and start it on a free port."""
    prefix = _run_as()
    base = tempfile.mkdtemp(prefix="fintwin-pg-")
    data = os.path.join(base, "data")
    if prefix:
        user = prefix[2]
        entry = pwd.getpwnam(user)
        os.chown(base, entry.pw_uid, entry.pw_gid)
    subprocess.run([*prefix, "initdb", "-D", data, "-U", "fintwin", "--auth=trust",
                    "-E", "UTF8", "--no-sync"], check=True, capture_output=True)
    port = free_port()
    options = (f"-h 127.0.0.1 -p {port} -k {base} -c fsync=off -c synchronous_commit=off"
               " -c full_page_writes=off -c max_connections=200")
    subprocess.run([*prefix, "pg_ctl", "-D", data, "-l", os.path.join(base, "log"),
                    "-o", options, "-w", "-t", "30", "start"], check=True,
                   capture_output=True)
    return Cluster(f"postgresql://fintwin@127.0.0.1:{port}/postgres", data, prefix)


def fresh_database(server_url: str) -> str:
    """CREATE DATABASE with a unique name on the server; returns its URL."""
    import psycopg

    name = f"fintwin_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    base, _, _ = server_url.rpartition("/")
    return f"{base}/{name}"
