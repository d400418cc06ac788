import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CRM_API_VERSION, connectCrm, soqlQuote } from '../src/vendors/crm.js';
import { inTrace } from '../src/trace.js';
import { vendor } from './helpers.js';

test('jsforce through our transport: the pinned version, Retry-After honoured, one trace', async () => {
  let reads = 0;
  const crm = await vendor((req) => {
    if (req.url === '/services/oauth2/token') {
      return [200, {}, { access_token: 'tok', instance_url: crm.base, token_type: 'Bearer',
        id: `${crm.base}/id/00D000000000001AAA/005000000000001AAA` }];
    }
    reads += 1;
    if (reads === 1) return [429, { 'retry-after': '3' }, [{ errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'slow down' }]];
    return [200, {}, { attributes: { type: 'Account' }, Id: '001000000000001AAA', Name: 'Acme' }];
  });
  const waited = [];
  try {
    const conn = await connectCrm({ base_url: crm.base, client_id: 'id', client_secret: 'secret' },
      { wait: async (ms) => waited.push(ms), random: () => 0 });
    const account = await inTrace('0af7651916cd43dd8448eb211c80319c',
      () => conn.sobject('Account').retrieve('001000000000001AAA'));
    assert.equal(account.Name, 'Acme');
    const gets = crm.seen.filter((r) => r.method === 'GET');
    assert.equal(gets.length, 2, 'the 429 was sent again once, by our policy (jsforce retries off)');
    assert.ok(gets[0].url.startsWith(`/services/data/v${CRM_API_VERSION}/sobjects/Account/`));
    assert.deepEqual(waited, [3050]);
    assert.match(gets[0].headers.traceparent, /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    assert.equal(gets[0].headers.authorization, 'Bearer tok');
  } finally {
    await crm.close();
  }
});

test('an expired session gets a new client-credentials token', async () => {
  let tokens = 0;
  const crm = await vendor((req) => {
    if (req.url === '/services/oauth2/token') {
      tokens += 1;
      return [200, {}, { access_token: `tok${tokens}`, instance_url: crm.base,
        id: `${crm.base}/id/00D000000000001AAA/005000000000001AAA` }];
    }
    if (req.headers.authorization === 'Bearer tok1') {
      return [401, {}, [{ errorCode: 'INVALID_SESSION_ID', message: 'Session expired or invalid' }]];
    }
    return [200, {}, { totalSize: 0, done: true, records: [] }];
  });
  try {
    const conn = await connectCrm({ base_url: crm.base, client_id: 'id', client_secret: 'secret' });
    const result = await conn.query('SELECT Id FROM Account');
    assert.equal(result.totalSize, 0);
    assert.equal(tokens, 2);
    assert.match(crm.seen[0].body, /grant_type=client_credentials/);
  } finally {
    await crm.close();
  }
});

test('SOQL literals are escaped', () => {
  assert.equal(soqlQuote("O'Brien \\ Co"), "'O\\'Brien \\\\ Co'");
});
