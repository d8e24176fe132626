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

  // Each event carries the subscription as it was when Stripe sent it; the sync's fetch says how it is
  // now. Late events used to date today's state by the oldest event's time: the cancellation was
  // written weeks early and the plan change before it was lost (the month's MRR, read from these rows,
  // was 0 instead of PRO's).
  const deliveries = [
    ['held, then sent in order', null],
    ['held, then sent twice each and shuffled', { duplicate: true, shuffle: true, seed: 20261207 }],
  ] as const;
  for (const [label, chaos] of deliveries) {
    it(`late events (${label}): each state is dated by the event that carried it`, async () => {
      const customer = await Customer.signUp(billing);
      const accountId = personalAccountId(customer.userId);
      await customer.checkout('BASIC', CARDS.success);
      const stored = await getSubscription(billing.server.deps.db, accountId);
      const subscription = await billing.stripe.subscriptions.retrieve(
        stored?.stripeSubscriptionId as string,
      );
      if (chaos) billing.emulator.webhooks.setMode(chaos);
      else billing.emulator.webhooks.pause();
      const upgradedAt = billing.emulator.clock.now().getTime();
      await billing.stripe.subscriptions.update(subscription.id, {
        items: [{ id: subscription.items.data[0]?.id ?? '', price: billing.settings.priceIds.PRO }],
        proration_behavior: 'none',
      });
      // An hour into next month (before the renewal), the customer cancels.
      const upgraded = new Date(upgradedAt);
      const nextMonth = Date.UTC(upgraded.getUTCFullYear(), upgraded.getUTCMonth() + 1, 1, 1);
      await billing.emulator.clock.advance(Math.ceil((nextMonth - upgradedAt) / 1000));
      const canceledAt = billing.emulator.clock.now().getTime();
      await billing.stripe.subscriptions.cancel(subscription.id);
      if (chaos) billing.emulator.webhooks.setMode({ duplicate: false, shuffle: false });
      else billing.emulator.webhooks.resume();
      await billing.emulator.webhooks.drain();

      const rows = await listSubscriptionHistory(billing.server.deps.db, accountId);
      expect(rows.map((row) => [row.plan, row.status])).toEqual([
        ['BASIC', 'active'],
        ['PRO', 'active'],
        ['PRO', 'canceled'],
      ]);
      // Each in the second its event was sent (Stripe's times are whole seconds; a row seen in the
      // same second as the one before goes 1 ms after it).
      const secondOf = (ms: number | undefined) => Math.floor((ms ?? 0) / 1000);
      expect(secondOf(rows[1]?.at.getTime())).toBe(secondOf(upgradedAt));
      expect(secondOf(rows[2]?.at.getTime())).toBe(secondOf(canceledAt));
    });
  }
});
