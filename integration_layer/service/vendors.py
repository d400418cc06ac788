"""The three vendor clients of one connection, built from the service's parts."""

from __future__ import annotations

import hashlib
import ssl
from dataclasses import dataclass, field
from typing import Any

import httpx

from integration_layer.clients import (
    BillingClient,
    CallRecord,
    CircuitBreaker,
    ClientOptions,
    CrmClient,
    ErpClient,
)
from integration_layer.service.config import Connection, ServiceConfig
from integration_layer.service.observability import Metrics
from integration_layer.service.parts import Parts


@dataclass
class Vendors:
    crm: CrmClient
    billing: BillingClient
    erp: ErpClient
    cache: dict[str, Any] = field(default_factory=dict)  # ERP reference data by kind

    async def aclose(self) -> None:
        for client in (self.crm, self.billing, self.erp):
            await client.aclose()


def build_vendors(conn: Connection, cfg: ServiceConfig, parts: Parts, metrics: Metrics,
                  transport: httpx.AsyncBaseTransport | None) -> Vendors:
    verify: Any = ssl.create_default_context(cafile=cfg.ca_bundle) if cfg.ca_bundle else True

    def record(call: CallRecord) -> None:
        metrics.vendor_call(call)

    def options(vendor: str) -> ClientOptions:
        seed = int.from_bytes(hashlib.blake2b(repr((cfg.seed, conn.id, vendor)).encode(),
                                              digest_size=4).digest())
        return ClientOptions(
            transport=transport, verify=verify, recorder=record, timeout=10.0,
            policy=parts.retry.policy(seed, cfg.client_retry_base),
            breaker=CircuitBreaker(vendor, reset_timeout=cfg.breaker_reset_seconds))

    crm = CrmClient(conn.crm.base_url, token_url="/services/oauth2/token",
                    client_id=conn.crm.client_id, client_secret=conn.crm.client_secret,
                    api_version=conn.crm.api_version, options=options("salesforce"))
    billing = BillingClient(conn.billing.base_url, conn.billing.api_key,
                            require_idempotency_key=parts.keys.keyed_writes,
                            retry_keyed_writes=parts.ambiguity.retry_ambiguous_in_call,
                            options=options("stripe"))
    erp = ErpClient(conn.erp.base_url, conn.erp.account_id, client_id=conn.erp.client_id,
                    client_secret=conn.erp.client_secret, options=options("netsuite"))
    return Vendors(crm, billing, erp)
