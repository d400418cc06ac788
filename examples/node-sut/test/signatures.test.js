import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { BadSignature, verifySignature } from '../src/signatures.js';

const secret = 'whsec_crm_test';
const body = Buffer.from('{"payload":{}}');
const sign = (t, payload = body, key = secret) =>
  `t=${t},v1=${createHmac('sha256', key).update(`${t}.`).update(payload).digest('hex')}`;

test('a signature made with the secret over "t." + body verifies', () => {
  const now = 1_768_467_600_000;
  verifySignature(sign(now / 1000), body, secret, { now });
  // secret rotation: several v1 entries, one of them good
  verifySignature(`${sign(now / 1000, body, 'old')},v1=${sign(now / 1000).split('v1=')[1]}`, body, secret, { now });
});

test('a wrong secret, a changed body, an old timestamp or no header are refused', () => {
  const now = 1_768_467_600_000;
  const t = now / 1000;
  assert.throws(() => verifySignature(sign(t, body, 'other'), body, secret, { now }), BadSignature);
  assert.throws(() => verifySignature(sign(t), Buffer.from('{}'), secret, { now }), BadSignature);
  assert.throws(() => verifySignature(sign(t - 301), body, secret, { now }), /tolerance/);
  assert.throws(() => verifySignature(undefined, body, secret, { now }), /missing/);
  assert.throws(() => verifySignature('v1=abc', body, secret, { now }), /malformed/);
  assert.throws(() => verifySignature(sign(t), body, '', { now }), /no webhook secret/);
});
