import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, subscribeViaCheckout } from './support/harness';
import type { Harness } from './support/harness';
import { createPackSession, paymentEventTypes } from './support/payments';

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

describe('PaymentIntents outside Checkout', () => {
  it('create, then confirm with a test token: a succeeded charge and the card events', async () => {
    const intent = await h.stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      metadata: { packId: 'PACK_100' },
    });
    expect(intent).toMatchObject({ status: 'requires_payment_method', amount: 1000, latest_charge: null });
    const confirmed = await h.stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_visa' });
    expect(confirmed).toMatchObject({ status: 'succeeded', amount_received: 1000 });
    const charge = await h.stripe.charges.retrieve(String(confirmed.latest_charge));
    expect(charge).toMatchObject({
      status: 'succeeded',
      metadata: { packId: 'PACK_100' },
      payment_intent: intent.id,
    });
    await h.emulator.webhooks.drain();
    expect(paymentEventTypes(h)).toEqual([
      'payment_intent.created',
      'charge.succeeded',
      'payment_intent.succeeded',
    ]);
    await expect(h.stripe.paymentIntents.confirm(intent.id)).rejects.toMatchObject({
      code: 'payment_intent_unexpected_state',
    });
  });

  it('a declined confirmation answers 402 with the PaymentIntent, which waits for another method', async () => {
    const error: unknown = await h.stripe.paymentIntents
      .create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_chargeDeclined', confirm: true })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      type: 'StripeCardError',
      statusCode: 402,
      code: 'card_declined',
      decline_code: 'generic_decline',
      payment_intent: { status: 'requires_payment_method', last_payment_error: { code: 'card_declined' } },
    });
    const intentId = (error as { payment_intent: Stripe.PaymentIntent }).payment_intent.id;
    const retried = await h.stripe.paymentIntents.confirm(intentId, { payment_method: 'pm_card_visa' });
    expect(retried.status).toBe('succeeded');
  });

  it('charges a customer’s saved card off-session (4000 0000 0000 0341 is declined then)', async () => {
    const good = await subscribeViaCheckout(h);
    const goodCard = String(
      (await h.stripe.subscriptions.retrieve(good.subscriptionId)).default_payment_method,
    );
    const offSession = await h.stripe.paymentIntents.create({
      amount: 500,
      currency: 'usd',
      customer: good.customer.id,
      payment_method: goodCard,
      off_session: true,
      confirm: true,
    });
    expect(offSession).toMatchObject({ status: 'succeeded', customer: good.customer.id });

    const failing = await subscribeViaCheckout(h, { card: '4000 0000 0000 0341' });
    const failingCard = String(
      (await h.stripe.subscriptions.retrieve(failing.subscriptionId)).default_payment_method,
    );
    await expect(
      h.stripe.paymentIntents.create({
        amount: 500,
        currency: 'usd',
        customer: failing.customer.id,
        payment_method: failingCard,
        off_session: true,
        confirm: true,
      }),
    ).rejects.toMatchObject({ statusCode: 402, code: 'card_declined' });
    // a customer's card can't pay for someone else
    await expect(
      h.stripe.paymentIntents.create({
        amount: 500,
        currency: 'usd',
        customer: failing.customer.id,
        payment_method: goodCard,
        confirm: true,
      }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'payment_method' });
  });

  it('lists by customer, cancels, and leaves Checkout’s PaymentIntents to Checkout', async () => {
    const customer = await h.stripe.customers.create({});
    const intent = await h.stripe.paymentIntents.create({
      amount: 700,
      currency: 'usd',
      customer: customer.id,
    });
    const listed = await h.stripe.paymentIntents.list({ customer: customer.id });
    expect(listed.data.map((entry) => entry.id)).toEqual([intent.id]);
    const canceled = await h.stripe.paymentIntents.cancel(intent.id, { cancellation_reason: 'abandoned' });
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' });

    const session = await createPackSession(h, { customer: customer.id });
    const paid = h.emulator.checkout.pay(session.id, { card: '4000 0000 0000 0002' });
    const checkoutIntent = paid.paymentIntent?.id ?? '';
    await expect(
      h.stripe.paymentIntents.confirm(checkoutIntent, { payment_method: 'pm_card_visa' }),
    ).rejects.toMatchObject({
      code: 'payment_intent_unexpected_state',
    });
    await expect(h.stripe.paymentIntents.cancel(checkoutIntent)).rejects.toMatchObject({
      code: 'payment_intent_unexpected_state',
    });
    await expect(h.stripe.paymentIntents.create({ amount: 20, currency: 'usd' })).rejects.toMatchObject({
      code: 'amount_too_small',
    });
  });
});
