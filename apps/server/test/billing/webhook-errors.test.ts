import { readFileSync } from 'node:fs';
import { personalAccountId, subscriptions } from '@tollgate/db';
import { eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { payCheckout } from '../support/hosted-pages';
import { trpc } from '../support/http';
import { registerOperator } from '../support/operators';
import { eventOf, sendWebhook, storedEvent } from '../support/webhooks';
import { CARDS, Customer } from './scenarios';

// Issue 13, "Why" 3: webhooks that can never succeed are recorded and answered 200 (Stripe stops
// retrying); those that may succeed later answer 500; customer.deleted unlinks the customer.

let billing: BillingTestServer;
let operatorToken: string;
beforeAll(async () => {
  billing = await startBillingTestServer();
  operatorToken = (await registerOperator(billing.server)).accessToken;
});
afterAll(() => billing?.stop());
beforeEach(() => {
  billing.emulator.faults.clear();
});

const realInvoice = (): Record<string, unknown> =>
  (
    JSON.parse(
      readFileSync(
        new URL(
          '../fixtures/stripe-corpus/clover-2025-12-15/invoice.payment_succeeded.json',
          import.meta.url,
        ),
        'utf8',
      ),
    ) as { data: { object: Record<string, unknown> } }
  ).data.object;

async function failedWebhooks(): Promise<{ id: string; failureCode: string; failureReason: string }[]> {
  const listed = await trpc(billing.server.url, 'query', 'admin.failedWebhooks', undefined, operatorToken);
  expect(listed.status).toBe(200);
  return listed.data;
}

async function subscriptionRow(userId: string) {
  const [row] = await billing.server.testDb.db
    .select()
    .from(subscriptions)
    .where(eq(subscriptions.accountId, personalAccountId(userId)));
  if (!row) throw new Error(`no subscription row for ${userId}`);
  return row;
}

async function subscribed(plan: 'BASIC' | 'PRO') {
  const customer = await Customer.signUp(billing);
  await customer.checkout(plan, CARDS.success);
  const row = await subscriptionRow(customer.userId);
  if (!row.stripeSubscriptionId || !row.stripeCustomerId) throw new Error('checkout did not link');
  return { customer, subscriptionId: row.stripeSubscriptionId, customerId: row.stripeCustomerId };
}

describe('permanent failures: recorded, answered 200, listed for operators', () => {
  it('a subscription Stripe says does not exist (No such subscription)', async () => {
    const event = eventOf('customer.subscription.updated', {
      id: 'sub_that_stripe_does_not_know',
      object: 'subscription',
    });
    const first = await sendWebhook(billing, event);
    expect(first).toMatchObject({
      status: 200,
      body: {
        received: true,
        status: 'failed',
        failure: { code: 'object_missing', reason: expect.stringMatching(/No such subscription/) },
      },
    });
    expect(await storedEvent(billing, event.id)).toMatchObject({
      type: 'customer.subscription.updated',
      objectId: 'sub_that_stripe_does_not_know',
      failureCode: 'object_missing',
    });
    // Stripe's retry (or a duplicate) is recognized and costs nothing.
    expect(await sendWebhook(billing, event)).toMatchObject({ status: 200, body: { status: 'duplicate' } });
    expect(await failedWebhooks()).toContainEqual(
      expect.objectContaining({ id: event.id, failureCode: 'object_missing' }),
    );
  });

  const subscriptionObject = { id: 'sub_x', object: 'subscription' };
  const malformed: [string, () => unknown][] = [
    ['data.object: null', () => eventOf('customer.subscription.updated', null)],
    ['data.object: []', () => eventOf('customer.subscription.updated', [])],
    ['data.object: {}', () => eventOf('customer.subscription.updated', {})],
    [
      'created: a string',
      () => eventOf('customer.subscription.updated', subscriptionObject, { created: 'yesterday' }),
    ],
    [
      'created: a fraction',
      () => eventOf('customer.subscription.updated', subscriptionObject, { created: 17.5 }),
    ],
    [
      'created: out of range',
      () => eventOf('customer.subscription.updated', subscriptionObject, { created: 1e20 }),
    ],
    ['no data', () => ({ ...eventOf('customer.subscription.updated', null), data: undefined })],
    [
      'an invoice without amount_paid',
      () => {
        const invoice = realInvoice();
        delete invoice['amount_paid'];
        return eventOf('invoice.payment_succeeded', invoice);
      },
    ],
    [
      'a checkout session without mode',
      () => eventOf('checkout.session.completed', { id: 'cs_x', subscription: 'sub_x' }),
    ],
    ['a customer.deleted without id', () => eventOf('customer.deleted', { object: 'customer' })],
  ];
  it.each(malformed)('a signed envelope with %s', async (_name, make) => {
    const event = make() as { id: string };
    const answer = await sendWebhook(billing, event);
    expect(answer).toMatchObject({
      status: 200,
      body: { status: 'failed', failure: { code: 'malformed_event' } },
    });
    expect(await storedEvent(billing, event.id)).toMatchObject({ failureCode: 'malformed_event' });
    expect(await sendWebhook(billing, event)).toMatchObject({ status: 200, body: { status: 'duplicate' } });
  });

  it.each([
    ['a body that is not JSON', 'this is not json'],
    ['a JSON null', 'null'],
    ['a JSON array', '[]'],
    [
      'an event without id',
      JSON.stringify({ ...eventOf('customer.subscription.updated', {}), id: undefined }),
    ],
  ])('%s, signed: stored under a digest of its bytes, once', async (_name, body) => {
    const answer = await sendWebhook(billing, body);
    expect(answer).toMatchObject({
      status: 200,
      body: { status: 'failed', failure: { code: 'malformed_event' } },
    });
    const id = answer.body['eventId'] as string;
    expect(id).toMatch(/^unreadable_[0-9a-f]{40}$/);
    expect(await storedEvent(billing, id)).toMatchObject({ failureCode: 'malformed_event' });
    expect(await sendWebhook(billing, body)).toMatchObject({
      status: 200,
      body: { status: 'duplicate', eventId: id },
    });
  });

  it('a subscription no Tollgate account owns', async () => {
    // Created at Stripe by someone else: no client_reference_id, no metadata.accountId or userId, unknown
    // customer.
    const stranger = await billing.stripe.customers.create({ email: 'stranger@example.com' });
    const session = await billing.stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: stranger.id,
      line_items: [{ price: billing.emulator.prices.BASIC, quantity: 1 }],
      success_url: 'http://elsewhere.test/ok',
      cancel_url: 'http://elsewhere.test/no',
    });
    await payCheckout(session.url ?? '', CARDS.success);
    await billing.emulator.webhooks.drain();
    const subscriptionId = String((await billing.stripe.checkout.sessions.retrieve(session.id)).subscription);
    const event = eventOf('customer.subscription.updated', { id: subscriptionId, object: 'subscription' });
    expect(await sendWebhook(billing, event)).toMatchObject({
      status: 200,
      body: { status: 'failed', failure: { code: 'account_not_found' } },
    });
    // The emulator's own deliveries for it were answered 200 too: Stripe won't retry them for days.
    const deliveries = billing.emulator.webhooks
      .log()
      .filter((delivery) => delivery.type.startsWith('customer.subscription.'));
    expect(deliveries.length).toBeGreaterThan(0);
    expect(deliveries.every((delivery) => delivery.lastStatus === 200)).toBe(true);
  });

  // Stripe metadata and client_reference_id are free text anyone with the key can set: an account id
  // that is no uuid, or the uuid of no account, is a permanent failure (200), never a 5xx.
  it.each([
    ['an account id that is not a uuid', 'not-a-uuid'],
    ['the uuid of no account', '00000000-0000-4000-8000-000000000000'],
  ])('a subscription naming %s', async (_name, accountId) => {
    const logged = billing.emulator.webhooks.log().length;
    const stranger = await billing.stripe.customers.create({ email: 'stranger@example.com' });
    const session = await billing.stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: stranger.id,
      client_reference_id: `account:${accountId}`,
      line_items: [{ price: billing.emulator.prices.BASIC, quantity: 1 }],
      subscription_data: { metadata: { accountId, plan: 'BASIC' } },
      metadata: { accountId, plan: 'BASIC' },
      success_url: 'http://elsewhere.test/ok',
      cancel_url: 'http://elsewhere.test/no',
    });
    await payCheckout(session.url ?? '', CARDS.success);
    await billing.emulator.webhooks.drain();
    const completed = await billing.stripe.checkout.sessions.retrieve(session.id);
    const subscriptionId = String(completed.subscription);
    for (const event of [
      eventOf('customer.subscription.updated', { id: subscriptionId, object: 'subscription' }),
      eventOf('checkout.session.completed', completed),
    ]) {
      expect(await sendWebhook(billing, event), event.type).toMatchObject({
        status: 200,
        body: { status: 'failed', failure: { code: 'account_not_found' } },
      });
    }
    // The emulator's own deliveries (subscription, checkout and invoice events) were answered 200 too.
    const deliveries = billing.emulator.webhooks.log().slice(logged);
    expect(deliveries.length).toBeGreaterThan(0);
    expect(deliveries.filter((delivery) => delivery.lastStatus !== 200).map(({ type }) => type)).toEqual([]);
  });

  it('operators only', async () => {
    const customer = await Customer.signUp(billing);
    expect((await customer.call('query', 'admin.failedWebhooks')).status).toBe(403);
    expect((await customer.call('mutation', 'admin.replayWebhook', { eventId: 'evt_x' })).status).toBe(403);
  });
});

describe('retryable failures: 500 and nothing stored, so Stripe retries', () => {
  it.each([
    ['Stripe answers 500', { status: 500, shouldRetry: false }],
    ['Stripe answers 429', { status: 429, retryAfterSeconds: 1 }],
    ['Stripe drops the connection', { dropResponse: true }],
  ])('%s', async (_name, fault) => {
    const { customer, subscriptionId } = await subscribed('BASIC');
    const event = eventOf('customer.subscription.updated', { id: subscriptionId, object: 'subscription' });
    billing.emulator.faults.set({ method: 'GET', path: '/v1/subscriptions/:id', ...fault });
    expect((await sendWebhook(billing, event)).status).toBe(500);
    expect(await storedEvent(billing, event.id)).toBeUndefined();

    billing.emulator.faults.clear();
    expect(await sendWebhook(billing, event)).toMatchObject({
      status: 200,
      body: { status: 'processed', accountId: personalAccountId(customer.userId) },
    });
  });
});

describe('replaying a failed webhook once the cause is fixed', () => {
  it('lists it, re-fetches it from Stripe and applies it; a second replay is a duplicate', async () => {
    const { customer, subscriptionId } = await subscribed('BASIC');
    billing.emulator.webhooks.pause();
    const subscription = await billing.stripe.subscriptions.retrieve(subscriptionId);
    await billing.stripe.subscriptions.update(subscriptionId, {
      items: [{ id: subscription.items.data[0]?.id ?? '', price: billing.emulator.prices.PRO }],
    });
    const [updated] = (await billing.stripe.events.list({ type: 'customer.subscription.updated', limit: 1 }))
      .data;
    expect((updated?.data.object as Stripe.Subscription).id).toBe(subscriptionId);
    // Stripe (or a misconfigured key, a wrong account) says the subscription doesn't exist: a
    // permanent failure, so the delivery is recorded and answered 200.
    billing.emulator.faults.set({
      method: 'GET',
      path: '/v1/subscriptions/:id',
      status: 404,
      code: 'resource_missing',
      message: `No such subscription: '${subscriptionId}'`,
    });
    await billing.emulator.webhooks.drain();
    expect((await customer.overview()).plan).toBe('BASIC');
    expect(await failedWebhooks()).toContainEqual(
      expect.objectContaining({ id: updated?.id, failureCode: 'object_missing' }),
    );

    // Replaying while the cause persists records the new failure and keeps it listed.
    const stillFailing = await trpc(
      billing.server.url,
      'mutation',
      'admin.replayWebhook',
      { eventId: updated?.id },
      operatorToken,
    );
    expect(stillFailing.data).toMatchObject({ status: 'failed', failure: { code: 'object_missing' } });
    expect((await storedEvent(billing, updated?.id ?? ''))?.replayedAt).toBeInstanceOf(Date);

    billing.emulator.faults.clear();
    const replayed = await trpc(
      billing.server.url,
      'mutation',
      'admin.replayWebhook',
      { eventId: updated?.id },
      operatorToken,
    );
    expect(replayed).toMatchObject({
      status: 200,
      data: { status: 'processed', accountId: personalAccountId(customer.userId) },
    });
    expect(await customer.overview()).toMatchObject({ plan: 'PRO', usage: { limit: 1000 } });
    expect((await failedWebhooks()).map(({ id }) => id)).not.toContain(updated?.id);
    expect(await storedEvent(billing, updated?.id ?? '')).toMatchObject({
      failureCode: null,
      failureReason: null,
    });

    const again = await trpc(
      billing.server.url,
      'mutation',
      'admin.replayWebhook',
      { eventId: updated?.id },
      operatorToken,
    );
    expect(again.data).toMatchObject({ status: 'duplicate' });
  });

  it('an event Stripe does not have is a 404', async () => {
    const missing = await trpc(
      billing.server.url,
      'mutation',
      'admin.replayWebhook',
      { eventId: 'evt_nope' },
      operatorToken,
    );
    expect(missing.status).toBe(404);
    expect(missing.error?.message).toMatch(/Stripe has no event evt_nope/);
  });
});

describe('customer.deleted', () => {
  it('unlinks the customer; a late event cannot relink it; the next checkout creates a new one', async () => {
    const { customer, customerId, subscriptionId } = await subscribed('PRO');
    await billing.stripe.customers.del(customerId);
    await customer.settle();
    expect(await subscriptionRow(customer.userId)).toMatchObject({
      stripeCustomerId: null,
      deletedStripeCustomerId: customerId,
      plan: 'FREE',
      status: 'canceled',
    });

    // An event about the deleted customer's (canceled) subscription arrives late.
    const late = eventOf('customer.subscription.updated', { id: subscriptionId, object: 'subscription' });
    expect(await sendWebhook(billing, late)).toMatchObject({ status: 200, body: { status: 'processed' } });
    expect((await subscriptionRow(customer.userId)).stripeCustomerId).toBeNull();

    const paid = await customer.checkout('BASIC', CARDS.success);
    expect(paid.status).toBe(303);
    const row = await subscriptionRow(customer.userId);
    expect(row.stripeCustomerId).not.toBeNull();
    expect(row.stripeCustomerId).not.toBe(customerId);
    expect(await customer.overview()).toMatchObject({ plan: 'BASIC', status: 'active' });
    const portal = await customer.call('mutation', 'billing.createPortalSession', {});
    expect(portal.status).toBe(200);
  });

  it('of a customer no account has is recorded and changes nothing', async () => {
    const event = eventOf('customer.deleted', { id: 'cus_nobody', object: 'customer', deleted: true });
    expect(await sendWebhook(billing, event)).toMatchObject({
      status: 200,
      body: { status: 'processed', accountId: null },
    });
    expect(await storedEvent(billing, event.id)).toMatchObject({ failureCode: null });
  });
});
