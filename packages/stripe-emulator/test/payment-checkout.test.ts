import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { alertText, buttonLabels, openPage, submitForm, textOf } from './support/browser';
import { APP, startHarness } from './support/harness';
import type { Harness } from './support/harness';
import {
  createPackSession,
  drainedPaymentEvents,
  payOnPage,
  paymentOf,
  quietCustomer,
} from './support/payments';

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

const newCustomer = (email?: string): Promise<Stripe.Customer> => quietCustomer(h, email);
const drainedTypes = (): Promise<string[]> => drainedPaymentEvents(h);

describe('a payment-mode session', () => {
  it('is open and unpaid, has no PaymentIntent yet and turns price_data into a one-time price', async () => {
    const customer = await newCustomer();
    const session = await createPackSession(h, { customer: customer.id });
    expect(session).toMatchObject({
      object: 'checkout.session',
      mode: 'payment',
      status: 'open',
      payment_status: 'unpaid',
      amount_subtotal: 1000,
      amount_total: 1000,
      currency: 'usd',
      customer: customer.id,
      client_reference_id: 'acct_1',
      metadata: { accountId: 'acct_1', packId: 'PACK_100' },
      payment_intent: null,
      subscription: null,
      payment_method_types: ['card', 'us_bank_account'],
      url: `${h.emulator.url}/checkout/${session.id}`,
    });
    const lineItems = await h.stripe.checkout.sessions.listLineItems(session.id, {
      expand: ['data.price.product'],
    });
    const [line] = lineItems.data;
    expect(line).toMatchObject({ quantity: 1, amount_total: 1000, currency: 'usd' });
    expect(line?.price).toMatchObject({
      type: 'one_time',
      unit_amount: 1000,
      recurring: null,
      active: false,
    });
    expect(line?.price?.product).toMatchObject({ object: 'product', name: '100 runs' });
    // ad-hoc prices stay out of the catalog
    const active = await h.stripe.prices.list({ active: true, limit: 100 });
    expect(active.data.map((price) => price.id)).not.toContain(line?.price?.id);
  });

  it('accepts an existing one-time price with a quantity, and refuses recurring prices and subscription_data', async () => {
    const price = await h.stripe.prices.create({
      currency: 'usd',
      unit_amount: 8000,
      product_data: { name: '1,000 runs' },
    });
    expect(price).toMatchObject({ type: 'one_time', active: true, recurring: null });
    const session = await h.stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: price.id, quantity: 2 }],
      success_url: `${APP}/ok`,
    });
    expect(session).toMatchObject({ amount_total: 16_000, customer: null, customer_creation: 'if_required' });

    await expect(
      h.stripe.checkout.sessions.create({
        mode: 'payment',
        line_items: [{ price: h.emulator.prices.BASIC, quantity: 1 }],
        success_url: `${APP}/ok`,
      }),
    ).rejects.toMatchObject({ statusCode: 400, message: expect.stringContaining('recurring price') });
    await expect(
      h.stripe.checkout.sessions.create({
        mode: 'payment',
        line_items: [{ price: price.id }],
        subscription_data: { metadata: { a: 'b' } },
        success_url: `${APP}/ok`,
      }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'subscription_data' });
    await expect(
      h.stripe.checkout.sessions.create({
        mode: 'subscription',
        line_items: [{ price: h.emulator.prices.BASIC }],
        payment_intent_data: { metadata: { a: 'b' } },
        success_url: `${APP}/ok`,
      }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'payment_intent_data' });
    await expect(
      h.stripe.checkout.sessions.create({
        mode: 'payment',
        line_items: [{ price_data: { currency: 'usd', unit_amount: 10, product_data: { name: 'tiny' } } }],
        success_url: `${APP}/ok`,
      }),
    ).rejects.toMatchObject({ statusCode: 400, code: 'amount_too_small' });
  });
});

describe('paying with 4242 on the hosted page', () => {
  it('creates a succeeded PaymentIntent and charge, completes the session and emits Stripe’s events in order', async () => {
    const customer = await newCustomer();
    const session = await createPackSession(h, { customer: customer.id });

    const page = await openPage(session.url ?? '');
    expect(textOf(page.html)).toContain('Pay for 100 runs');
    expect(textOf(page.html)).toContain('$10.00');
    expect(buttonLabels(page)).toEqual(['Pay', 'Use test bank account (delayed)', 'Cancel']);
    const result = await submitForm(page, 'Pay', { 'Card number': '4242 4242 4242 4242' });
    expect(result).toMatchObject({
      status: 303,
      location: `${APP}/billing/packs/success?session_id=${session.id}`,
    });

    const { session: paid, intent, charge } = await paymentOf(h, session.id);
    expect(paid).toMatchObject({
      status: 'complete',
      payment_status: 'paid',
      customer: customer.id,
      payment_intent: intent.id,
      url: null,
      customer_details: { email: 'buyer@example.com' },
    });
    expect(intent).toMatchObject({
      object: 'payment_intent',
      status: 'succeeded',
      amount: 1000,
      amount_received: 1000,
      currency: 'usd',
      customer: customer.id,
      metadata: { accountId: 'acct_1', packId: 'PACK_100' },
      latest_charge: charge.id,
      last_payment_error: null,
      payment_details: { order_reference: session.id },
    });
    expect(intent.id).toMatch(/^pi_/);
    expect(intent.client_secret).toMatch(new RegExp(`^${intent.id}_secret_`));
    expect(charge).toMatchObject({
      object: 'charge',
      status: 'succeeded',
      paid: true,
      captured: true,
      amount: 1000,
      amount_captured: 1000,
      amount_refunded: 0,
      refunded: false,
      payment_intent: intent.id,
      customer: customer.id,
      metadata: { accountId: 'acct_1', packId: 'PACK_100' },
      payment_method: intent.payment_method,
      payment_method_details: { type: 'card', card: { brand: 'visa', last4: '4242' } },
    });
    const charges = await h.stripe.charges.list({ payment_intent: intent.id });
    expect(charges.data.map((entry) => entry.id)).toEqual([charge.id]);
    const bySession = await h.stripe.checkout.sessions.list({ payment_intent: intent.id });
    expect(bySession.data.map((entry) => entry.id)).toEqual([session.id]);
    const receipt = await openPage(charge.receipt_url ?? '');
    expect(textOf(receipt.html)).toContain('$10.00');

    expect(await drainedTypes()).toEqual([
      'payment_intent.created',
      'charge.succeeded',
      'payment_intent.succeeded',
      'checkout.session.completed',
    ]);
    const [completed] = h.receiver.ofType('checkout.session.completed');
    expect(completed?.data.object).toMatchObject({
      id: session.id,
      mode: 'payment',
      payment_status: 'paid',
      payment_intent: intent.id,
      client_reference_id: 'acct_1',
      metadata: { packId: 'PACK_100' },
    });
    const [created] = h.receiver.ofType('payment_intent.created');
    expect(created?.data.object).toMatchObject({ status: 'requires_payment_method', latest_charge: null });
    const [succeeded] = h.receiver.ofType('charge.succeeded');
    expect(succeeded?.data.object).toMatchObject({ id: charge.id, paid: true, amount_captured: 1000 });
  });

  it('creates no customer for a guest by default, and one with customer_creation=always', async () => {
    const guest = await createPackSession(h, { customerEmail: 'guest@example.com' });
    expect((await payOnPage(guest)).status).toBe(303);
    const guestPayment = await paymentOf(h, guest.id);
    expect(guestPayment.session).toMatchObject({
      customer: null,
      customer_details: { email: 'guest@example.com' },
    });
    expect(guestPayment.intent.customer).toBeNull();
    expect(await drainedTypes()).not.toContain('customer.created');

    h.receiver.clear();
    const always = await createPackSession(h, {
      customerEmail: 'new@example.com',
      customerCreation: 'always',
    });
    expect((await payOnPage(always)).status).toBe(303);
    const { session, intent, charge } = await paymentOf(h, always.id);
    expect(session.customer).toMatch(/^cus_/);
    expect(intent.customer).toBe(session.customer);
    expect(charge.customer).toBe(session.customer);
    await h.emulator.webhooks.drain();
    expect(h.receiver.events.map((event) => event.type)).toEqual([
      'customer.created',
      'payment_intent.created',
      'charge.succeeded',
      'payment_intent.succeeded',
      'checkout.session.completed',
    ]);
    expect(h.receiver.ofType('customer.created')[0]?.data.object.email).toBe('new@example.com');
  });

  it('creates that customer once, even when the first attempt is declined', async () => {
    const session = await createPackSession(h, {
      customerEmail: 'retry@example.com',
      customerCreation: 'always',
    });
    expect((await payOnPage(session, '4000 0000 0000 0002')).status).toBe(402);
    expect((await payOnPage(session)).status).toBe(303);
    const { intent } = await paymentOf(h, session.id);
    await h.emulator.webhooks.drain();
    const created = h.receiver.ofType('customer.created').map((event) => event.data.object.id);
    expect(created).toEqual([intent.customer]);
    expect((await h.stripe.checkout.sessions.retrieve(session.id)).customer).toBe(intent.customer);
  });
});

describe('a declined card', () => {
  it.each([
    ['4000 0000 0000 0002', 'Your card was declined.', 'generic_decline'],
    ['4000 0000 0000 9995', 'Your card has insufficient funds.', 'insufficient_funds'],
  ])(
    '%s shows "%s", leaves the session open and emits payment_intent.payment_failed',
    async (card, message, declineCode) => {
      const customer = await newCustomer();
      const session = await createPackSession(h, { customer: customer.id });
      const result = await payOnPage(session, card);
      expect(result.status).toBe(402);
      expect(result.page && alertText(result.page)).toBe(message);

      const { session: open, intent, charge } = await paymentOf(h, session.id);
      expect(open).toMatchObject({ status: 'open', payment_status: 'unpaid', payment_intent: intent.id });
      expect(intent).toMatchObject({
        status: 'requires_payment_method',
        amount_received: 0,
        latest_charge: charge.id,
        last_payment_error: {
          type: 'card_error',
          code: 'card_declined',
          decline_code: declineCode,
          message,
          charge: charge.id,
          payment_method: { object: 'payment_method', type: 'card' },
        },
      });
      expect(charge).toMatchObject({
        status: 'failed',
        paid: false,
        captured: false,
        amount_captured: 0,
        failure_code: 'card_declined',
        failure_message: message,
        outcome: { type: 'issuer_declined', reason: declineCode },
      });
      expect(await drainedTypes()).toEqual([
        'payment_intent.created',
        'charge.failed',
        'payment_intent.payment_failed',
      ]);
      expect(
        h.receiver.ofType('payment_intent.payment_failed')[0]?.data.object.last_payment_error,
      ).toMatchObject({
        decline_code: declineCode,
      });

      // paying again reuses the PaymentIntent
      h.receiver.clear();
      expect((await payOnPage(session)).status).toBe(303);
      const retried = await paymentOf(h, session.id);
      expect(retried.intent).toMatchObject({ id: intent.id, status: 'succeeded', last_payment_error: null });
      expect((await h.stripe.charges.list({ payment_intent: intent.id })).data).toHaveLength(2);
      expect(await drainedTypes()).toEqual([
        'charge.succeeded',
        'payment_intent.succeeded',
        'checkout.session.completed',
      ]);
    },
  );

  it('a mistyped number is refused on the page before any PaymentIntent exists', async () => {
    const session = await createPackSession(h, { customer: (await newCustomer()).id });
    const result = await payOnPage(session, '4242 4242 4242 4241');
    expect(result.page && alertText(result.page)).toBe('Your card number is incorrect.');
    expect((await h.stripe.checkout.sessions.retrieve(session.id)).payment_intent).toBeNull();
    expect(await drainedTypes()).toEqual([]);
  });

  it('expiring the session cancels its unpaid PaymentIntent', async () => {
    const session = await createPackSession(h, { customer: (await newCustomer()).id });
    await payOnPage(session, '4000 0000 0000 0002');
    await h.stripe.checkout.sessions.expire(session.id);
    const intent = await h.stripe.paymentIntents.retrieve(
      String((await h.stripe.checkout.sessions.retrieve(session.id)).payment_intent),
    );
    expect(intent.status).toBe('canceled');
    expect(await drainedTypes()).toEqual([
      'payment_intent.created',
      'charge.failed',
      'payment_intent.payment_failed',
      'checkout.session.expired',
      'payment_intent.canceled',
    ]);
  });
});
