import { test } from 'node:test';
import assert from 'node:assert/strict';
import Stripe from 'stripe';
import { PERMANENT, TRANSIENT } from '../src/retry.js';
import { classifyStripeError, invoiceSubscription, isProration, linePrice, lineTax } from '../src/vendors/billing.js';

const stripeError = (statusCode, headers = {}, code) => Stripe.errors.StripeError.generate({
  type: statusCode === 429 ? 'rate_limit_error' : 'api_error', message: 'x', code, statusCode, headers });

test('Stripe errors: 429 with its Retry-After, 5xx and 409 transient, 400 permanent', () => {
  const limited = classifyStripeError(stripeError(429, { 'retry-after': '2' }, 'rate_limit'));
  assert.equal(limited.kind, TRANSIENT);
  assert.equal(limited.retryAfterMs, 2000);
  assert.equal(classifyStripeError(stripeError(502)).kind, TRANSIENT);
  assert.equal(classifyStripeError(stripeError(409)).kind, TRANSIENT);
  assert.equal(classifyStripeError(stripeError(400)).kind, PERMANENT);
  assert.equal(classifyStripeError(stripeError(500, { 'stripe-should-retry': 'false' })).kind, PERMANENT);
});

test('invoices are read in the basil shape and the one before it', () => {
  assert.equal(invoiceSubscription({ parent: { subscription_details: { subscription: 'sub_1' } } }), 'sub_1');
  assert.equal(invoiceSubscription({ subscription: 'sub_2' }), 'sub_2');
  assert.equal(linePrice({ pricing: { price_details: { price: 'price_1' } } }), 'price_1');
  assert.equal(linePrice({ price: { id: 'price_2' } }), 'price_2');
  assert.equal(lineTax({ taxes: [{ amount: 19 }, { amount: 1 }] }), 20n);
  assert.equal(lineTax({ tax_amounts: [{ amount: 7 }] }), 7n);
  assert.equal(isProration({ proration: true }), true);
  assert.equal(isProration({ parent: { subscription_item_details: { proration: true } } }), true);
  assert.equal(isProration({}), false);
});
