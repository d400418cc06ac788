"""Invoices: draft -> open (finalize) -> paid / void / uncollectible, with lines and tax.

Amounts are integers in the currency's minor unit; tax per line is rounded
half up from a Decimal percentage (never float).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from simulators.billing import discounts
from simulators.billing.context import Ctx
from simulators.billing.customers import set_delinquent
from simulators.billing.errors import InvalidRequest, StateError
from simulators.billing.events import emit
from simulators.billing.metadata import updated_metadata
from simulators.billing.payments import attempt_charge, new_payment_intent, resolve_payment_method
from simulators.billing.periods import days
from simulators.engine.store import Record

DEFAULT_DUNNING_DAYS = (3, 5, 7)  # retry 3, 5 and 7 days after each failure (Stripe default
#                                   custom retry schedule in Billing settings)


def tax_amounts(ctx: Ctx, amount: int, rate_ids: list[str]) -> list[dict[str, Any]]:
    """A line's tax per rate. An exclusive rate adds its percentage of the taxable amount;
    an inclusive one is already inside the line's amount, which "never changes" whatever
    the rate (Stripe, "Tax rates": ``inclusive``): the taxable amount is the line's amount
    less the inclusive taxes, each rate's tax its percentage of that, rounded half up."""
    rates = [r for r in (ctx.store.get("tax_rate", rid) for rid in rate_ids) if r is not None]
    inclusive = sum((Decimal(r["_percentage"]) for r in rates if r["inclusive"]), Decimal(0))
    taxable = (Decimal(amount) * 100 / (100 + inclusive)).quantize(
        Decimal(1), rounding=ROUND_HALF_UP)
    out: list[dict[str, Any]] = []
    included = [r for r in rates if r["inclusive"]]
    for rate in rates:
        tax = (taxable * Decimal(rate["_percentage"]) / 100).quantize(
            Decimal(1), rounding=ROUND_HALF_UP)
        if rate["inclusive"] and rate is included[-1]:
            # The inclusive taxes and the taxable amount add up to the line exactly.
            tax = Decimal(amount) - taxable - sum(
                (Decimal(t["amount"]) for t in out if t["inclusive"]), Decimal(0))
        out.append({"amount": int(tax), "inclusive": bool(rate["inclusive"]),
                    "tax_rate": rate["id"], "taxability_reason": None,
                    "taxable_amount": int(taxable)})
    return out


def new_line(ctx: Ctx, *, amount: int, currency: str, description: str,
             period: tuple[int, int], price: str | None, quantity: int | None,
             proration: bool, subscription: str | None, subscription_item: str | None,
             invoice_item: str | None, tax_rates: list[str], metadata: dict[str, str],
             unit_amount: int | None = None) -> Record:
    return {
        "id": ctx.new_id("il_"), "object": "line_item", "amount": amount,
        "currency": currency, "description": description, "discountable": True,
        "discounts": [], "invoice_item": invoice_item, "livemode": False,
        "metadata": metadata, "period": {"start": period[0], "end": period[1]},
        "price": price, "proration": proration, "quantity": quantity,
        "subscription": subscription, "subscription_item": subscription_item,
        "tax_amounts": tax_amounts(ctx, amount, tax_rates),
        "type": "subscription" if invoice_item is None else "invoiceitem",
        "unit_amount": unit_amount if unit_amount is not None else amount,
    }


def totals(ctx: Ctx, inv: Record) -> None:
    lines = inv["_lines"]
    subtotal = sum(line["amount"] for line in lines)
    left = discounts.apply(ctx, inv)
    for line in lines:
        if left[line["id"]] != line["amount"]:  # tax on what the discounts left
            line["tax_amounts"] = tax_amounts(ctx, left[line["id"]],
                                              [t["tax_rate"] for t in line["tax_amounts"]])
    discounted = sum(d["amount"] for d in inv["total_discount_amounts"])
    per_rate: dict[str, dict[str, Any]] = {}
    for line in lines:
        for t in line["tax_amounts"]:
            agg = per_rate.setdefault(t["tax_rate"], {"amount": 0, "inclusive": t["inclusive"],
                                                      "tax_rate": t["tax_rate"],
                                                      "taxability_reason": None,
                                                      "taxable_amount": 0})
            agg["amount"] += t["amount"]
            agg["taxable_amount"] += t["taxable_amount"]
    tax = sum(t["amount"] for t in per_rate.values())
    # Line amounts include inclusive taxes (on what the discounts left of them): only
    # exclusive ones are added. total = subtotal - discounts + exclusive tax (Stripe's
    # Invoice: total "after discounts and taxes", total_excluding_tax "including all
    # discounts but excluding all tax"; subtotal_excluding_tax "before any invoice level
    # discount or tax", so less the tax inside the lines before their discounts).
    inclusive = sum(t["amount"] for t in per_rate.values() if t["inclusive"])
    gross_inclusive = sum(
        t["amount"] for line in lines
        for t in tax_amounts(ctx, line["amount"], [t["tax_rate"] for t in line["tax_amounts"]])
        if t["inclusive"])
    total = subtotal - discounted + tax - inclusive
    inv.update(subtotal=subtotal, subtotal_excluding_tax=subtotal - gross_inclusive,
               tax=tax or None, total=total, total_excluding_tax=total - tax,
               total_tax_amounts=list(per_rate.values()), amount_due=total,
               amount_remaining=total - inv.get("amount_paid", 0))


def create_invoice(ctx: Ctx, customer: Record, *, subscription: Record | None,
                   billing_reason: str, lines: list[Record], period: tuple[int, int],
                   collection_method: str = "charge_automatically",
                   days_until_due: int | None = None, description: str | None = None,
                   metadata: dict[str, str] | None = None, auto_advance: bool = True,
                   include_pending: bool = True, discount_ids: list[str] | None = None
                   ) -> Record:
    inv = new_invoice(ctx, customer, subscription=subscription, billing_reason=billing_reason,
                      lines=lines, period=period, collection_method=collection_method,
                      days_until_due=days_until_due, description=description,
                      metadata=metadata, auto_advance=auto_advance, discount_ids=discount_ids)
    if include_pending:
        for ii in pending_items(ctx, customer, subscription):
            ii["invoice"] = inv["id"]
            ctx.put("invoiceitem", ii)
            inv["_lines"].append(line_from_invoiceitem(ctx, ii))
    totals(ctx, inv)
    ctx.put("invoice", inv)
    emit(ctx, "invoice.created", "invoice", inv)
    discounts.used(ctx, inv)
    return inv


def pending_items(ctx: Ctx, customer: Record, subscription: Record | None) -> list[Record]:
    """The customer's invoice items that the next invoice (of ``subscription``, or one
    without a subscription) takes."""
    out = []
    for ii in ctx.store.collection("invoiceitem").by_index("customer", customer["id"]):
        if ii.get("invoice") or ii.get("deleted"):
            continue
        if subscription is not None and ii.get("subscription") not in (None, subscription["id"]):
            continue
        if subscription is None and ii.get("subscription"):
            continue
        out.append(ii)
    return out


def new_invoice(ctx: Ctx, customer: Record, *, subscription: Record | None,
                billing_reason: str, lines: list[Record], period: tuple[int, int],
                collection_method: str = "charge_automatically",
                days_until_due: int | None = None, description: str | None = None,
                metadata: dict[str, str] | None = None, auto_advance: bool = True,
                discount_ids: list[str] | None = None) -> Record:
    """A draft invoice's record, not stored (``create_invoice`` stores it; a preview
    does not). ``discount_ids``: its own discounts, else those it inherits."""
    now = ctx.now(customer["id"])
    currency = (lines[0]["currency"] if lines else
                (subscription or {}).get("currency") or customer.get("currency") or "usd")
    inv: Record = {
        "id": ctx.new_id("in_"), "object": "invoice", "account_country": "US",
        "account_name": "fintwin test account", "amount_due": 0, "amount_paid": 0,
        "amount_remaining": 0, "amount_shipping": 0, "application": None,
        "attempt_count": 0, "attempted": False, "auto_advance": auto_advance,
        "automatic_tax": {"enabled": False, "liability": None, "status": None},
        "billing_reason": billing_reason, "charge": None,
        "collection_method": collection_method, "created": now, "currency": currency,
        "customer": customer["id"], "customer_email": customer.get("email"),
        "customer_name": customer.get("name"), "default_payment_method": None,
        "description": description, "discount": None, "discounts": [],
        "due_date": None if days_until_due is None else now + days(days_until_due),
        "effective_at": None, "ending_balance": None, "footer": None,
        "hosted_invoice_url": None, "invoice_pdf": None, "livemode": False,
        "metadata": metadata or {}, "next_payment_attempt": None, "number": None,
        "paid": False, "paid_out_of_band": False, "payment_intent": None,
        "period_end": period[1], "period_start": period[0], "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0, "starting_balance": customer.get("balance", 0),
        "status": "draft",
        "status_transitions": {"finalized_at": None, "marked_uncollectible_at": None,
                               "paid_at": None, "voided_at": None},
        "subscription": subscription["id"] if subscription else None,
        "test_clock": customer.get("test_clock"), "webhooks_delivered_at": None,
        "automatically_finalizes_at": None, "confirmation_secret": None,
        "default_tax_rates": [], "last_finalization_error": None,
        "payment_settings": {"default_mandate": None, "payment_method_options": None,
                             "payment_method_types": None},
        "status_details": None,
        "_lines": list(lines),
        "_subscription_metadata": (subscription or {}).get("metadata", {}),
    }
    inv["discounts"] = (discount_ids if discount_ids is not None
                        else discounts.invoice_discounts(ctx, customer, subscription, now))
    totals(ctx, inv)
    return inv


def line_from_invoiceitem(ctx: Ctx, ii: Record) -> Record:
    line = new_line(ctx, amount=ii["amount"], currency=ii["currency"],
                    description=ii.get("description") or "", period=(ii["period"]["start"],
                                                                     ii["period"]["end"]),
                    price=ii.get("price"), quantity=ii.get("quantity"),
                    proration=ii.get("proration", False), subscription=ii.get("subscription"),
                    subscription_item=ii.get("subscription_item"), invoice_item=ii["id"],
                    tax_rates=ii.get("_tax_rates", []), metadata=ii.get("metadata", {}),
                    unit_amount=ii.get("unit_amount"))
    line["discountable"] = ii.get("discountable", True)
    line["discounts"] = list(ii.get("discounts") or [])
    return line


def finalize(ctx: Ctx, inv: Record) -> Record:
    if inv["status"] != "draft":
        raise StateError("This invoice is already finalized, you can't re-finalize a "
                         "non-draft invoice.", param="invoice")
    customer = ctx.get("customer", inv["customer"])
    now = ctx.now(customer["id"])
    seq = customer.get("next_invoice_sequence", 1)
    customer["next_invoice_sequence"] = seq + 1
    ctx.put("customer", customer)
    inv["number"] = f"{customer['invoice_prefix']}-{seq:04d}"
    # Apply the customer's credit balance (negative balance) to the amount due. An invoice
    # whose total is negative (the credits of a downgrade outweigh its charges) is due
    # nothing and adds its credit to the balance, which "automatically applies toward the
    # next invoice finalized to a customer" (Stripe, "Customer invoice balance": "prorations
    # from downgrading a subscription can indirectly create credits").
    balance = customer.get("balance", 0)
    if inv["total"] < 0:
        applied = inv["total"]
    else:
        applied = min(-balance, inv["total"]) if balance < 0 else 0
    inv["starting_balance"] = balance
    inv["ending_balance"] = balance + applied
    if applied:
        customer["balance"] = balance + applied
        ctx.put("customer", customer)
    inv["amount_due"] = inv["total"] - applied
    inv["amount_remaining"] = inv["amount_due"] - inv["amount_paid"]
    inv["status"] = "open"
    inv["effective_at"] = now
    inv["status_transitions"]["finalized_at"] = now
    inv["hosted_invoice_url"] = f"https://invoice.stripe.com/i/{inv['id']}"
    inv["invoice_pdf"] = f"https://pay.stripe.com/invoice/{inv['id']}/pdf"
    ctx.put("invoice", inv)
    emit(ctx, "invoice.finalized", "invoice", inv, {"status": "draft"})
    if inv["amount_due"] == 0:
        mark_paid(ctx, inv)
    return inv


def mark_paid(ctx: Ctx, inv: Record, *, out_of_band: bool = False) -> None:
    now = ctx.now(inv["customer"])
    inv.update(status="paid", paid=True, amount_paid=inv["amount_due"], amount_remaining=0,
               next_payment_attempt=None, paid_out_of_band=out_of_band)
    inv["status_transitions"]["paid_at"] = now
    ctx.put("invoice", inv)
    if out_of_band:
        # "Paying an invoice or marking it uncollectible via the API will set this field
        # to false" (Stripe API reference, Customer object, ``delinquent``).
        set_delinquent(ctx, ctx.get("customer", inv["customer"]), False)
    emit(ctx, "invoice.paid", "invoice", inv, {"status": "open", "paid": False})
    emit(ctx, "invoice.payment_succeeded", "invoice", inv)


def charge(ctx: Ctx, inv: Record, *, payment_method: str | None = None,
           manual: bool = False) -> bool:
    """Try to collect an open invoice; on failure schedule dunning. Returns success.

    The invoice's and its customer's part of a payment only: ``subscriptions.pay`` is
    what callers use, and adds how the invoice's subscription moves."""
    if inv["status"] == "paid":
        raise StateError("Invoice is already paid", param="invoice")
    if inv["status"] != "open":
        raise StateError(f"You can only pay an open invoice. This invoice is {inv['status']}.",
                         param="invoice")
    customer = ctx.get("customer", inv["customer"])
    sub = ctx.store.get("subscription", inv["subscription"]) if inv["subscription"] else None
    pi = ctx.store.get("payment_intent", inv["payment_intent"]) if inv["payment_intent"] \
        else None
    if pi is None:
        pi = new_payment_intent(ctx, inv["amount_remaining"], inv["currency"], customer["id"],
                                invoice=inv["id"], description=f"Invoice {inv['number']}")
        inv["payment_intent"] = pi["id"]
    else:
        pi["amount"] = inv["amount_remaining"]
    pm = resolve_payment_method(ctx, customer, payment_method, sub)
    ok, charge = attempt_charge(ctx, pi, pm)
    inv["attempted"] = True
    inv["attempt_count"] += 1
    if charge is not None:
        inv["charge"] = charge["id"]
    if ok:
        mark_paid(ctx, inv)
        set_delinquent(ctx, customer, False)
        return True
    now = ctx.now(customer["id"])
    schedule = ctx.tenant.meta.get("dunning_days", DEFAULT_DUNNING_DAYS)
    retries_done = inv["attempt_count"] - 1
    automatic = inv["collection_method"] == "charge_automatically" and not manual
    if automatic and retries_done < len(schedule):
        inv["next_payment_attempt"] = now + days(int(schedule[retries_done]))
    else:
        inv["next_payment_attempt"] = None
    ctx.put("invoice", inv)
    emit(ctx, "invoice.payment_failed", "invoice", inv)
    set_delinquent(ctx, customer, True)
    return False


def out_of_retries(inv: Record, *, manual: bool) -> bool:
    """After a failed charge: no automatic retry is left (dunning has run its course)."""
    automatic = inv["collection_method"] == "charge_automatically" and not manual
    return automatic and inv["next_payment_attempt"] is None


def void(ctx: Ctx, inv: Record) -> Record:
    if inv["status"] != "open":
        raise StateError(f"You can only void an open invoice. This invoice is "
                         f"{inv['status']}.", param="invoice")
    inv.update(status="void", next_payment_attempt=None, amount_remaining=0)
    inv["status_transitions"]["voided_at"] = ctx.now(inv["customer"])
    ctx.put("invoice", inv)
    emit(ctx, "invoice.voided", "invoice", inv, {"status": "open"})
    return inv


def mark_uncollectible(ctx: Ctx, inv: Record) -> Record:
    if inv["status"] != "open":
        raise StateError(f"You can only mark an open invoice as uncollectible. This invoice is "
                         f"{inv['status']}.", param="invoice")
    inv.update(status="uncollectible", next_payment_attempt=None)
    inv["status_transitions"]["marked_uncollectible_at"] = ctx.now(inv["customer"])
    ctx.put("invoice", inv)
    emit(ctx, "invoice.marked_uncollectible", "invoice", inv, {"status": "open"})
    return inv


def update_draft(ctx: Ctx, inv: Record, p: dict[str, Any]) -> Record:
    before = {k: inv.get(k) for k in ("description", "metadata", "auto_advance")}
    if inv["status"] != "draft" and set(p) - {"metadata", "expand"}:
        raise StateError("You can only modify the metadata of a finalized invoice.",
                         param=next(iter(set(p) - {"metadata", "expand"})))
    for key in ("description", "auto_advance"):
        if p.get(key) is not None:
            inv[key] = p[key]
    if "metadata" in p:
        inv["metadata"] = updated_metadata(inv["metadata"], p["metadata"])
    ctx.put("invoice", inv)
    prev = {k: v for k, v in before.items() if inv.get(k) != v}
    emit(ctx, "invoice.updated", "invoice", inv, prev or None)
    return inv


def create_manual_invoice(ctx: Ctx, p: dict[str, Any]) -> Record:
    customer = ctx.get("customer", p["customer"], "customer")
    sub = ctx.get("subscription", p["subscription"], "subscription") \
        if p.get("subscription") else None
    include = p.get("pending_invoice_items_behavior", "exclude") == "include"
    now = ctx.now(customer["id"])
    collection = p.get("collection_method") or "charge_automatically"
    if collection == "send_invoice" and p.get("days_until_due") is None:
        raise InvalidRequest("Missing required param: days_until_due.", param="days_until_due",
                             code="parameter_missing")
    # Stripe API reference, "Create an invoice", discounts: "If not specified, inherits
    # the discount from the invoice's customer."
    own = (None if p.get("discounts") is None else
           discounts.discounts_from(ctx, p["discounts"], "discounts", customer=customer["id"]))
    return create_invoice(ctx, customer, subscription=sub, billing_reason="manual", lines=[],
                          period=(now, now), collection_method=collection,
                          days_until_due=p.get("days_until_due"),
                          description=p.get("description"), metadata=p.get("metadata"),
                          auto_advance=p.get("auto_advance", False), include_pending=include,
                          discount_ids=own)


def attach_invoiceitem(ctx: Ctx, inv: Record, ii: Record) -> None:
    if inv["status"] != "draft":
        raise StateError("You can only add invoice items to a draft invoice.", param="invoice")
    ii["invoice"] = inv["id"]
    ctx.put("invoiceitem", ii)
    inv["_lines"].append(line_from_invoiceitem(ctx, ii))
    totals(ctx, inv)
    ctx.put("invoice", inv)


def create_invoiceitem(ctx: Ctx, p: dict[str, Any]) -> Record:
    customer = ctx.get("customer", p["customer"], "customer")
    now = ctx.now(customer["id"])
    quantity = p.get("quantity") or 1
    price_id = p.get("price")
    if price_id:
        price = ctx.get("price", price_id, "price")
        unit, currency = price["unit_amount"], price["currency"]
        amount = unit * quantity
    elif p.get("unit_amount") is not None:
        unit, amount = p["unit_amount"], p["unit_amount"] * quantity
        currency = p.get("currency")
    elif p.get("amount") is not None:
        unit, amount, currency = p["amount"], p["amount"], p.get("currency")
    else:
        raise InvalidRequest("Missing required param: amount.", param="amount",
                             code="parameter_missing")
    if not currency:
        raise InvalidRequest("Missing required param: currency.", param="currency",
                             code="parameter_missing")
    sub = ctx.get("subscription", p["subscription"], "subscription") \
        if p.get("subscription") else None
    ii: Record = {
        "id": ctx.new_id("ii_"), "object": "invoiceitem", "amount": amount,
        "currency": currency, "customer": customer["id"], "date": now,
        "description": p.get("description"), "discountable": True, "invoice": None,
        "livemode": False, "metadata": p.get("metadata") or {},
        "period": {"start": now, "end": now}, "price": price_id, "proration": False,
        "quantity": quantity, "subscription": sub["id"] if sub else None,
        "subscription_item": None, "unit_amount": unit, "test_clock": customer.get("test_clock"),
        "_tax_rates": p.get("tax_rates") or [], "discounts": [],
    }
    for rid in ii["_tax_rates"]:
        ctx.get("tax_rate", rid, "tax_rates")
    if p.get("discountable") is not None:
        ii["discountable"] = p["discountable"]
    ii["discounts"] = discounts.discounts_from(ctx, p.get("discounts"), "discounts",
                                               customer=customer["id"], invoice_item=ii["id"])
    ctx.put("invoiceitem", ii)
    if p.get("invoice"):
        attach_invoiceitem(ctx, ctx.get("invoice", p["invoice"], "invoice"), ii)
    emit(ctx, "invoiceitem.created", "invoiceitem", ii)
    return ii
