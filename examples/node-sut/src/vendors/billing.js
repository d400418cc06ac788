// Billing through the official Stripe SDK for Node (stripe-node), pointed at the
// connection's base URL. Every write carries our own idempotency key, derived from the
// business object, so that a retry, a duplicate event or a restart replays Stripe's first
// answer instead of writing twice.
import Stripe from 'stripe';
import { PERMANENT, TRANSIENT, VendorError, parseRetryAfter, withRetries } from '../retry.js';
import { traceHeaders } from '../trace.js';

// stripe-node retries 409 and 5xx by itself (and 429 when Stripe-Should-Retry says so)
// without honouring Retry-After; its retries are switched off and ours used instead. It
// still retries a closed connection (ECONNRESET, EPIPE) once on its own, with the same
// Idempotency-Key (stripe-node, RequestSender._shouldRetry).
const SDK_OPTIONS = { maxNetworkRetries: 0, timeout: 30_000, telemetry: false };

export function createStripe(billing) {
  const url = new URL(billing.base_url);
  return new Stripe(billing.api_key, {
    ...SDK_OPTIONS,
    host: url.hostname,
    port: url.port || (url.protocol === 'https:' ? 443 : 80),
    protocol: url.protocol.replace(':', ''),
  });
}

// A StripeError as one of our VendorErrors.
export function classifyStripeError(err) {
  if (!(err instanceof Stripe.errors.StripeError)) return err;
  const headers = err.headers ?? {};
  const status = err.statusCode ?? null;
  const shouldRetry = headers['stripe-should-retry'];
  let kind;
  if (shouldRetry === 'true') kind = TRANSIENT;
  else if (shouldRetry === 'false') kind = PERMANENT;
  else if (status === null) kind = TRANSIENT; // no answer (StripeConnectionError): same key again
  else if (status === 429 || status === 409 || status >= 500) kind = TRANSIENT;
  else kind = PERMANENT;
  return new VendorError(`billing: ${err.message}`, {
    vendor: 'billing', status, code: err.code ?? err.type, kind, cause: err,
    retryAfterMs: parseRetryAfter(headers['retry-after']),
  });
}

// Run one SDK call under the retry policy. `call(options)` gets the request options to
// pass (idempotency key and trace headers).
export async function billingCall(call, { idempotencyKey } = {}) {
  return withRetries(async () => {
    const options = { headers: traceHeaders() };
    if (idempotencyKey) options.idempotencyKey = idempotencyKey;
    try {
      return await call(options);
    } catch (err) {
      throw classifyStripeError(err);
    }
  });
}

// Reading a Stripe object in either shape: since 2025-03-31.basil, invoice.subscription
// moved to invoice.parent.subscription_details.subscription, a line's price to
// pricing.price_details.price and tax_amounts to taxes (Stripe changelog). Webhook events
// come in the account's default version, whatever version stripe-node pins.
const idOf = (value) => (value && typeof value === 'object' ? value.id ?? null : value ?? null);

export function invoiceSubscription(invoice) {
  return idOf(invoice?.parent?.subscription_details?.subscription) ?? idOf(invoice?.subscription);
}

export function linePrice(line) {
  return idOf(line?.pricing?.price_details?.price) ?? idOf(line?.price);
}

export function lineTax(line) {
  const taxes = line?.taxes ?? line?.tax_amounts ?? [];
  return taxes.reduce((sum, tax) => sum + BigInt(tax.amount ?? 0), 0n);
}

export function isProration(line) {
  if (typeof line?.proration === 'boolean') return line.proration;
  const parent = line?.parent ?? {};
  const details = parent.subscription_item_details ?? parent.invoice_item_details ?? {};
  return Boolean(details.proration);
}
