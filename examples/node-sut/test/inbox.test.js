import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore, parseConnection } from '../src/store.js';
import { Inbox } from '../src/inbox.js';

function inbox(now) {
  return new Inbox(openStore(':memory:'), { now: () => now.value });
}

const event = (id, entity = 'billing:in_1') => ({ connection: 'c1', source: 'billing', eventId: id,
  type: 'invoice.paid', entity, payload: { id } });

test('an event is accepted once; its duplicates are not new', () => {
  const box = inbox({ value: 1000 });
  assert.equal(box.accept(event('evt_1')), true);
  assert.equal(box.accept(event('evt_1')), false);
  assert.equal(box.pending('c1'), 1);
  assert.equal(box.pending('other'), 0);
});

test('events about a busy entity wait; a retry is due no sooner than asked', () => {
  const now = { value: 1000 };
  const box = inbox(now);
  box.accept(event('evt_1'));
  box.accept(event('evt_2'));
  box.accept(event('evt_3', 'billing:in_2'));
  const first = box.claim(new Set());
  assert.equal(first.event_id, 'evt_1');
  assert.equal(box.claim(new Set([first.entity])).event_id, 'evt_3');
  box.retryLater(first, 6000, 'transient: 429');
  assert.equal(box.claim(new Set()).event_id, 'evt_2');
  assert.equal(box.claim(new Set()), null);
  assert.equal(box.pending('c1'), 3, 'scheduled and running events are pending');
  now.value += 6000;
  const again = box.claim(new Set());
  assert.equal(again.event_id, 'evt_1');
  assert.equal(again.attempts, 2);
});

test('a wait does not spend an attempt; done and failed events are not pending', () => {
  const box = inbox({ value: 1000 });
  box.accept(event('evt_1'));
  const row = box.claim(new Set());
  box.waitLater(row, 0, 'waiting');
  const again = box.claim(new Set());
  assert.equal(again.attempts, 1);
  assert.equal(again.waits, 1);
  box.complete(again, 'failed', 'no DLQ');
  assert.equal(box.pending(), 0);
  assert.deepEqual(box.counts('c1'), { failed: 1 });
});

test('a connection needs every credential, the field named when one is missing', () => {
  const good = {
    id: 't-1',
    crm: { base_url: 'https://127.0.0.1:1/', client_id: 'a', client_secret: 'b', webhook_secret: 'c' },
    billing: { base_url: 'http://127.0.0.1:2', api_key: 'sk_test_x', webhook_secret: 'whsec_y' },
    erp: { base_url: 'http://127.0.0.1:3', account_id: '1', client_id: 'd', client_secret: 'e' },
  };
  assert.equal(parseConnection(good).crm.base_url, 'https://127.0.0.1:1');
  assert.throws(() => parseConnection({ ...good, erp: { ...good.erp, client_secret: '' } }), /erp.client_secret/);
  assert.throws(() => parseConnection({ ...good, id: 'a b' }), /id/);
  assert.throws(() => parseConnection({ ...good, billing: { ...good.billing, base_url: 'ftp://x' } }), /billing.base_url/);
});
