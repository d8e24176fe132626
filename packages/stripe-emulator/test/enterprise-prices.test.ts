import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DAY, periodOf, startHarness } from './support/harness';
import type { Harness } from './support/harness';
import { enterpriseCustomer, enterprisePrice, settled } from './support/enterprise';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  await settled(h);
});

describe('custom ENTERPRISE prices', () => {
  it('are created with product, amount, interval, nickname and metadata, and retrieved as such', async () => {
    const product = await h.stripe.products.create({ name: 'Enterprise (Globex)' });
    const price = await h.stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount_decimal: Stripe.Decimal.from('990000'),
      recurring: { interval: 'year' },
      nickname: 'Globex yearly',
      metadata: { plan: 'ENTERPRISE' },
    });
    const expected = {
      product: product.id,
      unit_amount: 990_000,
      type: 'recurring',
      recurring: { interval: 'year', interval_count: 1, usage_type: 'licensed' },
      nickname: 'Globex yearly',
      metadata: { plan: 'ENTERPRISE' },
      active: true,
    };
    expect(price).toMatchObject(expected);
    expect(await h.stripe.prices.retrieve(price.id)).toMatchObject(expected);
    expect(String(price.unit_amount_decimal)).toBe('990000');
  });

  it('bill a yearly subscription a year later, with the price on the renewal line', async () => {
    const customer = await enterpriseCustomer(h, '4242 4242 4242 4242');
    const price = await enterprisePrice(h, { unitAmount: 990_000, interval: 'year' });
    const subscription = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
    });
    const { start, end } = periodOf(subscription);
    expect(end - start).toBeGreaterThanOrEqual(365 * DAY);

    await h.emulator.clock.advance(end - start + 60);

    const [renewal] = (await h.stripe.invoices.list({ subscription: subscription.id, limit: 1 })).data;
    expect(renewal).toMatchObject({
      billing_reason: 'subscription_cycle',
      status: 'paid',
      amount_paid: 990_000,
    });
    expect(renewal?.lines.data[0]).toMatchObject({
      amount: 990_000,
      pricing: { price_details: { price: price.id } },
    });
  });

  it('can replace a catalog price on an existing subscription, billed from the next renewal', async () => {
    const customer = await enterpriseCustomer(h, '4242 4242 4242 4242');
    const subscription = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: h.emulator.prices.BASIC }],
    });
    const price = await enterprisePrice(h, { unitAmount: 300_000, interval: 'month' });
    const item = subscription.items.data[0];

    const updated = await h.stripe.subscriptions.update(subscription.id, {
      items: [{ id: item?.id, price: price.id }],
      proration_behavior: 'none',
    });
    expect(updated.items.data[0]?.price.id).toBe(price.id);

    const { start, end } = periodOf(updated);
    await h.emulator.clock.advance(end - start + 60);
    const [renewal] = (await h.stripe.invoices.list({ subscription: subscription.id, limit: 1 })).data;
    expect(renewal).toMatchObject({ amount_paid: 300_000, status: 'paid' });
  });
});
