// One W3C trace per event processed: every vendor call it makes carries the same
// `traceparent`, so the vendors' logs (and fintwin's journals) can tell a retry of this
// work from the same request sent by other work.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';

const current = new AsyncLocalStorage();

export function newTraceId() {
  return randomBytes(16).toString('hex');
}

export function inTrace(traceId, fn) {
  return current.run({ traceId }, fn);
}

export function traceId() {
  return current.getStore()?.traceId ?? null;
}

export function traceHeaders() {
  const id = traceId();
  if (!id) return {};
  return { traceparent: `00-${id}-${randomBytes(8).toString('hex')}-01` };
}
