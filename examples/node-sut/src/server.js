// The HTTP face of the service (node:http, no framework):
//   POST /webhooks/stripe/:connection      Stripe-Signature checked by stripe-node
//   POST /webhooks/salesforce/:connection  X-Fintwin-Signature checked (signatures.js)
//     both answer 200 once the event is in the inbox (a duplicate too), 400 on a bad
//     signature, 404 for an unknown connection
//   GET  /health
//   POST /admin/connections   register one company's CRM org, billing and ERP accounts
//   GET  /admin/idle          {"pending": n}: events not finished (fintwin's idle probe)
//   GET  /admin/stats         inbox rows by status
// Admin paths want `Authorization: Bearer <SUT_ADMIN_TOKEN>` when that is set.
import http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import Stripe from 'stripe';
import { loadConfig } from './config.js';
import { Connections, Links, openStore, parseConnection } from './store.js';
import { Inbox } from './inbox.js';
import { Workers } from './worker.js';
import { BadSignature, verifySignature } from './signatures.js';
import { billingEntity, crmEntity, crmHeader } from './flows/dispatch.js';

const MAX_BODY = 1 << 20;

function send(res, status, body) {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(Object.assign(new Error('body too large'), { status: 413 }));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function createService(config) {
  const db = openStore(config.database);
  const connections = new Connections(db);
  const links = new Links(db);
  const inbox = new Inbox(db);
  const workers = new Workers({ inbox, links, connections, count: config.workers,
    log: config.log });
  const stripeWebhooks = Stripe.webhooks;

  function authorised(req) {
    if (!config.adminToken) return true;
    const given = Buffer.from(String(req.headers.authorization ?? '').replace(/^Bearer\s+/i, ''));
    const wanted = Buffer.from(config.adminToken);
    return given.length === wanted.length && timingSafeEqual(given, wanted);
  }

  function accept(res, connection, source, eventId, type, entity, event) {
    const fresh = inbox.accept({ connection, source, eventId, type, entity, payload: event });
    if (fresh) workers.notify();
    send(res, 200, { received: true, duplicate: !fresh });
  }

  async function stripeWebhook(req, res, connectionId) {
    const connection = connections.get(connectionId);
    if (!connection) return send(res, 404, { error: `no connection ${connectionId}` });
    const raw = await readBody(req);
    let event;
    try {
      event = stripeWebhooks.constructEvent(raw, req.headers['stripe-signature'], connection.billing.webhook_secret);
    } catch (err) {
      return send(res, 400, { error: `bad signature: ${err.message}` });
    }
    return accept(res, connectionId, 'billing', event.id, event.type, billingEntity(event), event);
  }

  async function salesforceWebhook(req, res, connectionId) {
    const connection = connections.get(connectionId);
    if (!connection) return send(res, 404, { error: `no connection ${connectionId}` });
    const raw = await readBody(req);
    try {
      verifySignature(req.headers['x-fintwin-signature'], raw, connection.crm.webhook_secret);
    } catch (err) {
      if (err instanceof BadSignature) return send(res, 400, { error: `bad signature: ${err.message}` });
      throw err;
    }
    let event;
    try {
      event = JSON.parse(raw.toString('utf8'));
    } catch {
      return send(res, 400, { error: 'the body is not JSON' });
    }
    const header = crmHeader(event);
    const eventId = event?.event?.EventUuid ?? event?.replayId;
    if (!eventId || !header.entityName) return send(res, 400, { error: 'not a change event' });
    return accept(res, connectionId, 'crm', eventId, `${header.entityName}.${header.changeType}`,
      crmEntity(event), event);
  }

  async function addConnection(req, res) {
    let connection;
    try {
      connection = parseConnection(JSON.parse((await readBody(req)).toString('utf8')));
    } catch (err) {
      return send(res, 400, { error: `invalid connection: ${err.message}` });
    }
    connections.put(connection);
    return send(res, 201, { id: connection.id, webhooks: {
      billing: `/webhooks/stripe/${connection.id}`, crm: `/webhooks/salesforce/${connection.id}` } });
  }

  async function route(req, res) {
    const url = new URL(req.url, 'http://localhost');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const method = req.method;
    if (method === 'POST' && parts.length === 3 && parts[0] === 'webhooks') {
      if (parts[1] === 'stripe') return stripeWebhook(req, res, parts[2]);
      if (parts[1] === 'salesforce') return salesforceWebhook(req, res, parts[2]);
    }
    if (method === 'GET' && url.pathname === '/health') {
      return send(res, 200, { status: 'ok', connections: connections.size });
    }
    if (parts[0] === 'admin') {
      if (!authorised(req)) return send(res, 401, { error: 'admin token required' });
      const connection = url.searchParams.get('connection');
      if (method === 'POST' && url.pathname === '/admin/connections') return addConnection(req, res);
      if (method === 'GET' && url.pathname === '/admin/idle') {
        const pending = inbox.pending(connection);
        return send(res, 200, { pending, idle: pending === 0 });
      }
      if (method === 'GET' && url.pathname === '/admin/stats') return send(res, 200, inbox.counts(connection));
    }
    return send(res, 404, { error: `no route ${method} ${url.pathname}` });
  }

  const server = http.createServer((req, res) => {
    route(req, res).catch((err) => {
      config.log.error('request failed', err);
      if (!res.headersSent) send(res, err.status ?? 500, { error: err.message });
    });
  });

  return {
    server, workers, inbox,
    start() {
      workers.start();
      return new Promise((resolve) => server.listen(config.port, config.host, () => resolve(server.address())));
    },
    async stop() {
      await new Promise((resolve) => server.close(resolve));
      await workers.stop();
      db.close();
    },
  };
}

async function main() {
  const config = loadConfig(process.argv.slice(2), process.env);
  const service = createService(config);
  const address = await service.start();
  config.log.info(`node-sut listening on http://${address.address}:${address.port}`);
  const shutdown = () => {
    service.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
