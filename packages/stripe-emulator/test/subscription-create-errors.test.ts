import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness } from './support/harness';
import type { Harness } from './support/harness';
import { enterpriseCustomer, enterprisePrice } from './support/enterprise';
import { rejectionOf } from './support/off-session';

let h: Harness;
let customer: Stripe.Customer;
let price: Stripe.Price;

beforeAll(async () => {
  h = await startHarness();
  customer = await enterpriseCustomer(h, '4242 4242 4242 4242');
  price = await enterprisePrice(h);
});
afterAll(async () => {
  await h.close();
});

describe('POST /v1/subscriptions refuses what Stripe refuses', () => {
  it.each([
    ['no customer', () => ({ items: [{ price: price.id }] }), 400, 'parameter_missing', 'customer'],
    [
      'an unknown customer',
      () => ({ customer: 'cus_nope', items: [{ price: price.id }] }),
      404,
      'resource_missing',
      'customer',
    ],
    ['no items', () => ({ customer: customer.id }), 400, 'parameter_missing', 'items'],
    [
      'an item without a price',
      () => ({ customer: customer.id, items: [{ quantity: 2 }] }),
      400,
      'parameter_missing',
      'items[0][price]',
    ],
    [
      'an unknown price',
      () => ({ customer: customer.id, items: [{ price: 'price_nope' }] }),
      404,
      'resource_missing',
      'items[0][price]',
    ],
    [
      'send_invoice without days_until_due',
      () => ({ customer: customer.id, items: [{ price: price.id }], collection_method: 'send_invoice' }),
      400,
      'parameter_missing',
      'days_until_due',
    ],
    [
      'days_until_due with charge_automatically',
      () => ({ customer: customer.id, items: [{ price: price.id }], days_until_due: 30 }),
      400,
      'parameter_invalid',
      'days_until_due',
    ],
    [
      'an unknown collection_method',
      () => ({ customer: customer.id, items: [{ price: price.id }], collection_method: 'wire' }),
      400,
      'parameter_invalid',
      'collection_method',
    ],
    [
      'an unknown payment_behavior',
      () => ({
        customer: customer.id,
        items: [{ price: price.id }],
        payment_behavior: 'pending_if_incomplete',
      }),
      400,
      'parameter_invalid',
      'payment_behavior',
    ],
    [
      'an unknown default_payment_method',
      () => ({ customer: customer.id, items: [{ price: price.id }], default_payment_method: 'pm_nope' }),
      400,
      'parameter_invalid',
      'default_payment_method',
    ],
  ])('%s', async (_name, params, status, code, param) => {
    const before = (await h.stripe.subscriptions.list({ status: 'all' })).data.length;
    const error = await rejectionOf(
      h.stripe.subscriptions.create(params() as unknown as Stripe.SubscriptionCreateParams),
    );
    expect(error).toMatchObject({ statusCode: status, type: 'StripeInvalidRequestError', code, param });
    expect((await h.stripe.subscriptions.list({ status: 'all' })).data).toHaveLength(before);
  });

  it('replays the same Idempotency-Key instead of creating a second subscription', async () => {
    const params = { customer: customer.id, items: [{ price: price.id }] };
    const first = await h.stripe.subscriptions.create(params, { idempotencyKey: 'enterprise-acme-1' });
    const again = await h.stripe.subscriptions.create(params, { idempotencyKey: 'enterprise-acme-1' });
    expect(again.id).toBe(first.id);
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
    const subscriptions = await h.stripe.subscriptions.list({ customer: customer.id });
    expect(subscriptions.data.filter((sub) => sub.id === first.id)).toHaveLength(1);
    expect(subscriptions.data).toHaveLength(1);
  });
});
