import { personalAccountId, stripeEvents } from '@tollgate/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { eventOf, sendWebhook, storedEvent } from '../support/webhooks';
import { subscribedCustomer } from './scenarios';

// Copies of one event that meet in flight (Stripe's retry of a delivery it gave up on, while the
// first still runs): the first does the work, the others wait for it and answer duplicate, and a
// first that fails retryably leaves the work to a copy. Stripe is made slow (or failing) with the
// emulator's fault injection, so the copies really overlap.

const COPIES = 6;

let billing: BillingTestServer;
beforeAll(async () => {
  billing = await startBillingTestServer();
});
afterAll(() => billing?.stop());
beforeEach(() => {
  billing.emulator.faults.clear();
});

/** `200 processed`, `500 INTERNAL`, … sorted. */
const statusesOf = (answers: { status: number; body: Record<string, unknown> }[]) =>
  answers
    .map(({ status, body }) => {
      const error = body['error'] as { code?: string } | undefined;
      return `${status} ${String(body['status'] ?? error?.code)}`;
    })
    .sort();

describe('webhook copies that meet in flight', () => {
  it('one copy re-fetches and applies; the others wait and answer duplicate', async () => {
    const { customer, subscriptionId } = await subscribedCustomer(billing, 'PRO');
    const event = eventOf('customer.subscription.updated', { id: subscriptionId, object: 'subscription' });
    const fetches = billing.emulator.faults.set({
      method: 'GET',
      path: `/v1/subscriptions/${subscriptionId}`,
      latencyMs: 300,
    });

    const answers = await Promise.all(Array.from({ length: COPIES }, () => sendWebhook(billing, event)));

    expect(statusesOf(answers)).toEqual([
      ...Array.from({ length: COPIES - 1 }, () => '200 duplicate'),
      '200 processed',
    ]);
    // Without the wait every copy past the stored-event check would fetch the subscription too.
    expect(billing.emulator.faults.list().find(({ id }) => id === fetches.id)?.hits).toBe(1);
    expect(await storedEvent(billing, event.id)).toMatchObject({
      accountId: personalAccountId(customer.userId),
      failureCode: null,
    });
    expect((await customer.overview()).plan).toBe('PRO');
  });

  it('when the first fails retryably (Stripe 500), a waiting copy applies the event: nothing is lost', async () => {
    const { customer, subscriptionId } = await subscribedCustomer(billing, 'PRO');
    const event = eventOf('customer.subscription.updated', { id: subscriptionId, object: 'subscription' });
    // The first fetch is slow and then fails, with no retry by the SDK: that delivery answers 500.
    billing.emulator.faults.set({
      method: 'GET',
      path: `/v1/subscriptions/${subscriptionId}`,
      latencyMs: 300,
      status: 500,
      shouldRetry: false,
      times: 1,
    });

    const answers = await Promise.all(Array.from({ length: COPIES }, () => sendWebhook(billing, event)));

    expect(statusesOf(answers)).toEqual([
      ...Array.from({ length: COPIES - 2 }, () => '200 duplicate'),
      '200 processed',
      '500 INTERNAL',
    ]);
    const rows = await billing.server.testDb.db
      .select()
      .from(stripeEvents)
      .where(eq(stripeEvents.id, event.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ accountId: personalAccountId(customer.userId), failureCode: null });
  });

  it('a copy arriving after the event was applied answers duplicate without asking Stripe', async () => {
    const { subscriptionId } = await subscribedCustomer(billing, 'PRO');
    const event = eventOf('customer.subscription.updated', { id: subscriptionId, object: 'subscription' });
    expect(statusesOf([await sendWebhook(billing, event)])).toEqual(['200 processed']);
    const fetches = billing.emulator.faults.set({
      method: 'GET',
      path: `/v1/subscriptions/${subscriptionId}`,
      latencyMs: 1,
    });

    expect(statusesOf([await sendWebhook(billing, event)])).toEqual(['200 duplicate']);
    expect(billing.emulator.faults.list().find(({ id }) => id === fetches.id)?.hits).toBe(0);
  });

  it('an event type Tollgate only records: one row, one ignored, the rest duplicates', async () => {
    const event = eventOf('customer.created', { id: 'cus_in_flight', object: 'customer' });
    const answers = await Promise.all(Array.from({ length: COPIES }, () => sendWebhook(billing, event)));
    expect(statusesOf(answers)).toEqual([
      ...Array.from({ length: COPIES - 1 }, () => '200 duplicate'),
      '200 ignored',
    ]);
    expect(await storedEvent(billing, event.id)).toMatchObject({ type: 'customer.created', accountId: null });
  });
});
