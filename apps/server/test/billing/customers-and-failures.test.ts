import { stripeEvents } from '@tollgate/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEBHOOK_SECRET, startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { Customer } from './scenarios';

let billing: BillingTestServer;
beforeAll(async () => {
  billing = await startBillingTestServer();
});
afterAll(() => billing?.stop());

describe('Stripe customers and webhook failures', () => {
  it('creates one Stripe customer per account under concurrent checkouts, with metadata.userId', async () => {
    const customer = await Customer.signUp(billing);
    const sessions = await Promise.all(
      Array.from({ length: 8 }, () =>
        customer.call('mutation', 'billing.createCheckoutSession', { plan: 'BASIC' }),
      ),
    );
    expect(sessions.every((session) => session.status === 200)).toBe(true);
    const found = await billing.stripe.customers.search({ query: `metadata['userId']:'${customer.userId}'` });
    expect(found.data).toHaveLength(1);
    const checkout = await billing.stripe.checkout.sessions.retrieve(
      new URL(sessions[0]?.data.url).pathname.split('/').pop() ?? '',
    );
    expect(checkout).toMatchObject({
      mode: 'subscription',
      client_reference_id: customer.userId,
      customer: found.data[0]?.id,
    });
  });

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
