import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emulatorControl } from '../src';
import { startHarness, subscribeViaCheckout } from './support/harness';
import type { Harness } from './support/harness';

let h: Harness;
let retrying: Stripe;

beforeAll(async () => {
  h = await startHarness();
  // Tollgate's client retries (maxNetworkRetries: 2): an injected failure must still reach it once.
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
beforeEach(() => {
  h.emulator.failures.clear();
});

describe('injected API failures', () => {
  it('fails the next matching call once, changes nothing, and the SDK retries do not hide it', async () => {
    const { subscriptionId } = await subscribeViaCheckout(h);
    h.emulator.failures.failNext({ method: 'delete', path: `/v1/subscriptions/${subscriptionId}` });
    expect(h.emulator.failures.pending()).toEqual([
      expect.objectContaining({ method: 'DELETE', status: 500, times: 1 }),
    ]);

    await expect(retrying.subscriptions.cancel(subscriptionId)).rejects.toMatchObject({
      type: 'StripeAPIError',
      statusCode: 500,
    });
    expect((await h.stripe.subscriptions.retrieve(subscriptionId)).status).toBe('active');
    expect(h.emulator.failures.pending()).toEqual([]);

    expect((await retrying.subscriptions.cancel(subscriptionId)).status).toBe('canceled');
  });

  it('matches method and exact path only, and fails `times` calls', async () => {
    const { subscriptionId } = await subscribeViaCheckout(h);
    h.emulator.failures.failNext({ method: 'GET', path: `/v1/subscriptions/${subscriptionId}`, times: 2 });
    expect((await h.stripe.subscriptions.list({ limit: 1 })).data).toHaveLength(1);
    await expect(h.stripe.subscriptions.retrieve(subscriptionId)).rejects.toMatchObject({ statusCode: 500 });
    await expect(
      h.stripe.subscriptions.retrieve(subscriptionId, { expand: ['customer'] }),
    ).rejects.toMatchObject({
      statusCode: 500,
    });
    expect((await h.stripe.subscriptions.retrieve(subscriptionId)).id).toBe(subscriptionId);
  });

  it('has a control route for other processes, with a chosen status and code', async () => {
    const control = emulatorControl(h.emulator.url);
    const customer = await h.stripe.customers.create({});
    const added = await control.failNext({
      method: 'POST',
      path: `/v1/customers/${customer.id}`,
      status: 402,
      code: 'card_declined',
      message: 'nope',
    });
    expect(added).toMatchObject({ method: 'POST', status: 402, code: 'card_declined', times: 1 });
    await expect(h.stripe.customers.update(customer.id, { name: 'x' })).rejects.toMatchObject({
      statusCode: 402,
      code: 'card_declined',
      message: 'nope',
    });
    expect((await h.stripe.customers.update(customer.id, { name: 'x' })).name).toBe('x');

    await control.failNext({ method: 'GET', path: '/v1/customers' });
    await control.clearFailures();
    expect((await h.stripe.customers.list({ limit: 1 })).data).toHaveLength(1);
  });

  it('refuses malformed rules', async () => {
    const post = (body: unknown) =>
      fetch(`${h.emulator.url}/_emulator/failures`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    for (const body of [
      {},
      { method: 'GET' },
      { method: 'GET', path: '/not-the-api' },
      { method: 'GET', path: '/v1/customers', status: 200 },
      { method: 'GET', path: '/v1/customers', times: 0 },
      { method: 'GET', path: '/v1/customers', status: '500' },
    ]) {
      const response = await post(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
    expect(h.emulator.failures.pending()).toEqual([]);
  });
});
