"""Service configuration: one frozen ``ServiceConfig``, read once at start.

Where each setting comes from, later layers winning (``ServiceConfig.load``):

1. the defaults below;
2. a TOML file: ``--config FILE``, else the file ``FINTWIN_IL_CONFIG`` names (keys are
   the field names; ``[[connections]]`` tables add connections);
3. the environment: ``FINTWIN_<FIELD>`` for each field (``FINTWIN_WORKERS=2``,
   ``FINTWIN_DATABASE_URL=...``), and a default connection from the ``FINTWIN_*`` vendor
   variables when ``FINTWIN_BILLING_URL`` is set;
4. the command line (``fintwin serve integration-layer --variant ... --workers ...``) or,
   in process, the manifest factory's settings.

A *connection* is one company's set of vendor accounts (a CRM org, a billing account,
an ERP account) with their credentials and webhook secrets. The service is multi-tenant
like an iPaaS: connections are registered at ``POST /admin/connections``; one default
connection can also come from the environment, for running the service against a single
set of accounts.
"""

from __future__ import annotations

import os
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING, asdict, dataclass, fields, replace
from typing import Any

DEFAULT_CONNECTION = "default"


@dataclass(frozen=True)
class CrmSettings:
    base_url: str
    client_id: str
    client_secret: str
    webhook_secret: str = ""
    api_version: str = "59.0"


@dataclass(frozen=True)
class BillingSettings:
    base_url: str
    api_key: str
    webhook_secret: str = ""


@dataclass(frozen=True)
class ErpSettings:
    base_url: str
    account_id: str
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class Connection:
    id: str
    crm: CrmSettings
    billing: BillingSettings
    erp: ErpSettings

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Connection:
        """Build from the ``POST /admin/connections`` body; raises ``ValueError`` naming
        the first missing or malformed field."""
        def section(name: str, kind: type[Any]) -> Any:
            raw = data.get(name)
            if not isinstance(raw, dict):
                raise ValueError(f"{name}: an object is required")
            names = [f.name for f in fields(kind)]
            required = [f.name for f in fields(kind) if f.default is MISSING]
            for key in required:
                if not isinstance(raw.get(key), str) or not raw[key]:
                    raise ValueError(f"{name}.{key}: a non-empty string is required")
            if not str(raw["base_url"]).startswith(("http://", "https://")):
                raise ValueError(f"{name}.base_url: an http(s) URL is required")
            for key in names:
                value = raw.get(key)
                # URLs and credentials travel in request lines and headers: printable
                # ASCII only (a credential with "é" failed on first use, answering 500).
                if isinstance(value, str) and not (value.isascii() and value.isprintable()):
                    raise ValueError(f"{name}.{key}: printable ASCII is required")
            return kind(**{k: str(v) for k, v in raw.items() if k in names})

        conn_id = data.get("id")
        if not isinstance(conn_id, str) or not conn_id or "/" in conn_id:
            raise ValueError("id: a non-empty string without '/' is required")
        return cls(conn_id, section("crm", CrmSettings), section("billing", BillingSettings),
                   section("erp", ErpSettings))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ServiceConfig:
    """Everything the service reads at start (immutable once built)."""

    database_url: str = "sqlite:///fintwin-il.db"
    variant: str = "reference"
    admin_token: str | None = None
    ca_bundle: str | None = None
    workers: int = 4
    lease_seconds: float = 30.0
    poll_seconds: float = 2.0  # CRM change-event polling fallback
    webhook_tolerance: int = 300  # Stripe's default signature tolerance, seconds
    max_attempts: int = 8  # worker-level attempts before a transient failure is parked
    max_waits: int = 200  # prerequisite waits before an event is parked
    retry_base: float = 0.05  # worker-level backoff base (seconds)
    client_retry_base: float = 0.05  # in-call retry backoff base (seconds)
    # How long a vendor's circuit breaker stays open before a trial call (seconds): long
    # enough for a real vendor incident to pass without hammering it.
    breaker_reset_seconds: float = 30.0
    seed: int = 0  # jitter seed, so that a run's retry schedule is reproducible
    connections: tuple[Connection, ...] = ()

    @classmethod
    def load(cls, *, env: Mapping[str, str] | None = None, file: str | None = None,
             overrides: Mapping[str, Any] | None = None) -> ServiceConfig:
        """Defaults, then the file, then the environment, then ``overrides`` (the module
        docstring has the details)."""
        env = dict(os.environ if env is None else env)
        path = file or env.get("FINTWIN_IL_CONFIG")
        cfg = cls()
        if path:
            with open(path, "rb") as fh:
                cfg = cls.from_mapping(tomllib.load(fh))
        from_env: dict[str, Any] = {}
        hints = typing.get_type_hints(cls)
        for f in fields(cls):
            raw = env.get(f"FINTWIN_{f.name.upper()}")
            if raw and f.name != "connections":
                from_env[f.name] = _typed(f.name, hints[f.name], raw)
        cfg = replace(cfg, **from_env)
        default = _env_connection(env)
        if default is not None:
            cfg = replace(cfg, connections=(*cfg.connections, default))
        unknown = set(overrides or {}) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown configuration keys: {sorted(unknown)}")
        return replace(cfg, **dict(overrides or {}))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ServiceConfig:
        """The file and the environment (no command line)."""
        return cls.load(env=env)

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> ServiceConfig:
        known = {f.name for f in fields(cls)} - {"connections"}
        unknown = set(data) - known - {"connections"}
        if unknown:
            raise ValueError(f"unknown configuration keys: {sorted(unknown)}")
        return cls(**{k: v for k, v in data.items() if k in known},
                   connections=tuple(Connection.from_dict(c)
                                     for c in data.get("connections", [])))


def _typed(name: str, kind: Any, raw: str) -> Any:
    """An environment value as its field's type (``int``, ``float``, ``str``, optional)."""
    if isinstance(kind, types.UnionType):
        kind = next(k for k in kind.__args__ if k is not type(None))
    try:
        return kind(raw)
    except ValueError:
        raise ValueError(f"FINTWIN_{name.upper()}: not a valid {kind.__name__}: {raw}") from None


def _env_connection(env: dict[str, str]) -> Connection | None:
    """The default connection from FINTWIN_* variables, when they are all there."""
    if not env.get("FINTWIN_BILLING_URL"):
        return None
    return Connection.from_dict({
        "id": env.get("FINTWIN_CONNECTION", DEFAULT_CONNECTION),
        "crm": {"base_url": env.get("FINTWIN_CRM_URL", ""),
                "client_id": env.get("FINTWIN_CRM_CLIENT_ID", ""),
                "client_secret": env.get("FINTWIN_CRM_CLIENT_SECRET", ""),
                "webhook_secret": env.get("FINTWIN_CRM_WEBHOOK_SECRET", "")},
        "billing": {"base_url": env["FINTWIN_BILLING_URL"],
                    "api_key": env.get("FINTWIN_BILLING_API_KEY", ""),
                    "webhook_secret": env.get("FINTWIN_BILLING_WEBHOOK_SECRET", "")},
        "erp": {"base_url": env.get("FINTWIN_ERP_URL", ""),
                "account_id": env.get("FINTWIN_ERP_ACCOUNT_ID", ""),
                "client_id": env.get("FINTWIN_ERP_CLIENT_ID", ""),
                "client_secret": env.get("FINTWIN_ERP_CLIENT_SECRET", "")},
    })
