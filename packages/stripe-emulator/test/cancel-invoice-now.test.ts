import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meteredPrice, startHarness, subscribeViaCheckout } from './support/harness';
import type { Harness } from './support/harness';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

/** A subscription with a metered item (2.5¢ a unit) and `units` of usage reported a day in. */
async function meteredSubscription(units: number) {
  const { meter, price } = await meteredPrice(h);
  const { customer, subscriptionId } = await subscribeViaCheckout(h);
  await h.stripe.subscriptionItems.create({ subscription: subscriptionId, price: price.id });
  await h.emulator.clock.advance(86_400);
  await h.stripe.billing.meterEvents.create({
    event_name: meter.event_name,
    payload: { stripe_customer_id: customer.id, value: String(units) },
    identifier: `u-${subscriptionId}`,
  });
  return { subscriptionId, priceId: price.id };
}

async function usageBilled(subscriptionId: string, priceId: string) {
  const invoices = await h.stripe.invoices.list({ subscription: subscriptionId, limit: 100 });
  return invoices.data.flatMap((invoice) =>
    invoice.lines.data
      .filter((line) => line.pricing?.price_details?.price === priceId)
      .map((line) => ({ quantity: line.quantity, amount: line.amount, status: invoice.status })),
  );
}

describe('DELETE /v1/subscriptions/:id with invoice_now', () => {
  it('bills the period’s metered usage so far on a final invoice, charged now', async () => {
    const { subscriptionId, priceId } = await meteredSubscription(7);
    const canceled = await h.stripe.subscriptions.cancel(subscriptionId, {
      invoice_now: true,
      prorate: false,
    });
    expect(canceled.status).toBe('canceled');
    expect(await usageBilled(subscriptionId, priceId)).toEqual([{ quantity: 7, amount: 18, status: 'paid' }]);
    // Nothing more later: the subscription never renews.
    await h.emulator.clock.advance(40 * 86_400);
    expect(await usageBilled(subscriptionId, priceId)).toHaveLength(1);
  });

  it('without it (Stripe’s default) the usage is billed nowhere', async () => {
    const { subscriptionId, priceId } = await meteredSubscription(5);
    await h.stripe.subscriptions.cancel(subscriptionId);
    await h.emulator.clock.advance(40 * 86_400);
    expect(await usageBilled(subscriptionId, priceId)).toEqual([]);
  });
});
