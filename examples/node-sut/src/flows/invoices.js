// Invoice and payment posting: a finalized billing invoice -> an ERP invoice (one line
// per product, tax as tax lines), its payment -> an ERP customer payment applied to it.
// External ids are the billing ids (`in_...`, `pay:in_...`), so each is posted once.
import { billingCall, invoiceSubscription, isProration, linePrice, lineTax } from '../vendors/billing.js';
import { exactRate, major } from '../money.js';
import { traceId } from '../trace.js';
import { accountOfCustomer, erpCustomer, readAccount, subsidiaryFor } from './accounts.js';
import { Refused, Wait, isoDate } from './context.js';

async function invoiceLines(ctx, invoice) {
  if (!invoice.lines?.has_more) return invoice.lines?.data ?? [];
  const lines = [];
  for await (const line of ctx.stripe.invoices.listLineItems(invoice.id, { limit: 100 })) lines.push(line);
  return lines;
}

async function productCode(ctx, priceId) {
  const known = ctx.link('price_code', priceId);
  if (known) return known;
  const price = await billingCall((options) => ctx.stripe.prices.retrieve(priceId, {}, options));
  const code = String(price.lookup_key ?? '').split(':')[0];
  if (!code) throw new Refused('PRICE_NOT_MAPPED', `price ${priceId} has no lookup key`);
  ctx.setLink('price_code', priceId, code);
  return code;
}

function lineDiscount(line) {
  return (line.discount_amounts ?? []).reduce((sum, d) => sum + BigInt(d.amount ?? 0), 0n);
}

// Amount, quantity and tax in minor units per product code.
async function groups(ctx, invoice) {
  const out = new Map();
  for (const line of await invoiceLines(ctx, invoice)) {
    const priceId = linePrice(line);
    if (!priceId) throw new Refused('UNMAPPED_LINE', `invoice line ${line.id} has no price`);
    const code = await productCode(ctx, priceId);
    const group = out.get(code) ?? { amount: 0n, quantity: 0, tax: 0n };
    // What the customer is charged: the line net of its coupons' discounts (the tax is
    // on the net amount already).
    group.amount += BigInt(line.amount ?? 0) - lineDiscount(line);
    if (!isProration(line)) group.quantity += Number(line.quantity ?? 0);
    group.tax += lineTax(line);
    out.set(code, group);
  }
  return out;
}

async function accountOfInvoice(ctx, invoice) {
  const subscriptionId = invoiceSubscription(invoice);
  if (!subscriptionId) throw new Refused('UNMAPPED_INVOICE', `invoice ${invoice.id} has no subscription`);
  const accountId = ctx.link('subscription_account', subscriptionId)
    ?? await accountOfCustomer(ctx, String(invoice.customer?.id ?? invoice.customer));
  return readAccount(ctx, accountId);
}

export async function postInvoice(ctx, invoice) {
  if (ctx.link('erp_invoice', invoice.id)) return;
  if (!invoice.lines?.data?.length || Number(invoice.total ?? 0) === 0) return; // nothing to post
  const account = await accountOfInvoice(ctx, invoice);
  const subsidiary = await subsidiaryFor(ctx, account);
  const customer = await erpCustomer(ctx, account);
  const currency = String(invoice.currency ?? 'usd').toUpperCase();
  const items = [];
  for (const [code, group] of [...(await groups(ctx, invoice)).entries()].sort()) {
    if (group.amount < 0n) {
      throw new Refused('CREDIT_LINES_UNSUPPORTED', `invoice ${invoice.id} credits ${code}: prorations are not posted by this service`);
    }
    if (group.amount === 0n) continue;
    const quantity = group.quantity > 0 ? group.quantity : 1;
    const line = { item: { id: await ctx.clients.erpId('item', code) }, quantity,
      amount: major(group.amount, currency), description: code };
    const rate = exactRate(group.amount, quantity, currency);
    if (rate !== null) line.rate = rate;
    if (group.tax) line.tax1Amt = major(group.tax, currency);
    items.push(line);
  }
  const erpId = await ctx.erp.createOnce('invoice', invoice.id, {
    entity: { id: customer }, subsidiary: { id: subsidiary },
    currency: { id: await ctx.clients.erpId('currency', currency) },
    tranDate: isoDate(invoice.status_transitions?.finalized_at ?? invoice.created),
    memo: `${invoice.number ?? invoice.id} trace ${traceId()}`,
    item: { items },
  });
  ctx.setLink('erp_invoice', invoice.id, erpId);
}

export async function postPayment(ctx, invoice) {
  const paid = BigInt(invoice.amount_paid ?? 0);
  if (paid <= 0n) return;
  const account = await accountOfInvoice(ctx, invoice);
  const subsidiary = await subsidiaryFor(ctx, account);
  const customer = await erpCustomer(ctx, account);
  const erpInvoice = ctx.link('erp_invoice', invoice.id)
    ?? (await ctx.erp.getByExternalId('invoice', invoice.id))?.id;
  // invoice.paid often comes before invoice.finalized (Stripe does not order deliveries).
  if (!erpInvoice) throw new Wait(`the ERP invoice of ${invoice.id} is not posted yet`);
  const currency = String(invoice.currency ?? 'usd').toUpperCase();
  const amount = major(paid, currency);
  await ctx.erp.createOnce('customerPayment', `pay:${invoice.id}`, {
    customer: { id: customer }, subsidiary: { id: subsidiary },
    currency: { id: await ctx.clients.erpId('currency', currency) },
    tranDate: isoDate(invoice.status_transitions?.paid_at ?? invoice.created),
    payment: amount,
    memo: `payment of ${invoice.number ?? invoice.id} trace ${traceId()}`,
    apply: { items: [{ doc: { id: String(erpInvoice) }, apply: true, amount }] },
  });
}
