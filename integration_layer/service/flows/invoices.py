"""Flow 3, invoice posting: billing invoice finalized -> ERP invoice; paid -> ERP
customer payment; credit note -> ERP credit memo. And the compensation: an invoice of a
legal entity with no ERP subsidiary is held in billing and its posting parked."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from integration_layer.clients import PermanentError
from integration_layer.service.flows.accounts import (
    ACCOUNT_FIELDS,
    account_of_customer,
    erp_customer,
)
from integration_layer.service.flows.books import apply_customer_credit, post
from integration_layer.service.flows.context import FlowContext
from integration_layer.service.outcomes import Park


async def _account(ctx: FlowContext, invoice: dict[str, Any]) -> dict[str, Any]:
    sub_id = ctx.parts.stripe.invoice_subscription(invoice)
    if sub_id is None:
        # Every invoice this integration posts belongs to a subscription it created.
        raise Park("UNMAPPED_INVOICE", f"invoice {invoice.get('id')} has no subscription")
    account_id = await ctx.links.get("subscription_account", sub_id)
    if account_id is None:
        account_id = await account_of_customer(ctx, str(invoice["customer"]))
    return await ctx.vendors.crm.get("Account", account_id, fields=ACCOUNT_FIELDS)


async def _erp_customer(ctx: FlowContext, account: dict[str, Any]) -> tuple[str, str]:
    """(ERP customer id, subsidiary id); the legal-entity check comes first."""
    subsidiary = await ctx.subsidiary_for(account.get("Legal_Entity__c"))
    return await erp_customer(ctx, account), subsidiary


def _lines(invoice: dict[str, Any]) -> list[dict[str, Any]]:
    return list((invoice.get("lines") or {}).get("data") or [])


def _line_tax(line: dict[str, Any]) -> tuple[int, int]:
    """(all tax, the part of it included in the line's amount) in minor units. Pre-basil
    lines carry ``tax_amounts`` with ``inclusive``; basil lines ``taxes`` with
    ``tax_behavior`` (Stripe changelog 2025-03-31.basil)."""
    taxes = line.get("taxes") if line.get("taxes") is not None else line.get("tax_amounts")
    total = inclusive = 0
    for t in taxes or []:
        amount = int(t.get("amount") or 0)
        total += amount
        if t.get("inclusive") or t.get("tax_behavior") == "inclusive":
            inclusive += amount
    return total, inclusive


def _with_date(body: dict[str, Any], day: str | None) -> dict[str, Any]:
    """``body`` with its ``tranDate`` (none: the ERP dates it the day it is posted)."""
    return {**body, "tranDate": day} if day else body


async def _groups(ctx: FlowContext, invoice: dict[str, Any]) -> dict[str, list[int]]:
    """[amount, quantity, tax, inclusive tax] in minor units per product code, netted per
    product."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for line in _lines(invoice):
        if not ctx.parts.prorations.keep(int(line.get("amount") or 0), _is_proration(line)):
            continue
        price_id = ctx.parts.stripe.line_price(line)
        if price_id is None:
            raise Park("UNMAPPED_LINE", f"invoice line {line.get('id')} has no price")
        code = await ctx.links.get("price_code", price_id)
        if code is None:
            price = await ctx.vendors.billing.request("GET", f"/v1/prices/{price_id}",
                                                      path_template="/v1/prices/{id}")
            code = str(price.get("lookup_key") or "").split(":")[0]
            if not code:
                raise Park("PRICE_NOT_MAPPED", f"price {price_id} has no lookup key")
            await ctx.links.put("price_code", price_id, code)
        group = out[code]
        group[0] += int(line.get("amount") or 0) - ctx.parts.stripe.line_discount(line)
        if not _is_proration(line):
            group[1] += int(line.get("quantity") or 0)
        tax, inclusive = _line_tax(line)
        group[2] += tax
        group[3] += inclusive
    return out


def _is_proration(line: dict[str, Any]) -> bool:
    if line.get("proration") is not None:
        return bool(line["proration"])
    parent = line.get("parent") or {}
    details = parent.get("subscription_item_details") or parent.get(
        "invoice_item_details") or {}
    return bool(details.get("proration"))


def _erp_amounts(ctx: FlowContext, group: list[int]) -> tuple[int, int]:
    """(line amount, tax) of a group in the ERP, as magnitudes."""
    amount, tax = ctx.parts.tax.line(group[0], group[2], group[3])
    return abs(amount), abs(tax)


async def _item_lines(ctx: FlowContext, groups: dict[str, list[int]], currency: str,
                      sign: int) -> list[dict[str, Any]]:
    money = ctx.parts.money
    lines = []
    for code, group in sorted(groups.items()):
        if group[0] * sign <= 0:
            continue
        amount, tax = _erp_amounts(ctx, group)
        qty = group[1]
        quantity = qty if qty > 0 else 1
        line: dict[str, Any] = {
            "item": {"id": await ctx.erp_id("item", code)},
            "quantity": quantity,
            "rate": money.unit_price(amount, quantity, currency),
            "amount": money.major(amount, currency),
            "description": code,
        }
        if tax:
            line["tax1Amt"] = money.major(tax, currency)
        lines.append(line)
    return lines


async def post_invoice(ctx: FlowContext, invoice: dict[str, Any]) -> None:
    invoice_id = str(invoice["id"])
    if not _lines(invoice) or int(invoice.get("total") or 0) == 0:
        return  # nothing to post (a zero invoice)
    account = await _account(ctx, invoice)
    customer, subsidiary = await _erp_customer(ctx, account)
    currency = str(invoice.get("currency") or "usd").upper()
    groups = await _groups(ctx, invoice)
    header = _with_date({
        "entity": {"id": customer}, "subsidiary": {"id": subsidiary},
        "currency": {"id": await ctx.erp_id("currency", currency)},
        "memo": f"{invoice.get('number') or invoice_id} trace {ctx.flow_id}",
    }, ctx.parts.dates.invoice(invoice))
    debit = await _item_lines(ctx, groups, currency, +1)
    credit = await _item_lines(ctx, groups, currency, -1)
    erp_id: str | None = None
    if debit:
        async def create(resumed: bool) -> str:
            return await post(ctx, "invoice", invoice_id,
                              {**header, "item": {"items": debit}}, resumed=resumed)

        erp_id = await ctx.step(f"erp.invoice:{invoice_id}", create)
        await ctx.links.put("erp_invoice", invoice_id, erp_id)
        await _apply_credit(ctx, invoice, customer, erp_id, currency)
    if credit:
        # Proration credits (unused time) post as a credit memo next to the invoice,
        # applied to it, so that what stays open on the ERP invoice is what billing
        # collects.
        body: dict[str, Any] = {**header, "item": {"items": credit}}
        if erp_id is not None:
            charged = sum(sum(_erp_amounts(ctx, g)) for g in groups.values() if g[0] > 0)
            credited = sum(sum(_erp_amounts(ctx, g)) for g in groups.values() if g[0] < 0)
            body["apply"] = {"items": [{"doc": {"id": erp_id}, "apply": True, "amount":
                                        ctx.parts.money.major(min(charged, credited),
                                                              currency)}]}

        async def memo(resumed: bool) -> str:
            return await post(ctx, "creditMemo", f"cr:{invoice_id}", body, resumed=resumed)

        await ctx.step(f"erp.proration-credit:{invoice_id}", memo)


async def _apply_credit(ctx: FlowContext, invoice: dict[str, Any], customer: str,
                        erp_invoice: str, currency: str) -> None:
    """The customer's credit balance billing applied to this invoice at finalization
    (``starting_balance`` below zero, taken down to ``ending_balance``) settles the same
    part of the ERP invoice, from the customer's open credit memos."""
    start, end = invoice.get("starting_balance"), invoice.get("ending_balance")
    if not ctx.parts.credits.applies or start is None or end is None or int(start) >= 0:
        return
    applied = int(end) - int(start)
    if applied <= 0:
        return

    async def apply(resumed: bool) -> str:
        amount = ctx.parts.money.major(applied, currency)
        await apply_customer_credit(ctx, customer, erp_invoice, Decimal(amount))
        return erp_invoice

    await ctx.step(f"erp.apply-credit:{invoice['id']}", apply)


async def _erp_invoice(ctx: FlowContext, invoice_id: str) -> str:
    erp_id = await ctx.links.get("erp_invoice", invoice_id)
    if erp_id:
        return erp_id
    raise ctx.missing(f"the ERP invoice of {invoice_id}")


async def post_payment(ctx: FlowContext, invoice: dict[str, Any]) -> None:
    invoice_id = str(invoice["id"])
    paid = ctx.parts.collected.amount(invoice)
    if paid <= 0:
        return
    account = await _account(ctx, invoice)
    customer, subsidiary = await _erp_customer(ctx, account)
    erp_invoice = await _erp_invoice(ctx, invoice_id)
    currency = str(invoice.get("currency") or "usd").upper()
    amount = ctx.parts.money.major(paid, currency)
    body = _with_date({
        "customer": {"id": customer}, "subsidiary": {"id": subsidiary},
        "currency": {"id": await ctx.erp_id("currency", currency)},
        "payment": amount,
        "memo": f"payment of {invoice.get('number') or invoice_id} trace {ctx.flow_id}",
        "apply": {"items": [{"doc": {"id": erp_invoice}, "apply": True, "amount": amount}]},
    }, ctx.parts.dates.payment(invoice))

    async def create(resumed: bool) -> str:
        return await post(ctx, "customerPayment", f"pay:{invoice_id}", body, resumed=resumed)

    await ctx.step(f"erp.payment:{invoice_id}", create)


async def post_credit_note(ctx: FlowContext, note: dict[str, Any]) -> None:
    note_id = str(note["id"])
    invoice_id = str(note.get("invoice") or "")
    billing = ctx.vendors.billing
    invoice = await billing.retrieve_invoice(invoice_id)
    account = await _account(ctx, invoice)
    customer, subsidiary = await _erp_customer(ctx, account)
    erp_invoice = await _erp_invoice(ctx, invoice_id)
    currency = str(note.get("currency") or "usd").upper()
    erp_doc = await ctx.vendors.erp.get("invoice", erp_invoice, expand_sub_resources=True)
    items = (erp_doc.get("item") or {}).get("items") or []
    if not items:
        raise Park("ERP_INVOICE_EMPTY", f"ERP invoice {erp_invoice} has no lines")
    money = ctx.parts.money
    subtotal = int(note.get("subtotal") or note.get("amount") or 0)
    net, tax = ctx.parts.tax.line(subtotal, int(note.get("amount") or 0) - subtotal, 0)
    line: dict[str, Any] = {"item": {"id": str(items[0]["item"]["id"])}, "quantity": 1,
                            "rate": money.major(net, currency),
                            "amount": money.major(net, currency),
                            "description": f"credit note {note.get('number') or note_id}"}
    if tax > 0:
        line["tax1Amt"] = money.major(tax, currency)
    body: dict[str, Any] = _with_date({
        "entity": {"id": customer}, "subsidiary": {"id": subsidiary},
        "currency": {"id": await ctx.erp_id("currency", currency)},
        "memo": f"credit note {note.get('number') or note_id} trace {ctx.flow_id}",
        "item": {"items": [line]},
    }, ctx.parts.dates.credit(note))
    if erp_doc.get("status") not in ("Paid In Full", {"id": "paidInFull"}) and \
            str(erp_doc.get("amountRemaining") or "0") not in ("0", "0.00"):
        body["apply"] = {"items": [{"doc": {"id": erp_invoice}, "apply": True,
                                    "amount": money.major(int(note.get("amount") or 0),
                                                          currency)}]}

    async def create(resumed: bool) -> str:
        try:
            return await post(ctx, "creditMemo", note_id, body, resumed=resumed)
        except PermanentError as exc:
            if "apply" in body and exc.vendor_code in ("USER_ERROR", "INVALID_FLD_VALUE"):
                # The invoice was paid meanwhile: post the credit unapplied.
                return await post(ctx, "creditMemo", note_id,
                                  {k: v for k, v in body.items() if k != "apply"},
                                  resumed=True)
            raise

    await ctx.step(f"erp.credit-memo:{note_id}", create)


async def hold_or_release(ctx: FlowContext, invoice: dict[str, Any]) -> None:
    """invoice.created: a renewal invoice waits in draft for about an hour. If its legal
    entity has no ERP subsidiary, hold it (auto_advance=false) and park the event; a
    replay after the mapping exists releases (finalizes) it."""
    billing = ctx.vendors.billing
    invoice_id = str(invoice["id"])
    current = await billing.retrieve_invoice(invoice_id)
    if current.get("status") != "draft":
        return
    account = await _account(ctx, current)
    try:
        await ctx.subsidiary_for(account.get("Legal_Entity__c"))
    except Park:
        if current.get("auto_advance", True):
            await billing.request("POST", f"/v1/invoices/{invoice_id}",
                                  {"auto_advance": False},
                                  idempotency_key=ctx.event_key("billing.invoice.hold") or "",
                                  path_template="/v1/invoices/{id}")
        raise
    if current.get("auto_advance") is False:
        # Release: finalize, then collect as the draft hour would have.
        await billing.request("POST", f"/v1/invoices/{invoice_id}/finalize",
                              {"auto_advance": True},
                              idempotency_key=ctx.event_key("billing.invoice.release") or "",
                              path_template="/v1/invoices/{id}/finalize")
        if current.get("collection_method") == "charge_automatically":
            await billing.pay_invoice(invoice_id,
                                      idempotency_key=ctx.event_key("billing.invoice.pay") or "")
