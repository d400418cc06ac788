// The CRM through jsforce, the common JavaScript client for Salesforce.
//
// Three things jsforce needs here that the Python clients did not:
// - jsforce defaults to API version 50.0; the CRM fake (like Salesforce today) serves
//   52.0-62.0 only, so the version is pinned (CRM_API_VERSION).
// - jsforce retries GET/PUT/DELETE on 429 and 5xx by itself, 500 ms then doubling, and
//   never reads Retry-After; its errors carry no HTTP status or headers. Its transport is
//   therefore replaced (conn._transport and conn.oauth2._transport: jsforce has no public
//   hook for one) by RetryAfterTransport, which switches jsforce's retries off and sends
//   every request through our policy.
// - The client-credentials grant gives no refresh token, so jsforce's default session
//   refresh cannot work: refreshFn asks for a new token with the same grant.
import jsforce from 'jsforce';
import { Transport } from 'jsforce/lib/transport.js';
import { PassThrough } from 'node:stream';
import { TRANSIENT, VendorError, kindOfStatus, parseRetryAfter, withRetries } from '../retry.js';
import { traceHeaders } from '../trace.js';

export const CRM_API_VERSION = '62.0';
const NETWORK_ERRORS = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT',
  'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE']);

export class RetryAfterTransport extends Transport {
  constructor(policy = {}) {
    super();
    this.policy = policy;
  }

  httpRequest(req, options = {}) {
    const once = async () => {
      const request = { ...req, headers: { ...(req.headers ?? {}), ...traceHeaders() } };
      let response;
      try {
        response = await super.httpRequest(request, { ...options, retry: { maxRetries: 0 } });
      } catch (err) {
        if (NETWORK_ERRORS.has(err?.code) || err?.name === 'FetchError') {
          throw new VendorError(`crm: ${err.message}`, { vendor: 'crm', kind: TRANSIENT, cause: err });
        }
        throw err;
      }
      // Every CRM call this service makes is a read or an idempotent write (PATCH by id
      // or by external id), so 5xx is worth sending again like 429.
      if (kindOfStatus(response.statusCode, { idempotent: true }) === TRANSIENT) {
        throw new VendorError(`crm: HTTP ${response.statusCode} ${String(response.body).slice(0, 200)}`, {
          vendor: 'crm', status: response.statusCode, kind: TRANSIENT,
          retryAfterMs: parseRetryAfter(response.headers['retry-after']),
        });
      }
      return response; // jsforce turns other errors (4xx) into its own
    };
    // jsforce wants a promise with a stream() beside it (its StreamPromise); nothing here
    // reads a response as a stream.
    const promise = withRetries(once, this.policy);
    promise.stream = () => new PassThrough();
    return promise;
  }
}

export async function connectCrm(crm, policy = {}) {
  const transport = new RetryAfterTransport(policy);
  const conn = new jsforce.Connection({
    oauth2: { clientId: crm.client_id, clientSecret: crm.client_secret, loginUrl: crm.base_url },
    version: CRM_API_VERSION,
    refreshFn: (c, callback) => {
      c.oauth2.requestToken({ grant_type: 'client_credentials' })
        .then((token) => callback(null, token.access_token, token), callback);
    },
  });
  conn._transport = transport;
  conn.oauth2._transport = transport;
  await conn.authorize({ grant_type: 'client_credentials' });
  return conn;
}

// A SOQL string literal (Salesforce: backslash and single quote escaped).
export function soqlQuote(value) {
  return `'${String(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export async function queryAll(conn, soql) {
  let result = await conn.query(soql);
  const records = [...result.records];
  while (!result.done && result.nextRecordsUrl) {
    result = await conn.queryMore(result.nextRecordsUrl);
    records.push(...result.records);
  }
  return records;
}
