import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DAY, periodOf, startHarness, subscribeViaCheckout } from './support/harness';
import type { Harness } from './support/harness';

const UNIT = 1900;

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  await h.emulator.webhooks.drain();
  h.receiver.clear();
});

async function seatedSubscription(quantity: number) {
  const { subscriptionId, customer } = await subscribeViaCheckout(h, { quantity });
  const subscription = await h.stripe.subscriptions.retrieve(subscriptionId);
  const itemId = subscription.items.data[0]?.id ?? '';
  await h.emulator.webhooks.drain();
  h.receiver.clear();
  return { subscriptionId, customerId: customer.id, itemId, period: periodOf(subscription) };
}

function prorated(quantity: number, at: number, period: { start: number; end: number }): number {
  return Math.round((UNIT * quantity * (period.end - at)) / (period.end - period.start));
}

describe('proration_behavior', () => {
  it('always_invoice bills the prorations on an invoice now and charges it', async () => {
    const { subscriptionId, customerId, itemId, period } = await seatedSubscription(3);
    const at = period.start + 5 * DAY;
    const updated = await h.stripe.subscriptions.update(subscriptionId, {
      items: [{ id: itemId, quantity: 5 }],
      proration_behavior: 'always_invoice',
      proration_date: at,
      expand: ['latest_invoice'],
    });
    const invoice = updated.latest_invoice as Stripe.Invoice;
    const net = prorated(5, at, period) - prorated(3, at, period);
    expect(invoice).toMatchObject({
      billing_reason: 'subscription_update',
      status: 'paid',
      total: net,
      amount_paid: net,
      parent: { subscription_details: { subscription: subscriptionId } },
    });
    expect(invoice.lines.data.map((line) => line.amount)).toEqual([
      -prorated(3, at, period),
      prorated(5, at, period),
    ]);
    expect((await h.stripe.invoiceItems.list({ customer: customerId, pending: true })).data).toEqual([]);
    await h.emulator.webhooks.drain();
    expect(h.receiver.events.map((event) => event.type)).toEqual([
      'invoiceitem.created',
      'invoiceitem.created',
      'invoice.created',
      'invoice.finalized',
      'customer.subscription.updated',
      'invoice.paid',
      'invoice.payment_succeeded',
    ]);
    const [changed] = h.receiver.ofType('customer.subscription.updated');
    expect(changed?.data.previous_attributes).toMatchObject({
      latest_invoice: expect.stringMatching(/^in_/),
    });
  });

  it('always_invoice on a downgrade leaves nothing due and credits the next invoice', async () => {
    const { subscriptionId, customerId, itemId, period } = await seatedSubscription(4);
    const at = period.start + 15 * DAY;
    const updated = await h.stripe.subscriptions.update(subscriptionId, {
      items: [{ id: itemId, quantity: 2 }],
      proration_behavior: 'always_invoice',
      proration_date: at,
      expand: ['latest_invoice'],
    });
    const credit = prorated(2, at, period) - prorated(4, at, period);
    expect(updated.latest_invoice).toMatchObject({
      total: credit,
      amount_due: 0,
      status: 'paid',
      ending_balance: credit,
    });
    expect((await h.stripe.customers.retrieve(customerId)) as Stripe.Customer).toMatchObject({
      balance: credit,
    });

    await h.emulator.clock.advance(period.end - Math.floor(h.emulator.clock.now().getTime() / 1000) + 60);
    const renewed = await h.stripe.subscriptions.retrieve(subscriptionId, { expand: ['latest_invoice'] });
    expect(renewed.latest_invoice).toMatchObject({
      billing_reason: 'subscription_cycle',
      total: 2 * UNIT,
      starting_balance: credit,
      amount_due: 2 * UNIT + credit,
      amount_paid: 2 * UNIT + credit,
    });
    expect((await h.stripe.customers.retrieve(customerId)) as Stripe.Customer).toMatchObject({ balance: 0 });
  });

  it('none changes the quantity without proration items; the renewal bills the new quantity', async () => {
    const { subscriptionId, customerId, itemId, period } = await seatedSubscription(3);
    const updated = await h.stripe.subscriptions.update(subscriptionId, {
      items: [{ id: itemId, quantity: 7 }],
      proration_behavior: 'none',
    });
    expect(updated.items.data[0]?.quantity).toBe(7);
    expect((await h.stripe.invoiceItems.list({ customer: customerId })).data).toEqual([]);
    await h.emulator.clock.advance(period.end - Math.floor(h.emulator.clock.now().getTime() / 1000) + 60);
    const renewed = await h.stripe.subscriptions.retrieve(subscriptionId, { expand: ['latest_invoice'] });
    expect((renewed.latest_invoice as Stripe.Invoice).lines.data.map((line) => line.amount)).toEqual([
      7 * UNIT,
    ]);
    await h.emulator.webhooks.drain();
    expect(h.receiver.ofType('invoiceitem.created')).toHaveLength(0);
  });

  it('create_prorations without a proration_date prorates from the moment of the change', async () => {
    const { subscriptionId, customerId, itemId, period } = await seatedSubscription(1);
    await h.emulator.clock.advance(3 * DAY);
    const nowSeconds = () => Math.floor(h.emulator.clock.now().getTime() / 1000);
    const before = nowSeconds();
    await h.stripe.subscriptions.update(subscriptionId, { items: [{ id: itemId, quantity: 2 }] });
    const after = nowSeconds();
    const [charge, credit] = (await h.stripe.invoiceItems.list({ customer: customerId, pending: true })).data;
    const at = credit?.period.start ?? 0;
    // The moment of the change: during the update call, three days (and the setup's time) into the period.
    expect(at).toBeGreaterThanOrEqual(Math.max(before, period.start + 3 * DAY));
    expect(at).toBeLessThanOrEqual(after);
    expect([credit?.amount, charge?.amount]).toEqual([-prorated(1, at, period), prorated(2, at, period)]);
  });
});

describe('repeated and invalid updates', () => {
  it('the same Idempotency-Key twice makes one change and one pair of items', async () => {
    const { subscriptionId, customerId, itemId } = await seatedSubscription(3);
    const params = { items: [{ id: itemId, quantity: 4 }], proration_behavior: 'create_prorations' as const };
    const key = `seats-${subscriptionId}-1`;
    const first = await h.stripe.subscriptions.update(subscriptionId, params, { idempotencyKey: key });
    const second = await h.stripe.subscriptions.update(subscriptionId, params, { idempotencyKey: key });
    expect(second.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(second.items.data[0]?.quantity).toBe(4);
    expect(second.id).toBe(first.id);
    expect((await h.stripe.invoiceItems.list({ customer: customerId })).data).toHaveLength(2);
    await h.emulator.webhooks.drain();
    expect(h.receiver.ofType('customer.subscription.updated')).toHaveLength(1);
    expect(h.receiver.ofType('customer.subscription.updated')[0]?.request?.idempotency_key).toBe(key);
  });

  it('an unchanged quantity makes nothing', async () => {
    const { subscriptionId, customerId, itemId } = await seatedSubscription(3);
    await h.stripe.subscriptions.update(subscriptionId, { items: [{ id: itemId, quantity: 3 }] });
    expect((await h.stripe.invoiceItems.list({ customer: customerId })).data).toEqual([]);
    await h.emulator.webhooks.drain();
    expect(h.receiver.ofType('customer.subscription.updated')).toHaveLength(0);
  });

  it('rejects an unknown proration_behavior and a proration_date outside the period', async () => {
    const { subscriptionId, itemId, period } = await seatedSubscription(3);
    const unknown = h.stripe.subscriptions.update(subscriptionId, {
      items: [{ id: itemId, quantity: 4 }],
      proration_behavior: 'sometimes' as 'none',
    });
    await expect(unknown).rejects.toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    await expect(unknown).rejects.toMatchObject({ param: 'proration_behavior' });
    await expect(
      h.stripe.subscriptions.update(subscriptionId, {
        items: [{ id: itemId, quantity: 4 }],
        proration_date: period.start - DAY,
      }),
    ).rejects.toMatchObject({ param: 'proration_date' });
    expect((await h.stripe.subscriptions.retrieve(subscriptionId)).items.data[0]?.quantity).toBe(3);
  });
});
