import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periodOf, startHarness, subscribeViaCheckout } from './support/harness';
import type { Harness } from './support/harness';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('metered prices billed at renewal', () => {
  it('adds a usage line (meter total × unit_amount_decimal, rounded) next to the licensed line', async () => {
    const meter = await h.stripe.billing.meters.create({
      display_name: 'Overage runs',
      event_name: 'overage_runs',
      default_aggregation: { formula: 'sum' },
      customer_mapping: { type: 'by_id', event_payload_key: 'stripe_customer_id' },
      value_settings: { event_payload_key: 'value' },
    });
    const price = await h.stripe.prices.create({
      currency: 'usd',
      unit_amount_decimal: Stripe.Decimal.from('2.5'),
      product_data: { name: 'Overage run' },
      recurring: { interval: 'month', usage_type: 'metered', meter: meter.id },
    });
    expect(price).toMatchObject({
      unit_amount: null,
      recurring: { usage_type: 'metered', meter: meter.id, interval: 'month' },
    });
    expect(String(price.unit_amount_decimal)).toBe('2.5');

    const { customer, subscriptionId } = await subscribeViaCheckout(h);
    const item = await h.stripe.subscriptionItems.create({ subscription: subscriptionId, price: price.id });
    expect(item.quantity).toBeUndefined();
    const subscription = await h.stripe.subscriptions.retrieve(subscriptionId);
    expect(subscription.items.data.map((it) => it.price.id)).toEqual([h.emulator.prices.BASIC, price.id]);

    for (const [identifier, value] of [
      ['r1', '3'],
      ['r2', '4'],
    ] as const) {
      await h.stripe.billing.meterEvents.create({
        event_name: meter.event_name,
        payload: { stripe_customer_id: customer.id, value },
        identifier,
      });
    }
    const period = periodOf(subscription);
    const now = Math.floor(h.emulator.clock.now().getTime() / 1000);
    // past the period end and the hour the renewal stays a draft (renewal-grace-period.test.ts)
    await h.emulator.clock.advance(period.end - now + 3_600 + 60);

    const invoices = await h.stripe.invoices.list({ subscription: subscriptionId });
    const renewal = invoices.data[0];
    if (!renewal) throw new Error('no renewal invoice');
    expect(renewal.billing_reason).toBe('subscription_cycle');
    const usageLine = renewal.lines.data.find((line) => line.pricing?.price_details?.price === price.id);
    expect(usageLine).toMatchObject({
      quantity: 7,
      amount: 18, // 7 × 2.5¢ = 17.5¢ → 18¢
      period: { start: period.start, end: period.end },
    });
    const licensed = renewal.lines.data.find(
      (line) => line.pricing?.price_details?.price === h.emulator.prices.BASIC,
    );
    expect(licensed).toBeDefined();
    expect(renewal.total).toBe((licensed?.amount ?? 0) + 18);
    expect(renewal.status).toBe('paid');

    await h.emulator.webhooks.drain();
    const paid = h.receiver
      .ofType('invoice.paid')
      .map((event) => event.data.object)
      .find((invoice) => invoice.id === renewal.id);
    expect(paid?.lines.data.some((line) => line.amount === 18 && line.quantity === 7)).toBe(true);

    // the next period starts from zero usage
    const after = await h.stripe.subscriptions.retrieve(subscriptionId);
    expect(after.items.data[1]?.current_period_start).toBe(period.end);
  });

  it('refuses a licensed price as a second item and a quantity on a metered one', async () => {
    const { subscriptionId } = await subscribeViaCheckout(h);
    await expect(
      h.stripe.subscriptionItems.create({ subscription: subscriptionId, price: h.emulator.prices.PRO }),
    ).rejects.toMatchObject({ statusCode: 400 });
  });
});
