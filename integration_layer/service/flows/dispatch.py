"""Which flow an inbound event starts, and which business entity it is about."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from integration_layer.service.flows import accounts, deals, invoices
from integration_layer.service.flows.context import FlowContext

Handler = Callable[[FlowContext], Awaitable[None]]


def crm_entity(payload: dict[str, Any]) -> str:
    header = (payload.get("payload") or {}).get("ChangeEventHeader") or {}
    ids = header.get("recordIds") or ["-"]
    return f"crm:{ids[0]}"


def billing_entity(payload: dict[str, Any]) -> str:
    obj = (payload.get("data") or {}).get("object") or {}
    if obj.get("object") == "credit_note":
        return f"billing:{obj.get('invoice')}"
    if obj.get("object") in ("customer",):
        return f"billing:{obj.get('id')}"
    if obj.get("object") == "invoice":
        return f"billing:{obj.get('id')}"
    return f"billing:{obj.get('customer') or obj.get('id')}"


def handler_for(source: str, payload: dict[str, Any]) -> Handler | None:
    if source == "crm":
        return _crm_handler(payload)
    return _billing_handler(payload)


def _crm_handler(event: dict[str, Any]) -> Handler | None:
    change = event.get("payload") or {}
    header = change.get("ChangeEventHeader") or {}
    entity = header.get("entityName")
    kind = header.get("changeType")
    record_id = (header.get("recordIds") or [None])[0]
    changed = set(header.get("changedFields") or [])
    if not record_id or kind == "DELETE":
        return None
    if entity == "Account" and accounts.needs_sync(change):
        return lambda ctx: accounts.sync_account(ctx, record_id)
    if entity == "Opportunity" and (kind == "CREATE" or "StageName" in changed):
        return lambda ctx: deals.close_won(ctx, record_id)
    if entity == "Order" and (kind == "CREATE" or "Status" in changed):
        return lambda ctx: deals.amend(ctx, record_id)
    if entity == "Contract" and "Cancel_At_Period_End__c" in changed:
        return lambda ctx: deals.cancel_at_period_end(ctx, record_id)
    return None


def _billing_handler(event: dict[str, Any]) -> Handler | None:
    kind = event.get("type")
    obj = (event.get("data") or {}).get("object") or {}
    if kind == "invoice.finalized":
        return lambda ctx: invoices.post_invoice(ctx, obj)
    if kind == "invoice.paid":
        async def paid(ctx: FlowContext) -> None:
            await invoices.post_payment(ctx, obj)
            await accounts.sync_billing_status(ctx, str(obj["customer"]))
        return paid
    if kind == "invoice.created":
        return lambda ctx: invoices.hold_or_release(ctx, obj)
    if kind == "credit_note.created":
        return lambda ctx: invoices.post_credit_note(ctx, obj)
    if kind in ("invoice.payment_failed", "customer.subscription.deleted"):
        return lambda ctx: accounts.sync_billing_status(ctx, str(obj["customer"]))
    return None
