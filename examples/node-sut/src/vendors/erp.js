// The ERP (NetSuite REST web services) with plain fetch: there is no official NetSuite
// client for Node. OAuth 2.0 client credentials at /services/rest/auth/oauth2/v1/token
// with the client id and secret as HTTP Basic (what fintwin's ERP fake accepts; real
// NetSuite signs a JWT assertion with a certificate instead), a bearer token on every call
// and one new token on a 401.
//
// A create is POST (204 and the new record's URL in Location). A lost answer (5xx, a reset,
// a timeout) leaves it unknown whether the record exists: createOnce looks it up by its
// external id before sending it again (NetSuite Help, "Using External IDs").
import { AMBIGUOUS, PERMANENT, TRANSIENT, VendorError, kindOfStatus, parseRetryAfter,
  withRetries } from '../retry.js';
import { traceHeaders } from '../trace.js';

const RECORD = '/services/rest/record/v1';
const TOKEN = '/services/rest/auth/oauth2/v1/token';
const SUITEQL = '/services/rest/query/v1/suiteql';
const TIMEOUT_MS = 30_000;

export class ErpClient {
  constructor(erp, policy = {}) {
    this.base = erp.base_url;
    this.clientId = erp.client_id;
    this.clientSecret = erp.client_secret;
    this.policy = policy;
    this.token = null;
    this.tokenFetch = null;
  }

  async accessToken(stale = null) {
    if (this.token && this.token !== stale) return this.token;
    // Concurrent callers share one token request.
    this.tokenFetch ??= (async () => {
      const basic = Buffer.from(`${encodeURIComponent(this.clientId)}:${encodeURIComponent(this.clientSecret)}`)
        .toString('base64');
      const response = await this.send('POST', TOKEN, {
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials', idempotent: true, auth: false,
      });
      this.token = (await response.json()).access_token;
      return this.token;
    })().finally(() => { this.tokenFetch = null; });
    return this.tokenFetch;
  }

  // One HTTP exchange; errors as VendorErrors.
  async send(method, path, { headers = {}, body, idempotent, auth = true, renewed = false } = {}) {
    const token = auth ? await this.accessToken() : null;
    let response;
    try {
      response = await fetch(this.base + path, {
        method, body,
        headers: { accept: 'application/json', ...headers, ...traceHeaders(),
          ...(token ? { authorization: `Bearer ${token}` } : {}) },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      throw new VendorError(`erp: ${method} ${path}: ${err.cause?.code ?? err.message}`, {
        vendor: 'erp', kind: idempotent ? TRANSIENT : AMBIGUOUS, cause: err });
    }
    if (response.status === 401 && auth && !renewed) { // the token expired: one new one
      await response.arrayBuffer();
      await this.accessToken(token);
      return this.send(method, path, { headers, body, idempotent, auth, renewed: true });
    }
    if (response.status >= 400) {
      const text = await response.text();
      let detail = text.slice(0, 300);
      let code = null;
      try {
        const first = JSON.parse(text)['o:errorDetails']?.[0] ?? {};
        code = first['o:errorCode'] ?? null;
        detail = first.detail ?? detail;
      } catch { /* not JSON */ }
      throw new VendorError(`erp: ${method} ${path}: ${response.status} ${code ?? ''} ${detail}`, {
        vendor: 'erp', status: response.status, code,
        kind: kindOfStatus(response.status, { idempotent }),
        retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
      });
    }
    return response;
  }

  request(method, path, options = {}) {
    const idempotent = options.idempotent ?? method !== 'POST';
    return withRetries(() => this.send(method, path, { ...options, idempotent }), this.policy);
  }

  json(method, path, payload, options = {}) {
    return this.request(method, path, {
      ...options, body: payload === undefined ? undefined : JSON.stringify(payload),
      headers: { 'content-type': 'application/json', ...(options.headers ?? {}) },
    });
  }

  async getByExternalId(type, externalId) {
    try {
      const response = await this.request('GET', `${RECORD}/${type}/eid:${encodeURIComponent(externalId)}`);
      return await response.json();
    } catch (err) {
      if (err instanceof VendorError && err.status === 404) return null;
      throw err;
    }
  }

  // PUT by external id: create or update, safe to repeat.
  async upsert(type, externalId, body) {
    const response = await this.json('PUT', `${RECORD}/${type}/eid:${encodeURIComponent(externalId)}`, body);
    const id = idFromLocation(response.headers.get('location'));
    return id ?? (await this.getByExternalId(type, externalId))?.id ?? null;
  }

  // POST with an external id, at most once.
  async createOnce(type, externalId, body) {
    const existing = await this.getByExternalId(type, externalId);
    if (existing) return String(existing.id);
    return withRetries(async () => {
      try {
        const response = await this.send('POST', `${RECORD}/${type}`, {
          body: JSON.stringify({ ...body, externalId }),
          headers: { 'content-type': 'application/json' }, idempotent: false });
        const id = idFromLocation(response.headers.get('location'));
        if (id) return id;
      } catch (err) {
        if (!(err instanceof VendorError)) throw err;
        const written = err.kind === AMBIGUOUS || err.code === 'DUP_RCRD';
        if (!written) throw err;
        const found = await this.getByExternalId(type, externalId);
        if (found) return String(found.id);
        if (err.kind === PERMANENT) throw err;
        throw new VendorError(err.message, { ...err, vendor: 'erp', kind: TRANSIENT });
      }
      const found = await this.getByExternalId(type, externalId);
      if (found) return String(found.id);
      throw new VendorError(`erp: POST ${type} answered without a record`, { vendor: 'erp', kind: TRANSIENT });
    }, this.policy);
  }

  // Every row of a SuiteQL query, page by page.
  async suiteql(query) {
    const rows = [];
    for (let offset = 0; ;) {
      const response = await this.json('POST', `${SUITEQL}?limit=1000&offset=${offset}`, { q: query },
        { headers: { prefer: 'transient' }, idempotent: true });
      const page = await response.json();
      rows.push(...(page.items ?? []));
      if (!page.hasMore || !page.items?.length) return rows;
      offset += page.items.length;
    }
  }
}

export function idFromLocation(location) {
  if (!location) return null;
  const last = new URL(location, 'http://x').pathname.split('/').filter(Boolean).pop();
  return last && !last.startsWith('eid:') ? decodeURIComponent(last) : null;
}
