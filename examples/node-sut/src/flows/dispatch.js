// Which flow an event starts, and which entity it is about (events about one entity run
// one at a time).
import { needsSync, syncAccount, syncBillingStatus } from './accounts.js';
import { closeWon } from './deals.js';
import { postInvoice, postPayment } from './invoices.js';

export function crmHeader(event) {
  return event?.payload?.ChangeEventHeader ?? {};
}

export function crmEntity(event) {
  return `crm:${crmHeader(event).recordIds?.[0] ?? '-'}`;
}

export function billingEntity(event) {
  const object = event?.data?.object ?? {};
  if (object.object === 'invoice' || object.object === 'customer') return `billing:${object.id}`;
  return `billing:${object.customer ?? object.id}`;
}

// The handler of an event, or null when this service does nothing with it.
export function handlerFor(source, event) {
  if (source === 'crm') {
    const header = crmHeader(event);
    const id = header.recordIds?.[0];
    const changed = new Set(header.changedFields ?? []);
    if (!id || header.changeType === 'DELETE') return null;
    if (header.entityName === 'Account' && needsSync(header)) return (ctx) => syncAccount(ctx, id);
    if (header.entityName === 'Opportunity' && (header.changeType === 'CREATE' || changed.has('StageName'))) {
      return (ctx) => closeWon(ctx, id);
    }
    return null; // amendments (Order) and cancellations (Contract) are not handled
  }
  const object = event?.data?.object ?? {};
  switch (event?.type) {
    case 'invoice.finalized':
      return (ctx) => postInvoice(ctx, object);
    case 'invoice.paid':
      return async (ctx) => {
        await postPayment(ctx, object);
        await syncBillingStatus(ctx, String(object.customer));
      };
    case 'invoice.payment_failed':
    case 'customer.subscription.deleted':
      return (ctx) => syncBillingStatus(ctx, String(object.customer));
    default:
      return null; // credit notes, renewal holds and the rest are not handled
  }
}
