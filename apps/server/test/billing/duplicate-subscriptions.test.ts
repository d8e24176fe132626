import { duplicateSubscriptions, personalAccountId } from '@tollgate/db';
import { eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEBHOOK_SECRET, startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { payCheckout } from '../support/hosted-pages';
import { trpc } from '../support/http';
import { registerOperator } from '../support/operators';
import { CARDS, Customer } from './scenarios';

// One live subscription per account (issue 12): two tabs, two Checkout sessions, both paid.

let inOrder: BillingTestServer;
let chaotic: BillingTestServer;
beforeAll(async () => {
  [inOrder, chaotic] = await Promise.all([startBillingTestServer(), startBillingTestServer()]);
  // Every event delivered twice, held until drained and then released in a seeded random order.
  chaotic.emulator.webhooks.setMode({ duplicate: true, shuffle: true, seed: 20261202 });
});
afterAll(async () => {
  await Promise.all([inOrder?.stop(), chaotic?.stop()]);
});

const CASES = [
  ['BASIC paid first, in order', () => inOrder, ['BASIC', 'PRO']],
  ['PRO paid first, in order', () => inOrder, ['PRO', 'BASIC']],
  ['twice and shuffled', () => chaotic, ['BASIC', 'PRO']],
] as const;

type Plan = 'BASIC' | 'PRO';

async function openCheckout(customer: Customer, plan: Plan) {
  const result = await customer.call('mutation', 'billing.createCheckoutSession', { plan });
  expect(result.status).toBe(200);
  return result.data as { url: string; id: string };
}

/** A card posted to the hosted page's form, as a tab opened earlier would. */
async function postCard(checkoutUrl: string, cardNumber: string): Promise<number> {
  const response = await fetch(checkoutUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ card_number: cardNumber }).toString(),
    redirect: 'manual',
  });
  await response.arrayBuffer();
  return response.status;
}

async function subscriptionOf(billing: BillingTestServer, sessionId: string): Promise<string> {
  const session = await billing.stripe.checkout.sessions.retrieve(sessionId);
  if (typeof session.subscription !== 'string') throw new Error(`${sessionId} has no subscription`);
  return session.subscription;
}

/**
 * Both checkouts paid before Tollgate heard of either (webhooks paused): the second checkout can't see
 * the first subscription, and the first session is complete, so there is nothing left to expire.
 */
async function payBothWhilePaused(customer: Customer, order: readonly Plan[] = ['BASIC', 'PRO']) {
  const { billing } = customer;
  billing.emulator.webhooks.pause();
  const sessions = new Map<Plan, string>();
  for (const plan of order) {
    const session = await openCheckout(customer, plan);
    expect((await payCheckout(session.url, CARDS.success)).status).toBe(303);
    sessions.set(plan, session.id);
  }
  const basic = await billing.stripe.checkout.sessions.retrieve(sessions.get('BASIC') ?? '');
  return {
    basicId: await subscriptionOf(billing, basic.id),
    proId: await subscriptionOf(billing, sessions.get('PRO') ?? ''),
    customerId: String(basic.customer),
  };
}

/** Drains until nothing new is sent (in shuffle mode the cancellation's events wait for the next drain). */
async function settleFully(billing: BillingTestServer): Promise<void> {
  for (let round = 0; round < 5; round += 1) {
    const before = billing.emulator.webhooks.log().length;
    await billing.emulator.webhooks.drain();
    if (billing.emulator.webhooks.log().length === before) return;
  }
}

async function liveSubscriptions(billing: BillingTestServer, customerId: string) {
  const listed = await billing.stripe.subscriptions.list({ customer: customerId, limit: 100 });
  return listed.data.filter((subscription) =>
    ['active', 'trialing', 'past_due'].includes(subscription.status),
  );
}

async function duplicateRows(customer: Customer) {
  return customer.billing.server.testDb.db
    .select()
    .from(duplicateSubscriptions)
    .where(eq(duplicateSubscriptions.accountId, personalAccountId(customer.userId)));
}

/** Sends an event Stripe already sent once more, under a new event id (a later event about the object). */
async function redeliverAsNew(billing: BillingTestServer, event: Stripe.Event): Promise<number> {
  const payload = JSON.stringify({ ...event, id: `${event.id}_late_${crypto.randomUUID().slice(0, 8)}` });
  const response = await fetch(`${billing.server.url}/api/v1/billing/webhook`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'stripe-signature': billing.stripe.webhooks.generateTestHeaderString({
        payload,
        secret: WEBHOOK_SECRET,
      }),
    },
    body: payload,
  });
  await response.arrayBuffer();
  return response.status;
}

async function eventsAbout(billing: BillingTestServer, subscriptionId: string): Promise<Stripe.Event[]> {
  const events = await billing.stripe.events.list({ limit: 100 });
  return events.data.filter((event) => {
    const object = event.data.object as { id?: string; parent?: unknown; subscription?: unknown };
    return object.id === subscriptionId || JSON.stringify(object).includes(`"${subscriptionId}"`);
  });
}

describe('a new checkout expires the open one', () => {
  it('the first tab can no longer pay; the second one can', async () => {
    const customer = await Customer.signUp(inOrder);
    const first = await openCheckout(customer, 'BASIC');
    const second = await openCheckout(customer, 'PRO');

    expect((await inOrder.stripe.checkout.sessions.retrieve(first.id)).status).toBe('expired');
    expect(await postCard(first.url, CARDS.success)).toBe(402);
    expect((await payCheckout(second.url, CARDS.success)).status).toBe(303);
    await settleFully(inOrder);

    const session = await inOrder.stripe.checkout.sessions.retrieve(second.id);
    expect(await liveSubscriptions(inOrder, String(session.customer))).toHaveLength(1);
    expect(await customer.overview()).toMatchObject({ plan: 'PRO', usage: { limit: 1000 } });
    expect(await duplicateRows(customer)).toEqual([]);
  });

  it("a run pack's checkout open in another tab stays payable", async () => {
    const customer = await Customer.signUp(inOrder);
    const pack = await customer.call('mutation', 'billing.createPackCheckout', { packId: 'PACK_100' });
    expect(pack.status).toBe(200);
    await openCheckout(customer, 'BASIC');
    expect((await inOrder.stripe.checkout.sessions.retrieve(pack.data.id)).status).toBe('open');
  });

  it('a third checkout expires only what is still open', async () => {
    const customer = await Customer.signUp(inOrder);
    const sessions = [await openCheckout(customer, 'BASIC'), await openCheckout(customer, 'PRO')];
    const third = await openCheckout(customer, 'BASIC');
    const statuses = await Promise.all(
      [...sessions, third].map(
        async ({ id }) => (await inOrder.stripe.checkout.sessions.retrieve(id)).status,
      ),
    );
    expect(statuses).toEqual(['expired', 'expired', 'open']);
  });

  it('a session Stripe fails to expire while it is still open fails the new checkout; a retry works', async () => {
    const customer = await Customer.signUp(inOrder);
    const first = await openCheckout(customer, 'BASIC');
    inOrder.emulator.failures.failNext({ method: 'POST', path: `/v1/checkout/sessions/${first.id}/expire` });
    const failed = await customer.call('mutation', 'billing.createCheckoutSession', { plan: 'PRO' });
    // Stripe failing (a 500 api_error) is Stripe away for a moment: 503 to retry (stripe-unavailable.test.ts).
    expect(failed.status).toBe(503);
    const session = await inOrder.stripe.checkout.sessions.retrieve(first.id);
    const open = await inOrder.stripe.checkout.sessions.list({
      customer: String(session.customer),
      status: 'open',
    });
    expect(open.data.map(({ id }) => id)).toEqual([first.id]);

    const retried = await openCheckout(customer, 'PRO');
    expect((await inOrder.stripe.checkout.sessions.retrieve(first.id)).status).toBe('expired');
    expect((await inOrder.stripe.checkout.sessions.retrieve(retried.id)).status).toBe('open');
  });
});

describe('two checkouts both paid', () => {
  for (const [name, server, order] of CASES) {
    it(`keeps PRO, cancels BASIC at Stripe and records 1900 owed (${name})`, async () => {
      const billing = server();
      const customer = await Customer.signUp(billing);
      const { basicId, proId, customerId } = await payBothWhilePaused(customer, order);
      expect((await liveSubscriptions(billing, customerId)).map((s) => s.id).sort()).toEqual(
        [basicId, proId].sort(),
      );
      await settleFully(billing);

      const live = await liveSubscriptions(billing, customerId);
      expect(live.map((subscription) => subscription.id)).toEqual([proId]);
      expect(live[0]?.items.data[0]?.price.id).toBe(billing.emulator.prices.PRO);
      expect((await billing.stripe.subscriptions.retrieve(basicId)).status).toBe('canceled');
      expect(await customer.overview()).toMatchObject({
        plan: 'PRO',
        status: 'active',
        usage: { limit: 1000 },
      });

      const rows = await duplicateRows(customer);
      expect(rows).toEqual([
        expect.objectContaining({
          keptStripeSubscriptionId: proId,
          canceledStripeSubscriptionId: basicId,
          canceledPlan: 'BASIC',
          amountOwed: 1900,
          currency: 'usd',
          lastError: null,
          refundedAt: null,
        }),
      ]);
      expect(rows[0]?.canceledAt).toBeInstanceOf(Date);

      // Later and repeated events of either subscription, and a reconciliation, change nothing.
      for (const event of [
        ...(await eventsAbout(billing, basicId)),
        ...(await eventsAbout(billing, proId)),
      ]) {
        expect(await redeliverAsNew(billing, event)).toBe(200);
      }
      const report = await billing.server.services.stripe?.reconcile();
      expect(report?.failures).toEqual([]);
      await settleFully(billing);
      expect(await duplicateRows(customer)).toEqual(rows);
      expect((await liveSubscriptions(billing, customerId)).map((subscription) => subscription.id)).toEqual([
        proId,
      ]);
      expect(await customer.overview()).toMatchObject({ plan: 'PRO', usage: { limit: 1000 } });
    });
  }

  it('operators list the duplicates; users may not', async () => {
    const customer = await Customer.signUp(inOrder);
    const { basicId, proId } = await payBothWhilePaused(customer);
    await settleFully(inOrder);
    const operator = await registerOperator(inOrder.server);
    const listed = await trpc(
      inOrder.server.url,
      'query',
      'admin.duplicateSubscriptions',
      undefined,
      operator.accessToken,
    );
    expect(listed.status).toBe(200);
    expect(listed.data).toContainEqual(
      expect.objectContaining({
        accountId: personalAccountId(customer.userId),
        userId: customer.userId,
        keptStripeSubscriptionId: proId,
        canceledStripeSubscriptionId: basicId,
        canceledPlan: 'BASIC',
        amountOwed: 1900,
        currency: 'usd',
        lastError: null,
        refundedAt: null,
      }),
    );
    const denied = await trpc(
      inOrder.server.url,
      'query',
      'admin.duplicateSubscriptions',
      undefined,
      customer.token,
    );
    expect(denied.status).toBe(403);
  });
});

describe('Stripe failing the cancellation', () => {
  it('a failure retried by the next event of the account succeeds at once', async () => {
    const customer = await Customer.signUp(inOrder);
    const { basicId, proId, customerId } = await payBothWhilePaused(customer);
    inOrder.emulator.failures.failNext({ method: 'DELETE', path: `/v1/subscriptions/${basicId}` });
    await settleFully(inOrder);

    expect(inOrder.emulator.failures.pending()).toEqual([]); // the cancellation did fail once
    expect((await liveSubscriptions(inOrder, customerId)).map((subscription) => subscription.id)).toEqual([
      proId,
    ]);
    expect(await duplicateRows(customer)).toEqual([
      expect.objectContaining({ canceledStripeSubscriptionId: basicId, amountOwed: 1900, lastError: null }),
    ]);
  });

  it('keeps last_error while Stripe fails, never lets BASIC take over, and a later sync cancels it', async () => {
    const customer = await Customer.signUp(inOrder);
    const { basicId, proId, customerId } = await payBothWhilePaused(customer);
    inOrder.emulator.failures.failNext({
      method: 'DELETE',
      path: `/v1/subscriptions/${basicId}`,
      times: 1000,
    });
    await settleFully(inOrder);

    const [failed] = await duplicateRows(customer);
    expect(failed).toMatchObject({ canceledStripeSubscriptionId: basicId, canceledAt: null, amountOwed: 0 });
    expect(failed?.lastError).toMatch(/Injected failure of DELETE/);
    expect(await liveSubscriptions(inOrder, customerId)).toHaveLength(2);
    expect(await customer.overview()).toMatchObject({ plan: 'PRO', usage: { limit: 1000 } });

    // BASIC is still live at Stripe: its later events must not take the account back to BASIC.
    for (const event of await eventsAbout(inOrder, basicId)) {
      expect(await redeliverAsNew(inOrder, event)).toBe(200);
    }
    expect(await customer.overview()).toMatchObject({ plan: 'PRO', usage: { limit: 1000 } });
    expect(await duplicateRows(customer)).toHaveLength(1);

    // Stripe recovers: the next reconciliation of the account retries and succeeds.
    inOrder.emulator.failures.clear();
    const report = await inOrder.server.services.stripe?.reconcile();
    expect(report?.failures).toEqual([]);
    await settleFully(inOrder);
    expect((await liveSubscriptions(inOrder, customerId)).map((subscription) => subscription.id)).toEqual([
      proId,
    ]);
    const [canceled] = await duplicateRows(customer);
    expect(canceled).toMatchObject({ amountOwed: 1900, currency: 'usd', lastError: null });
    expect(canceled?.canceledAt).toBeInstanceOf(Date);
    expect(await customer.overview()).toMatchObject({ plan: 'PRO', usage: { limit: 1000 } });
  });
});
