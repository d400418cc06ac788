"""Invoice items and invoices (Stripe API reference, "Invoice Items", "Invoices")."""

from __future__ import annotations

from typing import Any

from simulators.billing import customers, events, invoices, previews, subscriptions
from simulators.billing.api.discounts import DISCOUNTS
from simulators.billing.api.listing import deleted, filtered
from simulators.billing.api.subscriptions import ITEM, PRORATION
from simulators.billing.context import Ctx
from simulators.billing.errors import InvalidRequest
from simulators.billing.params import (
    EXPAND,
    LIST,
    LIST_PARAMS,
    ONLY_EXPAND,
    Bool,
    Currency,
    Enum,
    Hash,
    Int,
    ListOf,
    Metadata,
    Param,
    Str,
)
from simulators.billing.render import expand, render, sublist
from simulators.billing.versions import is_basil
from simulators.engine.operation import Operations
from simulators.engine.store import Record

ops = Operations(tags=("Invoices",))

COLLECTION_METHOD = Enum(values=("charge_automatically", "send_invoice"))
INVOICE_CREATE: dict[str, Param] = {
    "customer": Str(required=True, max_length=255), "subscription": Str(max_length=255),
    "auto_advance": Bool(), "collection_method": COLLECTION_METHOD,
    "days_until_due": Int(maximum=3650), "description": Str(max_length=1500),
    "metadata": Metadata(),
    "pending_invoice_items_behavior": Enum(values=("exclude", "include")),
    "discounts": DISCOUNTS, "expand": EXPAND,
}
INVOICEITEM_CREATE: dict[str, Param] = {
    "customer": Str(required=True, max_length=255), "amount": Int(minimum=-99_999_999_999),
    "unit_amount": Int(), "quantity": Int(minimum=1, maximum=1_000_000),
    "currency": Currency(), "price": Str(max_length=255),
    "description": Str(max_length=500), "invoice": Str(max_length=255),
    "subscription": Str(max_length=255), "metadata": Metadata(),
    "tax_rates": ListOf(Str(max_length=255)), "discounts": DISCOUNTS, "discountable": Bool(),
    "expand": EXPAND,
}


@ops.operation(method="POST", path="/v1/invoiceitems", id="PostInvoiceitems",
               summary="Create an invoice item", params=INVOICEITEM_CREATE,
               returns="invoiceitem")
def create_invoiceitem(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    """Pending until an invoice takes it; with ``invoice``, added to that draft."""
    return invoices.create_invoiceitem(ctx, p)


@ops.operation(method="GET", path="/v1/invoiceitems", id="GetInvoiceitems",
               summary="List invoice items",
               params=dict(LIST, customer=Str(max_length=255), invoice=Str(max_length=255)))
def list_invoiceitems(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    return filtered(ctx, "invoiceitem", p, "/v1/invoiceitems",
                    {"customer": "customer", "invoice": "invoice"})


@ops.operation(method="GET", path="/v1/invoiceitems/{ii}", id="GetInvoiceitemsInvoiceitem",
               summary="Retrieve an invoice item", params=ONLY_EXPAND, returns="invoiceitem")
def retrieve_invoiceitem(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return ctx.get("invoiceitem", path["ii"])


@ops.operation(method="DELETE", path="/v1/invoiceitems/{ii}",
               id="DeleteInvoiceitemsInvoiceitem", summary="Delete an invoice item")
def delete_invoiceitem(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    """Only while pending or on a draft invoice."""
    ii = ctx.get("invoiceitem", path["ii"])
    if ii.get("invoice"):
        inv = ctx.store.get("invoice", ii["invoice"])
        if inv is not None and inv["status"] != "draft":
            raise InvalidRequest("This invoice item is attached to a finalized invoice and "
                                 "cannot be deleted.", param="invoiceitem")
    ii["deleted"] = True
    ctx.put("invoiceitem", ii)
    events.emit(ctx, "invoiceitem.deleted", "invoiceitem", ii)
    return deleted("invoiceitem", ii["id"])


@ops.operation(method="POST", path="/v1/invoices", id="PostInvoices",
               summary="Create an invoice", params=INVOICE_CREATE, returns="invoice")
def create_invoice(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    """A draft; ``pending_invoice_items_behavior=include`` takes the customer's pending
    invoice items."""
    return invoices.create_manual_invoice(ctx, p)


@ops.operation(method="GET", path="/v1/invoices", id="GetInvoices", summary="List invoices",
               params=dict(LIST, customer=Str(max_length=255), subscription=Str(max_length=255),
                           status=Enum(values=("draft", "open", "paid", "uncollectible",
                                               "void")),
                           collection_method=COLLECTION_METHOD))
def list_invoices(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    return filtered(ctx, "invoice", p, "/v1/invoices",
                    {"customer": "customer", "subscription": "subscription",
                     "status": "status", "collection_method": "collection_method"})


PREVIEW_DETAILS = Hash(fields={
    "items": ListOf(ITEM, max_items=20), "proration_behavior": PRORATION,
    "proration_date": Int(maximum=2**40), "default_tax_rates": ListOf(Str(max_length=255))})


@ops.operation(method="POST", path="/v1/invoices/create_preview", id="PostInvoicesCreatePreview",
               summary="Create a preview invoice",
               params={"customer": Str(max_length=255), "subscription": Str(max_length=255),
                       "subscription_details": PREVIEW_DETAILS, "expand": EXPAND},
               returns="invoice")
def create_preview(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    """The invoice a customer or subscription would get next, nothing stored; with
    ``subscription_details[items]``, the prorations that update would make (pass the same
    ``proration_date`` to the update for the same amounts). Its id starts ``upcoming_in``
    (Stripe API reference, "Create a preview invoice")."""
    return previews.preview(ctx, p)


@ops.operation(method="GET", path="/v1/invoices/upcoming", id="GetInvoicesUpcoming",
               summary="Retrieve an upcoming invoice (before 2025-03-31.basil)",
               params={"customer": Str(max_length=255), "subscription": Str(max_length=255),
                       "subscription_items": ListOf(ITEM, max_items=20),
                       "subscription_proration_behavior": PRORATION,
                       "subscription_proration_date": Int(maximum=2**40),
                       "subscription_default_tax_rates": ListOf(Str(max_length=255)),
                       "expand": EXPAND})
def upcoming_invoice(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    """The same preview under its older name, without an id; 2025-03-31.basil removed
    it (Stripe changelog: "Removes the Upcoming Invoice API"), so a basil request gets
    Stripe's unrecognized-URL 404."""
    if is_basil(ctx.version):
        raise InvalidRequest("Unrecognized request URL (GET: /v1/invoices/upcoming). Please "
                             "see https://stripe.com/docs or we can help at "
                             "https://support.stripe.com/.", param=None, status=404)
    details = {k: v for k, v in (
        ("items", p.get("subscription_items")),
        ("proration_behavior", p.get("subscription_proration_behavior")),
        ("proration_date", p.get("subscription_proration_date")),
        ("default_tax_rates", p.get("subscription_default_tax_rates"))) if v is not None}
    inv = previews.preview(ctx, {"customer": p.get("customer"),
                                 "subscription": p.get("subscription"),
                                 "subscription_details": details})
    out = render(ctx, "invoice", inv)
    del out["id"]  # an upcoming invoice has none (Stripe API reference, "The Invoice object")
    return expand(ctx, out, p.get("expand") or [])


@ops.operation(method="GET", path="/v1/invoices/{invoice}", id="GetInvoicesInvoice",
               summary="Retrieve an invoice", params=ONLY_EXPAND, returns="invoice")
def retrieve_invoice(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return ctx.get("invoice", path["invoice"])


@ops.operation(method="POST", path="/v1/invoices/{invoice}", id="PostInvoicesInvoice",
               summary="Update an invoice",
               params={"description": Str(max_length=1500), "metadata": Metadata(),
                       "auto_advance": Bool(), "expand": EXPAND},
               returns="invoice")
def update_invoice(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return invoices.update_draft(ctx, ctx.get("invoice", path["invoice"]), p)


@ops.operation(method="DELETE", path="/v1/invoices/{invoice}", id="DeleteInvoicesInvoice",
               summary="Delete a draft invoice")
def delete_invoice(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    """Its invoice items become pending again."""
    inv = ctx.get("invoice", path["invoice"], "invoice")
    if inv["status"] != "draft":
        raise InvalidRequest("You can only delete draft invoices.", param="invoice")
    for line in inv["_lines"]:
        if line.get("invoice_item"):
            ii = ctx.store.get("invoiceitem", line["invoice_item"])
            if ii is not None:
                ii["invoice"] = None
                ctx.put("invoiceitem", ii)
    inv["deleted"] = True
    ctx.put("invoice", inv)
    events.emit(ctx, "invoice.deleted", "invoice", inv)
    return deleted("invoice", inv["id"])


@ops.operation(method="GET", path="/v1/invoices/{invoice}/lines", id="GetInvoicesInvoiceLines",
               summary="List an invoice's lines", params=LIST_PARAMS)
def list_invoice_lines(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
    inv = ctx.get("invoice", path["invoice"], "invoice")
    lines = render(ctx, "invoice", inv)["lines"]["data"]
    after = p.get("starting_after")
    if after:
        ids = [line["id"] for line in lines]
        lines = lines[ids.index(after) + 1:] if after in ids else []
    limit = p.get("limit") or 10
    return sublist(f"/v1/invoices/{inv['id']}/lines", lines[:limit], len(lines) > limit)


@ops.operation(method="POST", path="/v1/invoices/{invoice}/finalize",
               id="PostInvoicesInvoiceFinalize", summary="Finalize an invoice",
               params={"auto_advance": Bool(), "expand": EXPAND}, returns="invoice")
def finalize_invoice(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    inv = ctx.get("invoice", path["invoice"], "invoice")
    invoices.finalize(ctx, inv)
    return inv


@ops.operation(method="POST", path="/v1/invoices/{invoice}/pay", id="PostInvoicesInvoicePay",
               summary="Pay an invoice",
               params={"payment_method": Str(max_length=255), "paid_out_of_band": Bool(),
                       "expand": EXPAND},
               returns="invoice")
def pay_invoice(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    """A draft is finalized first; a declined charge answers 402 with the card error."""
    inv = ctx.get("invoice", path["invoice"], "invoice")
    if p.get("paid_out_of_band"):
        if inv["status"] != "open":
            raise InvalidRequest("Invoice is not open.", param="invoice")
        invoices.mark_paid(ctx, inv, out_of_band=True)
        # Paid is paid: the first invoice paid out of band makes an incomplete subscription
        # active, as a charge would (Stripe, "Subscription statuses").
        sub = ctx.store.get("subscription", inv["subscription"]) if inv["subscription"] \
            else None
        if sub is not None and sub["status"] in ("past_due", "incomplete", "unpaid"):
            subscriptions.set_status(ctx, sub, "active")
        return inv
    if inv["status"] == "draft":
        invoices.finalize(ctx, inv)
        if inv["status"] == "paid":
            return inv
    ok = subscriptions.pay(ctx, inv, payment_method=p.get("payment_method"), manual=True)
    if not ok:
        charge = ctx.store.get("charge", inv["charge"]) if inv.get("charge") else None
        reason = charge["outcome"]["reason"] if charge else "generic_decline"
        raise customers.decline(reason or "generic_decline", charge_id=inv.get("charge"))
    return inv


@ops.operation(method="POST", path="/v1/invoices/{invoice}/void", id="PostInvoicesInvoiceVoid",
               summary="Void an invoice", params=ONLY_EXPAND, returns="invoice")
def void_invoice(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return invoices.void(ctx, ctx.get("invoice", path["invoice"]))


@ops.operation(method="POST", path="/v1/invoices/{invoice}/mark_uncollectible",
               id="PostInvoicesInvoiceMarkUncollectible",
               summary="Mark an invoice uncollectible", params=ONLY_EXPAND, returns="invoice")
def mark_uncollectible(ctx: Ctx, p: dict[str, Any], path: dict[str, str]) -> Record:
    return invoices.mark_uncollectible(ctx, ctx.get("invoice", path["invoice"]))
