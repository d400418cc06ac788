"""Settings every fake shares; each fake's create_app takes one of these.

Frozen: a fake's settings do not change once it runs (``dataclasses.replace`` makes new
ones before). ``fintwin sim`` builds them from, later layers winning: these defaults, a
TOML file (``--config FILE``; keys are the field names), the environment
(``FINTWIN_SIM_<FIELD>``, e.g. ``FINTWIN_SIM_SEED=7``) and its flags
(``harness.cli``, ``load``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import httpx

ENV_PREFIX = "FINTWIN_SIM_"


@dataclass(frozen=True)
class SimSettings:
    seed: int = 0
    faults: str | Path | None = None  # a plan file or a chaos profile name
    state_dir: str | Path | None = None
    admin_token: str | None = None  # when set, /_sim/ requires X-Sim-Admin-Token
    limits: bool = True  # the vendor's default rate/concurrency limits
    limit_overrides: dict[str, Any] = field(default_factory=dict)
    # Wall-clock multiplier for the vendor's webhook retry schedule (0.01: an
    # hour becomes 36 s).  Tests use far smaller values.
    delivery_time_scale: float = 0.01
    # Multiplier for the service time an operation declares (engine.service_time): 1.0
    # is the vendor's own pace, 0 answers at once. Requests overlap only when it is on,
    # so a concurrency limit (NetSuite's) is reached only then.
    service_time: float = 0.0
    delivery_verify: bool | str = True  # CA bundle path for HTTPS receivers
    delivery_transport: httpx.AsyncBaseTransport | None = None  # in-process receivers
    # Every new tenant's business clock starts at ``epoch`` (unix seconds; None: now, as
    # a vendor account does) and, with ``frozen_clock``, stands still there until advanced
    # (like a Stripe test clock). A harness pins both so that business dates never
    # depend on the day it runs.
    epoch: float | None = None
    frozen_clock: bool = False
    base_url: str = ""  # how clients reach this fake (for URLs in responses)
    # Idle tenants forgotten (issue 18: every new sk_test_ key made a tenant kept forever;
    # 20,000 keys, +83 MiB): at most ``max_tenants`` (0: no cap; the least recently used
    # idle ones go first) and none idle longer than ``tenant_ttl`` seconds (0: forever).
    # A tenant with a request in flight or a delivery pending is never idle. With a
    # state_dir tenants are kept (they are what the directory is for).
    max_tenants: int = 0
    tenant_ttl: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)  # vendor-specific settings

    @classmethod
    def load(cls, *, file: str | Path | None = None, env: Mapping[str, str] | None = None,
             overrides: Mapping[str, Any] | None = None) -> SimSettings:
        """Defaults, then ``file`` (TOML), then ``FINTWIN_SIM_*`` in ``env``, then
        ``overrides`` (the command line's flags that were given)."""
        layers: dict[str, Any] = {}
        if file:
            with open(file, "rb") as fh:
                layers.update(tomllib.load(fh))
        kinds = {f.name: type(f.default) for f in fields(cls)}
        for name, value in (env or {}).items():
            # An empty variable is unset (compose's ``${VAR:-}`` writes one).
            if name.startswith(ENV_PREFIX) and value != "":
                key = name[len(ENV_PREFIX):].lower()
                layers[key] = _from_text(key, kinds.get(key), value)
        layers.update(overrides or {})
        unknown = set(layers) - set(kinds)
        if unknown:
            raise ValueError(f"unknown fake settings: {sorted(unknown)}")
        return replace(cls(), **layers)


def _from_text(name: str, kind: type | None, text: str) -> Any:
    """An environment value as the type of the setting's default (text otherwise)."""
    if kind is bool:
        if text.lower() not in ("true", "false", "1", "0"):
            raise ValueError(f"{ENV_PREFIX}{name.upper()}: true or false, not {text!r}")
        return text.lower() in ("true", "1")
    if kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            raise ValueError(f"{ENV_PREFIX}{name.upper()}: a number, not {text!r}") from None
    return text
