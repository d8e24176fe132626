import { getSubscription, listAudit, personalAccountId } from '@tollgate/db';
import { monthOf } from '@tollgate/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARDS, Customer } from '../billing/scenarios';
import type { BillingTestServer } from '../support/billing-server';
import { trpc } from '../support/http';
import { openDealDesk, type DealDesk } from './deal-support';

const DAY = 86_400;

describe('ENTERPRISE deals: a price and a subscription made at Stripe, the limit with the subscription', () => {
  let billing: BillingTestServer;
  let operatorToken: string;
  let deal: DealDesk['sell'];

  beforeAll(async () => {
    ({ billing, operatorToken, sell: deal } = await openDealDesk());
  });
  afterAll(async () => {
    await billing?.stop();
  });

  async function storedSubscription(customer: Customer) {
    const row = await getSubscription(billing.server.deps.db, personalAccountId(customer.userId));
    if (!row) throw new Error('no subscription row');
    return row;
  }

  it('bills by invoice: active at once, an open hosted invoice, ENTERPRISE with the deal limit on the next run', async () => {
    const customer = await Customer.signUp(billing);
    const accountId = personalAccountId(customer.userId);
    const made = await deal({
      accountId,
      runLimit: 5000,
      priceCents: 250_000,
      interval: 'month',
      collection: 'send_invoice',
      daysUntilDue: 30,
      reason: 'Acme: signed order form #42',
    });
    expect(made.status).toBe(200);
    expect(made.data).toMatchObject({ status: 'active', runLimit: 5000, collection: 'send_invoice' });
    expect(made.data.hostedInvoiceUrl).toMatch(/^http/);
    await customer.settle();

    const overview = await customer.overview();
    expect(overview).toMatchObject({ plan: 'ENTERPRISE', status: 'active' });
    expect(overview.usage.limit).toBe(5000);
    expect(await customer.runs(1)).toEqual([200]);

    // The deal's price is known to the catalog mapping: never listed as an unknown price.
    const unknown = await trpc(billing.server.url, 'query', 'admin.unknownPrices', undefined, operatorToken);
    expect(unknown.data.map((row: { accountId: string }) => row.accountId)).not.toContain(accountId);

    // The invoice waits for the customer: open, due in 30 days, not charged.
    const invoice = await billing.stripe.invoices.retrieve(
      (await billing.stripe.subscriptions.retrieve(made.data.stripeSubscriptionId)).latest_invoice as string,
    );
    expect(invoice).toMatchObject({ status: 'open', collection_method: 'send_invoice', amount_due: 250_000 });
    expect(billing.emulator.invoices.pay(invoice.id, { card: CARDS.success }).isPaid).toBe(true);
    await customer.settle();
    expect((await billing.stripe.invoices.retrieve(invoice.id)).status).toBe('paid');

    // One audit row for the deal, with what was made at Stripe.
    const audit = await listAudit(billing.server.deps.db, { accountId });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: 'enterprise_deal',
      reason: 'Acme: signed order form #42',
      // The deal's limit is its subscription's: no override stays on top of it.
      after: {
        runLimit: null,
        deal: { runLimit: 5000, stripePriceId: made.data.stripePriceId, priceCents: 250_000 },
      },
    });

    // Revenue analytics count the deal at its own price.
    const month = monthOf(billing.emulator.clock.now());
    const analytics = await trpc(
      billing.server.url,
      'query',
      'admin.analytics',
      { from: month, to: month, plans: ['ENTERPRISE'] },
      operatorToken,
    );
    expect(analytics.data.mrr[0]).toMatchObject({ mrrCents: 250_000, payingAccounts: 1 });
  });

  it('an invoice left unpaid past its due date makes the account past_due', async () => {
    const customer = await Customer.signUp(billing);
    const accountId = personalAccountId(customer.userId);
    const made = await deal({
      accountId,
      runLimit: 100,
      priceCents: 99_00,
      interval: 'month',
      collection: 'send_invoice',
      daysUntilDue: 7,
      reason: 'net-7 pilot',
    });
    expect(made.status).toBe(200);
    await billing.emulator.clock.advance(8 * DAY);
    await customer.settle();
    expect((await customer.overview()).status).toBe('past_due');
  });

  it('bills by card with the card on file; without one Stripe refuses (400) and nothing changes', async () => {
    const withCard = await Customer.signUp(billing);
    const accountId = personalAccountId(withCard.userId);
    // A first deal attempt creates the customer; no card yet, so Stripe refuses it.
    const refused = await deal({
      accountId,
      runLimit: 800,
      priceCents: 120_000,
      interval: 'year',
      collection: 'charge_automatically',
      reason: 'annual by card',
    });
    expect(refused.status).toBe(400);
    expect(refused.error?.message).toMatch(/Stripe refused/);
    expect(await listAudit(billing.server.deps.db, { accountId })).toHaveLength(0);
    expect((await withCard.overview()).plan).toBe('FREE');

    billing.emulator.customers.setDefaultCard(
      (await storedSubscription(withCard)).stripeCustomerId as string,
      CARDS.success,
    );
    const made = await deal({
      accountId,
      runLimit: 800,
      priceCents: 120_000,
      interval: 'year',
      collection: 'charge_automatically',
      reason: 'annual by card',
    });
    expect(made.status).toBe(200);
    expect(made.data).toMatchObject({ status: 'active', interval: 'year' });
    await withCard.settle();
    expect(await withCard.overview()).toMatchObject({ plan: 'ENTERPRISE', status: 'active' });
    expect((await withCard.overview()).usage.limit).toBe(800);
  });

  it('moves a live BASIC subscription onto the deal (same subscription, new price)', async () => {
    const customer = await Customer.signUp(billing);
    await customer.checkout('BASIC', CARDS.success);
    const before = await storedSubscription(customer);
    const made = await deal({
      accountId: personalAccountId(customer.userId),
      runLimit: 3000,
      priceCents: 50_000,
      interval: 'month',
      collection: 'charge_automatically',
      reason: 'upsell from Basic',
    });
    expect(made.status).toBe(200);
    expect(made.data.stripeSubscriptionId).toBe(before.stripeSubscriptionId);
    await customer.settle();
    expect(await customer.overview()).toMatchObject({ plan: 'ENTERPRISE', usage: { limit: 3000 } });
  });

  it('refuses support, account owners and inconsistent input, with 4xx', async () => {
    const customer = await Customer.signUp(billing);
    const accountId = personalAccountId(customer.userId);
    const valid = {
      accountId,
      runLimit: 10,
      priceCents: 10_000,
      interval: 'month',
      collection: 'send_invoice',
      daysUntilDue: 10,
      reason: 'x',
    };
    expect((await deal(valid, customer.token)).status).toBe(403);
    for (const input of [
      { ...valid, daysUntilDue: undefined },
      { ...valid, collection: 'charge_automatically' },
      { ...valid, priceCents: 12.5 },
      { ...valid, reason: '   ' },
      { ...valid, accountId: 'not-a-uuid' },
    ]) {
      const answer = await deal(input);
      expect(answer.status, JSON.stringify(input)).toBe(400);
    }
    expect((await deal({ ...valid, accountId: crypto.randomUUID() })).status).toBe(404);
    expect((await customer.overview()).plan).toBe('FREE');
  });
});
