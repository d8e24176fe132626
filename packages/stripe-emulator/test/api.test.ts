import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startWebhookReceiver } from './support/webhook-receiver';
import { startHarness, subscribeViaCheckout } from './support/harness';
import type { Harness } from './support/harness';

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

function raw(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${h.emulator.url}${path}`, {
    ...init,
    headers: { authorization: 'Bearer sk_test_raw', ...(init.headers as Record<string, string> | undefined) },
  });
}

describe('authentication and errors', () => {
  it('accepts any sk_test_ key and rejects others with 401 in Stripe format', async () => {
    const live = new Stripe('sk_live_nope', { host: '127.0.0.1', port: h.emulator.port, protocol: 'http' });
    await expect(live.customers.list()).rejects.toMatchObject({
      type: 'StripeAuthenticationError',
      statusCode: 401,
    });
    const missing = await fetch(`${h.emulator.url}/v1/customers`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({
      error: { type: 'invalid_request_error', code: 'api_key_missing' },
    });
  });

  it('answers unknown routes with a 404 in Stripe format', async () => {
    const response = await raw('/v1/payouts');
    expect(response.status).toBe(404);
    const body = (await response.json()) as { error: Record<string, string> };
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'resource_missing' });
    expect(body.error.message).toContain('/v1/payouts');
    expect(response.headers.get('request-id')).toMatch(/^req_/);
  });

  it('reports missing objects and bad params like Stripe', async () => {
    await expect(h.stripe.customers.retrieve('cus_missing')).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 404,
      code: 'resource_missing',
    });
    await expect(
      h.stripe.checkout.sessions.create({
        mode: 'subscription',
        line_items: [{ price: 'price_nope', quantity: 1 }],
      }),
    ).rejects.toMatchObject({ statusCode: 404, param: 'line_items[0][price]' });
    await expect(h.stripe.subscriptions.list({ limit: 500 })).rejects.toMatchObject({ param: 'limit' });
  });
});

describe('idempotency', () => {
  it('replays the first response for the same key and path and creates nothing new', async () => {
    const first = await h.stripe.customers.create({ email: 'idem@example.com' }, { idempotencyKey: 'key-1' });
    const second = await h.stripe.customers.create(
      { email: 'idem@example.com' },
      { idempotencyKey: 'key-1' },
    );
    expect(second.id).toBe(first.id);
    expect(second.lastResponse.headers['idempotent-replayed']).toBe('true');
    await expect(
      h.stripe.customers.create({ email: 'other@example.com' }, { idempotencyKey: 'key-1' }),
    ).rejects.toMatchObject({ type: 'StripeIdempotencyError' });
    await h.emulator.webhooks.drain();
    expect(h.receiver.ofType('customer.created').map((event) => event.data.object.id)).toEqual([first.id]);
  });
});

describe('customers', () => {
  it('a deleted customer is still retrieved, as Stripe answers it: { id, object, deleted: true }', async () => {
    const customer = await h.stripe.customers.create({ email: 'gone@example.com' });
    expect(await h.stripe.customers.del(customer.id)).toEqual({
      id: customer.id,
      object: 'customer',
      deleted: true,
    });
    expect(await h.stripe.customers.retrieve(customer.id)).toEqual({
      id: customer.id,
      object: 'customer',
      deleted: true,
    });
    await expect(h.stripe.customers.update(customer.id, { name: 'x' })).rejects.toMatchObject({
      code: 'resource_missing',
    });
  });

  it('parses nested form fields and emits created/updated events with previous_attributes', async () => {
    const customer = await h.stripe.customers.create({
      email: 'nested@example.com',
      name: 'Nested',
      metadata: { userId: 'u_nested', 'key with space': 'v[1]' },
    });
    expect(customer.metadata).toEqual({ userId: 'u_nested', 'key with space': 'v[1]' });
    const updated = await h.stripe.customers.update(customer.id, { metadata: { plan: 'PRO', userId: '' } });
    expect(updated.metadata).toEqual({ plan: 'PRO', 'key with space': 'v[1]' });
    await h.emulator.webhooks.drain();
    const [event] = h.receiver.ofType('customer.updated');
    expect(event?.data.previous_attributes).toEqual({ metadata: { userId: 'u_nested', plan: null } });
  });

  it('searches by metadata and email, and lists with filters and pagination', async () => {
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      ids.push(
        (await h.stripe.customers.create({ email: `page${n}@example.com`, metadata: { userId: `pg_${n}` } }))
          .id,
      );
    }
    const byMetadata = await h.stripe.customers.search({ query: `metadata['userId']:'pg_2'` });
    expect(byMetadata.data.map((customer) => customer.id)).toEqual([ids[1]]);
    const byEmail = await h.stripe.customers.search({ query: `email:'page3@example.com'` });
    expect(byEmail.data.map((customer) => customer.id)).toEqual([ids[2]]);
    expect((await h.stripe.customers.list({ email: 'page1@example.com' })).data.map((c) => c.id)).toEqual([
      ids[0],
    ]);

    const firstPage = await h.stripe.customers.list({ limit: 2 });
    expect(firstPage.data.map((customer) => customer.id)).toEqual([ids[2], ids[1]]);
    expect(firstPage.has_more).toBe(true);
    const nextPage = await h.stripe.customers.list({ limit: 2, starting_after: ids[1] });
    expect(nextPage.data[0]?.id).toBe(ids[0]);
  });

  it('parses expand[] with empty brackets and rejects unknown expansions', async () => {
    const { subscriptionId } = await subscribeViaCheckout(h);
    const response = await raw(
      `/v1/subscriptions/${subscriptionId}?expand[]=latest_invoice&expand[]=customer`,
    );
    const body = (await response.json()) as {
      latest_invoice: { object: string };
      customer: { object: string };
    };
    expect(body.latest_invoice.object).toBe('invoice');
    expect(body.customer.object).toBe('customer');
    const invoice = await h.stripe.invoices.retrieve(
      (await h.stripe.invoices.list({ subscription: subscriptionId })).data[0]?.id ?? '',
      { expand: ['parent.subscription_details.subscription'] },
    );
    expect(invoice.parent?.subscription_details?.subscription).toMatchObject({ id: subscriptionId });
    await expect(
      h.stripe.subscriptions.retrieve(subscriptionId, { expand: ['status'] }),
    ).rejects.toMatchObject({
      statusCode: 400,
      param: 'expand',
    });
  });
});

describe('subscriptions API', () => {
  it('changes the price (requiring the item id) and cancels', async () => {
    const { subscriptionId } = await subscribeViaCheckout(h);
    const subscription = await h.stripe.subscriptions.retrieve(subscriptionId);
    const itemId = subscription.items.data[0]?.id ?? '';
    await expect(
      h.stripe.subscriptions.update(subscriptionId, { items: [{ price: h.emulator.prices.PRO }] }),
    ).rejects.toMatchObject({ param: 'items[0][id]' });
    const switched = await h.stripe.subscriptions.update(subscriptionId, {
      items: [{ id: itemId, price: h.emulator.prices.PRO }],
      proration_behavior: 'none',
    });
    expect(switched.items.data[0]?.price.id).toBe(h.emulator.prices.PRO);
    const canceled = await h.stripe.subscriptions.cancel(subscriptionId);
    expect(canceled.status).toBe('canceled');
    expect((await h.stripe.subscriptions.list({ customer: String(canceled.customer) })).data).toHaveLength(0);
    expect(
      (await h.stripe.subscriptions.list({ customer: String(canceled.customer), status: 'all' })).data,
    ).toHaveLength(1);
    await expect(
      h.stripe.subscriptions.update(subscriptionId, { cancel_at_period_end: true }),
    ).rejects.toMatchObject({ statusCode: 400 });
  });
});

describe('events API', () => {
  it('lists and retrieves the events that were sent', async () => {
    const customer = await h.stripe.customers.create({ email: 'events@example.com' });
    const [event] = (await h.stripe.events.list({ type: 'customer.created', limit: 1 })).data;
    expect(event?.data.object).toMatchObject({ id: customer.id });
    const retrieved = await h.stripe.events.retrieve(event?.id ?? '');
    expect(retrieved).toMatchObject({ type: 'customer.created', api_version: '2026-10-28.endive' });
    expect(retrieved.request?.id).toMatch(/^req_/);
  });
});

describe('webhook endpoints API', () => {
  it('registers an endpoint whose secret signs what it receives', async () => {
    const late = await startWebhookReceiver('whsec_unused');
    try {
      const endpoint = await h.stripe.webhookEndpoints.create({
        url: late.url,
        enabled_events: ['customer.created'],
      });
      expect(endpoint.secret).toMatch(/^whsec_[0-9a-f]{64}$/);
      late.secret = endpoint.secret ?? '';
      await h.stripe.customers.update((await h.stripe.customers.create({ email: 'late@example.com' })).id, {
        name: 'x',
      });
      await h.emulator.webhooks.drain();
      expect(late.rejectedSignatures).toBe(0);
      expect(late.events.map((event) => event.type)).toEqual(['customer.created']);
      const listed = await h.stripe.webhookEndpoints.list();
      expect(listed.data.find((entry) => entry.id === endpoint.id)?.secret).toBeUndefined();
      await h.stripe.webhookEndpoints.del(endpoint.id);
    } finally {
      await late.close();
    }
  });
});
