import { readFileSync } from 'node:fs';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness } from './support/harness';
import type { Harness } from './support/harness';
import { createPackSession, paidPack, payOnPage } from './support/payments';

/**
 * Real payloads are the reference for one-time payments too (see test/fixtures/README.md for where
 * each comes from): every field they carry must be in what the emulator emits, except the ones listed
 * here, which Stripe only sends in situations the emulator doesn't have.
 */
const ONLY_IN_SOME_PAYMENTS: Record<string, string[]> = {
  // presentment_details: only when Adaptive Pricing charged the customer in another currency
  payment_intent: ['presentment_details'],
};

function fixture<T>(path: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${path}`, import.meta.url), 'utf8')) as T;
}

function missingKeys(reference: object, ours: object, objectType = ''): string[] {
  const exempt = ONLY_IN_SOME_PAYMENTS[objectType] ?? [];
  return Object.keys(reference).filter((key) => !(key in ours) && !exempt.includes(key));
}

let h: Harness;
let events: Stripe.Event[];

beforeAll(async () => {
  h = await startHarness();
  const { charge } = await paidPack(h);
  await h.stripe.refunds.create({ charge: charge.id, amount: 300 });
  const customer = await h.stripe.customers.create({ email: 'declined@example.com' });
  await payOnPage(await createPackSession(h, { customer: customer.id }), '4000 0000 0000 0002');
  await h.emulator.clock.advance(61);
  await h.emulator.webhooks.drain();
  events = h.receiver.events;
});
afterAll(async () => {
  await h.close();
});

function ours(type: string): Stripe.Event {
  const event = events.find((candidate) => candidate.type === type);
  if (!event) throw new Error(`no ${type} event was emitted`);
  return event;
}

describe('one-time payment shapes match real Stripe payloads', () => {
  it('checkout.session.completed in payment mode (clover)', () => {
    const reference = fixture<Stripe.Event>('clover-2025-12-15/checkout.session.completed.payment.json');
    const emitted = ours('checkout.session.completed');
    expect(missingKeys(reference, emitted)).toEqual([]);
    expect(missingKeys(reference.data.object, emitted.data.object)).toEqual([]);
    expect(emitted.data.object).toMatchObject({
      mode: 'payment',
      customer_creation: null,
      invoice_creation: { enabled: false },
      payment_method_collection: 'if_required',
      collected_information: { business_name: null, individual_name: null, shipping_details: null },
    });
  });

  it('charge.succeeded (basil)', () => {
    const reference = fixture<Stripe.Event>('basil/charge.succeeded.json');
    const emitted = ours('charge.succeeded');
    expect(missingKeys(reference, emitted)).toEqual([]);
    const referenceCharge = reference.data.object as Stripe.Charge;
    const charge = emitted.data.object as Stripe.Charge;
    expect(missingKeys(referenceCharge, charge, 'charge')).toEqual([]);
    expect(missingKeys(referenceCharge.outcome ?? {}, charge.outcome ?? {})).toEqual([]);
    expect(
      missingKeys(
        referenceCharge.payment_method_details?.card ?? {},
        charge.payment_method_details?.card ?? {},
      ),
    ).toEqual([]);
    expect(charge.balance_transaction).toBeNull();
  });

  it('charge.refunded carries the same charge shape', () => {
    const reference = fixture<Stripe.Event>('basil/charge.succeeded.json').data.object;
    expect(missingKeys(reference, ours('charge.refunded').data.object, 'charge')).toEqual([]);
  });

  it('payment_intent.payment_failed and its last_payment_error (2026)', () => {
    const reference = fixture<Stripe.Event.Data>('recorded-2026/payment_intent.payment_failed.data-only.json')
      .object as Stripe.PaymentIntent;
    const intent = ours('payment_intent.payment_failed').data.object as Stripe.PaymentIntent;
    expect(missingKeys(reference, intent, 'payment_intent')).toEqual([]);
    expect(missingKeys(reference.last_payment_error ?? {}, intent.last_payment_error ?? {})).toEqual([]);
    expect(intent.last_payment_error).toMatchObject({
      type: 'card_error',
      code: 'card_declined',
      decline_code: 'generic_decline',
      message: 'Your card was declined.',
      doc_url: 'https://stripe.com/docs/error-codes/card-declined',
    });
  });

  it('payment_intent.succeeded of a Checkout Session (2026)', () => {
    const reference = fixture<Stripe.PaymentIntent>(
      'recorded-2026/payment_intent.succeeded.checkout.object-only.json',
    );
    const intent = ours('payment_intent.succeeded').data.object as Stripe.PaymentIntent;
    expect(missingKeys(reference, intent, 'payment_intent')).toEqual([]);
    expect(intent.payment_details?.order_reference).toMatch(/^cs_test_/);
  });

  it('refund.created (API reference object)', () => {
    const reference = fixture<Stripe.Refund>('api-reference/refund.json');
    const refund = ours('refund.created').data.object as Stripe.Refund;
    expect(missingKeys(reference, refund)).toEqual([]);
    expect(refund).not.toHaveProperty('livemode');
  });

  it('charge.refund.updated reports the reference number with the recorded previous_attributes', () => {
    const reference = fixture<Stripe.Event>(
      'legacy-2020-08-27/charge.refund.updated.reference-available.json',
    );
    const emitted = ours('charge.refund.updated');
    expect(missingKeys(reference.data.object, emitted.data.object)).toEqual([]);
    expect(emitted.data.previous_attributes).toEqual(reference.data.previous_attributes);
  });
});
