import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AMBIGUOUS, PERMANENT, TRANSIENT, VendorError, backoffMs, delayMs, kindOfStatus,
  parseRetryAfter, withRetries } from '../src/retry.js';

test('Retry-After in seconds and as an HTTP date', () => {
  assert.equal(parseRetryAfter('2'), 2000);
  assert.equal(parseRetryAfter('0.5'), 500);
  const now = Date.parse('2026-01-15T09:00:00Z');
  assert.equal(parseRetryAfter('Thu, 15 Jan 2026 09:00:06 GMT', now), 6000);
  assert.equal(parseRetryAfter(undefined), null);
  assert.equal(parseRetryAfter('soon'), null);
});

test('a status is transient, ambiguous or permanent', () => {
  assert.equal(kindOfStatus(429, { idempotent: false }), TRANSIENT);
  assert.equal(kindOfStatus(503, { idempotent: true }), TRANSIENT);
  assert.equal(kindOfStatus(502, { idempotent: false }), AMBIGUOUS);
  assert.equal(kindOfStatus(400, { idempotent: true }), PERMANENT);
  assert.equal(kindOfStatus(404, { idempotent: true }), PERMANENT);
});

test('backoff stays within half and all of its ceiling', () => {
  assert.equal(backoffMs(1, { baseMs: 200, random: () => 0 }), 100);
  assert.equal(backoffMs(3, { baseMs: 200, random: () => 1 }), 800);
  assert.equal(backoffMs(20, { baseMs: 200, capMs: 4000, random: () => 1 }), 4000);
});

test('Retry-After is a floor, with a jitter on top; without it, the backoff', () => {
  assert.equal(delayMs(1, 6000, { baseMs: 200, random: () => 0 }), 6050);
  assert.equal(delayMs(1, 6000, { baseMs: 200, random: () => 1 }), 6100);
  assert.equal(delayMs(5, null, { baseMs: 200, random: () => 1 }), 3200);
});

test('a 429 is waited out as Retry-After says, then the call succeeds', async () => {
  const waited = [];
  let calls = 0;
  const result = await withRetries(async () => {
    calls += 1;
    if (calls < 3) throw new VendorError('busy', { status: 429, kind: TRANSIENT, retryAfterMs: 1500 });
    return 'done';
  }, { wait: async (ms) => waited.push(ms), random: () => 0 });
  assert.equal(result, 'done');
  assert.deepEqual(waited, [1550, 1600], 'Retry-After, plus half the backoff');
});

test('permanent and ambiguous errors are not retried; the last transient one is thrown', async () => {
  for (const kind of [PERMANENT, AMBIGUOUS]) {
    let calls = 0;
    await assert.rejects(withRetries(async () => {
      calls += 1;
      throw new VendorError(kind, { kind });
    }, { wait: async () => {} }), { kind });
    assert.equal(calls, 1);
  }
  let calls = 0;
  await assert.rejects(withRetries(async () => {
    calls += 1;
    throw new VendorError('down', { status: 503, kind: TRANSIENT, retryAfterMs: 7000 });
  }, { attempts: 3, wait: async () => {} }), { retryAfterMs: 7000 });
  assert.equal(calls, 3);
});
