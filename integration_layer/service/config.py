"""Service configuration: from the environment (and an optional TOML file).

A *connection* is one company's set of vendor accounts (a CRM org, a billing account,
an ERP account) with their credentials and webhook secrets. The service is multi-tenant
like an iPaaS: connections are registered at ``POST /admin/connections``; one default
connection can also come from the environment (``FINTWIN_*`` variables), for running the
service against a single set of accounts.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import MISSING, asdict, dataclass, field, fields
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
            return kind(**{k: str(v) for k, v in raw.items() if k in names})

        conn_id = data.get("id")
        if not isinstance(conn_id, str) or not conn_id or "/" in conn_id:
            raise ValueError("id: a non-empty string without '/' is required")
        return cls(conn_id, section("crm", CrmSettings), section("billing", BillingSettings),
                   section("erp", ErpSettings))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ServiceConfig:
    """Everything the service reads at start."""

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
    connections: list[Connection] = field(default_factory=list)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> ServiceConfig:
        env = dict(os.environ if env is None else env)
        cfg = cls()
        path = env.get("FINTWIN_IL_CONFIG")
        if path:
            with open(path, "rb") as fh:
                cfg = cls.from_mapping(tomllib.load(fh))
        mapping = {
            "database_url": "FINTWIN_DATABASE_URL", "variant": "FINTWIN_VARIANT",
            "admin_token": "FINTWIN_ADMIN_TOKEN", "ca_bundle": "FINTWIN_CA_BUNDLE",
        }
        for attr, var in mapping.items():
            if env.get(var):
                setattr(cfg, attr, env[var])
        if env.get("FINTWIN_WORKERS"):
            cfg.workers = int(env["FINTWIN_WORKERS"])
        if env.get("FINTWIN_SEED"):
            cfg.seed = int(env["FINTWIN_SEED"])
        if env.get("FINTWIN_BREAKER_RESET_SECONDS"):
            cfg.breaker_reset_seconds = float(env["FINTWIN_BREAKER_RESET_SECONDS"])
        default = _env_connection(env)
        if default is not None:
            cfg.connections.append(default)
        return cfg

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> ServiceConfig:
        known = set(cls.__dataclass_fields__) - {"connections"}
        unknown = set(data) - known - {"connections"}
        if unknown:
            raise ValueError(f"unknown configuration keys: {sorted(unknown)}")
        cfg = cls(**{k: v for k, v in data.items() if k in known})
        cfg.connections = [Connection.from_dict(c) for c in data.get("connections", [])]
        return cfg


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
