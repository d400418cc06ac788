"""``fintwin init``: a starter kit for testing your own integration layer.

Writes three files into a repository: ``fintwin-sut.toml`` (the manifest: how the harness
starts your service and what it reads), ``fintwin/conftest.py`` (points the fintwin pytest
plugin at that manifest) and ``fintwin/test_quote_to_cash.py`` (one scenario: deals closed
won in the CRM, checked across the three fakes by the oracle). Nothing is overwritten
without ``force``. The manifest differs by language only where a runtime differs: how it
is started and which variable makes it trust the local CA of the CRM fake's TLS.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from harness.manifest import load_manifest

LANGUAGES = ("python", "node", "other")


@dataclass(frozen=True)
class Runtime:
    command: str  # TOML array items of [start].command
    ca_bundle: str  # the variable the runtime reads a CA bundle from
    ca_note: str


RUNTIMES = {
    "python": Runtime('"python", "-m", "my_service", "--port", "{port}"', "SSL_CERT_FILE",
                      "httpx and the ssl module read a CA bundle from SSL_CERT_FILE "
                      "(requests: REQUESTS_CA_BUNDLE)"),
    "node": Runtime('"node", "src/server.js", "--port", "{port}"', "NODE_EXTRA_CA_CERTS",
                    "Node reads extra CA certificates from NODE_EXTRA_CA_CERTS when it starts"),
    "other": Runtime('"./bin/my-service", "--port", "{port}"', "SUT_CA_BUNDLE",
                     "point your HTTP client's trust store at this PEM file"),
}

MANIFEST = """\
# How fintwin starts and talks to {name}. Reference: fintwin's docs, "Test your own
# integration layer" (the manifest reference); an example: examples/node-sut.
name = "{name}"
description = "our integration layer between the CRM, billing and the ERP"

[start]
# Run from this file's directory; {{port}} is a free port the harness picks. For
# --fintwin-stack external give `url = "http://127.0.0.1:8080"` (a service already up).
command = [{command}]
health = "/health"        # answers 2xx once the service is ready
timeout = 60

# The environment variables your service reads. The harness gives it one company's
# accounts in the three fakes (a single-tenant service); to take many companies at once,
# add [admin].connections below and receive them per connection instead.
[env]
crm_base_url = "CRM_BASE_URL"               # Salesforce instance / login URL (https)
crm_client_id = "CRM_CLIENT_ID"             # OAuth client credentials
crm_client_secret = "CRM_CLIENT_SECRET"
crm_webhook_secret = "CRM_WEBHOOK_SECRET"   # change events are signed with it
billing_base_url = "STRIPE_API_BASE"        # Stripe API base URL
billing_api_key = "STRIPE_API_KEY"          # sk_test_...
billing_webhook_secret = "STRIPE_WEBHOOK_SECRET"  # whsec_...
erp_base_url = "NETSUITE_BASE_URL"          # NetSuite REST base URL
erp_account_id = "NETSUITE_ACCOUNT_ID"
erp_client_id = "NETSUITE_CLIENT_ID"
erp_client_secret = "NETSUITE_CLIENT_SECRET"
# {ca_note}: the CA that signs the CRM fake's certificate.
ca_bundle = "{ca_bundle}"
database_url = "DATABASE_URL"
admin_token = "ADMIN_TOKEN"                 # sent as "Authorization: Bearer" to [admin] paths

[webhooks]                  # where the fakes deliver events to your service
billing = "/webhooks/stripe"
crm = "/webhooks/salesforce"

[admin]
# The idle probe: GET answering {{"pending": n}}, the work your service has not finished
# (events not processed, retries scheduled). With it a run is over when it is observed
# idle; without it the harness can only wait for [settle].quiet seconds of silence.
# idle = "/admin/idle"
# connections = "/admin/connections"  # POST one company's accounts (multi-tenant)
# dlq = "/admin/dlq"                  # GET what your service parked
# replay = "/admin/replay"            # POST {{"connection": id}} replays it

[settle]
quiet = 4.0

# Suites your service fails on purpose because it lacks the feature: reported as
# expected failures; a pass, or a failure showing none of the codes, fails the run.
# [expected_failures]
# "test_dlq_replay.py" = {{ why = "no dead-letter queue", codes = ["SUT_FEATURE_MISSING"] }}
"""

CONFTEST = '''\
"""fintwin: the pytest plugin comes with fintwin; this points it at our manifest."""

from pathlib import Path

import pytest

MANIFEST = Path(__file__).resolve().parent.parent / "fintwin-sut.toml"


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("--fintwin-sut"):
        config.option.fintwin_sut = str(MANIFEST)
'''

SCENARIO = '''\
"""Quote-to-cash through our integration layer: deals closed won in the CRM become
subscriptions, invoices and payments in billing, and postings in the ERP, each exactly
once and to the cent. The oracle reads the three fakes; our service is a black box."""

from harness.scenario import Q2C, Q2CRunner


def test_closed_won_deals_are_billed_and_posted_once(q2c: Q2CRunner) -> None:
    async def scenario(q: Q2C) -> None:
        for deal in q.deals(3):               # US, GB and DE legal entities
            await q.sell(deal)                # account, opportunity, quote; closed won
        report = await q.settled_ok("quote-to-cash")  # settled, and the oracle is clean
        assert report.counts.get("billing.subscriptions") == 3, report.summary()

    q2c.run(scenario)
'''


@dataclass(frozen=True)
class Written:
    files: tuple[Path, ...]
    manifest: Path
    next_command: str


class InitError(Exception):
    """A file exists already (and ``force`` was not given), or the target is unusable."""


def files_for(language: str, name: str) -> dict[str, str]:
    """The starter files (path relative to the target directory -> content)."""
    if language not in RUNTIMES:
        raise InitError(f"unknown language {language!r} (known: {', '.join(LANGUAGES)})")
    runtime = RUNTIMES[language]
    manifest = MANIFEST.format(name=name, command=runtime.command,
                               ca_bundle=runtime.ca_bundle, ca_note=runtime.ca_note)
    return {"fintwin-sut.toml": manifest, "fintwin/conftest.py": CONFTEST,
            "fintwin/test_quote_to_cash.py": SCENARIO}


def init(directory: Path, *, language: str = "python", name: str | None = None,
         force: bool = False) -> Written:
    """Write the starter files into ``directory``; the command to run next."""
    directory = directory.resolve()
    if directory.exists() and not directory.is_dir():
        raise InitError(f"{directory} is not a directory")
    name = name or directory.name or "my-integration"
    files = files_for(language, name)
    present = [directory / rel for rel in files if (directory / rel).exists()]
    if present and not force:
        raise InitError("not overwriting " + ", ".join(str(p) for p in present)
                        + " (give --force to replace them)")
    written = []
    for rel, content in files.items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written.append(path)
    manifest = directory / "fintwin-sut.toml"
    load_manifest(manifest)  # what was written is a valid manifest
    command = f"{pytest_program()} {shlex.quote(shown(directory / 'fintwin'))} --fintwin-seed 1"
    return Written(tuple(written), manifest, command)


def pytest_program() -> str:
    """The pytest that has fintwin's plugin: the one beside this interpreter (a checkout's
    ``.venv/bin/pytest``) unless it is the one ``pytest`` runs already (an active venv)."""
    beside = Path(sys.executable).parent / "pytest"
    if not beside.exists():
        return "pytest"
    on_path = shutil.which("pytest")
    if on_path is not None and Path(on_path).resolve() == beside.resolve():
        return "pytest"
    return shlex.quote(shown(beside))


def shown(path: Path) -> str:
    """``path`` relative to the working directory when it is below it."""
    try:
        return os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)


def main(directory: str, language: str, name: str | None, force: bool) -> int:
    try:
        done = init(Path(directory), language=language, name=name, force=force)
    except InitError as exc:
        print(f"fintwin init: {exc}", file=sys.stderr)
        return 1
    for path in done.files:
        print(f"wrote {shown(path)}")
    print(f"\nnext: set [start].command and the [env] names in {done.manifest.name} to your "
          f"service's, then run\n\n    {done.next_command}\n\n"
          "The harness starts the three fakes and your service (--fintwin-stack local). "
          "fintwin's own suites run the same way from a fintwin checkout:\n\n"
          f"    {pytest_program()} scenarios/ --fintwin-sut {shlex.quote(shown(done.manifest))}")
    return 0
