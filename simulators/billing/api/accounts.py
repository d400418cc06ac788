"""Connected accounts (Stripe API reference, "Accounts"), reached with ``Stripe-Account``."""

from __future__ import annotations

from typing import Any

from simulators.billing import accounts
from simulators.billing.api.listing import listing
from simulators.billing.context import Ctx
from simulators.billing.params import (
    EXPAND,
    LIST,
    ONLY_EXPAND,
    Enum,
    Hash,
    Metadata,
    Param,
    Str,
)
from simulators.engine.operation import Operations
from simulators.engine.store import Record

ops = Operations(tags=("Connect",))

ACCOUNT_UPDATE: dict[str, Param] = {
    "email": Str(max_length=512),
    "business_type": Enum(values=("company", "government_entity", "individual",
                                  "non_profit")),
    "business_profile": Hash(fields={"name": Str(max_length=200),
                                     "url": Str(max_length=5000)}),
    "default_currency": Str(max_length=3), "metadata": Metadata(), "expand": EXPAND,
}


@ops.operation(method="POST", path="/v1/accounts", id="PostAccounts",
               summary="Create a connected account",
               params=dict(ACCOUNT_UPDATE, type=Enum(values=("custom", "express", "standard")),
                           country=Str(max_length=2)),
               returns="account")
def create_account(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    """A connected account of this platform; requests with ``Stripe-Account: <its id>``
    then act on its own customers, subscriptions and invoices, apart from the platform's.
    It can charge at once (no onboarding is modelled)."""
    return accounts.create_account(ctx, p)


@ops.operation(method="GET", path="/v1/accounts", id="GetAccounts",
               summary="List connected accounts", params=LIST)
def list_accounts(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    return listing(ctx, "account", p, "/v1/accounts")


@ops.operation(method="GET", path="/v1/accounts/{account}", id="GetAccountsAccount",
               summary="Retrieve a connected account", params=ONLY_EXPAND, returns="account")
def retrieve_account(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return ctx.get("account", path["account"])


@ops.operation(method="POST", path="/v1/accounts/{account}", id="PostAccountsAccount",
               summary="Update a connected account", params=ACCOUNT_UPDATE, returns="account")
def update_account(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return accounts.update_account(ctx, ctx.get("account", path["account"]), p)


@ops.operation(method="DELETE", path="/v1/accounts/{account}", id="DeleteAccountsAccount",
               summary="Delete a connected account")
def delete_account(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    return accounts.delete_account(ctx, ctx.get("account", path["account"]))
