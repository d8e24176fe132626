import { personalAccountId, subscriptions } from '@tollgate/db';
import { eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { portalAction } from '../support/hosted-pages';
import { eventOf, sendWebhook } from '../support/webhooks';
import { CARDS, Customer } from './scenarios';

// The Customer Portal invoices a plan switch at once (proration_behavior always_invoice). When the card
// declines the upgrade, Stripe keeps the higher price anyway and the subscription goes past_due: Tollgate
// used to grant PRO's 1,000 runs for the whole payment grace without a cent paid, then drop the account
// to FREE for the rest of the BASIC month it had paid. Now the declined upgrade is rolled back at Stripe
// (the manual rollback of Stripe's pending-updates page): the upgrade invoice is voided and the
// subscription goes back to BASIC, active, so the account keeps exactly what it paid for.

let inOrder: BillingTestServer;
let chaotic: BillingTestServer;
beforeAll(async () => {
  [inOrder, chaotic] = await Promise.all([startBillingTestServer(), startBillingTestServer()]);
  // Every event delivered twice, held until drained and then released in a seeded random order.
  chaotic.emulator.webhooks.setMode({ duplicate: true, shuffle: true, seed: 20270401 });
});
afterAll(async () => {
  await Promise.all([inOrder?.stop(), chaotic?.stop()]);
});

async function subscriptionIdOf(billing: BillingTestServer, customer: Customer): Promise<string> {
  const [row] = await billing.server.testDb.db
    .select()
    .from(subscriptions)
    .where(eq(subscriptions.accountId, personalAccountId(customer.userId)));
  if (!row?.stripeSubscriptionId) throw new Error('checkout did not link a subscription');
  return row.stripeSubscriptionId;
}

/**
 * Everything delivered: in shuffle mode the events Stripe sent while Tollgate rolled back (held during
 * the first drain) are released by the second.
 */
async function settled(customer: Customer) {
  await customer.settle();
  await customer.settle();
}

/** BASIC paid with a card that works at checkout and declines later, then Switch to Pro in the portal. */
async function declinedUpgrade(billing: BillingTestServer) {
  const customer = await Customer.signUp(billing);
  await customer.checkout('BASIC', CARDS.failsLater);
  const subscriptionId = await subscriptionIdOf(billing, customer);
  await customer.portal({ action: 'switch', priceId: billing.emulator.prices.PRO });
  await settled(customer);
  return { customer, subscriptionId };
}

async function invoicesOf(billing: BillingTestServer, subscriptionId: string) {
  const { data } = await billing.stripe.invoices.list({ subscription: subscriptionId, limit: 100 });
  return data.map((invoice) => ({
    reason: invoice.billing_reason,
    status: invoice.status,
    paid: invoice.amount_paid,
  }));
}

async function priceAndStatus(billing: BillingTestServer, subscriptionId: string) {
  const subscription = await billing.stripe.subscriptions.retrieve(subscriptionId);
  return { price: subscription.items.data[0]?.price.id, status: subscription.status };
}

/**
 * BASIC paid with a card that declines later, then Switch to Pro in the portal, with the webhooks held:
 * the upgrade is declined at Stripe and Tollgate hasn't seen the failure yet (`settled` delivers it).
 */
async function upgradeDeclinedUnseen(billing: BillingTestServer) {
  const customer = await Customer.signUp(billing);
  await customer.checkout('BASIC', CARDS.failsLater);
  const subscriptionId = await subscriptionIdOf(billing, customer);
  billing.emulator.webhooks.pause();
  const session = await customer.call('mutation', 'billing.createPortalSession', {});
  await portalAction(session.data.url, { action: 'switch', priceId: billing.emulator.prices.PRO });
  return { customer, subscriptionId };
}

/** The upgrade stands: PRO active at Stripe, and the account has PRO's runs. */
async function expectUpgradeKept(billing: BillingTestServer, customer: Customer, subscriptionId: string) {
  expect(await priceAndStatus(billing, subscriptionId)).toEqual({
    price: billing.emulator.prices.PRO,
    status: 'active',
  });
  expect(await customer.overview()).toMatchObject({ plan: 'PRO', status: 'active', usage: { limit: 1000 } });
}

function counted(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

describe.each([
  ['delivered in order', () => inOrder],
  ['duplicated and shuffled', () => chaotic],
])('a declined portal upgrade (%s)', (_name, server) => {
  it('is rolled back: BASIC active with its 100 runs, the upgrade invoice void, nothing owed; BASIC kept past the grace', async () => {
    const billing = server();
    const { customer, subscriptionId } = await declinedUpgrade(billing);

    expect(await customer.overview()).toMatchObject({
      plan: 'BASIC',
      status: 'active',
      graceEndsAt: null,
      usage: { used: 0, limit: 100 },
    });
    expect(await priceAndStatus(billing, subscriptionId)).toEqual({
      price: billing.emulator.prices.BASIC,
      status: 'active',
    });
    expect(await invoicesOf(billing, subscriptionId)).toEqual([
      { reason: 'subscription_update', status: 'void', paid: 0 },
      { reason: 'subscription_create', status: 'paid', paid: 1900 },
    ]);
    const open = await billing.stripe.invoices.list({ subscription: subscriptionId, status: 'open' });
    expect(open.data).toHaveLength(0);

    expect(counted(await customer.runs(110, 'declined-upgrade'))).toEqual({ 200: 100, 402: 10 });

    // Past the 7-day grace, and past Stripe's last retry (3 + 5 + 7 days): still the BASIC month paid for.
    await customer.advanceDays(8);
    expect(await customer.overview()).toMatchObject({
      plan: 'BASIC',
      status: 'active',
      usage: { used: 100, limit: 100 },
    });
    await customer.advanceDays(10);
    expect(await customer.overview()).toMatchObject({
      plan: 'BASIC',
      status: 'active',
      usage: { limit: 100 },
    });
    expect(await priceAndStatus(billing, subscriptionId)).toMatchObject({ status: 'active' });
  });

  it('a later upgrade with a good card is invoiced and applied; the old failure arriving late changes nothing', async () => {
    const billing = server();
    const { customer, subscriptionId } = await declinedUpgrade(billing);
    const [declined] = (
      await billing.stripe.events.list({ type: 'invoice.payment_failed', limit: 100 })
    ).data.filter(
      (event) =>
        (event.data.object as Stripe.Invoice).parent?.subscription_details?.subscription === subscriptionId,
    );
    if (!declined) throw new Error('no invoice.payment_failed for the upgrade');

    await customer.portal({ action: 'update_card', cardNumber: CARDS.success });
    await customer.portal({ action: 'switch', priceId: billing.emulator.prices.PRO });
    await settled(customer);
    expect(await customer.overview()).toMatchObject({
      plan: 'PRO',
      status: 'active',
      usage: { limit: 1000 },
    });
    const invoices = await invoicesOf(billing, subscriptionId);
    expect(invoices.map(({ reason, status }) => [reason, status])).toEqual([
      ['subscription_update', 'paid'],
      ['subscription_update', 'void'],
      ['subscription_create', 'paid'],
    ]);
    // PRO − BASIC for (nearly) the whole period.
    expect(invoices[0]?.paid).toBeGreaterThan(2900);
    expect(invoices[0]?.paid).toBeLessThanOrEqual(3000);

    // A delivery of the old failure that Tollgate never saw (another event id): the upgrade paid since stands.
    const late = eventOf('invoice.payment_failed', declined.data.object, { created: declined.created });
    expect((await sendWebhook(billing, late)).status).toBe(200);
    await settled(customer);
    await expectUpgradeKept(billing, customer, subscriptionId);
  });
});

describe('a declined portal upgrade, whatever the delivery', () => {
  it('leaves the same stored state in order and duplicated/shuffled', async () => {
    const states = [];
    for (const billing of [inOrder, chaotic]) {
      const { customer } = await declinedUpgrade(billing);
      await customer.runs(3, 'same-state');
      states.push(await customer.storedState());
    }
    expect(states[1]).toEqual(states[0]);
    expect(states[0]).toMatchObject({ plan: 'BASIC', status: 'active', isPastDue: false });
  });
});

describe('rolling back at Stripe', () => {
  it('a Stripe failure midway answers 500; the redelivery finishes it, and the account never has PRO', async () => {
    const billing = inOrder;
    const customer = await Customer.signUp(billing);
    await customer.checkout('BASIC', CARDS.failsLater);
    const subscriptionId = await subscriptionIdOf(billing, customer);
    billing.emulator.faults.set({
      method: 'POST',
      path: '/v1/invoices/:id/void',
      status: 500,
      shouldRetry: false,
    });
    try {
      await customer.portal({ action: 'switch', priceId: billing.emulator.prices.PRO });
      // The price went back first; the void failed, so every delivery of the failure answered 500.
      expect(await priceAndStatus(billing, subscriptionId)).toEqual({
        price: billing.emulator.prices.BASIC,
        status: 'past_due',
      });
      expect((await customer.overview()).usage.limit).toBe(100);
    } finally {
      billing.emulator.faults.clear();
    }
    const [failed] = (await billing.stripe.events.list({ type: 'invoice.payment_failed', limit: 1 })).data;
    const payload: unknown = JSON.parse(JSON.stringify(failed));
    expect(await sendWebhook(billing, payload)).toMatchObject({ status: 200, body: { status: 'processed' } });
    await settled(customer);
    expect(await priceAndStatus(billing, subscriptionId)).toEqual({
      price: billing.emulator.prices.BASIC,
      status: 'active',
    });
    expect((await invoicesOf(billing, subscriptionId))[0]).toMatchObject({ status: 'void' });
    expect(await customer.overview()).toMatchObject({ plan: 'BASIC', status: 'active', graceEndsAt: null });
  });

  it('an upgrade invoice paid after its price was switched back (a race) keeps the upgrade', async () => {
    const billing = inOrder;
    const { customer, subscriptionId } = await upgradeDeclinedUnseen(billing);
    // Tollgate's first step happened (the price is back on BASIC), then the customer paid the invoice.
    const subscription = await billing.stripe.subscriptions.retrieve(subscriptionId);
    await billing.stripe.subscriptions.update(subscriptionId, {
      items: [{ id: subscription.items.data[0]?.id ?? '', price: billing.emulator.prices.BASIC }],
      proration_behavior: 'none',
    });
    const [upgrade] = (await billing.stripe.invoices.list({ subscription: subscriptionId, limit: 1 })).data;
    await billing.stripe.invoices.pay(upgrade?.id ?? '', { payment_method: 'pm_card_visa' });
    await settled(customer);
    await expectUpgradeKept(billing, customer, subscriptionId);
  });

  it('an upgrade invoice an operator voided to let the upgrade through: the late failure leaves PRO', async () => {
    const billing = inOrder;
    const { customer, subscriptionId } = await upgradeDeclinedUnseen(billing);
    // In the dashboard, before Tollgate saw the failure: the upgrade is a gift.
    const [upgrade] = (await billing.stripe.invoices.list({ subscription: subscriptionId, limit: 1 })).data;
    await billing.stripe.invoices.voidInvoice(upgrade?.id ?? '');
    await settled(customer);
    await expectUpgradeKept(billing, customer, subscriptionId);
  });

  it('a declined seat change (same price, more seats) is not rolled back: its invoice stays open for retries', async () => {
    const billing = inOrder;
    const customer = await Customer.signUp(billing);
    await customer.checkout('BASIC', CARDS.failsLater);
    const subscriptionId = await subscriptionIdOf(billing, customer);
    const subscription = await billing.stripe.subscriptions.retrieve(subscriptionId);
    await billing.stripe.subscriptions.update(subscriptionId, {
      items: [{ id: subscription.items.data[0]?.id ?? '', quantity: 2 }],
      proration_behavior: 'always_invoice',
    });
    await settled(customer);
    expect((await invoicesOf(billing, subscriptionId))[0]).toMatchObject({
      reason: 'subscription_update',
      status: 'open',
    });
    const after = await billing.stripe.subscriptions.retrieve(subscriptionId);
    expect(after).toMatchObject({ status: 'past_due' });
    expect(after.items.data[0]?.quantity).toBe(2);
    expect(await customer.overview()).toMatchObject({ plan: 'BASIC', status: 'past_due' });
  });
});
