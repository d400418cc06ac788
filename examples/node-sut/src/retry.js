// The one retry policy every vendor call goes through.
//
// A call that fails transiently (429, a 409 the vendor asks us to retry, 5xx, a dropped
// connection) is tried again after a backoff, or after the vendor's Retry-After plus a
// jitter: Retry-After is a floor, never shortened by our own schedule, and the jitter keeps
// the retries of many calls off one instant (a vendor refusing every nth request would
// otherwise meet the same retry at the same place each time). After `attempts` tries the
// error is thrown, still carrying the Retry-After, so that the inbox schedules the event's
// next run no sooner than the vendor allowed either.

export const TRANSIENT = 'transient'; // not done; safe to send again
export const AMBIGUOUS = 'ambiguous'; // may have been done (a non-idempotent write lost)
export const PERMANENT = 'permanent'; // refused; sending it again changes nothing

export class VendorError extends Error {
  constructor(message, { vendor, status = null, code = null, kind = PERMANENT,
                         retryAfterMs = null, cause } = {}) {
    super(message, cause ? { cause } : undefined);
    this.name = 'VendorError';
    this.vendor = vendor;
    this.status = status;
    this.code = code;
    this.kind = kind;
    this.retryAfterMs = retryAfterMs;
  }

  get retryable() {
    return this.kind === TRANSIENT;
  }
}

// Retry-After is delta-seconds or an HTTP date (RFC 9110, section 10.2.3).
export function parseRetryAfter(value, now = Date.now()) {
  if (value === undefined || value === null || value === '') return null;
  const text = String(value).trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

// Which HTTP statuses are worth sending again, by the status alone.
export function kindOfStatus(status, { idempotent }) {
  if (status === 429) return TRANSIENT; // refused before it ran
  if (status === 408 || status >= 500) return idempotent ? TRANSIENT : AMBIGUOUS;
  return PERMANENT;
}

// Full jitter between half and all of an exponential ceiling (AWS architecture blog,
// "Exponential Backoff And Jitter").
export function backoffMs(attempt, { baseMs = 200, capMs = 5000, random = Math.random } = {}) {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export function delayMs(attempt, retryAfterMs, options = {}) {
  const backoff = backoffMs(attempt, options);
  return retryAfterMs == null ? backoff : retryAfterMs + Math.round(backoff / 2);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function withRetries(call, { attempts = 4, baseMs = 200, capMs = 4000,
                                          wait = sleep, random = Math.random } = {}) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call(attempt);
    } catch (err) {
      if (!(err instanceof VendorError) || !err.retryable || attempt >= attempts) throw err;
      await wait(delayMs(attempt, err.retryAfterMs, { baseMs, capMs, random }));
    }
  }
}
