"""``external``: a SUT already running; the fakes are the ones it was started
against (named in the harness's environment or the manifest's ``[fakes]``), else the
harness's own on loopback."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path

from harness.manifest import VENDORS, Manifest
from harness.stack.config import (
    SIM_ADMIN_TOKEN_ENV,
    SUT,
    SUT_URL_ENV,
    StackConfig,
    StackError,
)
from harness.stack.local import LocalStack
from harness.stack.processes import wait_healthy
from harness.stack.tenants import BillingTenant, CrmTenant, ErpTenant, Tenant
from simulators.billing.vendor import account_id_for_key


class ExternalStack(LocalStack):
    """The SUT already runs at the manifest's ``start.url`` (or ``sut_url``)."""

    mode = "external"

    def __init__(self, manifest: Manifest, config: StackConfig | None = None,
                 sut_url: str | None = None, environ: Mapping[str, str] | None = None) -> None:
        super().__init__(manifest, config)
        self._environ = dict(os.environ if environ is None else environ)
        self._sut_url = sut_url or self._environ.get(SUT_URL_ENV) or manifest.start.url
        self._given = manifest.settings_from_environment(self._environ)
        # Fakes someone else started may have their control planes locked.
        if self._environ.get(SIM_ADMIN_TOKEN_ENV):
            self.sim_admin_token = self._environ[SIM_ADMIN_TOKEN_ENV]

    def _start(self) -> None:
        if not self._sut_url:
            raise StackError("external mode needs the SUT's URL (manifest [start].url)")
        deadline = time.monotonic() + self.config.startup_timeout
        given = {v: self._given[f"{v}_base_url"].rstrip("/") for v in VENDORS
                 if f"{v}_base_url" in self._given}
        if len(given) < len(VENDORS) and self.manifest.fakes:
            given = dict(self.manifest.fakes)  # the estate the manifest describes
            if self.manifest.fakes_ca_bundle is not None:
                self.ca_bundle = self.manifest.fakes_ca_bundle
        if len(given) == len(VENDORS):
            # The SUT was started against these fakes; use them.
            self.urls.update(given)
            self.network_urls = dict(self.manifest.network)
            if self._given.get("ca_bundle"):
                self.ca_bundle = Path(self._given["ca_bundle"])
            if self.ca_bundle is not None and not self.ca_bundle.is_file():
                raise StackError(f"the fakes' CA bundle {self.ca_bundle} is not a file")
            for vendor in VENDORS:
                wait_healthy(self.urls[vendor] + "/_sim/health", deadline=deadline,
                             verify=self.verify(),
                             what=f"{vendor} fake")
        else:
            self._start_fakes(deadline)
        self.urls[SUT] = self._sut_url.rstrip("/")
        wait_healthy(self.urls[SUT] + self.manifest.start.health, deadline=deadline,
                     what=f"SUT {self.manifest.name!r}")
        if "admin_token" in self._given:
            self.admin_token = self._given["admin_token"]

    def new_tenant(self, label: str | None = None) -> Tenant:
        if self.manifest.multi_tenant:
            return super().new_tenant(label)
        if not self._tenants:
            self._tenants.append(self._tenant_from_environment())
        return self._tenants[0]

    def _tenant_from_environment(self) -> Tenant:
        g = self._given
        missing = sorted({"crm_client_id", "billing_api_key", "erp_account_id"} - set(g))
        if missing:
            raise StackError("a single-tenant external SUT: set its credential variables in "
                             "the harness's environment too (missing: "
                             + ", ".join(self.manifest.env[k] for k in missing
                                         if k in self.manifest.env) + ")")
        crm = self._shared("crm").post("/services/oauth2/token",
                                       headers=self.observer_headers(), data={
                                           "grant_type": "client_credentials",
                                           "client_id": g["crm_client_id"],
                                           "client_secret": g.get("crm_client_secret", "")})
        if crm.status_code != 200:
            raise StackError(f"crm token: {crm.status_code} {crm.text[:300]}")
        org_id = str(crm.json()["id"]).rstrip("/").split("/")[-2]
        return Tenant(
            label="external", connection=g.get("connection_id", "default"),
            crm=CrmTenant(g["crm_client_id"], g.get("crm_client_secret", ""), org_id,
                          g.get("crm_webhook_secret")),
            billing=BillingTenant(g["billing_api_key"], account_id_for_key(g["billing_api_key"]),
                                  g.get("billing_webhook_secret")),
            erp=ErpTenant(g["erp_account_id"], g.get("erp_client_id", ""),
                          g.get("erp_client_secret", "")))

