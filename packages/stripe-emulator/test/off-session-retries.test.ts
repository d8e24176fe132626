import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emulatorControl } from '../src';
import { startHarness } from './support/harness';
import type { Harness } from './support/harness';
import { customerWithCard, paymentsOf, rejectionOf, topUpParams } from './support/off-session';
import { drainedPaymentEvents } from './support/payments';

let h: Harness;
/** Like a production client: retries 5xx and lost connections with the same idempotency key. */
let retrying: Stripe;

beforeAll(async () => {
  h = await startHarness();
  retrying = new Stripe('sk_test_retrying', {
    host: '127.0.0.1',
    port: h.emulator.port,
    protocol: 'http',
    maxNetworkRetries: 2,
  });
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  h.emulator.faults.clear();
  h.emulator.failures.clear();
  await h.emulator.webhooks.drain();
  h.receiver.clear();
});

const key = (): string => `topup-${Math.random().toString(36).slice(2, 10)}`;

describe('off-session PaymentIntents and Idempotency-Key', () => {
  it('a retried create with the same key returns the same PaymentIntent and charges once', async () => {
    const { customer, paymentMethod } = await customerWithCard(h, '4242 4242 4242 4242');
    const idempotencyKey = key();
    const first = await h.stripe.paymentIntents.create(topUpParams(customer.id, paymentMethod), {
      idempotencyKey,
    });
    const again = await h.stripe.paymentIntents.create(topUpParams(customer.id, paymentMethod), {
      idempotencyKey,
    });

    expect(again.id).toBe(first.id);
    expect(again.latest_charge).toBe(first.latest_charge);
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
    const { intents, charges } = await paymentsOf(h, customer.id);
    expect(intents.map((intent) => intent.id)).toEqual([first.id]);
    expect(charges.map((charge) => charge.id)).toEqual([first.latest_charge]);
    expect(await drainedPaymentEvents(h)).toEqual([
      'payment_intent.created',
      'charge.succeeded',
      'payment_intent.succeeded',
    ]);
  });

  it('a declined create retried with the same key replays the same 402, with no second charge', async () => {
    const { customer, paymentMethod } = await customerWithCard(h, '4000 0000 0000 9995');
    const idempotencyKey = key();
    const call = () =>
      rejectionOf(
        h.stripe.paymentIntents.create(topUpParams(customer.id, paymentMethod), { idempotencyKey }),
      );
    const first = await call();
    const again = await call();

    expect(again).toMatchObject({ statusCode: 402, decline_code: 'insufficient_funds' });
    expect(again.payment_intent?.id).toBe(first.payment_intent?.id);
    expect(again.charge).toBe(first.charge);
    expect((await paymentsOf(h, customer.id)).charges).toHaveLength(1);
    expect(await drainedPaymentEvents(h)).toEqual([
      'payment_intent.created',
      'charge.failed',
      'payment_intent.payment_failed',
    ]);
  });

  it('the same key with another amount is an idempotency_error, and nothing more is charged', async () => {
    const { customer, paymentMethod } = await customerWithCard(h, '4242 4242 4242 4242');
    const idempotencyKey = key();
    await h.stripe.paymentIntents.create(topUpParams(customer.id, paymentMethod), { idempotencyKey });
    const error = await rejectionOf(
      h.stripe.paymentIntents.create(
        { ...topUpParams(customer.id, paymentMethod), amount: 2000 },
        { idempotencyKey },
      ),
    );
    expect(error).toMatchObject({ type: 'StripeIdempotencyError', statusCode: 400 });
    expect((await paymentsOf(h, customer.id)).charges).toHaveLength(1);
  });
});

describe('fault injection on POST /v1/payment_intents', () => {
  it('an injected 500 charges nothing; the retry with the same key then charges once', async () => {
    const { customer, paymentMethod } = await customerWithCard(h, '4242 4242 4242 4242');
    h.emulator.faults.set({
      method: 'POST',
      path: '/v1/payment_intents',
      status: 500,
      times: 1,
      shouldRetry: false,
    });
    const idempotencyKey = key();
    const error = await rejectionOf(
      h.stripe.paymentIntents.create(topUpParams(customer.id, paymentMethod), { idempotencyKey }),
    );
    expect(error).toMatchObject({ type: 'StripeAPIError', statusCode: 500 });
    expect(await paymentsOf(h, customer.id)).toEqual({ intents: [], charges: [] });
    expect(await drainedPaymentEvents(h)).toEqual([]);

    const retried = await h.stripe.paymentIntents.create(topUpParams(customer.id, paymentMethod), {
      idempotencyKey,
    });
    expect(retried.status).toBe('succeeded');
    expect((await paymentsOf(h, customer.id)).charges).toHaveLength(1);
  });

  it('an injected 402 reads as a decline but, unlike a real one, carries no PaymentIntent and creates none', async () => {
    const { customer, paymentMethod } = await customerWithCard(h, '4242 4242 4242 4242');
    h.emulator.faults.set({
      method: 'POST',
      path: '/v1/payment_intents',
      status: 402,
      declineCode: 'insufficient_funds',
      times: 1,
    });
    const error = await rejectionOf(h.stripe.paymentIntents.create(topUpParams(customer.id, paymentMethod)));
    expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(error).toMatchObject({
      statusCode: 402,
      code: 'card_declined',
      decline_code: 'insufficient_funds',
    });
    expect(error.payment_intent).toBeUndefined();
    expect(await paymentsOf(h, customer.id)).toEqual({ intents: [], charges: [] });
  });

  it('a dropped response: the charge happened; the same key then answers it without charging again', async () => {
    const { customer, paymentMethod } = await customerWithCard(h, '4242 4242 4242 4242');
    // two: stripe-node resends once by itself on a reset connection, even with maxNetworkRetries 0
    h.emulator.faults.set({ method: 'POST', path: '/v1/payment_intents', dropResponse: true, times: 2 });
    const idempotencyKey = key();
    const lost = await rejectionOf(
      h.stripe.paymentIntents.create(topUpParams(customer.id, paymentMethod), { idempotencyKey }),
    );
    expect(lost).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    const afterLoss = await paymentsOf(h, customer.id);
    expect(afterLoss.intents).toMatchObject([{ status: 'succeeded' }]);

    const answered = await h.stripe.paymentIntents.create(topUpParams(customer.id, paymentMethod), {
      idempotencyKey,
    });
    expect(answered.id).toBe(afterLoss.intents[0]?.id);
    expect(answered.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect((await paymentsOf(h, customer.id)).charges).toHaveLength(1);
  });

  it('a retrying client gets through a dropped response with one charge (SDK reuses its key)', async () => {
    const { customer, paymentMethod } = await customerWithCard(h, '4242 4242 4242 4242');
    h.emulator.faults.set({ method: 'POST', path: '/v1/payment_intents', dropResponse: true, times: 1 });
    const intent = await retrying.paymentIntents.create(topUpParams(customer.id, paymentMethod));
    expect(intent.status).toBe('succeeded');
    expect(intent.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(h.emulator.faults.list()).toEqual([]);
    expect((await paymentsOf(h, customer.id)).charges).toHaveLength(1);
  });

  it('failNext and a fault set through the HTTP control API apply too', async () => {
    const { customer, paymentMethod } = await customerWithCard(h, '4242 4242 4242 4242');
    const control = emulatorControl(h.emulator.url);
    await control.failNext({ method: 'POST', path: '/v1/payment_intents', status: 503 });
    expect(
      await rejectionOf(h.stripe.paymentIntents.create(topUpParams(customer.id, paymentMethod))),
    ).toMatchObject({ statusCode: 503 });
    await control.setFault({ method: 'POST', path: '/v1/payment_intents', status: 429, times: 1 });
    expect(
      await rejectionOf(h.stripe.paymentIntents.create(topUpParams(customer.id, paymentMethod))),
    ).toMatchObject({ type: 'StripeRateLimitError', statusCode: 429 });
    expect(await paymentsOf(h, customer.id)).toEqual({ intents: [], charges: [] });
    const slow = await control.setFault({ method: 'POST', path: '/v1/payment_intents', latencyMs: 150 });
    const started = Date.now();
    const intent = await h.stripe.paymentIntents.create(topUpParams(customer.id, paymentMethod));
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(intent.status).toBe('succeeded');
    await control.removeFault(slow.id);
  });
});
