import { readFileSync } from 'node:fs';
import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, subscribeViaCheckout } from './support/harness';
import type { Harness } from './support/harness';
import { customerWithCard, paymentsOf, rejectionOf, topUpParams } from './support/off-session';
import { drainedPaymentEvents } from './support/payments';

/** Real objects (test/fixtures/README.md): every key they carry must be in what the emulator sends. */
function fixture<T>(path: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${path}`, import.meta.url), 'utf8')) as T;
}

function missingKeys(reference: object, ours: object): string[] {
  return Object.keys(reference).filter((key) => !(key in ours));
}

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

describe('off-session PaymentIntents charged to the card on file', () => {
  it('an approving card: succeeded, one charge, and the three events in Stripe’s shapes', async () => {
    const { customer } = await customerWithCard(h, '4242 4242 4242 4242');
    const onFile = (await h.stripe.customers.retrieve(customer.id)) as Stripe.Customer;
    const cardId = String(onFile.invoice_settings.default_payment_method);

    const intent = await h.stripe.paymentIntents.create(topUpParams(customer.id, cardId));

    expect(intent).toMatchObject({
      status: 'succeeded',
      amount: 1000,
      amount_received: 1000,
      customer: customer.id,
      payment_method: cardId,
      description: 'Auto top-up: 100 runs',
      metadata: { packId: 'PACK_100', reason: 'auto_top_up' },
      last_payment_error: null,
    });
    const charge = await h.stripe.charges.retrieve(String(intent.latest_charge));
    expect(charge).toMatchObject({
      status: 'succeeded',
      paid: true,
      captured: true,
      amount_captured: 1000,
      customer: customer.id,
      payment_intent: intent.id,
      payment_method: cardId,
      metadata: { packId: 'PACK_100' },
      payment_method_details: { type: 'card', card: { last4: '4242' } },
    });
    expect(await paymentsOf(h, customer.id)).toMatchObject({ intents: [{ id: intent.id }], charges: [{}] });

    expect(await drainedPaymentEvents(h)).toEqual([
      'payment_intent.created',
      'charge.succeeded',
      'payment_intent.succeeded',
    ]);
    const [created] = h.receiver.ofType('payment_intent.created');
    const [succeeded] = h.receiver.ofType('payment_intent.succeeded');
    const [charged] = h.receiver.ofType('charge.succeeded');
    // each event carries the object as it was at that moment
    expect(created?.data.object).toMatchObject({ id: intent.id, status: 'requires_payment_method' });
    expect(succeeded?.data.object).toMatchObject({
      id: intent.id,
      status: 'succeeded',
      latest_charge: charge.id,
    });
    expect(charged?.data.object).toMatchObject({ id: charge.id, status: 'succeeded' });
    const referenceIntent = fixture<object>('openapi/payment_intent.json');
    expect(missingKeys(referenceIntent, succeeded?.data.object ?? {})).toEqual([]);
    const referenceCharge = fixture<Stripe.Event>('basil/charge.succeeded.json').data.object;
    expect(missingKeys(referenceCharge, charged?.data.object ?? {})).toEqual([]);
  });

  it.each([
    ['4000 0000 0000 0002', 'generic_decline', 'Your card was declined.'],
    ['4000 0000 0000 9995', 'insufficient_funds', 'Your card has insufficient funds.'],
    // saved fine at checkout, declined on every later (off-session) charge
    ['4000 0000 0000 0341', 'generic_decline', 'Your card was declined.'],
  ])(
    'card %s: 402 card_error %s with the PaymentIntent, charge.failed and payment_failed',
    async (card, declineCode, message) => {
      const { customer, paymentMethod } = await customerWithCard(h, card);

      const error = await rejectionOf(
        h.stripe.paymentIntents.create(topUpParams(customer.id, paymentMethod)),
      );

      expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
      expect(error).toMatchObject({
        type: 'StripeCardError',
        statusCode: 402,
        code: 'card_declined',
        decline_code: declineCode,
        message,
        doc_url: 'https://stripe.com/docs/error-codes/card-declined',
        raw: { type: 'card_error' },
        payment_method: { id: paymentMethod, customer: customer.id },
        payment_intent: {
          object: 'payment_intent',
          status: 'requires_payment_method',
          customer: customer.id,
          payment_method: null,
          amount_received: 0,
          metadata: { reason: 'auto_top_up' },
          last_payment_error: {
            type: 'card_error',
            code: 'card_declined',
            decline_code: declineCode,
            message,
            payment_method: { id: paymentMethod },
          },
        },
      });
      const intentId = error.payment_intent?.id ?? '';
      expect(error.payment_intent?.latest_charge).toBe(error.charge);
      expect(error.payment_intent?.last_payment_error?.charge).toBe(error.charge);

      // the failed attempt is stored as Stripe keeps it: the PaymentIntent waits for another method
      const stored = await h.stripe.paymentIntents.retrieve(intentId);
      expect(stored).toMatchObject({
        status: 'requires_payment_method',
        last_payment_error: { decline_code: declineCode },
      });
      const charge = await h.stripe.charges.retrieve(String(error.charge));
      expect(charge).toMatchObject({
        status: 'failed',
        paid: false,
        amount_captured: 0,
        failure_code: 'card_declined',
        failure_message: message,
        outcome: { type: 'issuer_declined', reason: declineCode },
        payment_intent: intentId,
      });

      expect(await drainedPaymentEvents(h)).toEqual([
        'payment_intent.created',
        'charge.failed',
        'payment_intent.payment_failed',
      ]);
      const [failed] = h.receiver.ofType('payment_intent.payment_failed');
      expect(failed?.data.object).toMatchObject({
        id: intentId,
        last_payment_error: { decline_code: declineCode },
      });
      const reference = fixture<Stripe.Event.Data>(
        'recorded-2026/payment_intent.payment_failed.data-only.json',
      ).object as Stripe.PaymentIntent;
      const ours = failed?.data.object ?? {};
      expect(missingKeys(reference, ours).filter((key) => key !== 'presentment_details')).toEqual([]);
      expect(
        missingKeys(reference.last_payment_error ?? {}, failed?.data.object.last_payment_error ?? {}),
      ).toEqual([]);
    },
  );

  it('Stripe picks no card by itself: without payment_method the create is refused and creates nothing', async () => {
    const { customer } = await customerWithCard(h, '4242 4242 4242 4242');
    const withoutCard = topUpParams(customer.id, '');
    delete withoutCard.payment_method;

    const error = await rejectionOf(h.stripe.paymentIntents.create(withoutCard));

    expect(error).toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 400,
      code: 'payment_intent_unexpected_state',
    });
    expect(error.message).toBe(
      `You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the PaymentIntent with ${customer.id}, specify a payment method attached to this customer along with the customer ID.`,
    );
    expect(await paymentsOf(h, customer.id)).toEqual({ intents: [], charges: [] });
    expect(await drainedPaymentEvents(h)).toEqual([]);
  });

  it('off_session needs confirm=true; a card that is no one’s or someone else’s is refused before anything exists', async () => {
    const { customer, paymentMethod } = await customerWithCard(h, '4242 4242 4242 4242');
    const unconfirmed = topUpParams(customer.id, paymentMethod);
    delete unconfirmed.confirm;
    expect(await rejectionOf(h.stripe.paymentIntents.create(unconfirmed))).toMatchObject({
      statusCode: 400,
      param: 'off_session',
    });
    const other = await customerWithCard(h, '4242 4242 4242 4242');
    expect(
      await rejectionOf(h.stripe.paymentIntents.create(topUpParams(customer.id, other.paymentMethod))),
    ).toMatchObject({ statusCode: 400, param: 'payment_method' });
    expect(
      await rejectionOf(h.stripe.paymentIntents.create(topUpParams(customer.id, 'pm_doesNotExist'))),
    ).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'payment_method' });
    expect(await paymentsOf(h, customer.id)).toEqual({ intents: [], charges: [] });
    expect(await drainedPaymentEvents(h)).toEqual([]);
  });

  it('off_session "recurring" and "one_off" are off-session too (0341 is declined)', async () => {
    const { customer, paymentMethod } = await customerWithCard(h, '4000 0000 0000 0341');
    for (const offSession of ['recurring', 'one_off'] as const) {
      const error = await rejectionOf(
        h.stripe.paymentIntents.create({
          ...topUpParams(customer.id, paymentMethod),
          off_session: offSession,
        }),
      );
      expect(error).toMatchObject({ statusCode: 402, decline_code: 'generic_decline' });
    }
  });

  it('a subscription Checkout saves the card on the customer and the subscription, not as the customer’s invoice default (as on Stripe)', async () => {
    const { customer, subscriptionId } = await subscribeViaCheckout(h);
    const subscription = await h.stripe.subscriptions.retrieve(subscriptionId);
    const cardId = String(subscription.default_payment_method);
    expect(cardId).toMatch(/^pm_/);
    expect(await h.stripe.paymentMethods.retrieve(cardId)).toMatchObject({
      customer: customer.id,
      type: 'card',
      card: { last4: '4242' },
    });
    const stored = (await h.stripe.customers.retrieve(customer.id)) as Stripe.Customer;
    // Stripe's Checkout leaves this null: an app must fall back to the subscription's card
    expect(stored.invoice_settings.default_payment_method).toBeNull();

    const intent = await h.stripe.paymentIntents.create(topUpParams(customer.id, cardId));
    expect(intent).toMatchObject({ status: 'succeeded', payment_method: cardId });
  });
});
