"""The stack file: what ``fintwin load`` hands the Locust processes (``loadtests/``).

The harness starts the stack and provisions the tenants (asyncio, in its own process);
Locust's users run in gevent processes that must not run the asyncio harness, and may run
on other machines. They learn everything from one JSON file: where the fakes are, the CA
that signs the CRM's certificate, each tenant's credentials and catalog, and the
scenario's settings. It holds client secrets of throwaway tenants: it is written 0600.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from harness.data import Product
from harness.drivers.world import TenantCredentials

VERSION = 2
ENV = "FINTWIN_LOAD_STACK"  # the stack file's path, when not given on the command line


@dataclass(frozen=True)
class LoadTenant:
    """One company's accounts in the three fakes, as a Locust user reaches them: the
    drivers' credentials, and the catalog seeded at provisioning."""

    label: str
    credentials: TenantCredentials  # .id is the SUT's connection id
    catalog: tuple[Product, ...] = ()
    pricebook_id: str = ""
    entries: Mapping[str, str] = field(default_factory=dict)  # "CODE:CUR" -> entry id

    def entry(self, code: str, currency: str) -> str:
        return self.entries[f"{code}:{currency.upper()}"]

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "credentials": asdict(self.credentials),
                "catalog": [{"code": p.code, "name": p.name, "family": p.family,
                             "prices": {c: str(v) for c, v in p.prices.items()}}
                            for p in self.catalog],
                "pricebook_id": self.pricebook_id, "entries": dict(self.entries)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LoadTenant:
        catalog = tuple(Product(str(p["code"]), str(p["name"]), str(p["family"]),
                                {str(c): Decimal(str(v)) for c, v in p["prices"].items()})
                        for p in data.get("catalog") or ())
        return cls(label=str(data["label"]),
                   credentials=TenantCredentials(**{k: str(v) for k, v in
                                                    data["credentials"].items()}),
                   catalog=catalog, pricebook_id=str(data.get("pricebook_id") or ""),
                   entries={str(k): str(v) for k, v in (data.get("entries") or {}).items()})


@dataclass(frozen=True)
class LoadStack:
    """Everything a Locust process needs (see the module docstring)."""

    scenario: str
    seed: int
    epoch: float  # where the tenants' business clocks started (harness.epoch)
    urls: Mapping[str, str]
    tenants: tuple[LoadTenant, ...]
    ca_bundle: str | None = None
    # The CA certificate itself (public): a worker on another machine needs no file.
    ca_pem: str | None = None
    observer: str = "1"  # the X-Fintwin-Observer value (the admin token when locked)
    admin_token: str | None = None  # X-Sim-Admin-Token for the fakes' control planes
    flows_file: str | None = None  # where the master (or the only process) logs flows
    settings: Mapping[str, Any] = field(default_factory=dict)  # the scenario's own

    def to_json(self) -> dict[str, Any]:
        return {"version": VERSION, "scenario": self.scenario, "seed": self.seed,
                "epoch": self.epoch,
                "urls": dict(self.urls), "ca_bundle": self.ca_bundle, "ca_pem": self.ca_pem,
                "observer": self.observer, "admin_token": self.admin_token,
                "flows_file": self.flows_file, "settings": dict(self.settings),
                "tenants": [t.to_json() for t in self.tenants]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LoadStack:
        if int(data.get("version") or 0) != VERSION:
            raise ValueError(f"stack file version {data.get('version')!r}, expected {VERSION}")
        return cls(scenario=str(data["scenario"]), seed=int(data["seed"]),
                   epoch=float(data["epoch"]),
                   urls={str(k): str(v) for k, v in data["urls"].items()},
                   tenants=tuple(LoadTenant.from_json(t) for t in data["tenants"]),
                   ca_bundle=data.get("ca_bundle"), ca_pem=data.get("ca_pem"),
                   observer=str(data.get("observer") or "1"),
                   admin_token=data.get("admin_token"), flows_file=data.get("flows_file"),
                   settings=dict(data.get("settings") or {}))

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(self.to_json(), fh, indent=1)
        tmp.replace(path)  # a reader never sees half a file
        return path

    @classmethod
    def read(cls, path: str | Path) -> LoadStack:
        return cls.from_json(json.loads(Path(path).read_text()))
