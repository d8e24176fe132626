import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness } from './support/harness';
import type { Harness } from './support/harness';
import { enterpriseCustomer, enterprisePrice, settled } from './support/enterprise';
import { rejectionOf } from './support/off-session';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

async function activeSubscription() {
  const customer = await enterpriseCustomer(h, '4242 4242 4242 4242');
  const price = await enterprisePrice(h);
  const subscription = await h.stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: price.id }],
  });
  await settled(h);
  return subscription;
}

describe('POST /v1/subscriptions/:id collection settings', () => {
  it('switches to send_invoice with days_until_due (customer.subscription.updated) and back', async () => {
    const subscription = await activeSubscription();

    const invoiced = await h.stripe.subscriptions.update(subscription.id, {
      collection_method: 'send_invoice',
      days_until_due: 45,
    });
    expect(invoiced).toMatchObject({ collection_method: 'send_invoice', days_until_due: 45 });
    await h.emulator.webhooks.drain();
    const [updated] = h.receiver.ofType('customer.subscription.updated');
    expect(updated?.data.previous_attributes).toEqual({
      collection_method: 'charge_automatically',
      days_until_due: null,
    });

    const longer = await h.stripe.subscriptions.update(subscription.id, { days_until_due: 60 });
    expect(longer).toMatchObject({ collection_method: 'send_invoice', days_until_due: 60 });
    const charged = await h.stripe.subscriptions.update(subscription.id, {
      collection_method: 'charge_automatically',
    });
    expect(charged).toMatchObject({ collection_method: 'charge_automatically', days_until_due: null });
  });

  it('refuses send_invoice without days_until_due, and days_until_due when charged automatically', async () => {
    const subscription = await activeSubscription();
    const missing = await rejectionOf(
      h.stripe.subscriptions.update(subscription.id, { collection_method: 'send_invoice' }),
    );
    expect(missing).toMatchObject({ statusCode: 400, code: 'parameter_missing', param: 'days_until_due' });
    const refused = await rejectionOf(h.stripe.subscriptions.update(subscription.id, { days_until_due: 10 }));
    expect(refused).toMatchObject({ statusCode: 400, code: 'parameter_invalid', param: 'days_until_due' });
    expect(await h.stripe.subscriptions.retrieve(subscription.id)).toMatchObject({
      collection_method: 'charge_automatically',
      days_until_due: null,
    });
  });
});

describe('send_invoice needs the customer’s email, as Stripe does', () => {
  it('refuses a subscription billed by invoice for a customer without one (create and update)', async () => {
    const customer = await h.stripe.customers.create({ name: 'No email' });
    const price = await enterprisePrice(h);
    const created = await rejectionOf(
      h.stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: price.id }],
        collection_method: 'send_invoice',
        days_until_due: 30,
      }),
    );
    expect(created).toMatchObject({ type: 'StripeInvalidRequestError', code: 'customer_email_missing' });
    expect(created.message).toMatch(/^Missing email/);

    const subscription = await activeSubscription();
    await h.stripe.customers.update(String(subscription.customer), { email: '' });
    const updated = await rejectionOf(
      h.stripe.subscriptions.update(subscription.id, {
        collection_method: 'send_invoice',
        days_until_due: 30,
      }),
    );
    expect(updated).toMatchObject({ code: 'customer_email_missing' });
    expect((await h.stripe.subscriptions.retrieve(subscription.id)).collection_method).toBe(
      'charge_automatically',
    );
  });
});
