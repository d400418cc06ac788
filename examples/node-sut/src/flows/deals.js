// Close-won: an Opportunity moved to Closed Won -> a billing subscription of its line
// items (a synced quote's lines are the opportunity's) -> a CRM Contract, activated -> the
// subscription id written back to the Opportunity.
import { billingCall } from '../vendors/billing.js';
import { queryAll, soqlQuote } from '../vendors/crm.js';
import { billingCustomer, readAccount } from './accounts.js';
import { Refused, isoDate } from './context.js';

export const CLOSED_WON = 'Closed Won';

async function lineQuantities(crm, opportunityId) {
  const rows = await queryAll(crm, 'SELECT Product2.ProductCode, Quantity FROM OpportunityLineItem'
    + ` WHERE OpportunityId = ${soqlQuote(opportunityId)}`);
  const quantities = new Map();
  for (const row of rows) {
    const code = row.Product2?.ProductCode;
    if (!code) throw new Refused('PRODUCT_CODE_MISSING', `a line of ${opportunityId} has no product code`);
    quantities.set(code, (quantities.get(code) ?? 0) + Number(row.Quantity ?? 0));
  }
  return quantities;
}

// Billing prices by product code: lookup_key `{ProductCode}:{CURRENCY}`.
async function pricesFor(ctx, codes, currency) {
  const keys = new Map(codes.map((code) => [`${code}:${currency.toUpperCase()}`, code]));
  const found = await billingCall((options) => ctx.stripe.prices.list(
    { lookup_keys: [...keys.keys()], active: true, limit: 100 }, options));
  const prices = new Map();
  for (const price of found.data) {
    if (keys.has(price.lookup_key)) prices.set(keys.get(price.lookup_key), price.id);
  }
  const missing = codes.filter((code) => !prices.has(code));
  if (missing.length) throw new Refused('PRICE_NOT_FOUND', `no billing price for ${missing.join(', ')} in ${currency}`);
  for (const [code, price] of prices) ctx.setLink('price_code', price, code);
  return prices;
}

async function subscriptionOf(ctx, opp, customerId) {
  const known = ctx.link('subscription', opp.Id);
  if (known) return known;
  const crm = await ctx.crm();
  const quantities = await lineQuantities(crm, opp.Id);
  const codes = [...quantities.keys()].filter((code) => quantities.get(code) > 0).sort();
  if (!codes.length) throw new Refused('NO_LINE_ITEMS', `opportunity ${opp.Id} has no line items`);
  const prices = await pricesFor(ctx, codes, opp.CurrencyIsoCode || 'USD');
  const params = {
    customer: customerId,
    items: codes.map((code) => ({ price: prices.get(code), quantity: quantities.get(code) })),
    metadata: { crm_opportunity_id: opp.Id, crm_account_id: opp.AccountId },
  };
  let subscription;
  try {
    subscription = await billingCall((options) => ctx.stripe.subscriptions.create(params, options),
      { idempotencyKey: `crm-opportunity:${opp.Id}` });
  } catch (err) {
    // The key was first used with other parameters (the deal changed between two runs):
    // the subscription exists; find it by the opportunity id in its metadata.
    if (err.code !== 'idempotency_error') throw err;
    subscription = await findSubscription(ctx, customerId, opp.Id);
    if (!subscription) throw err;
  }
  ctx.setLink('subscription', opp.Id, subscription.id);
  ctx.setLink('subscription_account', subscription.id, opp.AccountId);
  return subscription.id;
}

async function findSubscription(ctx, customerId, opportunityId) {
  for await (const sub of ctx.stripe.subscriptions.list({ customer: customerId, status: 'all', limit: 100 })) {
    if (sub.metadata?.crm_opportunity_id === opportunityId) return sub;
  }
  return null;
}

export async function closeWon(ctx, opportunityId) {
  const crm = await ctx.crm();
  const [opp] = await queryAll(crm, 'SELECT Id, AccountId, StageName, CurrencyIsoCode, CloseDate,'
    + ` Billing_Subscription_Id__c FROM Opportunity WHERE Id = ${soqlQuote(opportunityId)}`);
  if (!opp || opp.StageName !== CLOSED_WON) return;
  // The account sync may not have run yet (events out of order): the customer is made
  // here with the same key, so whichever runs first creates it and the other replays it.
  const customerId = ctx.link('billing_customer', opp.AccountId)
    ?? await billingCustomer(ctx, await readAccount(ctx, opp.AccountId));
  const subscriptionId = await subscriptionOf(ctx, opp, customerId);

  // The Contract, upserted by its external id (the subscription id): safe to repeat.
  let contractId = ctx.link('contract', subscriptionId);
  if (!contractId) {
    const saved = await crm.sobject('Contract').upsert({
      External_Id__c: subscriptionId, AccountId: opp.AccountId, Status: 'Draft', ContractTerm: 12,
      StartDate: opp.CloseDate || isoDate(Date.now() / 1000), Billing_Subscription_Id__c: subscriptionId,
    }, 'External_Id__c');
    contractId = saved.id ?? (await queryAll(crm, 'SELECT Id FROM Contract WHERE External_Id__c = '
      + soqlQuote(subscriptionId)))[0].Id;
    await crm.sobject('Contract').update({ Id: contractId, Status: 'Activated' });
    ctx.setLink('contract', subscriptionId, contractId);
  }
  if (opp.Billing_Subscription_Id__c !== subscriptionId) {
    await crm.sobject('Opportunity').update({ Id: opp.Id, Billing_Subscription_Id__c: subscriptionId });
  }
}
