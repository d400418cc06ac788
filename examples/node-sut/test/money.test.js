import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exactRate, major } from '../src/money.js';

test('minor units become decimal strings by the currency exponent, never via floats', () => {
  assert.equal(major(29, 'USD'), '0.29');
  assert.equal(major(123456789012345678n, 'EUR'), '1234567890123456.78');
  assert.equal(major(5, 'GBP'), '0.05');
  assert.equal(major(-1050, 'USD'), '-10.50');
  assert.equal(major(1200, 'JPY'), '1200');
  assert.equal(major(1234, 'KWD'), '1.234');
});

test('a rate is given only when it is exact', () => {
  assert.equal(exactRate(3000, 3, 'USD'), '10.00');
  assert.equal(exactRate(1000, 3, 'USD'), null);
  assert.equal(exactRate(29, 1, 'EUR'), '0.29');
});
