"""Connected accounts (Stripe Connect): a platform makes them, then acts for one with the
``Stripe-Account`` header, which the vendor maps to the connected account's own tenant
(``vendor.connected_tenant``). Stripe API reference, "Accounts"; Stripe docs, "Making
API calls for connected accounts". Onboarding, capabilities and payouts are not
modelled: an account is ready to charge when made (docs/billing.md, "Left out")."""

from __future__ import annotations

from typing import Any

from simulators.billing.context import Ctx
from simulators.billing.events import changed, emit
from simulators.billing.metadata import updated_metadata
from simulators.engine.store import Record


def create_account(ctx: Ctx, p: dict[str, Any]) -> Record:
    acct: Record = {
        "id": ctx.tenant.new_id("acct_", 16), "object": "account",
        "business_profile": {"name": (p.get("business_profile") or {}).get("name"),
                             "url": (p.get("business_profile") or {}).get("url")},
        "business_type": p.get("business_type"), "capabilities": {},
        "charges_enabled": True, "country": p.get("country") or "US",
        "created": ctx.now(), "default_currency": (p.get("default_currency") or "usd"),
        "details_submitted": True, "email": p.get("email"),
        "metadata": p.get("metadata") or {}, "payouts_enabled": False,
        "type": p.get("type") or "custom",
    }
    ctx.put("account", acct)
    emit(ctx, "account.updated", "account", acct)  # Stripe sends no account.created
    return acct


def update_account(ctx: Ctx, acct: Record, p: dict[str, Any]) -> Record:
    before = dict(acct)
    for key in ("email", "business_type", "default_currency"):
        if p.get(key) is not None:
            acct[key] = p[key]
    if p.get("business_profile"):
        acct["business_profile"] = {**acct["business_profile"], **p["business_profile"]}
    if "metadata" in p:
        acct["metadata"] = updated_metadata(acct["metadata"], p["metadata"])
    ctx.put("account", acct)
    emit(ctx, "account.updated", "account", acct,
         changed(before, acct, ("email", "business_type", "default_currency",
                                "business_profile", "metadata")))
    return acct


def delete_account(ctx: Ctx, acct: Record) -> dict[str, Any]:
    """The platform lets go of the account: ``Stripe-Account`` no longer reaches it."""
    acct["deleted"] = True
    ctx.put("account", acct)
    return {"id": acct["id"], "object": "account", "deleted": True}
