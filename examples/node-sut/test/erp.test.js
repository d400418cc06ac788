import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErpClient, idFromLocation } from '../src/vendors/erp.js';
import { vendor } from './helpers.js';

const TOKEN = '/services/rest/auth/oauth2/v1/token';

test('a create whose answer is lost is found by its external id, not sent twice', async () => {
  const records = new Map();
  const erp = await vendor((req, body) => {
    if (req.url === TOKEN) return [200, {}, { access_token: 'tok', token_type: 'bearer' }];
    if (req.method === 'POST' && req.url === '/services/rest/record/v1/invoice') {
      records.set(JSON.parse(body).externalId, '42');
      return [502, {}, 'Bad Gateway']; // written, then the answer lost
    }
    const ext = decodeURIComponent(req.url.split('/eid:')[1] ?? '');
    if (req.method === 'GET' && ext) {
      return records.has(ext) ? [200, {}, { id: records.get(ext), externalId: ext }]
        : [404, {}, { 'o:errorDetails': [{ 'o:errorCode': 'NONEXISTENT_ID', detail: 'no record' }] }];
    }
    return [500, {}, 'unexpected'];
  });
  try {
    const client = new ErpClient({ base_url: erp.base, client_id: 'a b', client_secret: 's:t' },
      { wait: async () => {} });
    assert.equal(await client.createOnce('invoice', 'in_1', { memo: 'x' }), '42');
    assert.equal(erp.seen.filter((r) => r.method === 'POST' && r.url.endsWith('/invoice')).length, 1);
    const basic = Buffer.from(erp.seen[0].headers.authorization.split(' ')[1], 'base64').toString();
    assert.equal(basic, 'a%20b:s%3At', 'RFC 6749 2.3.1: id and secret form-encoded before Basic');
    // Asked again (a duplicate event), it is found before any POST.
    assert.equal(await client.createOnce('invoice', 'in_1', { memo: 'x' }), '42');
    assert.equal(erp.seen.filter((r) => r.method === 'POST' && r.url.endsWith('/invoice')).length, 1);
  } finally {
    await erp.close();
  }
});

test('a 429 on a create is sent again after Retry-After; a 400 is not', async () => {
  let posts = 0;
  const erp = await vendor((req) => {
    if (req.url === TOKEN) return [200, {}, { access_token: 'tok' }];
    if (req.method === 'GET') return [404, {}, {}];
    posts += 1;
    if (posts === 1) return [429, { 'retry-after': '2' }, {}];
    if (posts === 2) return [204, { location: `${erp.base}/services/rest/record/v1/customerPayment/7` }, ''];
    return [400, {}, { 'o:errorDetails': [{ 'o:errorCode': 'USER_ERROR', detail: 'closed period' }] }];
  });
  const waited = [];
  try {
    const client = new ErpClient({ base_url: erp.base, client_id: 'a', client_secret: 'b' },
      { wait: async (ms) => waited.push(ms), random: () => 0 });
    assert.equal(await client.createOnce('customerPayment', 'pay:in_1', {}), '7');
    assert.deepEqual(waited, [2050]);
    await assert.rejects(client.createOnce('customerPayment', 'pay:in_2', {}), { code: 'USER_ERROR', kind: 'permanent' });
  } finally {
    await erp.close();
  }
});

test('the id of a record is the last segment of its Location', () => {
  assert.equal(idFromLocation('https://x/services/rest/record/v1/invoice/647'), '647');
  assert.equal(idFromLocation(null), null);
});
