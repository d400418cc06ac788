"""Settings every fake shares; each fake's create_app takes one of these."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx


@dataclass
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
    delivery_verify: bool | str = True  # CA bundle path for HTTPS receivers
    delivery_transport: httpx.AsyncBaseTransport | None = None  # in-process receivers
    # Every new tenant's business clock starts at ``epoch`` (unix seconds; None: now, as
    # a vendor account does) and, with ``frozen_clock``, stands still there until advanced
    # (like a Stripe test clock). A harness pins both so that business dates never
    # depend on the day it runs.
    epoch: float | None = None
    frozen_clock: bool = False
    base_url: str = ""  # how clients reach this fake (for URLs in responses)
    extra: dict[str, Any] = field(default_factory=dict)  # vendor-specific settings
