import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emulatorControl } from '../src';
import { openPage, submitForm, textOf } from './support/browser';
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

describe('a delayed (bank account) payment', () => {
  it('completes unpaid, then succeeds when the control client resolves it', async () => {
    const control = emulatorControl(h.emulator.url);
    const session = await createPackSession(h, { customer: (await newCustomer()).id });
    const paid = await control.payCheckoutSession(session.id, { delayed: true });
    expect(paid).toMatchObject({
      isComplete: true,
      error: null,
      redirectUrl: `${APP}/billing/packs/success?session_id=${session.id}`,
      session: { status: 'complete', payment_status: 'unpaid' },
      paymentIntent: { status: 'processing' },
    });
    const pending = await paymentOf(h, session.id);
    expect(pending.charge).toMatchObject({
      status: 'pending',
      paid: false,
      payment_method_details: { type: 'us_bank_account', us_bank_account: { last4: '6789' } },
    });
    expect(await drainedTypes()).toEqual([
      'payment_intent.created',
      'charge.pending',
      'payment_intent.processing',
      'checkout.session.completed',
    ]);
    expect(h.receiver.ofType('checkout.session.completed')[0]?.data.object.payment_status).toBe('unpaid');

    h.receiver.clear();
    const resolved = await control.resolveDelayedPayment(session.id, 'succeeded');
    expect(resolved.session).toMatchObject({ status: 'complete', payment_status: 'paid' });
    const { intent, charge } = await paymentOf(h, session.id);
    expect(intent).toMatchObject({ status: 'succeeded', amount_received: 1000 });
    expect(charge).toMatchObject({ status: 'succeeded', paid: true });
    expect(await drainedTypes()).toEqual([
      'charge.succeeded',
      'payment_intent.succeeded',
      'checkout.session.async_payment_succeeded',
    ]);
    expect(h.receiver.ofType('checkout.session.async_payment_succeeded')[0]?.data.object.payment_status).toBe(
      'paid',
    );
    await expect(control.resolveDelayedPayment(session.id, 'succeeded')).rejects.toThrow(/HTTP 400/);
  });

  it('paid through the hosted page button, it fails when resolved as failed', async () => {
    const session = await createPackSession(h, { customer: (await newCustomer()).id });
    const result = await submitForm(await openPage(session.url ?? ''), 'Use test bank account (delayed)');
    expect(result.status).toBe(303);
    const processing = await openPage(session.url ?? '');
    expect(textOf(processing.html)).toContain('Payment processing');
    await h.emulator.webhooks.drain();
    h.receiver.clear();

    const failed = h.emulator.checkout.resolveDelayedPayment(session.id, 'failed');
    expect(failed.session).toMatchObject({ status: 'complete', payment_status: 'unpaid' });
    const { intent, charge } = await paymentOf(h, session.id);
    expect(intent).toMatchObject({
      status: 'requires_payment_method',
      last_payment_error: { code: 'insufficient_funds' },
    });
    expect(charge).toMatchObject({ status: 'failed', paid: false, failure_code: 'insufficient_funds' });
    expect(await drainedTypes()).toEqual([
      'charge.failed',
      'payment_intent.payment_failed',
      'checkout.session.async_payment_failed',
    ]);
  });
});

describe('the control API', () => {
  it('pays with a card (default 4242), reports declines as results and rejects unknown sessions', async () => {
    const control = emulatorControl(h.emulator.url);
    const declinedSession = await createPackSession(h, { customer: (await newCustomer()).id });
    const declined = await control.payCheckoutSession(declinedSession.id, { card: '4000000000000002' });
    expect(declined).toMatchObject({
      isComplete: false,
      error: 'Your card was declined.',
      redirectUrl: null,
      session: { status: 'open' },
      paymentIntent: { status: 'requires_payment_method' },
    });
    const paid = await control.payCheckoutSession(declinedSession.id);
    expect(paid).toMatchObject({ isComplete: true, session: { payment_status: 'paid' } });

    const subscription = await h.stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: (await newCustomer()).id,
      line_items: [{ price: h.emulator.prices.BASIC }],
      success_url: `${APP}/ok`,
    });
    const subscribed = h.emulator.checkout.pay(subscription.id);
    expect(subscribed.session).toMatchObject({
      status: 'complete',
      subscription: expect.stringMatching(/^sub_/),
    });
    await expect(control.payCheckoutSession('cs_test_missing')).rejects.toThrow(/HTTP 404/);
  });
});

describe('webhook fault injection covers payment events', () => {
  it('duplicates and shuffles them like every other event', async () => {
    const customer = await newCustomer();
    h.emulator.webhooks.setMode({ duplicate: true, shuffle: true, seed: 7 });
    try {
      const session = await createPackSession(h, { customer: customer.id });
      await payOnPage(session);
      await h.emulator.webhooks.drain();
      const ids = h.receiver.events.map((event) => event.id);
      expect(ids).toHaveLength(8);
      expect(new Set(ids).size).toBe(4);
      expect(new Set(h.receiver.events.map((event) => event.type))).toEqual(
        new Set([
          'payment_intent.created',
          'charge.succeeded',
          'payment_intent.succeeded',
          'checkout.session.completed',
        ]),
      );
    } finally {
      h.emulator.webhooks.setMode({ duplicate: false, shuffle: false });
    }
  });
});
