// The workers: claim a due event from the inbox, run its flow under one trace, and record
// what happened. A transient vendor failure runs the event again after a backoff, never
// before the vendor's Retry-After; a missing prerequisite (Wait) soon after; a refusal is
// logged and the event marked failed (there is no dead-letter queue and no replay).
import { EventEmitter } from 'node:events';
import { VendorError, delayMs } from './retry.js';
import { inTrace, newTraceId } from './trace.js';
import { Clients, FlowContext, Refused, Wait } from './flows/context.js';
import { handlerFor } from './flows/dispatch.js';

export const MAX_ATTEMPTS = 12; // runs that met a vendor failure, then the event fails
export const MAX_WAITS = 120; // runs that found a prerequisite missing (~2 min)

export class Workers {
  constructor({ inbox, links, connections, count = 4, policy = {}, log = console }) {
    this.inbox = inbox;
    this.links = links;
    this.connections = connections;
    this.count = count;
    this.policy = policy;
    this.log = log;
    this.clients = new Map();
    this.busy = new Set(); // entities being worked on
    this.wake = new EventEmitter();
    this.stopping = false;
    this.loops = [];
  }

  start() {
    for (let n = 0; n < this.count; n += 1) this.loops.push(this.loop());
  }

  notify() {
    this.wake.emit('work');
  }

  async stop() {
    this.stopping = true;
    this.notify();
    await Promise.allSettled(this.loops);
  }

  clientsOf(connectionId) {
    const connection = this.connections.get(connectionId);
    if (!connection) return null;
    const cached = this.clients.get(connectionId);
    if (cached && cached.connection === connection) return cached;
    const made = new Clients(connection, this.policy);
    this.clients.set(connectionId, made);
    return made;
  }

  async loop() {
    while (!this.stopping) {
      const row = this.inbox.claim(this.busy);
      if (!row) {
        await this.idle();
        continue;
      }
      this.busy.add(row.entity);
      try {
        await this.process(row);
      } catch (err) { // a bug in this file: never lose the worker
        this.log.error('worker error', err);
        this.inbox.retryLater(row, 1000, String(err));
      } finally {
        this.busy.delete(row.entity);
        this.notify();
      }
    }
  }

  idle() {
    const due = this.inbox.nextDue();
    const ms = due == null ? 500 : Math.max(5, Math.min(500, due - Date.now()));
    return new Promise((resolve) => {
      const done = () => { clearTimeout(timer); this.wake.off('work', done); resolve(); };
      const timer = setTimeout(done, ms);
      this.wake.once('work', done);
    });
  }

  async process(row) {
    const event = JSON.parse(row.payload);
    const handler = handlerFor(row.source, event);
    if (!handler) {
      this.inbox.complete(row, 'ignored');
      return;
    }
    const clients = this.clientsOf(row.connection);
    if (!clients) {
      this.fail(row, `UNKNOWN_CONNECTION: no connection ${row.connection}`);
      return;
    }
    const ctx = new FlowContext({ connectionId: row.connection, clients, links: this.links,
      eventId: `${row.source}:${row.event_id}` });
    try {
      await inTrace(newTraceId(), () => handler(ctx));
    } catch (err) {
      this.outcome(row, err);
      return;
    }
    this.inbox.complete(row, 'done');
    this.log.info?.(`processed ${row.source} ${row.type} ${row.event_id}`);
  }

  outcome(row, err) {
    if (err instanceof Wait) {
      if (row.waits + 1 >= MAX_WAITS) {
        this.fail(row, `PREREQUISITE_TIMEOUT: ${err.message}`);
        return;
      }
      this.inbox.waitLater(row, Math.min(1000, 100 * (row.waits + 1)), `waiting: ${err.message}`);
      return;
    }
    if (err instanceof VendorError && err.retryable && row.attempts < MAX_ATTEMPTS) {
      const delay = delayMs(row.attempts, err.retryAfterMs, { baseMs: 500, capMs: 8000 });
      this.inbox.retryLater(row, delay, `transient: ${err.message}`);
      this.log.warn?.(`retrying ${row.type} ${row.event_id} in ${delay} ms: ${err.message}`);
      return;
    }
    const reason = err instanceof Refused ? err.message
      : err instanceof VendorError ? `VENDOR_${err.kind.toUpperCase()}: ${err.message}`
        : `${err.errorCode ?? err.name ?? 'ERROR'}: ${err.message}`;
    if (!(err instanceof Refused) && !(err instanceof VendorError)) this.log.error(err);
    this.fail(row, reason);
  }

  fail(row, reason) {
    this.inbox.complete(row, 'failed', reason);
    this.log.error(`FAILED ${row.source} ${row.type} ${row.event_id} (no DLQ, not retried): ${reason}`);
  }
}
