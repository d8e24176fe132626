import { listAudit, personalAccountId } from '@tollgate/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer } from '../billing/scenarios';
import type { BillingTestServer } from '../support/billing-server';
import { invoicedDeal, openDealDesk, type DealDesk } from './deal-support';

// An ENTERPRISE deal whose answer was lost (Stripe made the subscription, the operator got a 502) is
// sold again: the retry must not make a second subscription, which Stripe would bill a second time.
describe('ENTERPRISE deals: a retry after a lost answer bills once', () => {
  let billing: BillingTestServer;
  let deal: DealDesk['sell'];

  beforeAll(async () => {
    ({ billing, sell: deal } = await openDealDesk());
  });
  afterAll(async () => {
    await billing?.stop();
  });

  const invoiced = (accountId: string, extra: Record<string, unknown> = {}) =>
    invoicedDeal(accountId, { runLimit: 5000, priceCents: 120_000, reason: 'Acme: order form #7', ...extra });

  /** The customer's subscriptions Stripe would bill (not canceled). */
  async function billedSubscriptions(accountId: string) {
    const customer = (
      await billing.stripe.customers.search({ query: `metadata['accountId']:'${accountId}'` })
    ).data[0];
    if (!customer) throw new Error(`no Stripe customer for ${accountId}`);
    return (await billing.stripe.subscriptions.list({ customer: customer.id })).data;
  }

  /** Stripe makes the subscription, and every answer to the call (the SDK's own retries too) is lost. */
  function loseSubscriptionAnswers() {
    return billing.emulator.faults.set({
      method: 'POST',
      path: '/v1/subscriptions',
      dropResponse: true,
      times: 3,
    });
  }

  it.each([
    ['with the same idempotencyKey', { idempotencyKey: 'deal-retry-0001' }],
    ['without a key', {}],
  ])('%s: one subscription, one invoice to pay', async (_, key) => {
    const customer = await Customer.signUp(billing);
    const accountId = personalAccountId(customer.userId);
    // Webhooks late: the stored row doesn't know the first attempt's subscription either.
    billing.emulator.webhooks.pause();
    loseSubscriptionAnswers();
    const lost = await deal(invoiced(accountId, key));
    // Stripe unreachable: 503, retry (never a 500).
    expect(lost.status).toBe(503);
    expect(await billedSubscriptions(accountId)).toHaveLength(1);

    const retried = await deal(invoiced(accountId, key));
    expect(retried.status, JSON.stringify(retried.error)).toBe(200);
    billing.emulator.webhooks.resume();
    await customer.settle();

    const billed = await billedSubscriptions(accountId);
    expect(billed.map((subscription) => subscription.id)).toEqual([retried.data.stripeSubscriptionId]);
    const openInvoices = await billing.stripe.invoices.list({ customer: billed[0]?.customer as string });
    expect(openInvoices.data.filter((invoice) => invoice.amount_due > 0)).toHaveLength(1);
    expect(await customer.overview()).toMatchObject({ plan: 'ENTERPRISE', usage: { limit: 5000 } });
  });

  it('a retry with the key after a success answers the same deal: no second price, no second audit row', async () => {
    const customer = await Customer.signUp(billing);
    const accountId = personalAccountId(customer.userId);
    const input = invoiced(accountId, { idempotencyKey: 'deal-retry-0002' });
    const first = await deal(input);
    const again = await deal(input);
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.data).toMatchObject({
      stripePriceId: first.data.stripePriceId,
      stripeSubscriptionId: first.data.stripeSubscriptionId,
    });
    const audit = await listAudit(billing.server.deps.db, { accountId });
    expect(audit.filter((row) => row.action === 'enterprise_deal')).toHaveLength(1);
  });

  it('the same key for another deal is 409 and changes nothing', async () => {
    const customer = await Customer.signUp(billing);
    const accountId = personalAccountId(customer.userId);
    const first = await deal(invoiced(accountId, { idempotencyKey: 'deal-retry-0003' }));
    expect(first.status).toBe(200);
    await customer.settle();
    for (const other of [{ priceCents: 99_000 }, { runLimit: 6000 }, { daysUntilDue: 14 }]) {
      const reused = await deal(invoiced(accountId, { idempotencyKey: 'deal-retry-0003', ...other }));
      expect(reused.status, JSON.stringify(other)).toBe(409);
      expect(reused.error?.message).toMatch(/idempotencyKey/);
    }
    await customer.settle();
    expect((await customer.overview()).usage.limit).toBe(5000);
    expect(await billedSubscriptions(accountId)).toHaveLength(1);
  });
});
