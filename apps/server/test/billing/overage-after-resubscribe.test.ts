import { getSubscription, personalAccountId } from '@tollgate/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { CARDS, Customer } from './scenarios';

// The metered overage item belongs to one Stripe subscription. A customer who turned overage on, then
// canceled and paid a new Checkout, has a subscription with the plan's price only: overage admitted
// there would reach the meter and be billed by no invoice (free runs, without end and without a cap).
describe('overage after a resubscribe', () => {
  let billing: BillingTestServer;
  beforeAll(async () => {
    billing = await startBillingTestServer();
  });
  afterAll(async () => {
    await billing?.stop();
  });

  const overagePriceId = () => billing.settings.overage?.priceId;
  const stripeBilling = () => {
    const stripe = billing.server.services.stripe;
    if (!stripe) throw new Error('billing is not configured');
    return stripe;
  };
  /** A customer on BASIC through Checkout: its account and Stripe subscription. */
  async function basicCustomer() {
    const customer = await Customer.signUp(billing);
    await customer.checkout('BASIC', CARDS.success);
    const accountId = personalAccountId(customer.userId);
    const row = await getSubscription(billing.server.deps.db, accountId);
    return { customer, accountId, subscriptionId: row?.stripeSubscriptionId ?? '' };
  }

  async function itemPricesOf(customer: Customer) {
    const row = await getSubscription(billing.server.deps.db, personalAccountId(customer.userId));
    const subscription = await billing.stripe.subscriptions.retrieve(row?.stripeSubscriptionId ?? '');
    return subscription.items.data.map((item) => item.price.id);
  }

  it('is refused on the new subscription until it carries the metered item; then billed on it', async () => {
    const customer = await Customer.signUp(billing);
    await customer.checkout('BASIC', CARDS.success);
    const on = await customer.call('mutation', 'billing.updateSpendSettings', { overageEnabled: true });
    expect(on.status).toBe(200);
    const first = await getSubscription(billing.server.deps.db, personalAccountId(customer.userId));
    await billing.stripe.subscriptions.cancel(first?.stripeSubscriptionId ?? '');
    await customer.settle();
    await customer.checkout('BASIC', CARDS.success);
    expect(await itemPricesOf(customer)).not.toContain(overagePriceId());

    const plan = await customer.runs(100, 'plan');
    expect(plan.every((status) => status === 200)).toBe(true);
    // Past the allowance: no metered item to bill it, so no overage.
    expect(await customer.runs(3, 'unbilled')).toEqual([402, 402, 402]);

    // The periodic pass puts the item on the new subscription; overage goes on, billed there.
    expect(await stripeBilling().overageItems.attachMissing()).toEqual({
      checked: 1,
      attached: 1,
      failed: 0,
    });
    expect(await itemPricesOf(customer)).toContain(overagePriceId());
    expect(await customer.runs(3, 'billed')).toEqual([200, 200, 200]);
    // Nothing left to attach: the next pass checks nobody.
    expect(await stripeBilling().overageItems.attachMissing()).toEqual({
      checked: 0,
      attached: 0,
      failed: 0,
    });
  });

  it('a sync that fetched the subscription before the item was added does not write it away', async () => {
    const { customer, accountId, subscriptionId } = await basicCustomer();
    const { sync } = stripeBilling();
    // A reconcile pass (or another event) fetches the subscription: no metered item yet. The item's
    // own webhook is late.
    billing.emulator.webhooks.pause();
    const stale = await sync.prepare(subscriptionId);
    expect(
      (await customer.call('mutation', 'billing.updateSpendSettings', { overageEnabled: true })).status,
    ).toBe(200);
    await sync.commit(stale, (tx) => (stale ? sync.apply(tx, stale) : Promise.resolve(null)));
    const row = await getSubscription(billing.server.deps.db, accountId);
    expect(row?.overageItemSubscriptionId).toBe(subscriptionId);
    expect(await customer.runs(100, 'plan')).not.toContain(402);
    expect(await customer.runs(2, 'over')).toEqual([200, 200]);
    billing.emulator.webhooks.resume();
    await customer.settle();
  });

  it('recording the item never throws away a sync of a newer state (a cancellation racing it)', async () => {
    const { customer, accountId, subscriptionId } = await basicCustomer();
    const { sync } = stripeBilling();
    billing.emulator.webhooks.pause();
    await billing.stripe.subscriptionItems.create({
      subscription: subscriptionId,
      price: overagePriceId() ?? '',
    });
    await billing.stripe.subscriptions.cancel(subscriptionId);
    // The deletion's delivery fetched the canceled subscription; overage is turned on before it commits.
    const deletion = await sync.prepare(subscriptionId);
    const on = await customer.call('mutation', 'billing.updateSpendSettings', { overageEnabled: true });
    expect(on.status, JSON.stringify(on.error)).toBe(200);
    await sync.commit(deletion, (tx) => (deletion ? sync.apply(tx, deletion) : Promise.resolve(null)));
    // That delivery was the deletion's only one: what it fetched must be what the account shows.
    expect(await getSubscription(billing.server.deps.db, accountId)).toMatchObject({
      plan: 'FREE',
      status: 'canceled',
    });
    billing.emulator.webhooks.resume();
    await customer.settle();
  });
});
