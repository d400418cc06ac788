"""The SUT manifest: how the harness starts, configures and talks to a system under test.

A manifest is a small TOML file shipped with the SUT (``integration_layer/fintwin-sut.toml``
for the reference; docs/own-sut.md is the reference, docs/quote-to-cash.md the contract)::

    name = "reference"
    [start]
    command = ["fintwin", "serve", "integration-layer", "--port", "{port}"]  # or url = "..."
    health = "/health"
    [env]                      # names of the environment variables the SUT reads
    crm_base_url = "FINTWIN_CRM_URL"
    [webhooks]                 # receiver paths; {connection} is the connection id
    billing = "/webhooks/billing/{connection}"
    [admin]
    connections = "/admin/connections"
    idle = "/admin/idle"       # the idle probe: {"pending": n}; settling waits for 0
    [settle]
    quiet = 4.0                # without an idle probe: settled after this long of nothing
    [inprocess]
    factory = "integration_layer.service.app:create_inprocess_app"
    [container]                # containers mode: the SUT's image and its arguments
    image = "fintwin:latest"
    command = ["serve", "integration-layer", "--host", "{host}", "--port", "{port}"]
    [expected_failures]        # suites this SUT fails on purpose: it lacks the feature
    "test_dlq_replay.py" = {why = "no dead-letter queue", codes = ["SUT_FEATURE_MISSING"]}

An estate someone else runs (docker-compose.yml; external mode) is described by two more
tables: ``[fakes]``, where the harness reaches the running fakes (and the CA of their TLS),
and ``[network]``, where the estate's members reach each other when that differs from
where the harness reaches them (container names on a container network)::

    [fakes]
    crm = "https://127.0.0.1:8001"
    ca_bundle = "../.fintwin/compose/ca.pem"   # relative to the manifest
    [network]
    crm = "https://crm:8001"                   # the SUT's view of the CRM
    sut = "http://integration-layer:8000"      # the fakes' view of the SUT (webhooks)

Every error names the file and the key that is wrong.
"""

from __future__ import annotations

import importlib
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VENDORS = ("crm", "billing", "erp")

# Logical setting -> what it carries.  The manifest maps each to the name of the
# environment variable the SUT reads it from.
ENV_KEYS: dict[str, str] = {
    "crm_base_url": "CRM fake base URL (https in local mode)",
    "crm_client_id": "CRM OAuth client id (one client id is one org)",
    "crm_client_secret": "CRM OAuth client secret",
    "crm_webhook_secret": "secret the CRM signs change events with (X-Fintwin-Signature)",
    "billing_base_url": "billing fake base URL",
    "billing_api_key": "billing secret key (sk_test_...; one key is one account)",
    "billing_webhook_secret": "billing webhook endpoint secret (whsec_...)",
    "erp_base_url": "ERP fake base URL",
    "erp_account_id": "ERP account id",
    "erp_client_id": "ERP OAuth client id",
    "erp_client_secret": "ERP OAuth client secret",
    "ca_bundle": "PEM bundle of the local CA that signs the fakes' TLS certificates",
    "database_url": "the SUT's database (sqlite:///... by default)",
    "admin_token": "token the harness presents on the SUT's admin paths",
    "seed": "the run seed (informational)",
    "connection_id": "the connection id in the webhook paths of a single-tenant SUT",
}
# Settings that carry one tenant's credentials: a single-tenant SUT reads them from its
# environment; a multi-tenant SUT gets them per connection instead.
TENANT_ENV_KEYS = frozenset({
    "crm_client_id", "crm_client_secret", "crm_webhook_secret", "billing_api_key",
    "billing_webhook_secret", "erp_account_id", "erp_client_id", "erp_client_secret",
    "connection_id",
})
# Settings a multi-tenant SUT gets from its environment; everything else (base URLs
# included) travels in each connection it is given.
SERVICE_ENV_KEYS = frozenset({"ca_bundle", "database_url", "admin_token", "seed"})
ADMIN_KEYS = ("connections", "replay", "dlq", "idle", "token_header")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TOP_KEYS = {"name", "description", "start", "env", "webhooks", "admin", "inprocess",
             "settle", "container", "fakes", "network", "expected_failures"}
_SETTLE_KEYS = {"quiet"}
# Without an idle probe, a run counts as settled after this long with nothing happening.
DEFAULT_QUIET = 4.0
_START_KEYS = {"command", "url", "health", "cwd", "timeout", "env"}
_CONTAINER_KEYS = {"image", "command", "env", "ca_bundle"}
# Where the containers mode puts the fakes' CA certificate in a SUT container.
CONTAINER_CA_BUNDLE = "/etc/fintwin/fakes-ca.pem"


class ManifestError(ValueError):
    """A manifest that cannot be used; the message names the file and the bad key."""


@dataclass(frozen=True)
class StartSpec:
    """How the SUT runs: a command (``{port}`` is substituted) and/or a URL already up."""

    command: tuple[str, ...] | None = None
    url: str | None = None
    health: str = "/health"
    cwd: Path | None = None
    timeout: float = 60.0
    env: Mapping[str, str] = field(default_factory=dict)

    def argv(self, port: int) -> list[str]:
        if self.command is None:
            raise ManifestError("the manifest has no [start].command to run")
        return [part.replace("{port}", str(port)) for part in self.command]


@dataclass(frozen=True)
class AdminSpec:
    connections: str | None = None
    replay: str | None = None
    dlq: str | None = None
    # The idle probe: a GET answering JSON with ``pending``, the count of work the SUT
    # has not finished (events not yet processed, retries scheduled, leases held, calls
    # waiting out a backoff). 0 with the fakes' outboxes empty: the run has settled.
    idle: str | None = None
    token_header: str = "Authorization"

    def headers(self, token: str | None) -> dict[str, str]:
        """Headers that present ``token`` (``Authorization: Bearer <token>`` by default)."""
        if not token:
            return {}
        if self.token_header.lower() == "authorization":
            return {"Authorization": f"Bearer {token}"}
        return {self.token_header: token}


@dataclass(frozen=True)
class SettleSpec:
    quiet: float = DEFAULT_QUIET


@dataclass(frozen=True)
class ContainerSpec:
    """The SUT as a container (containers mode): its image and the arguments given to the
    image's entrypoint, where ``{host}`` is the address to bind (0.0.0.0 on a container
    network, 127.0.0.1 on the host's) and ``{port}`` the port."""

    image: str
    command: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    ca_bundle: str = CONTAINER_CA_BUNDLE  # where the fakes' CA is put, for the SUT to trust

    def argv(self, host: str, port: int) -> list[str]:
        return [part.replace("{host}", host).replace("{port}", str(port))
                for part in self.command]


@dataclass(frozen=True)
class ExpectedFailure:
    """A suite (``test_x.py``) or one test (``test_x.py::test_name``) the SUT is expected
    to fail because it deliberately lacks a feature. The failure must show one of
    ``codes`` (the oracle's violation codes, the harness's findings, ``NOT_HAPPENED``): a
    failure of another kind, or a pass, is not what was expected."""

    target: str
    why: str
    codes: frozenset[str]

    def matches(self, file_name: str, test_name: str) -> bool:
        suite, _, test = self.target.partition("::")
        return suite == file_name and (not test or test == test_name)


@dataclass(frozen=True)
class Manifest:
    name: str
    start: StartSpec
    env: Mapping[str, str]  # logical key (ENV_KEYS) -> environment variable name
    webhooks: Mapping[str, str]  # vendor -> receiver path, may contain {connection}
    admin: AdminSpec
    # The fallback for a SUT without an idle probe: settled after ``quiet`` seconds with
    # no webhook pending and nothing new (a verdict that rests on it says so).
    settle: SettleSpec = field(default_factory=lambda: SettleSpec())
    factory: str | None = None  # "module:callable" for the in-process stack
    description: str = ""
    path: Path | None = None
    container: ContainerSpec | None = None
    # External mode: the running fakes as the harness reaches them (vendor -> base URL),
    # and the CA their TLS certificates come from.
    fakes: Mapping[str, str] = field(default_factory=dict)
    fakes_ca_bundle: Path | None = None
    # Where the fakes and the SUT reach each other, where not at the harness's URLs
    # (crm, billing, erp: the SUT's view; sut: the fakes' view).
    network: Mapping[str, str] = field(default_factory=dict)
    expected_failures: tuple[ExpectedFailure, ...] = ()

    def expected_failure(self, file_name: str, test_name: str) -> ExpectedFailure | None:
        """The expectation covering the test ``test_name`` of the suite ``file_name``."""
        found = [e for e in self.expected_failures if e.matches(file_name, test_name)]
        # A test's own entry wins over its suite's.
        return max(found, key=lambda e: len(e.target), default=None)

    @property
    def multi_tenant(self) -> bool:
        """True when the SUT takes connections at run time (``[admin].connections``)."""
        return self.admin.connections is not None

    def webhook_path(self, vendor: str, connection: str) -> str | None:
        template = self.webhooks.get(vendor)
        return None if template is None else template.replace("{connection}", connection)

    def environment(self, values: Mapping[str, str | None]) -> dict[str, str]:
        """Map logical settings to the SUT's variable names (unset or unnamed ones skipped)."""
        return {self.env[key]: str(value) for key, value in values.items()
                if value is not None and key in self.env}

    def settings_from_environment(self, environ: Mapping[str, str]) -> dict[str, str]:
        """The logical settings found in ``environ`` under the SUT's variable names."""
        return {key: environ[name] for key, name in self.env.items() if name in environ}

    def load_factory(self) -> Callable[..., Any]:
        """Import the ``[inprocess] factory``."""
        if self.factory is None:
            raise ManifestError(f"{self._where()}: no [inprocess].factory; the in-process "
                                "stack needs one (use --fintwin-stack local or external)")
        module_name, _, attr = self.factory.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ManifestError(f"{self._where()}: [inprocess].factory: cannot import "
                                f"{module_name!r} ({exc})") from exc
        target: Any = module
        for part in attr.split("."):
            target = getattr(target, part, None)
            if target is None:
                raise ManifestError(f"{self._where()}: [inprocess].factory: {module_name!r} "
                                    f"has no attribute {attr!r}")
        if not callable(target):
            raise ManifestError(f"{self._where()}: [inprocess].factory: {self.factory!r} "
                                "is not callable")
        return target

    def _where(self) -> str:
        return str(self.path) if self.path else f"manifest {self.name!r}"


def reference_manifest_path() -> Path:
    """The reference integration layer's manifest."""
    return Path(__file__).resolve().parent.parent / "integration_layer" / "fintwin-sut.toml"


def load_manifest(path: str | Path) -> Manifest:
    """Read and validate a manifest file (raises ManifestError naming the bad key)."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"{p}: no such SUT manifest") from None
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{p}: not valid TOML: {exc}") from exc
    return parse_manifest(data, path=p)


def parse_manifest(data: Mapping[str, Any], *, path: Path | None = None) -> Manifest:
    """Validate manifest data already parsed from TOML."""
    where = str(path) if path else "manifest"

    def fail(key: str, message: str) -> ManifestError:
        return ManifestError(f"{where}: {key}: {message}")

    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise fail(unknown[0], f"unknown key (known: {', '.join(sorted(_TOP_KEYS))})")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise fail("name", "required, a non-empty string")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise fail("description", "must be a string")

    start = _table(data, "start", fail, required=True)
    bad = sorted(set(start) - _START_KEYS)
    if bad:
        raise fail(f"start.{bad[0]}", f"unknown key (known: {', '.join(sorted(_START_KEYS))})")
    command = start.get("command")
    if command is not None:
        if isinstance(command, str):
            raise fail("start.command", "must be a list of strings (argv), not one string")
        if (not isinstance(command, list) or not command
                or not all(isinstance(c, str) and c for c in command)):
            raise fail("start.command", "must be a non-empty list of strings")
    url = start.get("url")
    if url is not None and (not isinstance(url, str)
                            or not url.startswith(("http://", "https://"))):
        raise fail("start.url", "must be an http(s) URL")
    if command is None and url is None and not data.get("container"):
        raise fail("start", "give 'command' (with a {port} placeholder) or 'url' (or a "
                   "[container] table)")
    if command is not None and url is None and not any("{port}" in c for c in command):
        raise fail("start.command", "needs a {port} placeholder (or give start.url too)")
    health = start.get("health", "/health")
    _path(health, "start.health", fail)
    cwd = start.get("cwd")
    if cwd is not None and not isinstance(cwd, str):
        raise fail("start.cwd", "must be a string (relative to the manifest)")
    base = path.parent if path else Path.cwd()
    timeout = start.get("timeout", 60.0)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise fail("start.timeout", "must be a positive number of seconds")
    fixed_env = start.get("env", {})
    if not isinstance(fixed_env, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in fixed_env.items()):
        raise fail("start.env", "must be a table of strings")

    env = _table(data, "env", fail, required=True)
    for key, value in env.items():
        if key not in ENV_KEYS:
            raise fail(f"env.{key}", f"unknown setting (known: {', '.join(ENV_KEYS)})")
        if not isinstance(value, str) or not _ENV_NAME.match(value):
            raise fail(f"env.{key}", "must be an environment variable name")
    for vendor in VENDORS:
        if f"{vendor}_base_url" not in env:
            raise fail(f"env.{vendor}_base_url", "required: how the SUT finds the fake")

    admin_data = _table(data, "admin", fail)
    for key, value in admin_data.items():
        if key not in ADMIN_KEYS:
            raise fail(f"admin.{key}", f"unknown key (known: {', '.join(ADMIN_KEYS)})")
        if key == "token_header":
            if not isinstance(value, str) or not value:
                raise fail("admin.token_header", "must be a header name")
        else:
            _path(value, f"admin.{key}", fail)
    admin = AdminSpec(**admin_data)

    webhooks = _table(data, "webhooks", fail, required=True)
    for key, value in webhooks.items():
        if key not in VENDORS:
            raise fail(f"webhooks.{key}", f"unknown vendor (known: {', '.join(VENDORS)})")
        _path(value, f"webhooks.{key}", fail)
        if admin.connections is not None and "{connection}" not in value:
            raise fail(f"webhooks.{key}", "a multi-tenant SUT ([admin].connections) needs "
                       "{connection} in each receiver path")
    if "billing" not in webhooks:
        raise fail("webhooks.billing", "required: the billing fake's events go here")

    settle_data = _table(data, "settle", fail)
    bad = sorted(set(settle_data) - _SETTLE_KEYS)
    if bad:
        raise fail(f"settle.{bad[0]}", f"unknown key (known: {', '.join(sorted(_SETTLE_KEYS))})")
    quiet = settle_data.get("quiet", DEFAULT_QUIET)
    if isinstance(quiet, bool) or not isinstance(quiet, int | float) or not 0 < quiet <= 600:
        raise fail("settle.quiet", "must be a number of seconds, more than 0 and at most 600")

    inprocess = _table(data, "inprocess", fail)
    factory = inprocess.get("factory")
    extra = sorted(set(inprocess) - {"factory"})
    if extra:
        raise fail(f"inprocess.{extra[0]}", "unknown key (known: factory)")
    if factory is not None and (not isinstance(factory, str)
                                or not re.match(r"^[\w.]+:[\w.]+$", factory)):
        raise fail("inprocess.factory", "must be 'module:callable'")

    container = _container(_table(data, "container", fail), fail)
    fakes = _table(data, "fakes", fail)
    bad = sorted(set(fakes) - {*VENDORS, "ca_bundle"})
    if bad:
        raise fail(f"fakes.{bad[0]}", f"unknown key (known: {', '.join(VENDORS)}, ca_bundle)")
    for key, value in fakes.items():
        if key != "ca_bundle":
            _url(value, f"fakes.{key}", fail)
    missing = sorted(set(VENDORS) - set(fakes)) if fakes else []
    if missing:
        raise fail(f"fakes.{missing[0]}", "give every fake's URL, or none")
    fakes_ca = fakes.pop("ca_bundle", None)
    if fakes_ca is not None and (not isinstance(fakes_ca, str) or not fakes_ca):
        raise fail("fakes.ca_bundle", "must be a path (relative to the manifest)")
    network = _table(data, "network", fail)
    for key, value in network.items():
        if key not in (*VENDORS, "sut"):
            raise fail(f"network.{key}", f"unknown member (known: {', '.join(VENDORS)}, sut)")
        _url(value, f"network.{key}", fail)
    expected = _expected_failures(_table(data, "expected_failures", fail), fail)

    return Manifest(
        name=name, description=description, path=path, factory=factory,
        expected_failures=expected,
        start=StartSpec(command=None if command is None else tuple(command), url=url,
                        health=health, cwd=None if cwd is None else (base / cwd).resolve(),
                        timeout=float(timeout), env=dict(fixed_env)),
        env=dict(env), webhooks=dict(webhooks), admin=admin, settle=SettleSpec(float(quiet)),
        container=container,
        fakes={k: v.rstrip("/") for k, v in fakes.items()},
        fakes_ca_bundle=None if fakes_ca is None else (base / fakes_ca).resolve(),
        network={k: v.rstrip("/") for k, v in network.items()})


def _container(table: dict[str, Any], fail: Callable[[str, str], ManifestError]
               ) -> ContainerSpec | None:
    if not table:
        return None
    bad = sorted(set(table) - _CONTAINER_KEYS)
    if bad:
        raise fail(f"container.{bad[0]}",
                   f"unknown key (known: {', '.join(sorted(_CONTAINER_KEYS))})")
    image = table.get("image")
    if not isinstance(image, str) or not image.strip():
        raise fail("container.image", "required, an image reference (name:tag)")
    command = table.get("command", [])
    if not isinstance(command, list) or not all(isinstance(c, str) and c for c in command):
        raise fail("container.command", "must be a list of strings (the entrypoint's "
                   "arguments)")
    if command and not any("{port}" in c for c in command):
        raise fail("container.command", "needs a {port} placeholder")
    env = table.get("env", {})
    if not isinstance(env, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in env.items()):
        raise fail("container.env", "must be a table of strings")
    ca_bundle = table.get("ca_bundle", CONTAINER_CA_BUNDLE)
    if not isinstance(ca_bundle, str) or not ca_bundle.startswith("/"):
        raise fail("container.ca_bundle", "must be an absolute path in the container")
    return ContainerSpec(image=image.strip(), command=tuple(command), env=dict(env),
                         ca_bundle=ca_bundle)


_TARGET = re.compile(r"^test_\w+\.py(::\w+)?$")
_CODE_NAME = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$")


def _expected_failures(table: Mapping[str, Any], fail: Callable[[str, str], ManifestError]
                       ) -> tuple[ExpectedFailure, ...]:
    out = []
    for target, value in table.items():
        key = f"expected_failures.{target!r}"
        if not _TARGET.match(target):
            raise fail(key, "name a suite file (test_x.py) or one test (test_x.py::test_y)")
        if not isinstance(value, dict):
            raise fail(key, "must be a table: {why = \"...\", codes = [\"CODE\", ...]}")
        bad = sorted(set(value) - {"why", "codes"})
        if bad:
            raise fail(f"{key}.{bad[0]}", "unknown key (known: codes, why)")
        why = value.get("why")
        if not isinstance(why, str) or not why.strip():
            raise fail(f"{key}.why", "required: the feature the SUT lacks, in a sentence")
        codes = value.get("codes")
        # Codes are required: an expected failure that any failure satisfies would hide a
        # crash of the SUT or of the stack behind a documented gap.
        if (not isinstance(codes, list) or not codes
                or not all(isinstance(c, str) and _CODE_NAME.match(c) for c in codes)):
            raise fail(f"{key}.codes", "required: the codes the failure shows, e.g. "
                       "[\"ERP_INVOICE_MISSING\", \"NOT_HAPPENED\"] (one of them is enough)")
        out.append(ExpectedFailure(target, why.strip(), frozenset(codes)))
    return tuple(out)


def _table(data: Mapping[str, Any], key: str, fail: Callable[[str, str], ManifestError],
           *, required: bool = False) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        if required:
            raise fail(key, "required table is missing")
        return {}
    if not isinstance(value, dict):
        raise fail(key, "must be a table")
    return value


def _url(value: Any, key: str, fail: Callable[[str, str], ManifestError]) -> None:
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise fail(key, "must be an http(s) URL")


def _path(value: Any, key: str, fail: Callable[[str, str], ManifestError]) -> None:
    if not isinstance(value, str) or not value.startswith("/"):
        raise fail(key, "must be a path starting with '/'")
