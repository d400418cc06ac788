// The CRM's change-event pushes are signed like Stripe's webhooks: the header
// `X-Fintwin-Signature: t=<unix>,v1=<hex>` holds an HMAC-SHA256 of "<t>.<raw body>" keyed
// with the subscription's secret (fintwin's CRM fake, simulators/crm/README.md). Stripe's
// own header is checked with stripe-node's `webhooks.constructEvent` instead.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TOLERANCE_SECONDS = 300; // Stripe's default; older deliveries are refused

export class BadSignature extends Error {}

export function verifySignature(header, rawBody, secret, { now = Date.now(),
                                                           tolerance = TOLERANCE_SECONDS } = {}) {
  if (!secret) throw new BadSignature('no webhook secret for this connection');
  if (!header) throw new BadSignature('missing signature header');
  let timestamp = null;
  const signatures = [];
  for (const part of String(header).split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && /^\d+$/.test(value ?? '')) timestamp = Number(value);
    else if (key === 'v1' && value) signatures.push(value);
  }
  if (timestamp === null || signatures.length === 0) throw new BadSignature('malformed signature header');
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
  const matches = signatures.some((sig) => {
    const given = Buffer.from(sig, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) throw new BadSignature('no signature matches the payload');
  if (Math.abs(now / 1000 - timestamp) > tolerance) throw new BadSignature('timestamp outside the tolerance');
}
