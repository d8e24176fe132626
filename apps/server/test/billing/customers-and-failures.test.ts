import { personalAccountId, stripeEvents, subscriptions } from '@tollgate/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEBHOOK_SECRET, startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { payCheckout } from '../support/hosted-pages';
import { CARDS, Customer } from './scenarios';

let billing: BillingTestServer;
beforeAll(async () => {
  billing = await startBillingTestServer();
});
afterAll(() => billing?.stop());

describe('Stripe customers and webhook failures', () => {
  it('creates one Stripe customer per account under concurrent checkouts, with metadata naming the account', async () => {
    const customer = await Customer.signUp(billing);
    const accountId = personalAccountId(customer.userId);
    const sessions = await Promise.all(
      Array.from({ length: 8 }, () =>
        customer.call('mutation', 'billing.createCheckoutSession', { plan: 'BASIC' }),
      ),
    );
    expect(sessions.every((session) => session.status === 200)).toBe(true);
    const found = await billing.stripe.customers.search({ query: `metadata['accountId']:'${accountId}'` });
    expect(found.data).toHaveLength(1);
    // A personal account: the account, and its user (what older Tollgate objects carry alone).
    expect(found.data[0]?.metadata).toEqual({ accountId, userId: customer.userId });
    const byUser = await billing.stripe.customers.search({
      query: `metadata['userId']:'${customer.userId}'`,
    });
    expect(byUser.data.map(({ id }) => id)).toEqual([found.data[0]?.id]);
    const checkout = await billing.stripe.checkout.sessions.retrieve(
      new URL(sessions[0]?.data.url).pathname.split('/').pop() ?? '',
    );
    expect(checkout).toMatchObject({
      mode: 'subscription',
      client_reference_id: `account:${accountId}`,
      metadata: { accountId, userId: customer.userId, plan: 'BASIC' },
      customer: found.data[0]?.id,
    });
    // The idempotency key names the account: the same request under it is Stripe's replay of that customer.
    const replayed = await billing.stripe.customers.create(
      { email: found.data[0]?.email ?? undefined, metadata: { accountId, userId: customer.userId } },
      { idempotencyKey: `tollgate-customer-account-${accountId}` },
    );
    expect(replayed.id).toBe(found.data[0]?.id);
  });

  it('a paid checkout makes a subscription whose metadata names the account, the user and the plan', async () => {
    const customer = await Customer.signUp(billing);
    const accountId = personalAccountId(customer.userId);
    expect((await customer.checkout('PRO', CARDS.success)).status).toBe(303);
    const [row] = await billing.server.testDb.db
      .select()
      .from(subscriptions)
      .where(eq(subscriptions.accountId, accountId));
    if (!row?.stripeSubscriptionId) throw new Error('checkout did not link a subscription');
    const subscription = await billing.stripe.subscriptions.retrieve(row.stripeSubscriptionId);
    expect(subscription.metadata).toEqual({ accountId, userId: customer.userId, plan: 'PRO' });
  });

  // Objects Tollgate made before billing accounts existed name only the user: they keep syncing, to the
  // user's personal account.
  it.each([
    ['metadata.userId only', 'metadata'],
    ['a bare client_reference_id only', 'reference'],
    ['both', 'both'],
  ] as const)(
    'a subscription bought before billing accounts (%s) syncs to the personal account',
    async (_name, form) => {
      const customer = await Customer.signUp(billing);
      const accountId = personalAccountId(customer.userId);
      const userMetadata = { userId: customer.userId, plan: 'PRO' };
      const stripeCustomer = await billing.stripe.customers.create({
        metadata: form === 'reference' ? {} : { userId: customer.userId },
      });
      const session = await billing.stripe.checkout.sessions.create({
        mode: 'subscription',
        customer: stripeCustomer.id,
        ...(form === 'metadata' ? {} : { client_reference_id: customer.userId }),
        line_items: [{ price: billing.emulator.prices.PRO, quantity: 1 }],
        ...(form === 'reference'
          ? {}
          : { subscription_data: { metadata: userMetadata }, metadata: userMetadata }),
        success_url: 'http://app.tollgate.test/settings/subscription?success=1',
        cancel_url: 'http://app.tollgate.test/settings/subscription?canceled=1',
      });
      expect((await payCheckout(session.url ?? '', CARDS.success)).status).toBe(303);
      await customer.settle();
      const subscriptionId = String(
        (await billing.stripe.checkout.sessions.retrieve(session.id)).subscription,
      );

      expect(await customer.overview()).toMatchObject({
        plan: 'PRO',
        status: 'active',
        usage: { limit: 1000 },
      });
      const [row] = await billing.server.testDb.db
        .select()
        .from(subscriptions)
        .where(eq(subscriptions.accountId, accountId));
      expect(row).toMatchObject({
        stripeCustomerId: stripeCustomer.id,
        stripeSubscriptionId: subscriptionId,
      });
      expect((await customer.authorizeOne()).data).toMatchObject({ plan: 'PRO', used: 1, limit: 1000 });

      // Later changes of the old subscription still reach the account. (A cancellation: the portal's
      // downgrade to BASIC would only reach it at the renewal, as it waits for the period end.)
      await customer.portal({ action: 'cancel_at_period_end' });
      expect(await customer.overview()).toMatchObject({
        plan: 'PRO',
        cancelAtPeriodEnd: true,
        usage: { used: 1, limit: 1000 },
      });
    },
  );

  it('refuses a second paid subscription and points to the portal', async () => {
    const customer = await Customer.signUp(billing);
    await customer.checkout('BASIC', '4242424242424242');
    const again = await customer.call('mutation', 'billing.createCheckoutSession', { plan: 'PRO' });
    expect(again.status).toBe(409);
    expect(again.error?.data.appCode).toBe('ALREADY_SUBSCRIBED');
    expect(again.error?.message).toMatch(/portal/);
  });

  it('answers 5xx and stores nothing when an event cannot be applied yet, so Stripe retries it', async () => {
    // Stripe failing is retryable (a subscription Stripe says doesn't exist is not: webhook-errors.test.ts).
    billing.emulator.faults.set({
      method: 'GET',
      path: '/v1/subscriptions/:id',
      status: 500,
      shouldRetry: false,
    });
    const payload = JSON.stringify({
      id: 'evt_cannot_apply',
      object: 'event',
      type: 'customer.subscription.updated',
      api_version: '2026-10-28.endive',
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: 'sub_that_stripe_does_not_know', object: 'subscription' } },
    });
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
    expect(response.status).toBe(500);
    const stored = await billing.server.testDb.db.select().from(stripeEvents);
    expect(stored.map((event) => event.id)).not.toContain('evt_cannot_apply');
    billing.emulator.faults.clear();
  });

  it('lists the account’s invoices with numbers, amounts and links', async () => {
    const customer = await Customer.signUp(billing);
    await customer.checkout('PRO', '4242424242424242');
    const invoices = await customer.call('query', 'billing.invoices');
    expect(invoices.data).toHaveLength(1);
    expect(invoices.data[0]).toMatchObject({
      amountPaid: 4900,
      currency: 'usd',
      status: 'paid',
      number: expect.any(String),
      hostedInvoiceUrl: expect.stringMatching(/^http/),
      invoicePdf: expect.stringMatching(/^http/),
    });
  });
});
