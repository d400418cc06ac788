"""Tenants: one company's accounts in the three fakes, provisioned as the vendors'
admins would, and registered with a multi-tenant SUT."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import httpx

from harness.data import Product
from harness.drivers.crm import CrmCatalog
from harness.stack.config import SUT, TRAFFIC_LIMIT, StackError
from simulators.billing.vendor import account_id_for_key

if TYPE_CHECKING:
    from harness.drivers import TenantCredentials
    from harness.stack.base import Stack

@dataclass(frozen=True)
class CrmTenant:
    client_id: str
    client_secret: str
    org_id: str
    webhook_secret: str | None = None
    subscription_id: str | None = None
    api_version: str | None = None  # the Salesforce API version the SUT is told to use


@dataclass(frozen=True)
class BillingTenant:
    api_key: str
    account_id: str
    webhook_secret: str | None = None
    endpoint_id: str | None = None


@dataclass(frozen=True)
class ErpTenant:
    account_id: str
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class Tenant:
    """One company's accounts in the three fakes, and its connection id in the SUT."""

    label: str
    connection: str
    crm: CrmTenant
    billing: BillingTenant
    erp: ErpTenant
    registered: bool = False  # registered with a multi-tenant SUT
    catalog: tuple[Product, ...] = ()  # seeded in all three fakes at provisioning
    crm_catalog: CrmCatalog | None = field(default=None, compare=False)

    @property
    def credentials(self) -> TenantCredentials:
        """The drivers' view of this tenant (``harness.drivers.World(endpoints, creds)``)."""
        from harness.drivers import TenantCredentials

        return TenantCredentials(
            id=self.connection, billing_api_key=self.billing.api_key,
            crm_client_id=self.crm.client_id, crm_client_secret=self.crm.client_secret,
            erp_account_id=self.erp.account_id, erp_client_id=self.erp.client_id,
            erp_client_secret=self.erp.client_secret)

    @property
    def ids(self) -> dict[str, str]:
        """The tenant id each fake knows this tenant by (fault rules, logs, state)."""
        return {"crm": self.crm.org_id, "billing": self.billing.account_id,
                "erp": self.erp.account_id}

    def ref(self, vendor: str) -> str:
        """How to name this tenant in ``?tenant=`` on a fake's control plane."""
        return self.ids[vendor]

    def connection_body(self, urls: Mapping[str, str]) -> dict[str, Any]:
        """The ``POST /admin/connections`` body (docs/quote-to-cash.md)."""
        return {
            "id": self.connection,
            "crm": {"base_url": urls["crm"], "client_id": self.crm.client_id,
                    "client_secret": self.crm.client_secret,
                    "webhook_secret": self.crm.webhook_secret or "",
                    **({"api_version": self.crm.api_version} if self.crm.api_version else {})},
            "billing": {"base_url": urls["billing"], "api_key": self.billing.api_key,
                        "webhook_secret": self.billing.webhook_secret or ""},
            "erp": {"base_url": urls["erp"], "account_id": self.erp.account_id,
                    "client_id": self.erp.client_id,
                    "client_secret": self.erp.client_secret},
        }

    def settings(self) -> dict[str, str]:
        """Logical settings (manifest ENV_KEYS) with this tenant's credentials."""
        return {
            "crm_client_id": self.crm.client_id, "crm_client_secret": self.crm.client_secret,
            "crm_webhook_secret": self.crm.webhook_secret or "",
            "billing_api_key": self.billing.api_key,
            "billing_webhook_secret": self.billing.webhook_secret or "",
            "erp_account_id": self.erp.account_id, "erp_client_id": self.erp.client_id,
            "erp_client_secret": self.erp.client_secret, "connection_id": self.connection,
        }

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "connection": self.connection, "ids": self.ids,
                "billing_api_key": self.billing.api_key, "crm_client_id": self.crm.client_id,
                "erp_client_id": self.erp.client_id}


def crm_webhook_secret(seed: int, label: str) -> str:
    """The secret the CRM signs this tenant's change events with (deterministic)."""
    return "whsec_crm" + hashlib.sha256(f"fintwin:{seed}:{label}:crm".encode()).hexdigest()[:32]



def registered(tenant: Tenant, response: httpx.Response) -> Tenant:
    """The tenant marked registered, once the SUT accepted its connection."""
    if not 200 <= response.status_code < 300:
        raise StackError(f"SUT refused connection {tenant.connection}: "
                         f"{response.status_code} {response.text[:500]}")
    return replace(tenant, registered=True)



async def provision(stack: Stack, label: str) -> Tenant:
    """Provision ``label``'s tenant in each fake of ``stack`` with the drivers, acting as
    the vendors' admin (as an observer: the run's chaos never hits provisioning): an ERP
    client, a CRM org, the seeded catalog in all three, then the SUT's receivers (a CRM
    change-event subscription, a billing webhook endpoint) at the SUT's estate URL. The
    SUT's registration of the connection is :func:`registered`."""
    from harness.drivers import TenantCredentials, World
    from simulators.crm.ids import to_18

    creds = TenantCredentials.derive(stack.seed, label)
    world = World(stack.endpoints(), creds, observer=True)
    connection = creds.id
    try:
        await world.erp.register_client()
        await world.erp.login()
        token = await world.crm.login()  # a new client id is a new org
        org_id = to_18(token.partition("!")[0])
        # Business time starts at the run's epoch, before the first business object:
        # a no-op on fakes the harness started (their tenants are born there), and what
        # pins a tenant of fakes someone else started.
        await world.clock.freeze(stack.config.epoch)
        catalog = stack.data(label).catalog(stack.config.catalog_size) \
            if stack.config.catalog_size else ()
        crm_catalog = await world.crm.seed_catalog(catalog) if catalog else None
        if catalog:
            await world.billing.seed_catalog(catalog)
            await world.erp.seed_items(catalog)
        # The SUT's receivers are registered after the catalog: its change events would
        # otherwise go to a connection the SUT does not know yet (404s, then retries
        # for minutes of the fakes' delivery schedule).
        crm_secret: str | None = None
        crm_sub: str | None = None
        crm_path = stack.manifest.webhook_path("crm", connection)
        if crm_path is not None:
            crm_secret = crm_webhook_secret(stack.seed, label)
            sub = await world.crm.control("POST", "/_sim/subscriptions", json={
                "url": stack.estate_url(SUT) + crm_path, "secret": crm_secret,
                "events": ["*"]})
            crm_sub = str(sub["id"])
        billing_secret: str | None = None
        endpoint_id: str | None = None
        billing_path = stack.manifest.webhook_path("billing", connection)
        if billing_path is not None:
            endpoint_id, billing_secret = await world.billing.register_webhook(
                stack.estate_url(SUT) + billing_path)
        if stack.config.vendor_versions.get("billing"):
            await world.billing.set_api_version(stack.config.vendor_versions["billing"])
        if stack.config.traffic:
            for driver in (world.crm, world.billing, world.erp):
                await driver.control("PUT", "/_sim/journal/detail",
                                     json={"limit": TRAFFIC_LIMIT})
    finally:
        await world.aclose()
    return Tenant(
        label=label, connection=connection,
        crm=CrmTenant(creds.crm_client_id, creds.crm_client_secret, org_id, crm_secret,
                      crm_sub, stack.config.vendor_versions.get("crm")),
        billing=BillingTenant(creds.billing_api_key,
                              account_id_for_key(creds.billing_api_key), billing_secret,
                              endpoint_id),
        erp=ErpTenant(creds.erp_account_id, creds.erp_client_id, creds.erp_client_secret),
        catalog=tuple(catalog), crm_catalog=crm_catalog)
