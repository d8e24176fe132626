import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openPage, submitForm } from './support/browser';
import { APP, DAY, startHarness, subscribeViaCheckout } from './support/harness';
import type { Harness } from './support/harness';

// POST /v1/invoices/:id/void, and what it does to the subscription whose payment failed: Stripe derives
// a subscription's status from its most recent invoice that is not void, so voiding the declined
// upgrade invoice that made it past_due brings it back to active. This is the manual rollback Stripe's
// pending-updates page describes for an update whose always_invoice payment failed.

const FAILS_LATER = '4000 0000 0000 0341';

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

async function alwaysInvoiceConfiguration(): Promise<string> {
  const configuration = await h.stripe.billingPortal.configurations.create({
    features: {
      subscription_update: {
        enabled: true,
        default_allowed_updates: ['price'],
        proration_behavior: 'always_invoice',
        products: (['BASIC', 'PRO'] as const).map((plan) => ({
          product: h.emulator.products[plan],
          prices: [h.emulator.prices[plan]],
        })),
      },
    },
  });
  return configuration.id;
}

/** BASIC paid with a card that fails later, then Switch to Pro in the portal: declined, past_due. */
async function declinedUpgrade() {
  const subscribed = await subscribeViaCheckout(h, { card: FAILS_LATER });
  const session = await h.stripe.billingPortal.sessions.create({
    customer: subscribed.customer.id,
    configuration: await alwaysInvoiceConfiguration(),
    return_url: `${APP}/settings`,
  });
  expect((await submitForm(await openPage(session.url), 'Switch to Pro')).status).toBe(303);
  await h.emulator.webhooks.drain();
  const [invoice] = (await h.stripe.invoices.list({ subscription: subscribed.subscriptionId })).data;
  if (!invoice) throw new Error('no upgrade invoice');
  expect(invoice).toMatchObject({ billing_reason: 'subscription_update', status: 'open' });
  expect((await h.stripe.subscriptions.retrieve(subscribed.subscriptionId)).status).toBe('past_due');
  h.receiver.clear();
  return { ...subscribed, invoice };
}

async function failedStripeCall(call: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  const error: unknown = await call.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!(error instanceof Stripe.errors.StripeError)) throw new Error('the call did not fail');
  return error;
}

describe('POST /v1/invoices/:id/void', () => {
  it('voids the declined upgrade invoice: no more attempts, invoice.voided, the subscription active again', async () => {
    const { subscriptionId, invoice } = await declinedUpgrade();
    expect(invoice.next_payment_attempt).not.toBeNull();

    const voided = await h.stripe.invoices.voidInvoice(invoice.id);
    expect(voided).toMatchObject({
      id: invoice.id,
      status: 'void',
      next_payment_attempt: null,
      amount_paid: 0,
    });
    expect(voided.status_transitions.voided_at).toEqual(expect.any(Number));
    await h.emulator.webhooks.drain();
    expect(h.receiver.ofType('invoice.voided').map((event) => event.data.object.id)).toEqual([invoice.id]);
    const [updated] = h.receiver.ofType('customer.subscription.updated');
    expect(updated?.data.object.status).toBe('active');
    expect(updated?.data.previous_attributes).toMatchObject({ status: 'past_due' });
    expect(h.receiver.ofType('invoice.voided')[0]?.created).toBeLessThanOrEqual(updated?.created ?? 0);

    // The rollback's second half: back to the price paid for, without proration.
    const subscription = await h.stripe.subscriptions.retrieve(subscriptionId);
    const itemId = subscription.items.data[0]?.id ?? '';
    const back = await h.stripe.subscriptions.update(subscriptionId, {
      items: [{ id: itemId, price: h.emulator.prices.BASIC }],
      proration_behavior: 'none',
    });
    expect(back).toMatchObject({ status: 'active' });
    expect(back.items.data[0]?.price.id).toBe(h.emulator.prices.BASIC);
    expect((await h.stripe.invoices.list({ subscription: subscriptionId })).data).toHaveLength(2);

    // Past the retry schedule (3 + 5 + 7 days): the void invoice is never attempted again, and the
    // subscription is not canceled for it.
    await h.emulator.clock.advance(16 * DAY);
    await h.emulator.webhooks.drain();
    const later = await h.stripe.invoices.retrieve(invoice.id);
    expect(later).toMatchObject({ status: 'void', attempt_count: invoice.attempt_count });
    expect((await h.stripe.subscriptions.retrieve(subscriptionId)).status).toBe('active');
    expect(h.receiver.ofType('invoice.payment_failed')).toHaveLength(0);
  });

  it('keeps the subscription past_due while its most recent invoice that is not void is still open', async () => {
    const { subscriptionId, invoice } = await declinedUpgrade();
    const subscription = await h.stripe.subscriptions.retrieve(subscriptionId);
    // A seat change invoiced at once on the same failing card: a second open invoice, newer.
    await h.stripe.subscriptions.update(subscriptionId, {
      items: [{ id: subscription.items.data[0]?.id ?? '', quantity: 2 }],
      proration_behavior: 'always_invoice',
    });
    const [seats] = (await h.stripe.invoices.list({ subscription: subscriptionId, status: 'open' })).data;
    expect(seats?.id).not.toBe(invoice.id);

    await h.stripe.invoices.voidInvoice(invoice.id);
    expect((await h.stripe.subscriptions.retrieve(subscriptionId)).status).toBe('past_due');
    await h.stripe.invoices.voidInvoice(seats?.id ?? '');
    expect((await h.stripe.subscriptions.retrieve(subscriptionId)).status).toBe('active');
  });

  it('refuses a paid or already void invoice; the same Idempotency-Key replays the first answer', async () => {
    const { invoice } = await declinedUpgrade();
    const key = `void-${invoice.id}`;
    const first = await h.stripe.invoices.voidInvoice(invoice.id, {}, { idempotencyKey: key });
    const replay = await h.stripe.invoices.voidInvoice(invoice.id, {}, { idempotencyKey: key });
    expect(replay).toEqual(first);
    const again = await failedStripeCall(h.stripe.invoices.voidInvoice(invoice.id));
    expect(again).toMatchObject({ statusCode: 400, code: 'invoice_not_open' });

    const paid = await subscribeViaCheckout(h);
    const [firstInvoice] = (await h.stripe.invoices.list({ subscription: paid.subscriptionId })).data;
    const refused = await failedStripeCall(h.stripe.invoices.voidInvoice(firstInvoice?.id ?? ''));
    expect(refused).toMatchObject({ statusCode: 400, code: 'invoice_not_open' });
    expect(await h.stripe.invoices.retrieve(firstInvoice?.id ?? '')).toMatchObject({ status: 'paid' });
    expect((await failedStripeCall(h.stripe.invoices.voidInvoice('in_missing'))).code).toBe(
      'resource_missing',
    );
  });
});
