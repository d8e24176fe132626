import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness } from './support/harness';
import type { Harness } from './support/harness';
import {
  drainedEventTypes,
  drainedEventTypesOf,
  enterpriseCustomer,
  enterprisePrice,
  invoiceIdOf,
  settled,
} from './support/enterprise';
import { rejectionOf } from './support/off-session';

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

describe('POST /v1/subscriptions, charge_automatically', () => {
  it('charges the first invoice with the customer’s default card: active, paid, events in order', async () => {
    const customer = await enterpriseCustomer(h, '4242 4242 4242 4242');
    const price = await enterprisePrice(h, { unitAmount: 250_000 });
    await settled(h);

    const subscription = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id, quantity: 2 }],
      metadata: { accountId: 'acct_acme' },
      description: 'Acme enterprise deal',
      expand: ['latest_invoice'],
    });

    expect(subscription).toMatchObject({
      status: 'active',
      customer: customer.id,
      collection_method: 'charge_automatically',
      days_until_due: null,
      description: 'Acme enterprise deal',
      metadata: { accountId: 'acct_acme' },
      items: { data: [{ price: { id: price.id }, quantity: 2 }] },
      latest_invoice: {
        status: 'paid',
        billing_reason: 'subscription_create',
        collection_method: 'charge_automatically',
        amount_paid: 500_000,
        due_date: null,
        parent: { subscription_details: { subscription: subscription.id } },
      },
    });
    expect(await drainedEventTypes(h)).toEqual([
      'customer.subscription.created',
      'invoice.created',
      'invoice.finalized',
      'invoice.paid',
      'invoice.payment_succeeded',
      'customer.subscription.updated',
    ]);
    const [created] = h.receiver.ofType('customer.subscription.created');
    expect(created?.data.object).toMatchObject({
      status: 'incomplete',
      latest_invoice: invoiceIdOf(subscription),
    });
    const [updated] = h.receiver.ofType('customer.subscription.updated');
    expect(updated?.data.object.status).toBe('active');
    expect(updated?.data.previous_attributes).toEqual({ status: 'incomplete' });
  });

  it('a declined card leaves it incomplete with an open invoice (allow_incomplete, the default)', async () => {
    const customer = await enterpriseCustomer(h, '4000 0000 0000 0002');
    const price = await enterprisePrice(h);
    await settled(h);

    const subscription = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
    });

    expect(subscription.status).toBe('incomplete');
    const invoice = await h.stripe.invoices.retrieve(invoiceIdOf(subscription));
    expect(invoice).toMatchObject({
      status: 'open',
      attempted: true,
      attempt_count: 1,
      next_payment_attempt: null,
    });
    expect(await drainedEventTypes(h)).toEqual([
      'customer.subscription.created',
      'invoice.created',
      'invoice.finalized',
      'invoice.payment_failed',
    ]);
  });

  it('an incomplete subscription becomes active when its first invoice is paid with another card', async () => {
    const customer = await enterpriseCustomer(h, '4000 0000 0000 0002');
    const price = await enterprisePrice(h);
    const subscription = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
    });
    await settled(h);

    const invoice = await h.stripe.invoices.pay(invoiceIdOf(subscription), {
      payment_method: 'pm_card_visa',
    });

    expect(invoice.status).toBe('paid');
    expect((await h.stripe.subscriptions.retrieve(subscription.id)).status).toBe('active');
    expect(await drainedEventTypes(h)).toEqual([
      'invoice.paid',
      'invoice.payment_succeeded',
      'customer.subscription.updated',
    ]);
  });

  it('error_if_incomplete: a decline is a 402 card error and creates nothing', async () => {
    const customer = await enterpriseCustomer(h, '4000 0000 0000 9995');
    const price = await enterprisePrice(h);
    await settled(h);

    const error = await rejectionOf(
      h.stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: price.id }],
        payment_behavior: 'error_if_incomplete',
      }),
    );

    expect(error).toMatchObject({
      statusCode: 402,
      type: 'StripeCardError',
      code: 'card_declined',
      decline_code: 'insufficient_funds',
    });
    expect((await h.stripe.subscriptions.list({ customer: customer.id, status: 'all' })).data).toEqual([]);
    expect((await h.stripe.invoices.list({ customer: customer.id })).data).toEqual([]);
    expect(await drainedEventTypes(h)).toEqual([]);
  });

  it('default_incomplete: incomplete without charging, until the invoice is paid', async () => {
    const customer = await enterpriseCustomer(h, '4242 4242 4242 4242');
    const price = await enterprisePrice(h);
    await settled(h);

    const subscription = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      payment_behavior: 'default_incomplete',
    });

    expect(subscription.status).toBe('incomplete');
    const invoice = await h.stripe.invoices.retrieve(invoiceIdOf(subscription));
    expect(invoice).toMatchObject({ status: 'open', attempted: false, attempt_count: 0 });
    expect(await drainedEventTypes(h)).toEqual([
      'customer.subscription.created',
      'invoice.created',
      'invoice.finalized',
    ]);
  });

  it('no card at all is refused like Stripe, unless default_incomplete', async () => {
    const customer = await enterpriseCustomer(h);
    const price = await enterprisePrice(h);
    const error = await rejectionOf(
      h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] }),
    );
    expect(error).toMatchObject({
      statusCode: 400,
      type: 'StripeInvalidRequestError',
      code: 'resource_missing',
    });
    expect(error.message).toContain('no attached payment source or default payment method');

    const waiting = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      payment_behavior: 'default_incomplete',
    });
    expect(waiting.status).toBe('incomplete');
  });

  it('default_payment_method is charged instead of the customer’s default card', async () => {
    const customer = await enterpriseCustomer(h, '4000 0000 0000 0002');
    const good = h.emulator.customers.setDefaultCard(customer.id, '4242 4242 4242 4242');
    h.emulator.customers.setDefaultCard(customer.id, '4000 0000 0000 0002');
    const price = await enterprisePrice(h);

    const subscription = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      default_payment_method: good,
    });

    expect(subscription).toMatchObject({ status: 'active', default_payment_method: good });
  });

  it('an unpaid incomplete subscription expires after 23 hours and its invoice is voided', async () => {
    const customer = await enterpriseCustomer(h, '4000 0000 0000 0002');
    const price = await enterprisePrice(h);
    const subscription = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
    });
    await h.emulator.clock.advance(22 * 3_600);
    expect((await h.stripe.subscriptions.retrieve(subscription.id)).status).toBe('incomplete');
    await settled(h);

    await h.emulator.clock.advance(3_600);

    const expired = await h.stripe.subscriptions.retrieve(subscription.id);
    expect(expired).toMatchObject({
      status: 'incomplete_expired',
      ended_at: subscription.created + 23 * 3_600,
    });
    expect((await h.stripe.invoices.retrieve(invoiceIdOf(subscription))).status).toBe('void');
    expect(await drainedEventTypesOf(h, [subscription.id, invoiceIdOf(subscription)])).toEqual([
      'customer.subscription.updated',
      'invoice.voided',
    ]);
    await h.emulator.clock.advance(40 * 86_400);
    expect((await h.stripe.invoices.list({ subscription: subscription.id })).data).toHaveLength(1);
  });
});
