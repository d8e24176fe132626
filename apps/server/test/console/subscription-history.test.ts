import { getSubscription, listSubscriptionHistory, personalAccountId, queryRows } from '@tollgate/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARDS, Customer } from '../billing/scenarios';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { trpc } from '../support/http';
import { registerOperator } from '../support/operators';

describe('the subscription history analytics read: written by the webhook sync, backfilled by reconcile', () => {
  let billing: BillingTestServer;

  beforeAll(async () => {
    billing = await startBillingTestServer();
  });
  afterAll(async () => {
    await billing?.stop();
  });

  it('records each change once, dated by Stripe, with the price Stripe states; events name their account', async () => {
    const customer = await Customer.signUp(billing);
    const accountId = personalAccountId(customer.userId);
    await customer.checkout('BASIC', CARDS.success);
    await customer.portal({ action: 'switch', priceId: billing.settings.priceIds.PRO });
    const rows = await listSubscriptionHistory(billing.server.deps.db, accountId);
    // Several events per change (created, updated, checkout, invoice…): one row per state.
    expect(rows.map((row) => [row.plan, row.status, row.priceCents, row.interval, row.quantity])).toEqual([
      ['BASIC', 'active', 1900, 'month', 1],
      ['PRO', 'active', 4900, 'month', 1],
    ]);
    const subscription = await billing.stripe.subscriptions.retrieve(
      (await getSubscription(billing.server.deps.db, accountId))?.stripeSubscriptionId as string,
    );
    expect(rows[0]?.at.getTime()).toBe(subscription.created * 1000);

    const events = await queryRows<{ type: string }>(
      billing.server.deps.db,
      sql`select type from stripe_events where account_id = ${accountId}`,
    );
    expect(events.map((event) => event.type)).toEqual(
      expect.arrayContaining(['checkout.session.completed', 'customer.subscription.updated']),
    );
  });

  it('records a price in another currency at the catalog price, not as US cents', async () => {
    const customer = await Customer.signUp(billing);
    const accountId = personalAccountId(customer.userId);
    await customer.checkout('PRO', CARDS.success);
    const stored = await getSubscription(billing.server.deps.db, accountId);
    const subscription = await billing.stripe.subscriptions.retrieve(stored?.stripeSubscriptionId as string);
    const item = subscription.items.data[0];
    // Someone switches the subscription to a yen price in the dashboard: ¥9,900 a month.
    const yen = await billing.stripe.prices.create({
      currency: 'jpy',
      unit_amount: 9900,
      recurring: { interval: 'month' },
      product: String(item?.price.product),
    });
    await billing.stripe.subscriptions.update(subscription.id, {
      items: [{ id: item?.id ?? '', price: yen.id }],
      proration_behavior: 'none',
    });
    await customer.settle();
    const rows = await listSubscriptionHistory(billing.server.deps.db, accountId);
    expect(rows.map((row) => [row.plan, row.status, row.priceCents])).toEqual([['PRO', 'active', 4900]]);
    expect((await getSubscription(billing.server.deps.db, accountId))?.unknownStripePriceId).toBe(yen.id);
  });

  it('reconciliation backfills a subscription that has no history, dated from its start', async () => {
    const customer = await Customer.signUp(billing);
    const accountId = personalAccountId(customer.userId);
    await customer.checkout('PRO', CARDS.success);
    // As if the subscription predated the history table.
    await billing.server.deps.db.execute(
      sql`delete from subscription_history where account_id = ${accountId}`,
    );
    const operator = await registerOperator(billing.server);
    const reconciled = await trpc(
      billing.server.url,
      'mutation',
      'admin.reconcile',
      undefined,
      operator.accessToken,
    );
    expect(reconciled.status).toBe(200);
    const rows = await listSubscriptionHistory(billing.server.deps.db, accountId);
    const stored = await getSubscription(billing.server.deps.db, accountId);
    const subscription = await billing.stripe.subscriptions.retrieve(stored?.stripeSubscriptionId as string);
    expect(rows).toEqual([
      expect.objectContaining({
        plan: 'PRO',
        status: 'active',
        priceCents: 4900,
        at: new Date(subscription.created * 1000),
      }),
    ]);
    const sources = await queryRows<{ source: string }>(
      billing.server.deps.db,
      sql`select source from subscription_history where account_id = ${accountId}`,
    );
    expect(sources).toEqual([{ source: 'backfill' }]);
    // A second pass finds nothing new.
    await trpc(billing.server.url, 'mutation', 'admin.reconcile', undefined, operator.accessToken);
    expect(await listSubscriptionHistory(billing.server.deps.db, accountId)).toHaveLength(1);
  });
});
