// Account sync: a CRM Account -> a billing customer and an ERP customer, their ids written
// back to the Account. And the billing status (dunning) that lands on the Account.
import { billingCall } from '../vendors/billing.js';
import { Refused } from './context.js';

const WRITE_BACKS = new Set(['Billing_Customer_Id__c', 'ERP_Customer_Id__c', 'Billing_Status__c',
  'LastModifiedDate', 'LastModifiedById', 'SystemModstamp']);
export const ACCOUNT_FIELDS = ['Id', 'Name', 'Legal_Entity__c', 'CurrencyIsoCode',
  'Billing_Customer_Id__c', 'ERP_Customer_Id__c', 'Billing_Status__c'];

// Our own write-backs come back as change events; they need no sync.
export function needsSync(header) {
  if (header.changeType === 'CREATE') return true;
  return (header.changedFields ?? []).some((field) => !WRITE_BACKS.has(field));
}

export async function readAccount(ctx, accountId) {
  const crm = await ctx.crm();
  return crm.sobject('Account').retrieve(accountId, { fields: ACCOUNT_FIELDS });
}

// The billing customer of an account, created once: the key is the account's, and the
// parameters are the same every time (Stripe refuses a key reused with others), so the
// account sync and a close-won that gets there first create one customer between them.
export async function billingCustomer(ctx, account) {
  const known = ctx.link('billing_customer', account.Id);
  if (known) return known;
  const customer = await billingCall((options) => ctx.stripe.customers.create({
    name: account.Name || account.Id,
    metadata: { crm_account_id: account.Id },
  }, options), { idempotencyKey: `crm-account:${account.Id}` });
  ctx.setLink('billing_customer', account.Id, customer.id);
  ctx.setLink('customer_account', customer.id, account.Id);
  return customer.id;
}

export async function subsidiaryFor(ctx, account) {
  const row = await ctx.clients.erpRow('subsidiary', account.Legal_Entity__c);
  if (!row) {
    throw new Refused('LEGAL_ENTITY_UNMAPPED', `no ERP subsidiary for legal entity ${account.Legal_Entity__c}`);
  }
  return String(row.id);
}

// The ERP customer of an account: upserted by external id (the account id).
export async function erpCustomer(ctx, account) {
  const known = ctx.link('erp_customer', account.Id);
  if (known) return known;
  const existing = await ctx.erp.getByExternalId('customer', account.Id);
  let id = existing ? String(existing.id) : null;
  if (!id) {
    id = await ctx.erp.upsert('customer', account.Id, {
      companyName: account.Name || account.Id,
      subsidiary: { id: await subsidiaryFor(ctx, account) },
      currency: { id: await ctx.clients.erpId('currency', account.CurrencyIsoCode || 'USD') },
    });
  }
  ctx.setLink('erp_customer', account.Id, id);
  return id;
}

export async function syncAccount(ctx, accountId) {
  const account = await readAccount(ctx, accountId);
  const crm = await ctx.crm();
  const customerId = await billingCustomer(ctx, account);
  if (account.Billing_Customer_Id__c !== customerId) {
    await crm.sobject('Account').update({ Id: accountId, Billing_Customer_Id__c: customerId,
      ...(account.Billing_Status__c ? {} : { Billing_Status__c: 'Active' }) });
  }
  const erpId = await erpCustomer(ctx, account);
  if (account.ERP_Customer_Id__c !== erpId) {
    await crm.sobject('Account').update({ Id: accountId, ERP_Customer_Id__c: erpId });
  }
}

export async function accountOfCustomer(ctx, customerId) {
  const known = ctx.link('customer_account', customerId);
  if (known) return known;
  const customer = await billingCall((options) => ctx.stripe.customers.retrieve(customerId, {}, options));
  const accountId = customer.metadata?.crm_account_id;
  if (!accountId) throw new Refused('UNKNOWN_CUSTOMER', `billing customer ${customerId} has no CRM account`);
  ctx.setLink('customer_account', customerId, accountId);
  return accountId;
}

// Dunning: the Account's Billing_Status__c follows billing's current truth (the
// customer's `delinquent` flag; no live subscription left is Churned), read when the
// event is processed, so the order events arrive in does not matter.
export async function syncBillingStatus(ctx, customerId) {
  const accountId = await accountOfCustomer(ctx, customerId);
  const customer = await billingCall((options) => ctx.stripe.customers.retrieve(customerId, {}, options));
  const subs = await billingCall((options) => ctx.stripe.subscriptions.list(
    { customer: customerId, status: 'all', limit: 100 }, options));
  const live = subs.data.filter((s) => !['canceled', 'incomplete_expired'].includes(s.status));
  let status = 'Active';
  if (customer.delinquent) status = 'Delinquent';
  else if (subs.data.length && !live.length) status = 'Churned';
  const crm = await ctx.crm();
  const account = await crm.sobject('Account').retrieve(accountId, { fields: ['Billing_Status__c'] });
  if (account.Billing_Status__c !== status) {
    await crm.sobject('Account').update({ Id: accountId, Billing_Status__c: status });
  }
}
